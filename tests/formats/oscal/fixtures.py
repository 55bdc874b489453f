"""A rich PoamDocument with every field filled, for the OSCAL tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from openpoam.domain.poam import (
    AffectedAsset,
    Catalog,
    ControlRef,
    Designation,
    DueDateChange,
    EvidenceData,
    Framework,
    HistoryEntry,
    MilestoneData,
    PoamDocument,
    PoamItemData,
    Risk,
    Source,
    Status,
    SystemData,
)

UTC = timezone.utc
DOC_UUID = "3f8a1c52-6b7d-4e21-9c0a-5d2e8f4b7a10"
SYSTEM_UUID = "0b6f7d2e-1c3a-4f58-8e9d-2a4c6b8d0e1f"


def _uuid(n: int, kind: int) -> str:
    return f"{kind:08x}-0000-4000-8000-{n:012x}"


def rich_item(n: int, status: Status, source: Source, risk: Risk) -> PoamItemData:
    detected = date(2026, 1, 5) + timedelta(days=n)
    milestones = [
        MilestoneData(
            sequence=1, description=f"Apply the vendor patch to the web tier (wave {n}).",
            original_due=detected + timedelta(days=10), current_due=detected + timedelta(days=20),
            completed_on=detected + timedelta(days=18) if status.is_closed else None,
            owner="Dana Whitfield", uuid=_uuid(n, 2),
            changes=[DueDateChange(
                changed_at=datetime(2026, 1, 20, 14, 5, 7, 250000, tzinfo=UTC),
                old_due=detected + timedelta(days=10), new_due=detected + timedelta(days=20),
                justification="Change freeze over the holidays.\nRescheduled with the CAB.",
                actor="Priya Natarajan")]),
        MilestoneData(
            sequence=2, description="Rescan and confirm the finding is gone.\n\nAttach the scan.",
            original_due=detected + timedelta(days=25), current_due=detected + timedelta(days=25),
            owner="Priya Natarajan", uuid=_uuid(n, 3)),
        MilestoneData(
            sequence=3, description="", original_due=None, current_due=None, uuid=_uuid(n, 4)),
    ]
    return PoamItemData(
        poam_id=f"POAM-2026-{n:04d}", title=f"TLS 1.0 enabled on web tier #{n}",
        uuid=_uuid(n, 1),
        weakness_description="The load balancer accepts TLS 1.0.\n\n* affects `web-01`\n* "
                             "affects <web-02> & co.",
        source=source, source_identifier=f"plugin-{10000 + n}",
        source_detail="Nessus 10.7.1" if source is Source.VULNERABILITY_SCAN else "Coalfire",
        controls=[ControlRef(Catalog.NIST_800_53_R5, "SC-8(1)"),
                  ControlRef(Catalog.NIST_800_171_R2, "3.13.8"),
                  ControlRef(Catalog.CMMC, "SC.L2-3.13.8")],
        assets=[AffectedAsset(name="web-01", kind="host", ip="10.0.0.11",
                              fqdn="web-01.example.gov", port="443", protocol="tcp"),
                AffectedAsset(name="web-02", kind="container", ip="fe80::1",
                              remediated_on=detected + timedelta(days=3))],
        original_risk=risk, raw_severity="Medium (CVSS 6.5)",
        adjusted_risk=Risk.LOW if n % 2 else None,
        risk_adjustment_rationale="Only reachable from the management VLAN.",
        planned_remediation="Disable TLS 1.0 and 1.1.\nRoll out by wave.",
        owner="Dana Whitfield", owner_email="dana.whitfield@example.gov",
        resources_required="Two engineer-days.\n\nA change window.",
        cost_estimate=Decimal("1250.50"), vendor_dependency=True,
        vendor_product="F5 BIG-IP\n17.1", vendor_last_checkin=date(2026, 2, 1),
        detected_on=detected, scheduled_completion=detected + timedelta(days=25),
        actual_completion=detected + timedelta(days=24) if status.is_closed else None,
        status=status, status_date=detected + timedelta(days=2),
        residual_risk="Low once the legacy clients are retired.",
        depends_on=["POAM-2026-0001", '"quoted" id'], comments="Tracked in CHG-4411.\n\nSee wiki.",
        cves=["CVE-2011-3389", "CVE-2014-3566"], false_positive=status is Status.FALSE_POSITIVE,
        operational_requirement=status is Status.RISK_ACCEPTED,
        deviation_rationale="Legacy clients need TLS 1.0 until Q3." if n % 2 else "",
        kev=n % 3 == 0, kev_due=date(2026, 3, 1) if n % 3 == 0 else None, delayed=n % 4 == 0,
        milestones=milestones,
        evidence=[EvidenceData(name="scan-after.nessus", uuid=_uuid(n, 5),
                               sha256="ab" * 32, size=123456, media_type="application/xml",
                               uploaded_by="Priya Natarajan",
                               uploaded_at=datetime(2026, 2, 2, 9, 30, tzinfo=UTC),
                               description="Rescan after the change."),
                  EvidenceData(name="Vendor advisory", uuid=_uuid(n, 6),
                               url="https://vendor.example.com/advisory/123",
                               media_type="text/html", sha256="cd" * 32)],
        history=[
            HistoryEntry(at=datetime(2026, 1, 6, 8, 0, tzinfo=UTC), actor="Dana Whitfield",
                         action="create", entity="item"),
            HistoryEntry(at=datetime(2026, 1, 7, 8, 0, 1, 5, tzinfo=UTC),
                         actor="Priya Natarajan", action="update", entity="item",
                         field="status", old="open", new=status.value,
                         justification="Work started."),
            HistoryEntry(at=datetime(2026, 1, 8, 9, 0, tzinfo=UTC), actor="",
                         action="update", entity="milestone", field="description",
                         old="Old text\nover two lines", new="  padded  ",
                         justification=""),
        ])


def rich_document(framework: Framework = Framework.FEDRAMP_MODERATE,
                  designation: Designation = Designation.OFFICIAL) -> PoamDocument:
    combos = [(Status.OPEN, Source.VULNERABILITY_SCAN, Risk.CRITICAL),
              (Status.IN_PROGRESS, Source.THIRD_PARTY_ASSESSMENT, Risk.HIGH),
              (Status.COMPLETED, Source.SELF_ASSESSMENT, Risk.MODERATE),
              (Status.RISK_ACCEPTED, Source.AUDIT, Risk.LOW),
              (Status.FALSE_POSITIVE, Source.PENETRATION_TEST, Risk.HIGH),
              (Status.REOPENED, Source.INCIDENT, Risk.MODERATE),
              (Status.OPEN, Source.OTHER, Risk.LOW)]
    items = [rich_item(n + 1, *combo) for n, combo in enumerate(combos)]
    return PoamDocument(
        system=SystemData(name="Acme Cloud Suite", acronym="ACS", organization="Acme Corp",
                          framework=framework, impact_level="Moderate",
                          designation=designation, uuid=SYSTEM_UUID,
                          description="Multi-tenant SaaS.\n\n"
                                      "Hosted in GovCloud — us-gov-west-1, «Zürich» desk."),
        items=items, generated_at=datetime(2026, 2, 10, 12, 0, tzinfo=UTC), version="3.2",
        uuid=DOC_UUID)


def minimal_document(framework: Framework = Framework.CMMC_L2) -> PoamDocument:
    """Only the required fields: no uuids, dates or owners."""
    return PoamDocument(system=SystemData(name="Small Shop", framework=framework),
                        items=[PoamItemData(poam_id="POAM-1", title="No MFA for VPN")])
