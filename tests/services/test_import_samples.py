"""Every real sample file imports through the whole path (detect, parse, reconcile, write)."""

import hashlib

import pytest

from openpoam.formats.base import FormatError
from openpoam.tracker.models import ImportRecord
from openpoam.tracker.services import imports, setup
from tests.paths import SAMPLES, shared_files

from .conftest import ROOT

pytestmark = pytest.mark.shared  # the real corpus; tests/formats/*/fixtures cover a clone
SAMPLE_FILES = [p for p in shared_files(SAMPLES, "**/*") if p.suffix != ".md"]
MALFORMED = {"all-possible-results.ckl"}  # FORMATS.md: a stray </VULN> at line 255


def test_the_samples_are_there():
    assert len(SAMPLE_FILES) >= 57, f"expected the shared samples in {SAMPLES}"


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_it_imports_every_sample(org, path):
    system = setup.create_system(ROOT, org, slug="s", name="S", framework="fedramp-moderate")
    if path.name in MALFORMED:
        with pytest.raises(FormatError, match=rf"{path.name}.*line \d+"):
            imports.import_file(ROOT, system, path)
        assert not ImportRecord.objects.exists()
        return
    result = imports.import_file(ROOT, system, path)
    assert result.record is not None and result.record.sha256 == hashlib.sha256(
        path.read_bytes()).hexdigest()
    again = imports.import_file(ROOT, system, path)
    assert (again.counts.new, again.counts.recurred, again.counts.remediated,
            again.counts.closed) == (0, 0, 0, 0), "a second import of the same file changed it"
