"""A POA&M with every field filled, shared by the spreadsheet format tests.

Open and closed items, milestones with due-date changes, and hostile text
(formula payloads) in the fields a reviewer's spreadsheet would show.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from openpoam.domain.poam import (AffectedAsset, Catalog, ControlRef, Designation, DueDateChange,
                                  EvidenceData, Framework, HistoryEntry, MilestoneData,
                                  PoamDocument, PoamItemData, Risk, Source, Status, SystemData)

HOSTILE_TITLE = "=cmd|' /C calc'!A0"
HOSTILE_DESCRIPTION = "@SUM(1)"
HOSTILE_FORMULA = "=1+1"
UTC = timezone.utc


def _changes() -> list[DueDateChange]:
    return [
        DueDateChange(changed_at=datetime(2026, 2, 1, 9, 30, tzinfo=UTC), old_due=date(2026, 2, 15),
                      new_due=date(2026, 3, 15), justification="Vendor patch slipped to March",
                      actor="jane.doe"),
        DueDateChange(changed_at=datetime(2026, 3, 10, 14, 0, tzinfo=UTC), old_due=date(2026, 3, 15),
                      new_due=date(2026, 4, 1), justification="+Change window moved", actor="bob"),
    ]


def _open_item() -> PoamItemData:
    return PoamItemData(
        poam_id="POAM-2026-0001", title=HOSTILE_TITLE, uuid="8b0d5c1e-0000-4000-8000-000000000001",
        weakness_description=HOSTILE_DESCRIPTION + "\nSecond line of the description",
        source=Source.VULNERABILITY_SCAN, source_identifier="0012345",
        source_detail="Nessus 10.7",
        controls=[ControlRef(Catalog.NIST_800_53_R5, "SI-2"),
                  ControlRef(Catalog.NIST_800_53_R5, "AC-2(1)")],
        assets=[AffectedAsset(name="web01.example.gov", kind="host", ip="10.0.0.5",
                              fqdn="web01.example.gov", port="443", protocol="tcp"),
                AffectedAsset(name="db01", port="5432"),
                AffectedAsset(name="app02")],
        original_risk=Risk.HIGH, raw_severity="Critical", adjusted_risk=Risk.MODERATE,
        risk_adjustment_rationale="Compensating WAF rule blocks the vector",
        planned_remediation="-Apply the vendor patch\nthen rescan",
        owner="Jane Doe", owner_email="jane.doe@example.gov",
        resources_required="40 staff hours", cost_estimate=Decimal("1250.50"),
        vendor_dependency=True, vendor_product="Example Web Server",
        vendor_last_checkin=date(2026, 3, 1), detected_on=date(2026, 1, 5),
        scheduled_completion=date(2026, 4, 5), status=Status.IN_PROGRESS,
        status_date=date(2026, 3, 10), residual_risk="Low after patch",
        depends_on=["POAM-2026-0002"], comments=HOSTILE_FORMULA,
        cves=["CVE-2026-1234", "CVE-2026-5678"], false_positive=False,
        operational_requirement=True, deviation_rationale="Port 443 serves the public site",
        kev=True, kev_due=date(2026, 1, 26), delayed=True,
        milestones=[
            MilestoneData(sequence=1, description="Open a vendor case", original_due=date(2026, 1, 20),
                          current_due=date(2026, 1, 20), completed_on=date(2026, 1, 18),
                          owner="Jane Doe", uuid="m-1"),
            MilestoneData(sequence=2, description="@Apply the patch\nin staging",
                          original_due=date(2026, 2, 15), current_due=date(2026, 4, 1),
                          owner="bob", uuid="m-2", changes=_changes()),
            MilestoneData(sequence=3, description="Rescan and close", original_due=date(2026, 4, 5),
                          current_due=date(2026, 4, 5), uuid="m-3"),
        ],
        evidence=[EvidenceData(name="scan-2026-03.pdf", uuid="e-1", sha256="ab" * 32, size=1024,
                               media_type="application/pdf", uploaded_by="jane.doe",
                               uploaded_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
                               description="Remediation Evidence"),
                  EvidenceData(name="Vendor advisory", url="https://vendor.example/adv/1",
                               uuid="e-2", description="Evidence of Vendor Dependency")],
        history=[HistoryEntry(at=datetime(2026, 1, 5, 12, 0, tzinfo=UTC), actor="import",
                              action="create", entity="item"),
                 HistoryEntry(at=datetime(2026, 2, 1, 9, 30, tzinfo=UTC), actor="jane.doe",
                              action="update", entity="milestone", field="current_due",
                              old="2026-02-15", new="2026-03-15", justification="Vendor slip")],
    )


def _second_open_item() -> PoamItemData:
    return PoamItemData(
        poam_id="POAM-2026-0002", title="Multi-factor authentication missing for admins",
        weakness_description="Privileged accounts log in with a password only",
        source=Source.THIRD_PARTY_ASSESSMENT, source_identifier="IA-2(1)-01",
        source_detail="Example 3PAO",
        controls=[ControlRef(Catalog.NIST_800_53_R5, "IA-2(1)")],
        assets=[AffectedAsset(name="10.0.0.9", kind="host", ip="10.0.0.9")],
        original_risk=Risk.MODERATE, planned_remediation="Enable MFA on the admin portal",
        owner="Bob Smith", detected_on=date(2026, 2, 1), scheduled_completion=date(2026, 5, 2),
        status=Status.OPEN, status_date=date(2026, 2, 1),
        milestones=[MilestoneData(sequence=1, description="Roll out tokens",
                                  original_due=date(2026, 5, 2), current_due=date(2026, 5, 2))],
    )


def _closed_item() -> PoamItemData:
    return PoamItemData(
        poam_id="POAM-2025-0042", title="TLS 1.0 enabled", weakness_description="Legacy protocol",
        source=Source.VULNERABILITY_SCAN, source_identifier="104743", source_detail="Qualys",
        controls=[ControlRef(Catalog.NIST_800_53_R5, "SC-8")],
        assets=[AffectedAsset(name="lb01", port="443", protocol="tcp")],
        original_risk=Risk.LOW, planned_remediation="Disable TLS 1.0", owner="Jane Doe",
        detected_on=date(2025, 6, 1), scheduled_completion=date(2025, 11, 28),
        actual_completion=date(2025, 10, 1), status=Status.COMPLETED, status_date=date(2025, 10, 1),
        cves=["CVE-2011-3389"],
        milestones=[MilestoneData(sequence=1, description="Change the cipher policy",
                                  original_due=date(2025, 9, 1), current_due=date(2025, 9, 1),
                                  completed_on=date(2025, 9, 30))],
    )


def _false_positive_item() -> PoamItemData:
    return PoamItemData(
        poam_id="POAM-2025-0043", title="Apache version disclosure", source=Source.VULNERABILITY_SCAN,
        controls=[ControlRef(Catalog.NIST_800_53_R5, "RA-5")], original_risk=Risk.LOW,
        detected_on=date(2025, 7, 1), scheduled_completion=date(2025, 12, 28),
        status=Status.FALSE_POSITIVE, status_date=date(2025, 8, 1), false_positive=True,
        deviation_rationale="The banner is a decoy; evidence attached", owner="Bob Smith",
    )


def rich_document() -> PoamDocument:
    system = SystemData(name="Example Cloud Service", acronym="ECS", organization="Example CSP Inc.",
                        framework=Framework.FEDRAMP_MODERATE, impact_level="Moderate",
                        designation=Designation.INTERNAL, uuid="sys-uuid-1",
                        description="A SaaS offering")
    return PoamDocument(system=system,
                        items=[_open_item(), _second_open_item(), _closed_item(),
                               _false_positive_item()],
                        generated_at=datetime(2026, 3, 15, 10, 0, tzinfo=UTC), version="3",
                        uuid="doc-uuid-1")
