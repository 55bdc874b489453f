"""The XML safety layer every XML importer goes through."""

import io
import re
import socket

import pytest

from openpoam.formats import xmlsafe
from openpoam.formats.base import FormatError
from tests.paths import REPO, SAMPLES

FORMATS = REPO / "tests" / "formats"
SHARED = pytest.mark.shared

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<r>&xxe;</r>"""

XXE_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<r/>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""


def _parse(data: bytes):
    return xmlsafe.parse(io.BytesIO(data), source="evil.xml")


def _iterparse(data: bytes):
    return list(xmlsafe.iterparse(io.BytesIO(data), source="evil.xml"))


READERS = [_parse, _iterparse]


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize("document,line", [(XXE_FILE, 2), (XXE_PARAMETER, 2),
                                           (BILLION_LAUGHS, 3)],
                         ids=["xxe-file", "xxe-parameter", "billion-laughs"])
def test_it_refuses_entity_declarations(read, document, line):
    with pytest.raises(FormatError, match="declares entities") as caught:
        read(document)
    assert caught.value.source == "evil.xml"
    assert caught.value.line == line  # the line of the first <!ENTITY


@pytest.mark.parametrize("read", READERS)
def test_it_finds_a_declaration_behind_a_comment_that_looks_like_an_element(read):
    # Evaluate-STIG writes "<!--<Evaluate-STIG>...-->" first: the tag in the comment
    # must not be taken for the root, or the DOCTYPE after it goes unchecked.
    document = b"<!-- <a> -->\n" + XXE_FILE.split(b"\n", 1)[1]
    with pytest.raises(FormatError, match="declares entities"):
        read(document)


def test_it_finds_a_declaration_after_a_subset_with_quoted_brackets():
    document = (b'<!DOCTYPE r [<!ATTLIST r a CDATA "]>"> <!-- <x> ] -->\n'
                b'<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>')
    with pytest.raises(FormatError, match="declares entities"):
        _parse(document)


@pytest.mark.parametrize("codec,bom", [("utf-16-le", True), ("utf-16-be", True),
                                       ("utf-16-le", False), ("utf-16-be", False)])
def test_it_refuses_entities_in_utf16_documents(codec, bom):
    text = XXE_FILE.decode().replace("<?xml version=\"1.0\"?>",
                                     "<?xml version=\"1.0\" encoding=\"UTF-16\"?>")
    data = text.encode(codec)
    if bom:
        data = ("\ufeff".encode(codec)) + data
    with pytest.raises(FormatError, match="declares entities"):
        _parse(data)


def test_it_reads_a_utf16_document_without_entities():
    data = '<?xml version="1.0" encoding="UTF-16"?><r>caf\u00e9</r>'.encode("utf-16")
    assert _parse(data).text == "caf\u00e9"


def test_it_scans_the_prolog_in_the_declared_encoding():
    # "+ADw-" is "<" in UTF-7: a byte scan would not see this declaration.
    data = (b'<?xml version="1.0" encoding="UTF-7"?>'
            b'+ADw-!DOCTYPE r +AFs-+ADw-!ENTITY x "y"+AD4-+AF0-+AD4-<r/>')
    with pytest.raises(FormatError, match="declares entities"):
        _parse(data)


@pytest.mark.parametrize("document", [
    b'<?xml version="1.0" encoding="x-no-such-thing"?><r/>',
    '<?xml version="1.0" encoding="IBM037"?><r/>'.encode("cp037"),
], ids=["unknown", "ebcdic"])
def test_it_refuses_an_encoding_it_cannot_scan(document):
    with pytest.raises(FormatError, match="encoding"):
        _parse(document)


def test_it_reads_a_legacy_code_page_document():
    data = '<?xml version="1.0" encoding="windows-1252"?><r>€</r>'.encode("cp1252")
    assert _parse(data).text == "€"


def test_it_refuses_a_prolog_too_large_to_check():
    document = b"<!--" + b"x" * (xmlsafe._PROLOG_LIMIT + 10) + b"-->\n<r/>"
    with pytest.raises(FormatError, match="too large"):
        _parse(document)


def test_it_never_fetches_a_dtd_named_by_url():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.3)
    port = listener.getsockname()[1]
    try:
        document = (f'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM '
                    f'"http://127.0.0.1:{port}/r.dtd">\n<r>ok</r>').encode()
        assert _parse(document).text == "ok"
        assert [el.text for _, el in xmlsafe.iterparse(io.BytesIO(document),
                                                       source="r.xml")] == ["ok"]
        with pytest.raises(socket.timeout):
            listener.accept()  # nobody called
    finally:
        listener.close()


def test_it_never_reads_a_local_dtd_or_its_entities(tmp_path):
    dtd = tmp_path / "leak.dtd"
    dtd.write_text('<!ENTITY secret "LEAKED">')
    document = (f'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "{dtd.as_uri()}">\n'
                f'<r a="1">before &secret; after</r>').encode()
    try:
        root = _parse(document)
    except FormatError:
        return  # refusing is as good as not reading
    assert "LEAKED" not in "".join(root.itertext())


@pytest.mark.parametrize("name", ["asset_data_report.xml", "scan_report.xml"])
def test_it_reads_fixtures_that_name_an_external_dtd(name):
    # They name an https DTD on a host that does not exist: a fetch would fail here.
    with open(FORMATS / "qualys" / "fixtures" / name, "rb") as stream:
        root = xmlsafe.parse(stream, source=name)
    assert root.tag in ("ASSET_DATA_REPORT", "SCAN")
    assert len(root) > 0


@SHARED
@pytest.mark.parametrize("name", ["Qualys_Sample_Report.xml",
                                  "qualys_infrascan_webgui_multiple.xml"])
def test_it_reads_files_that_name_an_external_dtd(name):
    with open(SAMPLES / "qualys" / name, "rb") as stream:
        root = xmlsafe.parse(stream, source=name)
    assert root.tag in ("ASSET_DATA_REPORT", "SCAN")
    assert len(root) > 0


def test_it_streams_attack_strings_as_data():
    attacks = ["/search?q=%3c!ENTITY%20x%20SYSTEM%20%22file:///etc/passwd%22%3e",
               "/a?x=<!DOCTYPE r [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>&e;"]
    issues = "".join(f"<issue><path><![CDATA[{path}]]></path></issue>" for path in attacks)
    document = f'<?xml version="1.0"?>\n<issues burpVersion="1">{issues}</issues>'.encode()
    paths = []
    for _, issue in xmlsafe.iterparse(io.BytesIO(document), source="burp.xml", tag="issue"):
        paths.append(issue.findtext("path") or "")
        xmlsafe.clear(issue)
    assert paths == attacks


@SHARED
def test_it_streams_burp_attack_strings_as_data():
    paths = []
    with open(SAMPLES / "burp" / "issue4399.xml", "rb") as stream:
        for _, issue in xmlsafe.iterparse(stream, source="issue4399.xml", tag="issue"):
            paths.append(issue.findtext("path") or "")
            xmlsafe.clear(issue)
    assert len(paths) == 441
    assert any("%3c!ENTITY" in path for path in paths)


def test_it_keeps_entity_declarations_inside_cdata_as_text():
    document = (b'<?xml version="1.0"?>\n<issues><issue><detail><![CDATA['
                b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>'
                b']]></detail></issue></issues>')
    root = _parse(document)
    assert root.findtext("issue/detail").startswith("<!DOCTYPE x [<!ENTITY xxe")


@pytest.mark.parametrize("read", READERS)
def test_it_reports_malformed_xml_with_file_and_line(read):
    with pytest.raises(FormatError) as caught:
        read(b"<r>\n  <a>\n  </b>\n</r>")
    assert caught.value.line == 3
    assert str(caught.value).startswith("evil.xml, line 3: malformed XML")


@pytest.mark.parametrize("read", READERS)
def test_it_reports_an_empty_file(read):
    with pytest.raises(FormatError, match="malformed XML"):
        read(b"")


def test_it_reports_a_stray_closing_tag_in_a_checklist_at_its_line():
    lines = (FORMATS / "ckl" / "fixtures" / "evaluate-stig.ckl").read_bytes().split(b"\r\n")
    at = next(n for n, line in enumerate(lines) if line.strip() == b"</VULN>") + 1
    lines.insert(at, b"\t\t\t</VULN>")  # the defect of STIG Viewer's all-results sample
    with pytest.raises(FormatError) as caught:
        for _ in xmlsafe.iterparse(io.BytesIO(b"\r\n".join(lines)), source="stray.ckl"):
            pass
    assert caught.value.line == at + 1  # lines count from 1
    assert f"stray.ckl, line {at + 1}" in str(caught.value)


@SHARED
def test_it_reports_the_malformed_sample_checklist_at_its_line():
    with open(SAMPLES / "ckl" / "all-possible-results.ckl", "rb") as stream:
        with pytest.raises(FormatError) as caught:
            for _ in xmlsafe.iterparse(stream, source="all-possible-results.ckl"):
                pass
    assert caught.value.line == 255
    assert "all-possible-results.ckl, line 255" in str(caught.value)


class _Generated:
    """A large document produced on the fly, never held in memory whole."""

    def __init__(self, items: int):
        self._chunks = self._generate(items)
        self._buffer = bytearray()

    @staticmethod
    def _generate(items: int):
        yield b"<?xml version='1.0'?>\n<report>\n"
        payload = b"x" * 400
        for n in range(items):
            yield b"<item id='%d'><name>item %d</name><output>%s</output></item>\n" % (
                n, n, payload)
        yield b"</report>\n"

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk  # bytearray: amortised, not quadratic
        if size < 0:
            size = len(self._buffer)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def _largest_tree(items: int, clear: bool) -> int:
    largest = 0
    for _, item in xmlsafe.iterparse(_Generated(items), source="big.xml", tag="item"):
        if int(item.get("id")) % 1000 == 0:
            largest = max(largest, sum(1 for _ in item.getparent().iter()))
        if clear:
            xmlsafe.clear(item)
    return largest


def test_it_keeps_the_tree_small_when_items_are_cleared(monkeypatch):
    # With clear() only what the parser has read ahead (one block) is in the tree; the
    # reader also frees ended items the caller forgot to clear, one block later.
    assert _largest_tree(5_000, clear=True) < 1_000
    assert _largest_tree(5_000, clear=False) < 1_000
    # Without the reader's pruning nor clear() the tree holds every item: the measure can fail.
    monkeypatch.setattr(xmlsafe, "_prune", lambda root, watched, threshold, source: threshold)
    assert _largest_tree(5_000, clear=False) > 10_000


def _rss_growth(items: int, clear: bool) -> int:
    seen = 0
    before = _rss_bytes()
    peak = before
    for _, item in xmlsafe.iterparse(_Generated(items), source="big.xml", tag="item"):
        seen += 1
        if seen % 10_000 == 0:
            peak = max(peak, _rss_bytes())
        if clear:
            xmlsafe.clear(item)
    assert seen == items
    return peak - before


def test_it_keeps_memory_flat_on_a_large_file():
    items = 120_000  # about 55 MB of XML
    megabyte = 1024 * 1024
    # What stays is the 4 MiB prolog peek and the parser's buffers, not the file.
    # (The control that the measure can fail is the tree-size test above: an RSS
    # control would depend on what the allocator kept from earlier tests.)
    assert _rss_growth(items, clear=True) < 20 * megabyte


@pytest.mark.parametrize("head,expected", [
    (b'\xef\xbb\xbf<?xml version="1.0"?>\r\n<!--<Evaluate-STIG><version>1</version>'
     b'</Evaluate-STIG>-->\r\n<CHECKLIST>', "CHECKLIST"),
    (b'<?xml version="1.0"?><!DOCTYPE issues [<!ELEMENT issues (issue*)>'
     b'<!ATTLIST issues v CDATA "]>">]><issues burpVersion="1">', "issues"),
    (b'<cdf:Benchmark xmlns:cdf="http://checklists.nist.gov/xccdf/1.2">', "Benchmark"),
    ('<?xml version="1.0" encoding="UTF-16"?><NessusClientData_v2>'.encode("utf-16"),
     "NessusClientData_v2"),
    (b"<!-- only a comment -->", ""),
    (b"{\"stigs\": []}", ""),
    (b"", ""),
    (b"\xff\xfe\x00\x00<\x00\x00", ""),
    (bytes(range(256)), ""),
])
def test_it_names_the_root_element_for_sniffing(head, expected):
    assert xmlsafe.root_tag(head) == expected


def test_it_names_the_root_even_when_the_head_is_cut_mid_document():
    with open(FORMATS / "xccdf" / "fixtures" / "scc-results.xml", "rb") as stream:
        assert xmlsafe.root_tag(stream.read(1000)) == "Benchmark"


@pytest.mark.parametrize("read", READERS)
def test_it_expands_nothing_even_if_a_declaration_slipped_past_the_prolog_check(
        read, monkeypatch):
    # Second guard: the parser itself never substitutes entities or reads files.
    monkeypatch.setattr(xmlsafe, "_ENTITY_DECL", re.compile(r"(?!x)x"))
    result = read(XXE_FILE)
    root = result if read is _parse else result[-1][1]
    assert "root:" not in "".join(root.itertext())
    try:
        laughs = read(BILLION_LAUGHS)
    except FormatError as refused:  # libxml2's own amplification limit
        assert "amplification" in str(refused)
        return
    root = laughs if read is _parse else laughs[-1][1]
    assert len("".join(root.itertext())) < 100
