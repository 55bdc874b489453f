"""XCCDF results: SCAP Compliance Checker, OpenSCAP, Evaluate-STIG, STIG Manager."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from openpoam.domain.findings import Record
from openpoam.formats import xmlsafe
from openpoam.formats.xccdf.parser import NAMESPACES, parse_xccdf

_NAMESPACE_BYTES = tuple(namespace.encode() for namespace in NAMESPACES)


class XccdfImporter:
    key = "xccdf"
    label = "XCCDF results (SCC, OpenSCAP, Evaluate-STIG)"
    options = frozenset()

    def sniff(self, head: bytes, filename: str) -> bool:
        if xmlsafe.root_tag(head) not in ("Benchmark", "TestResult"):
            return False
        # The namespace decides, not the prefix (cdf:, xccdf: or none).
        return any(namespace in head for namespace in _NAMESPACE_BYTES)

    def parse(self, stream: BinaryIO, *, source: str) -> Iterator[Record]:
        return parse_xccdf(stream, source=source)


PLUGINS = [XccdfImporter()]
