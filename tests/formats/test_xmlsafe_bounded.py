"""The streaming XML reader keeps memory flat whatever a file holds besides what is read."""

from __future__ import annotations

import io

import pytest

from openpoam.formats import xmlsafe
from openpoam.formats.base import FormatError
from openpoam.formats.nessus.parser import NessusImporter


def _doc(body: str) -> io.BytesIO:
    return io.BytesIO(f'<?xml version="1.0"?>\n<root>\n{body}</root>\n'.encode())


def test_it_frees_elements_nobody_reads_so_the_root_never_grows():
    junk = "<junk><a>text</a><b k='v'/></junk>\n" * 80_000
    stream = _doc(f"{junk}<item n='1'/>\n")
    sizes = [len(element.getparent())  # the root, as it stands when the item is read
             for _, element in xmlsafe.iterparse(stream, source="x.xml", tag="item")]
    # lxml parses a buffer ahead of the events, so a few hundred may be there at once;
    # without freeing, the root held all 80,000 junk elements by then.
    assert len(sizes) == 1 and sizes[0] < 5000


def test_it_keeps_the_content_of_a_watched_element_for_the_caller():
    stream = _doc("<junk/>" * 100 + "<item><x>1</x><y><z>2</z></y></item>")
    [(_, item)] = list(xmlsafe.iterparse(stream, source="x.xml", tag=("item",)))
    assert item.findtext("x") == "1" and item.findtext("y/z") == "2"


def test_it_passes_comments_when_asked(monkeypatch):
    stream = _doc("<!-- note --><item/>")
    events = [e for e, _ in xmlsafe.iterparse(stream, source="x.xml",
                                               events=("start", "end", "comment"))]
    assert events == ["start", "comment", "start", "end", "end"]


def test_it_refuses_a_watched_element_stuffed_with_unknown_elements(monkeypatch):
    monkeypatch.setattr(xmlsafe, "MAX_UNREAD", 1000)
    stream = _doc("<item>\n" + "<junk/>" * 1001 + "</item>")
    with pytest.raises(FormatError) as caught:
        list(xmlsafe.iterparse(stream, source="x.xml", tag="item"))
    assert "x.xml, line 3" in str(caught.value) and "<item>" in str(caught.value)


def test_a_nessus_file_of_nothing_but_filler_is_refused_early(monkeypatch):
    """A well-formed .nessus whose report holds only unknown elements (a hostile file)."""
    monkeypatch.setattr(xmlsafe, "MAX_UNREAD", 5000)
    body = "<Filler><a>x</a></Filler>\n" * 20_000
    stream = io.BytesIO(f"<NessusClientData_v2><Report name='r'>{body}</Report>"
                        "</NessusClientData_v2>".encode())
    with pytest.raises(FormatError, match="<Report> element holds more than 5,000"):
        list(NessusImporter().parse(stream, source="filler.nessus"))
