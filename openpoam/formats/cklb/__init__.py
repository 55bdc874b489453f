"""DISA STIG Viewer 3 checklists (.cklb, JSON)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from openpoam.domain.findings import Record
from openpoam.formats.cklb.parser import parse_cklb
from openpoam.formats.streams import sniff_text


class CklbImporter:
    key = "cklb"
    label = "DISA STIG Viewer 3 checklist (.cklb)"
    options = frozenset()

    def sniff(self, head: bytes, filename: str) -> bool:
        text = sniff_text(head).lstrip()
        if not text.startswith("{"):
            return False
        # target_data sits before the (long) stigs list in every writer seen; when
        # it does not, the first rule's own keys still show in the head.
        return '"target_data"' in text or ('"stigs"' in text and '"group_id"' in text
                                           and '"rule_version"' in text)

    def parse(self, stream: BinaryIO, *, source: str) -> Iterator[Record]:
        return parse_cklb(stream, source=source)


PLUGINS = [CklbImporter()]
