"""Helpers the CKL, CKLB and XCCDF importers share."""

from datetime import datetime, timedelta, timezone

import pytest

from openpoam.domain.findings import ResultStatus, Severity
from openpoam.formats import stig_common as stig
from openpoam.formats.base import FormatError


@pytest.mark.parametrize("word,expected", [
    ("high", Severity.HIGH), ("CAT I", Severity.HIGH), ("medium", Severity.MODERATE),
    ("Medium", Severity.MODERATE), ("CAT II", Severity.MODERATE), ("low", Severity.LOW),
    ("cat iii", Severity.LOW), ("unknown", Severity.INFO), ("", Severity.INFO),
    (None, Severity.INFO), ("bogus", Severity.INFO),
])
def test_it_maps_stig_severity_categories(word, expected):
    assert stig.severity(word) is expected


def test_it_lets_a_valid_override_win():
    assert stig.effective_severity("high", "low") is Severity.LOW
    assert stig.effective_severity("high", "") is Severity.HIGH
    assert stig.effective_severity("high", "n/a") is Severity.HIGH


@pytest.mark.parametrize("word,expected", [
    ("Open", ResultStatus.OPEN), ("open", ResultStatus.OPEN),
    ("NotAFinding", ResultStatus.PASSED), ("not_a_finding", ResultStatus.PASSED),
    ("Not_Applicable", ResultStatus.NOT_APPLICABLE),
    ("not_applicable", ResultStatus.NOT_APPLICABLE),
    ("Not_Reviewed", ResultStatus.NOT_REVIEWED), ("not_reviewed", ResultStatus.NOT_REVIEWED),
    ("", ResultStatus.NOT_REVIEWED), (None, ResultStatus.NOT_REVIEWED),
])
def test_it_maps_ckl_and_cklb_status_words(word, expected):
    assert stig.checklist_status(word, source="x") is expected


def test_it_refuses_an_unknown_status():
    with pytest.raises(FormatError, match="unknown checklist status 'Closed'"):
        stig.checklist_status("Closed", source="x.ckl", line=7)


@pytest.mark.parametrize("text,expected", [
    ("V-221558", "V-221558"), ("xccdf_mil.disa.stig_group_V-251545", "V-251545"),
    ("SV-221558r769351_rule", ""), ("", ""), ("V-", ""),
])
def test_it_finds_the_v_number(text, expected):
    assert stig.vuln_id(text) == expected


@pytest.mark.parametrize("rule_id,expected", [
    ("xccdf_mil.disa.stig_rule_SV-221558r879534_rule", "V-221558"),
    ("SV-57545r1_rule", "V-57545"), ("oval-com.redhat.rhsa-def-20060015", ""),
])
def test_it_derives_the_v_number_from_a_disa_rule_id(rule_id, expected):
    assert stig.vuln_id_from_rule(rule_id) == expected


def test_it_maps_disa_benchmark_ids_to_the_ckl_stig_id():
    assert stig.stig_id_from_benchmark(
        "xccdf_mil.disa.stig_benchmark_MOZ_Firefox_Linux") == "MOZ_Firefox_Linux"
    assert stig.stig_id_from_benchmark("generated-xccdf") == ""


def test_it_spells_ccis_one_way():
    assert stig.ccis([" cci-366", "CCI-000366", "CCI-001199", "SV-1", ""]) == (
        "CCI-000366", "CCI-001199")


def test_it_unpacks_disa_discussion_markup():
    packed = ("<VulnDiscussion>Keep &amp; protect</VulnDiscussion>"
              "<FalsePositives></FalsePositives><Documentable>false</Documentable>")
    assert stig.discussion(packed) == "Keep & protect"
    assert stig.discussion("  plain text  ") == "plain text"


@pytest.mark.parametrize("text,expected", [
    ("2023-12-06T12:54:10", datetime(2023, 12, 6, 12, 54, 10)),
    ("2023-11-13T16:32:15.409Z", datetime(2023, 11, 13, 16, 32, 15, 409000,
                                          tzinfo=timezone.utc)),
    ("2023-12-11T12:56:14.3576272-05:00",
     datetime(2023, 12, 11, 12, 56, 14, 357627, tzinfo=timezone(timedelta(hours=-5)))),
    ("", None), (None, None),
])
def test_it_reads_iso_dates_as_stig_tools_write_them(text, expected):
    assert stig.parse_time(text, source="x", field="time") == expected


@pytest.mark.parametrize("text", ["12/11/2023", "11/12/2023 10:00", "yesterday"])
def test_it_never_guesses_a_day_month_order(text):
    with pytest.raises(FormatError, match="unreadable date"):
        stig.parse_time(text, source="x", field="time")


def test_it_keys_assets_by_lower_cased_host_name_then_fqdn_then_ip():
    assert stig.stig_asset(source="x", host_name="WS01", fqdn="ws01.example.mil",
                           ip="10.0.0.1").key == "ws01"
    assert stig.stig_asset(source="x", fqdn="WS01.Example.mil.").key == "ws01.example.mil"
    assert stig.stig_asset(source="x", ip="10.0.0.1, 10.0.0.2").key == "10.0.0.1"
