"""DISA STIG Viewer 2 checklists (.ckl)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from openpoam.domain.findings import Record
from openpoam.formats import xmlsafe
from openpoam.formats.ckl.parser import parse_ckl


class CklImporter:
    key = "ckl"
    label = "DISA STIG Viewer checklist (.ckl)"
    options = frozenset()

    def sniff(self, head: bytes, filename: str) -> bool:
        return xmlsafe.root_tag(head) == "CHECKLIST"

    def parse(self, stream: BinaryIO, *, source: str) -> Iterator[Record]:
        return parse_ckl(stream, source=source)


PLUGINS = [CklImporter()]
