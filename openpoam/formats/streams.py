"""Small stream helpers shared by the parsers: peeking, size bounds, text decoding."""

from __future__ import annotations

import io
from typing import BinaryIO

from openpoam.formats.base import FormatError

HEAD_SIZE = 64 * 1024


class PrefixedStream(io.RawIOBase):
    """A binary stream that first returns ``head``, then the rest of ``stream``.

    Lets a caller peek at the start of a non-seekable upload without losing it.
    """

    def __init__(self, head: bytes, stream: BinaryIO):
        self._head = memoryview(head)  # sliced without copying as it is read
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if len(self._head):
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return _read_into(self._stream, buffer)


def _read_into(stream: BinaryIO, buffer) -> int:
    """Fill ``buffer`` from ``stream``: straight in where the stream can (no new bytes
    object and second copy for each block of a file of hundreds of MB)."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return readinto(buffer) or 0
    data = stream.read(len(buffer))
    buffer[: len(data)] = data
    return len(data)


class LimitedStream(io.RawIOBase):
    """Refuses to read past ``limit`` bytes: bounds uploads and decompression."""

    def __init__(self, stream: BinaryIO, limit: int, *, source: str = ""):
        self._stream = stream
        self._left = limit
        self._limit = limit
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        with memoryview(buffer) as view:
            size = _read_into(self._stream, view[:min(len(view), self._left + 1)])
        if size > self._left:
            raise FormatError(f"the file is larger than the limit of {self._limit:,} bytes",
                              source=self._source)
        self._left -= size
        return size


def peek(stream: BinaryIO, size: int = HEAD_SIZE) -> tuple[bytes, BinaryIO]:
    """Return the first bytes and a stream that still yields the whole content."""
    head = stream.read(size)
    return head, io.BufferedReader(PrefixedStream(head, stream))


def text_lines(stream: BinaryIO, *, source: str) -> io.TextIOWrapper:
    """Decode a byte stream as UTF-8 text, accepting a BOM and CRLF line ends.

    Invalid UTF-8 falls back to cp1252 only when the whole head is not UTF-8;
    a stray byte later raises FormatError naming the file.
    """
    head, whole = peek(stream)
    encoding = "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the peek boundary
            encoding = "cp1252"
    return io.TextIOWrapper(whole, encoding=encoding, newline="")


def sniff_text(head: bytes) -> str:
    """The head as text for sniffing (BOM stripped, errors replaced)."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.decode("utf-8", errors="replace")
