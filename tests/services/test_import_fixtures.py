"""Every format's own fixture imports through the whole path (detect, parse, reconcile, write).

The same checks as test_import_samples.py, over the files written for the tests, so that a
fresh clone without ../shared imports one real file of every format end to end.
"""

import hashlib

import pytest

from openpoam.tracker.models import AffectedAsset, ImportRecord, PoamItem
from openpoam.tracker.services import imports, setup
from tests.paths import REPO

from .conftest import ROOT

FORMATS = REPO / "tests" / "formats"
# A column mapping, and the export that needs it: the generic CSV tests read those two.
NOT_IMPORTS = {"acme-mapping.json", "acme-export.csv"}
FIXTURE_FILES = sorted(p for p in FORMATS.glob("*/fixtures/*")
                       if p.is_file() and p.name not in NOT_IMPORTS)


def _id(path) -> str:
    return f"{path.parent.parent.name}/{path.name}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=_id)
def test_it_imports_every_fixture_twice_changing_nothing_the_second_time(org, path):
    system = setup.create_system(ROOT, org, slug="s", name="S", framework="fedramp-moderate")
    result = imports.import_file(ROOT, system, path)
    assert result.record is not None
    assert result.record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    again = imports.import_file(ROOT, system, path)
    assert (again.counts.new, again.counts.recurred, again.counts.remediated,
            again.counts.closed) == (0, 0, 0, 0), "a second import of the same file changed it"


def test_it_reimports_qualys_virtual_hosts_from_next_months_report(org, tmp_path):
    system = setup.create_system(ROOT, org, slug="s", name="S", framework="fedramp-moderate")
    report = FORMATS / "qualys" / "fixtures" / "asset_data_report.xml"
    imports.import_file(ROOT, system, report)
    later = tmp_path / "next-month.xml"  # the same findings, reported a month later
    later.write_bytes(report.read_bytes().replace(b"2026-11-02T20:03:10Z",
                                                  b"2026-12-02T20:03:10Z"))
    again = imports.import_file(ROOT, system, later)
    assert (again.counts.new, again.counts.remediated, again.counts.closed) == (0, 0, 0)
    ports = set(AffectedAsset.objects.filter(item__scan_weakness_id="150004")
                .values_list("port", flat=True))
    assert ports == {"443"}  # the virtual hosts are in the evidence, not the port


# A value longer than its column: a scan CSV port, and a generic CSV weakness id and asset.
LONG_PORT = ('"IP","DNS","QID","Title","Vuln Status","Type","Severity","Port","Protocol",'
             '"Last Detected","Tracking Method"\n'
             '"10.0.0.1","h.example.gov","150004","T","Active","Vuln","4","{port}","tcp",'
             '"{day} 07:00:00","IP"\n')
LONG_IDS = "asset,weakness_id,title,severity\n{asset},{weakness},Long one,high\n" \
    "{asset},{weakness}b,Long two,high\n"


@pytest.mark.parametrize("name,text,items", [
    ("scan.csv", LONG_PORT.format(port="443@a-very-long-virtual-host.example.gov",
                                  day="{month}/02/2026"), 1),
    ("long.csv", LONG_IDS.format(asset="h" * 400, weakness="W" * 400), 2)])
def test_it_reimports_values_longer_than_their_columns(org, tmp_path, name, text, items):
    system = setup.create_system(ROOT, org, slug="s", name="S", framework="fedramp-moderate")
    for number in ("10", "11"):  # two months: different files (a blank line more), same findings
        path = tmp_path / f"{number}-{name}"
        path.write_text(text.replace("{month}", number) + "\n" * int(number))
        result = imports.import_file(ROOT, system, path)
        assert result.counts.remediated == result.counts.closed == 0
        assert any("shortened" in w and name in w for w in result.warnings)
    assert result.counts.new == 0 and result.record is not None
    stored = list(AffectedAsset.objects.values_list("asset_key", "port"))
    assert len(stored) == PoamItem.objects.count() == items
    assert all(len(key) <= 300 and len(port) <= 10 for key, port in stored)


def test_it_covers_a_fixture_of_every_format_folder():
    folders = {p.parent.parent.name for p in FIXTURE_FILES}
    assert folders >= {"burp", "ckl", "cklb", "generic_csv", "grype", "nessus", "nessus_csv",
                       "openvas", "oscal", "poam_csv", "qualys", "sarif", "trivy", "xccdf",
                       "zap"}


def test_it_leaves_no_record_for_a_refused_fixture(org, tmp_path):
    system = setup.create_system(ROOT, org, slug="s", name="S", framework="fedramp-moderate")
    broken = tmp_path / "cut.nessus"
    broken.write_bytes((FORMATS / "nessus" / "fixtures" / "hazards.nessus").read_bytes()[:3000])
    with pytest.raises(Exception, match="cut.nessus"):
        imports.import_file(ROOT, system, broken)
    assert not ImportRecord.objects.exists()


def test_it_reports_the_rows_a_parser_read_past_in_the_import_result(org):
    system = setup.create_system(ROOT, org, slug="s", name="S", framework="fedramp-moderate")
    path = FORMATS / "nessus_csv" / "fixtures" / "uneven_rows.csv"
    result = imports.import_file(ROOT, system, path, dry_run=True)
    assert [w[:36] for w in result.warnings] == [
        f"uneven_rows.csv, line {n}: the row has" for n in (3, 4, 5)]
    result = imports.import_file(ROOT, system, path)
    assert len(result.warnings) == 3 and result.counts.new == 2  # 10107 is informational


def test_it_loads_the_first_row_of_a_repeated_poam_id_and_says_so(org, tmp_path):
    system = setup.create_system(ROOT, org, slug="s", name="S", framework="fedramp-moderate")
    path = tmp_path / "poam.csv"
    path.write_text("poam_id,title,system_name,detected_on\r\nP-1,First,S,2026-10-01\r\n"
                    "P-1,Second,S,2026-10-02\r\n")
    result = imports.import_file(ROOT, system, path)
    assert result.created == 1 and result.updated == 0
    assert PoamItem.objects.get(system=system).title == "First"
    assert any("line 3 repeats POAM ID 'P-1' of line 2" in w for w in result.warnings)


def test_it_remediates_ipv6_sites_stored_under_their_former_unbracketed_key(org):
    system = setup.create_system(ROOT, org, slug="s", name="S", framework="fedramp-moderate")
    imports.import_file(ROOT, system, FORMATS / "zap" / "fixtures" / "first-scan.xml")
    # As earlier versions stored them: host and port run together.
    stored = AffectedAsset.objects.filter(asset_key="https://[2001:db8::10]:443")
    assert stored.exists()
    stored.update(asset_key="https://2001:db8::10:443")
    imports.import_file(ROOT, system, FORMATS / "zap" / "fixtures" / "second-scan.xml")
    former = AffectedAsset.objects.filter(asset_key="https://2001:db8::10:443")
    assert former.exists() and not former.filter(remediated_on=None).exists()
