"""Month-after-month rules of reconcile, one by one, on a small in-memory POA&M."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openpoam.domain.findings import Asset, Finding, ResultStatus, ScanInfo, Severity, Target
from openpoam.domain.reconcile import (
    AssetState, Changes, Digester, ExistingItem, ScanDigest, reconcile,
)

JAN = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
FEB = datetime(2026, 2, 5, 10, 0, tzinfo=UTC)
MAR = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)

WEB = Asset("web01.example.test", name="web01", ip="10.0.0.1")
DB = Asset("db01.example.test", name="db01", ip="10.0.0.2")
OTHER = Asset("mail01.example.test", name="mail01")


def finding(asset: Asset, weakness: str = "10001", *, status=ResultStatus.OPEN,
            severity=Severity.HIGH, port="443", scope="nessus", **kw) -> Finding:
    return Finding(scope=scope, weakness_id=weakness, asset=asset, title=f"Weakness {weakness}",
                   status=status, severity=severity, port=port, protocol="tcp" if port else "",
                   **kw)


def digest(*findings: Finding, covered=(WEB, DB), scope="nessus",
           min_severity=Severity.LOW, track=()) -> ScanDigest:
    digester = Digester(min_severity=min_severity, track=track)
    digester.add(ScanInfo("Nessus", "10.8", JAN))
    for asset in covered:
        digester.add(Target(scope, asset))
    for record in findings:
        digester.add(record)
    return digester.result()


@dataclass
class Item:
    weakness_key: tuple[str, str]
    assets: dict = field(default_factory=dict)  # identity -> [remediated, last_seen]
    closed: bool = False
    closed_on: datetime | None = None
    proposed: bool = False
    recurrence_of: int | None = None


class Poam:
    """The smallest model that applies Changes the way the tracker will."""

    def __init__(self) -> None:
        self.items: dict[int, Item] = {}

    def existing(self) -> list[ExistingItem]:
        return [ExistingItem(ref, item.weakness_key, item.closed, item.closed_on,
                             {identity: AssetState(*state)
                              for identity, state in item.assets.items()})
                for ref, item in sorted(self.items.items())]

    def import_scan(self, scan: ScanDigest, at: datetime, auto_close: bool = True) -> Changes:
        changes = reconcile(self.existing(), scan, scan_time=at, auto_close=auto_close)
        self.apply(changes)
        return changes

    def apply(self, changes: Changes) -> None:
        for new in changes.new_items:
            ref = len(self.items) + 1
            self.items[ref] = Item(new.weakness_key,
                                   {s.identity: [False, s.last_seen] for s in new.assets},
                                   recurrence_of=new.recurrence_of)
        for change in changes.new_assets + changes.seen_again + changes.reopened:
            self.items[change.ref].assets[change.identity] = [False, change.last_seen]
        for fix in changes.remediated:
            self.items[fix.ref].assets[fix.identity][0] = True
        for closure in changes.closed:
            self.items[closure.ref].closed = True
            self.items[closure.ref].closed_on = closure.on
        for closure in changes.proposed:
            self.items[closure.ref].proposed = True

    def only(self) -> Item:
        assert len(self.items) == 1
        return next(iter(self.items.values()))


def test_it_creates_one_item_per_weakness_with_its_open_assets():
    poam = Poam()
    changes = poam.import_scan(digest(finding(WEB), finding(DB), finding(WEB, "10002")), JAN)
    assert changes.counts.new == 2
    assert [new.weakness_key for new in changes.new_items] == [("nessus", "10001"),
                                                               ("nessus", "10002")]
    first = changes.new_items[0]
    assert [s.identity for s in first.assets] == [(DB.key, "443", "tcp"), (WEB.key, "443", "tcp")]
    assert first.assets[1].asset.name == "web01"
    assert first.assets[1].first_seen == JAN and first.assets[1].last_seen == JAN
    assert first.weakness.title == "Weakness 10001"


def test_it_marks_a_still_present_asset_as_seen_again():
    poam = Poam()
    poam.import_scan(digest(finding(WEB)), JAN)
    changes = poam.import_scan(digest(finding(WEB)), FEB)
    assert changes.counts.updated == 1 and changes.counts.seen_again == 1
    assert changes.seen_again[0].last_seen == FEB
    assert not changes.new_items and not changes.remediated
    assert poam.only().assets[(WEB.key, "443", "tcp")] == [False, FEB]


def test_it_adds_a_new_asset_to_the_open_item():
    poam = Poam()
    poam.import_scan(digest(finding(WEB)), JAN)
    changes = poam.import_scan(digest(finding(WEB), finding(DB)), FEB)
    assert changes.counts.new == 0 and changes.counts.new_assets == 1
    assert changes.counts.updated == 1
    assert changes.new_assets[0].identity == (DB.key, "443", "tcp")
    assert changes.new_assets[0].first_seen == FEB
    assert len(poam.only().assets) == 2


def test_it_remediates_an_asset_absent_from_a_covered_target():
    poam = Poam()
    poam.import_scan(digest(finding(WEB), finding(DB)), JAN)
    changes = poam.import_scan(digest(finding(WEB)), FEB)
    assert [(r.identity[0], r.reason, r.on) for r in changes.remediated] == [
        (DB.key, "absent", FEB)]
    assert changes.counts.remediated == 1 and changes.counts.closed == 0
    assert not poam.only().closed


def test_it_closes_the_item_when_its_last_asset_is_remediated():
    poam = Poam()
    poam.import_scan(digest(finding(WEB)), JAN)
    changes = poam.import_scan(digest(), FEB)
    assert changes.counts.closed == 1 and changes.counts.remediated == 1
    assert changes.closed[0].on == FEB
    assert poam.only().closed


def test_it_leaves_an_asset_on_an_uncovered_target_unchanged():
    poam = Poam()
    poam.import_scan(digest(finding(WEB), finding(OTHER), covered=(WEB, OTHER)), JAN)
    changes = poam.import_scan(digest(covered=(WEB,)), FEB)
    assert [r.identity[0] for r in changes.remediated] == [WEB.key]
    assert not changes.closed
    assert not poam.only().closed


def test_it_does_not_treat_another_scope_as_coverage():
    poam = Poam()
    poam.import_scan(digest(finding(WEB)), JAN)
    changes = poam.import_scan(digest(scope="stig:Windows"), FEB)
    assert changes.empty and changes.counts.unchanged == 1


def test_it_opens_a_new_linked_item_when_a_closed_weakness_recurs():
    poam = Poam()
    poam.import_scan(digest(finding(WEB)), JAN)
    poam.import_scan(digest(), FEB)
    changes = poam.import_scan(digest(finding(WEB)), MAR)
    assert changes.counts.recurred == 1 and changes.counts.new == 0
    assert changes.new_items[0].recurrence_of == 1
    assert poam.items[1].closed and not poam.items[2].closed
    assert poam.items[2].recurrence_of == 1


def test_it_links_a_recurrence_to_the_most_recently_closed_item():
    items = [ExistingItem("late", ("nessus", "10001"), True, date(2026, 2, 1)),
             ExistingItem("early", ("nessus", "10001"), True, date(2025, 6, 1))]
    changes = reconcile(items, digest(finding(WEB)), scan_time=MAR)
    assert changes.new_items[0].recurrence_of == "late"


def test_it_sends_updates_to_the_open_item_not_the_closed_one():
    items = [ExistingItem("old", ("nessus", "10001"), True, date(2025, 6, 1),
                          {(WEB.key, "443", "tcp"): AssetState(True, JAN)}),
             ExistingItem("new", ("nessus", "10001"), False, None,
                          {(DB.key, "443", "tcp"): AssetState(False, JAN)})]
    changes = reconcile(items, digest(finding(WEB), finding(DB)), scan_time=FEB)
    assert [(c.ref, c.identity[0]) for c in changes.new_assets] == [("new", WEB.key)]
    assert [(c.ref, c.identity[0]) for c in changes.seen_again] == [("new", DB.key)]
    assert not changes.new_items


def test_it_reopens_a_remediated_asset_that_reappears_on_an_open_item():
    poam = Poam()
    poam.import_scan(digest(finding(WEB), finding(DB)), JAN)
    poam.import_scan(digest(finding(WEB)), FEB)
    changes = poam.import_scan(digest(finding(WEB), finding(DB)), MAR)
    assert [c.identity[0] for c in changes.reopened] == [DB.key]
    assert changes.counts.reopened == 1 and changes.counts.updated == 1
    assert poam.only().assets[(DB.key, "443", "tcp")] == [False, MAR]


def test_it_changes_nothing_when_the_same_scan_is_imported_twice():
    poam = Poam()
    poam.import_scan(digest(finding(WEB), finding(DB), finding(OTHER, "10002"),
                            covered=(WEB, DB, OTHER)), JAN)
    scan = digest(finding(WEB), finding(DB, "10003"), covered=(WEB, DB, OTHER))
    first = poam.import_scan(scan, FEB)
    assert not first.empty
    second = poam.import_scan(scan, FEB)
    assert second.empty
    assert second.counts.new == second.counts.updated == second.counts.remediated == 0
    assert second.counts.unchanged == 2  # the two items still open


def test_it_remediates_on_a_passed_checklist_result():
    poam = Poam()
    poam.import_scan(digest(finding(WEB, "V-1", port="", scope="stig:Win"),
                            scope="stig:Win"), JAN)
    passed = finding(WEB, "V-1", port="", scope="stig:Win", status=ResultStatus.PASSED)
    changes = poam.import_scan(digest(passed, covered=(), scope="stig:Win"), FEB)
    assert [(r.reason) for r in changes.remediated] == ["passed"]
    assert poam.only().closed


def test_it_remediates_on_not_applicable():
    poam = Poam()
    poam.import_scan(digest(finding(WEB, "V-1")), JAN)
    changes = poam.import_scan(
        digest(finding(WEB, "V-1", status=ResultStatus.NOT_APPLICABLE), covered=()), FEB)
    assert [r.reason for r in changes.remediated] == ["not_applicable"]


@pytest.mark.parametrize("status", [ResultStatus.NOT_REVIEWED, ResultStatus.ERROR])
def test_it_leaves_not_reviewed_or_error_unchanged_even_on_a_covered_target(status):
    poam = Poam()
    poam.import_scan(digest(finding(WEB, "V-1")), JAN)
    changes = poam.import_scan(digest(finding(WEB, "V-1", status=status)), FEB)
    assert changes.empty and changes.counts.unchanged == 1


def test_it_drops_info_findings_by_default():
    poam = Poam()
    changes = poam.import_scan(digest(finding(WEB, "19506", severity=Severity.INFO)), JAN)
    assert changes.empty and not poam.items


def test_it_keeps_info_findings_when_asked():
    scan = digest(finding(WEB, "19506", severity=Severity.INFO), min_severity=Severity.INFO)
    assert reconcile([], scan, scan_time=JAN).counts.new == 1


def test_it_does_not_remediate_a_tracked_weakness_now_reported_below_the_bar():
    poam = Poam()
    poam.import_scan(digest(finding(WEB)), JAN)
    changes = poam.import_scan(digest(finding(WEB, severity=Severity.INFO)), FEB)
    assert not changes.remediated and not changes.closed


def test_it_keeps_a_tracked_weakness_whatever_its_severity():
    poam = Poam()
    poam.import_scan(digest(finding(WEB)), JAN)
    scan = digest(finding(WEB, severity=Severity.INFO), track=[("nessus", "10001")])
    changes = poam.import_scan(scan, FEB)
    assert changes.counts.seen_again == 1


def test_it_proposes_closure_instead_of_closing_when_auto_close_is_off():
    poam = Poam()
    poam.import_scan(digest(finding(WEB)), JAN)
    changes = poam.import_scan(digest(), FEB, auto_close=False)
    assert changes.counts.proposed == 1 and changes.counts.closed == 0
    assert not changes.closed and changes.proposed[0].ref == 1
    assert not poam.only().closed and poam.only().proposed
    again = poam.import_scan(digest(), FEB, auto_close=False)
    assert again.empty


def test_it_does_not_close_an_item_that_gains_a_new_asset_while_losing_its_last():
    poam = Poam()
    poam.import_scan(digest(finding(WEB)), JAN)
    changes = poam.import_scan(digest(finding(DB)), FEB)
    assert changes.counts.remediated == 1 and changes.counts.new_assets == 1
    assert not changes.closed


def test_it_never_lets_an_older_scan_remediate_what_a_newer_one_saw():
    poam = Poam()
    poam.import_scan(digest(finding(WEB)), FEB)
    changes = poam.import_scan(digest(), JAN)
    assert changes.empty


def test_it_never_closes_an_item_without_assets():
    changes = reconcile([ExistingItem("manual", ("nessus", "1"), False)], digest(),
                        scan_time=FEB)
    assert changes.empty and changes.counts.unchanged == 1


def test_it_treats_open_as_winning_over_a_contradicting_pass_in_one_file():
    poam = Poam()
    poam.import_scan(digest(finding(WEB)), JAN)
    scan = digest(finding(WEB, status=ResultStatus.PASSED), finding(WEB))
    changes = poam.import_scan(scan, FEB)
    assert not changes.remediated and changes.counts.seen_again == 1


def test_it_keeps_the_highest_severity_and_the_tool_first_seen():
    early = datetime(2025, 11, 1, tzinfo=UTC)
    scan = digest(finding(WEB, severity=Severity.MODERATE, raw_severity="Medium"),
                  finding(DB, severity=Severity.CRITICAL, raw_severity="Critical",
                          first_seen=early, cves=("CVE-2021-44228",)))
    weakness = scan.weaknesses[("nessus", "10001")]
    assert (weakness.severity, weakness.raw_severity) == (Severity.CRITICAL, "Critical")
    assert weakness.cves == ("CVE-2021-44228",)
    new = reconcile([], scan, scan_time=JAN).new_items[0]
    assert new.assets[0].first_seen == early and new.assets[0].last_seen == JAN


def test_it_compares_naive_and_aware_times():
    naive = datetime(2026, 3, 1)
    poam = Poam()
    poam.import_scan(digest(finding(WEB, last_seen=naive)), JAN)
    changes = poam.import_scan(digest(finding(WEB)), MAR)
    assert changes.counts.seen_again == 1


def test_it_keeps_no_per_asset_evidence_and_a_short_sample_per_weakness():
    scan = digest(finding(WEB, evidence="x" * 5000), finding(DB, evidence="y" * 5000))
    weakness = scan.weaknesses[("nessus", "10001")]
    assert weakness.evidence_sample == "x" * 1000
    assert not hasattr(weakness.open[(WEB.key, "443", "tcp")], "evidence")


def test_it_rejects_something_that_is_not_a_record():
    with pytest.raises(TypeError):
        Digester().add("not a record")


# --- properties over random month sequences ------------------------------------------------

ASSETS = (WEB, DB, OTHER)
month = st.tuples(
    st.lists(st.tuples(st.sampled_from(["1", "2"]), st.sampled_from(ASSETS),
                       st.sampled_from([ResultStatus.OPEN, ResultStatus.OPEN, ResultStatus.PASSED,
                                        ResultStatus.NOT_REVIEWED])), max_size=6),
    st.sets(st.sampled_from(ASSETS)),
    st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.lists(month, min_size=1, max_size=5))
def test_it_keeps_its_invariants_month_after_month(months):
    poam = Poam()
    for number, (results, covered, auto_close) in enumerate(months):
        at = datetime(2026, number + 1, 1, tzinfo=UTC)
        scan = digest(*(finding(asset, weakness, status=status)
                        for weakness, asset, status in results), covered=covered)
        closed_before = {ref for ref, item in poam.items.items() if item.closed}
        snapshot = {ref: dict(item.assets) for ref, item in poam.items.items()}
        changes = poam.import_scan(scan, at, auto_close)
        touched = {c.ref for c in changes.new_assets + changes.seen_again + changes.reopened}
        touched |= {r.ref for r in changes.remediated} | {c.ref for c in changes.closed}
        assert not touched & closed_before  # closed items are never reopened or edited
        for key, weakness in scan.weaknesses.items():
            for identity in weakness.open:  # every open finding sits on exactly one open item
                holders = [item for item in poam.items.values()
                           if not item.closed and item.weakness_key == key
                           and identity in item.assets and not item.assets[identity][0]]
                assert len(holders) == 1
        for ref, assets in snapshot.items():  # nothing uncovered and unproven is remediated
            weakness = scan.weaknesses.get(poam.items[ref].weakness_key)
            for identity, (remediated, _) in assets.items():
                asset_covered = any(asset.key == identity[0] for asset in covered)
                proven = weakness is not None and identity in weakness.proven
                if not remediated and not asset_covered and not proven:
                    assert poam.items[ref].assets[identity][0] is False
        again = poam.import_scan(scan, at, auto_close)
        assert again.empty


def test_it_does_not_remediate_an_asset_where_the_weakness_is_below_the_bar():
    poam = Poam()
    poam.import_scan(digest(finding(WEB), finding(DB)), JAN)
    changes = poam.import_scan(digest(finding(WEB), finding(DB, severity=Severity.INFO)), FEB)
    assert not changes.remediated and changes.counts.seen_again == 1
