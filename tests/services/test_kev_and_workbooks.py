"""KEV due dates cap FedRAMP deadlines; a FedRAMP workbook's row problems reach the user."""

from datetime import date

import pytest

from openpoam.tracker.models import KnownExploited, PoamItem
from openpoam.tracker.services import ServiceError, imports, kev, setup
from openpoam.formats.fedramp_xlsx.layout import TEMPLATE
from tests.paths import REPO

from .conftest import ROOT

KEV_FILE = REPO / "tests" / "formats" / "kev" / "known_exploited_vulnerabilities.json"
LOG4J = """<?xml version="1.0"?><NessusClientData_v2><Report name="dec">
<ReportHost name="10.0.0.7"><HostProperties>
<tag name="HOST_START">Wed Dec 15 10:00:00 2021</tag><tag name="host-ip">10.0.0.7</tag>
</HostProperties>
<ReportItem port="8080" svc_name="www" protocol="tcp" severity="{sev}" pluginID="156032"
 pluginName="Apache Log4j RCE" pluginFamily="Misc."><synopsis>Log4Shell</synopsis>
<description>Remote code execution.</description><solution>Upgrade Log4j.</solution>
<cve>CVE-2021-44228</cve></ReportItem></ReportHost></Report></NessusClientData_v2>"""


@pytest.fixture
def fedramp(org):
    return setup.create_system(ROOT, org, slug="cloud", name="Cloud",
                               framework="fedramp-moderate")


def test_it_loads_the_kev_catalog_replacing_the_previous_one(db):
    with KEV_FILE.open("rb") as stream:
        assert kev.load_catalog(ROOT, stream, source=KEV_FILE.name) == (3, "2024.05.01")
    with KEV_FILE.open("rb") as stream:
        kev.load_catalog(ROOT, stream, source=KEV_FILE.name)
    assert KnownExploited.objects.get(cve="CVE-2021-44228").due_date == date(2021, 12, 24)
    assert KnownExploited.objects.count() == 3


def test_only_an_administrator_loads_the_catalog(users):
    with KEV_FILE.open("rb") as stream, pytest.raises(ServiceError, match="administrator"):
        kev.load_catalog(users["alice"], stream, source=KEV_FILE.name)


@pytest.mark.parametrize("severity,expected", [
    ("3", date(2021, 12, 24)),  # High: 30 days would be 2022-01-14; the KEV date is sooner
    ("1", date(2021, 12, 24)),  # Low: 180 days, capped likewise (BOD 22-01)
])
def test_a_kev_due_date_caps_the_fedramp_deadline(fedramp, tmp_path, severity, expected):
    with KEV_FILE.open("rb") as stream:
        kev.load_catalog(ROOT, stream, source=KEV_FILE.name)
    scan = tmp_path / "dec.nessus"
    scan.write_text(LOG4J.format(sev=severity))
    imports.import_file(ROOT, fedramp, scan)
    item = PoamItem.objects.get()
    assert (item.kev, item.kev_due, item.scheduled_completion) == (True, expected, expected)


def test_without_the_catalog_the_deadline_is_the_plain_fedramp_one(fedramp, tmp_path):
    scan = tmp_path / "dec.nessus"
    scan.write_text(LOG4J.format(sev="3"))
    imports.import_file(ROOT, fedramp, scan)
    item = PoamItem.objects.get()
    assert (item.kev, item.scheduled_completion) == (False, date(2022, 1, 14))


def test_a_fedramp_workbook_reports_its_row_problems(fedramp):
    # The package's own copy of FedRAMP's template: its example row has problems to report.
    result = imports.import_file(ROOT, fedramp, TEMPLATE)
    assert result.created == 1  # the template's example row
    assert any("row 8" in w and "example row" in w for w in result.warnings)
