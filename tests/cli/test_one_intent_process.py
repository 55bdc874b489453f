"""The rules every interface shares, through the installed `openpoam` as a process: a
blank or over-long title, a detection date in the future or that names no day, and the
import result's one JSON shape (the API side is tests/api/test_one_intent.py)."""

from __future__ import annotations

import pytest

from tests.process import Openpoam, environment, fresh_database

NESSUS = """<?xml version="1.0"?><NessusClientData_v2><Report name="m">
<ReportHost name="10.0.0.1"><HostProperties><tag name="HOST_START">Mon Jun  3 10:00:00 2024</tag>
</HostProperties><ReportItem port="443" svc_name="www" protocol="tcp" severity="3"
 pluginID="1001" pluginName="Old TLS" pluginFamily="Misc."><description>d</description>
</ReportItem></ReportHost></Report></NessusClientData_v2>"""
# The keys of tracker.services.import_result.ImportResult.to_dict (README "One rule per intent").
IMPORT_KEYS = {"id", "dry_run", "file_name", "format", "format_label", "sha256", "scanner",
               "scanner_version", "scan_time", "findings", "dropped", "counts", "created",
               "updated", "imported_by", "imported_at", "already_imported_at", "changes",
               "warnings"}


@pytest.fixture(scope="module")
def openpoam(tmp_path_factory):
    """One organization and system, one item (POAM-2026-0001), made by the commands."""
    with fresh_database() as url:
        run = Openpoam(environment(tmp_path_factory.mktemp("data"), url))
        for args in (("org", "create", "acme", "--name", "Acme"),
                     ("system", "create", "enclave", "--name", "Enclave", "--framework",
                      "cmmc-l2"),
                     ("item", "add", "--title", "No MFA", "--detected", "2026-10-01",
                      "--control", "3.5.3")):
            ran = run(*args)
            assert ran.code == 0, ran.err
        yield run


def _title(run) -> str:
    return run("item", "show", "POAM-2026-0001", "--json").json()["title"]


def test_a_blank_title_is_refused(openpoam):
    ran = openpoam("item", "update", "POAM-2026-0001", "--set", "title=")
    assert ran.code == 1, ran
    assert ran.err.strip() == "openpoam: title: a POA&M item needs a title"
    assert _title(openpoam) == "No MFA"


def test_a_title_longer_than_its_limit_is_refused_by_add_and_update(openpoam):
    long = "x" * 100_000
    added = openpoam("item", "add", "--title", long, "--detected", "2026-10-01")
    updated = openpoam("item", "update", "POAM-2026-0001", "--set", f"title={long}")
    for ran in (added, updated):
        assert ran.code == 1
        assert ran.err.strip() == "openpoam: title: at most 500 characters (100,000 given)"
    assert _title(openpoam) == "No MFA"
    assert openpoam("item", "show", "POAM-2026-0002").code == 1  # nothing was added


def test_detection_dates_in_the_future_or_that_name_no_day_are_refused(openpoam):
    future = openpoam("item", "add", "--title", "Later", "--detected", "2999-01-01")
    assert future.code == 1 and "detected_on: the detection date 2999-01-01 is in the future" \
        in future.err
    no_day = openpoam("item", "add", "--title", "Feb", "--detected", "2026-02-30")
    assert no_day.code == 2 and "'2026-02-30' is not a real date" in no_day.err
    wrong_form = openpoam("item", "add", "--title", "Feb", "--detected", "30/02/2026")
    assert wrong_form.code == 2 and "is not a date in YYYY-MM-DD form" in wrong_form.err


def test_import_json_is_the_one_shape(openpoam, tmp_path):
    scan = tmp_path / "june.nessus"
    scan.write_text(NESSUS)
    dry = openpoam("import", str(scan), "--dry-run", "--json").json()
    done = openpoam("import", str(scan), "--json").json()
    assert set(dry) == set(done) == IMPORT_KEYS
    assert (dry["dry_run"], dry["id"], dry["counts"]["new"]) == (True, None, 1)
    assert (done["dry_run"], done["counts"]["new"]) == (False, 1) and done["id"] > 0
    listed = openpoam("imports", "list", "--json").json()
    assert [row["new"] for row in listed] == [done["counts"]["new"]]
