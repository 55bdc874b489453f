"""The six network-scanner importers register cleanly and never claim each other's files."""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpoam.formats import registry
from openpoam.formats.base import FormatError
from tests.paths import REPO, SAMPLES, shared_files

MODULES = ("openpoam.formats.nessus", "openpoam.formats.nessus_csv",
           "openpoam.formats.openvas", "openpoam.formats.qualys")
OWNER = {"nessus": {".nessus": "nessus", ".xml": "nessus"},
         "nessus_csv": {".csv": "nessus-csv"},
         "openvas": {".xml": "openvas-xml", ".csv": "openvas-csv"},
         "qualys": {".xml": "qualys-xml", ".csv": "qualys-csv"}}


def built():
    return registry.build(MODULES)


def test_it_registers_six_scan_importers_with_distinct_keys():
    assert sorted(built().scan_importers) == ["nessus", "nessus-csv", "openvas-csv",
                                              "openvas-xml", "qualys-csv", "qualys-xml"]


def claims(path) -> list[str]:
    head = path.read_bytes()[:65536]
    return [key for key, importer in built().scan_importers.items()
            if importer.sniff(head, path.name)]


FIXTURES = sorted(p for p in (REPO / "tests" / "formats").glob("*/fixtures/*") if p.is_file())


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_it_sniffs_each_fixture_to_at_most_its_own_importer(path):
    expected = OWNER.get(path.parent.parent.name, {}).get(path.suffix)
    assert claims(path) == ([expected] if expected else [])


@pytest.mark.shared
@pytest.mark.parametrize("path", shared_files(SAMPLES, "*/*"),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_it_sniffs_each_sample_to_at_most_its_own_importer(path):
    expected = OWNER.get(path.parent.name, {}).get(path.suffix)
    assert claims(path) == ([expected] if expected else [])


IMPORTERS = sorted(built().scan_importers.items())
PREFIXES = [b"", b"<NessusClientData_v2>", b'<report id="1"><report>', b"<ASSET_DATA_REPORT>",
            b"Plugin ID,CVE,CVSS,Risk,Host\n", b"IP,NVT OID,NVT Name\n", b'"IP","QID","Title"\n']


@settings(max_examples=60, deadline=None)
@given(prefix=st.sampled_from(PREFIXES), tail=st.binary(max_size=300))
def test_it_never_fails_with_anything_but_format_error(prefix, tail):
    data = prefix + tail
    for key, importer in IMPORTERS:
        assert importer.sniff(data, "fuzz") in (True, False)
        try:
            list(importer.parse(io.BytesIO(data), source="fuzz"))
        except FormatError as error:
            assert error.source == "fuzz", key
