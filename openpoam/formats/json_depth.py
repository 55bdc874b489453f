"""How deeply a JSON text nests, measured before any parser or validator sees it.

A 300 KB file of 50,000 nested arrays costs a JSON parser and a schema validator gigabytes
of memory or a RecursionError; no real document here nests past a few dozen levels (OSCAL
about 12). Every JSON input (an imported file, an API request body, a file given to the
command line) is scanned here first, in bounded memory, and refused past ``MAX_DEPTH`` with one
line naming the file and the depth.

The scan runs at C speed over each chunk: complete strings are cut out with one regular
expression (brackets inside strings do not count), everything but brackets is deleted with
``bytes.translate``, and the running depth is an ``accumulate`` over what is left. A string
that continues into the next chunk is carried as state, not as bytes.
"""

from __future__ import annotations

import re
from itertools import accumulate
from pathlib import Path
from typing import BinaryIO

from openpoam.formats.base import FormatError

MAX_DEPTH = 200
CHUNK = 1024 * 1024
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.S)  # the end of a string begun before
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class DepthScan:
    """Feed chunks of a JSON text; ``deepest`` is the greatest nesting seen so far."""

    def __init__(self) -> None:
        self.depth = self.deepest = 0
        self.in_string = False
        self._carry = b""  # backslashes at a chunk's end: they escape the next chunk's first byte

    def feed(self, chunk: bytes) -> int:
        data = self._carry + chunk
        trailing = len(data) - len(data.rstrip(b"\\"))
        self._carry = data[len(data) - trailing:] if trailing else b""
        data = data[:len(data) - trailing] if trailing else data
        if self.in_string:
            end = _STRING_REST.match(data)
            if end is None:
                return self.deepest  # the whole chunk is inside one string
            data, self.in_string = data[end.end():], False
        outside = _STRING.sub(b"", data)
        quote = outside.find(b'"')
        if quote >= 0:  # a string that goes on into the next chunk
            outside, self.in_string = outside[:quote], True
        brackets = outside.translate(None, _NOT_BRACKETS)
        if brackets:
            steps = accumulate(map(_STEP.__getitem__, brackets), initial=self.depth)
            self.deepest = max(self.deepest, max(steps))
            self.depth += brackets.count(b"[") + brackets.count(b"{") \
                - brackets.count(b"]") - brackets.count(b"}")
        return self.deepest


def too_deep(depth: int, source: str, limit: int) -> FormatError:
    return FormatError(f"the JSON nests {depth:,} levels deep or more, past the limit of "
                       f"{limit} (no document of this kind nests so deeply)", source=source)


def check_bytes(data: bytes, *, source: str, limit: int = MAX_DEPTH) -> None:
    """Refuse ``data`` if it nests deeper than ``limit`` (FormatError naming ``source``)."""
    scan = DepthScan()
    for start in range(0, len(data), CHUNK):
        if scan.feed(data[start:start + CHUNK]) > limit:
            raise too_deep(scan.deepest, source, limit)


def check_stream(stream: BinaryIO, *, source: str, limit: int = MAX_DEPTH) -> None:
    scan = DepthScan()
    while chunk := stream.read(CHUNK):
        if scan.feed(chunk) > limit:
            raise too_deep(scan.deepest, source, limit)


def check_file(path: Path, *, source: str, limit: int = MAX_DEPTH) -> None:
    with Path(path).open("rb") as stream:
        check_stream(stream, source=source, limit=limit)


def looks_like_json(head: bytes) -> bool:
    """The first meaningful byte opens a JSON object or array (after a BOM or spaces)."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return text[:1] in (b"{", b"[")
