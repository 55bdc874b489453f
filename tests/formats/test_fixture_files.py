"""Every importer has test files of its own, written here, so the suite passes from a clone."""

import hashlib

import pytest

from openpoam.formats import registry
from tests.paths import REPO, SAMPLES, shared_files

FORMATS = REPO / "tests" / "formats"
# Workbooks are built in the tests (by the exporter, or by openpyxl into the template the
# package ships), not kept as files: a binary fixture could not be reviewed.
BUILT_IN_TESTS = {"fedramp_xlsx"}
IMPORTERS = {**registry.default().scan_importers, **registry.default().poam_importers}


def _package(importer) -> str:
    """openpoam.formats.<package>[.module] -> <package>"""
    return type(importer).__module__.split(".")[2]


@pytest.mark.parametrize("key", sorted(IMPORTERS))
def test_every_importer_has_fixtures_of_its_own(key):
    package = _package(IMPORTERS[key])
    if package in BUILT_IN_TESTS:
        return
    files = [p for p in (FORMATS / package / "fixtures").glob("*") if p.is_file()]
    assert files, f"tests/formats/{package}/fixtures/ holds no file for the {key!r} importer"
    sniffed = [p for p in files if IMPORTERS[key].sniff(p.read_bytes()[:65536], p.name)]
    assert sniffed, f"no fixture of {package} is recognised as {key!r}"


def _digests(paths) -> dict[str, str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest(): str(p) for p in paths}


@pytest.mark.shared
def test_no_fixture_is_a_copy_of_a_shared_sample():
    fixtures = _digests(p for p in FORMATS.glob("*/fixtures/*") if p.is_file())
    samples = _digests(shared_files(SAMPLES, "**/*"))
    assert not fixtures.keys() & samples.keys(), [fixtures[d] for d in fixtures.keys() & samples]
