"""Demo data: a small defense contractor with one CMMC Level 2 enclave.

Loaded through the services, so every item has a real history. Dates are
relative to today, so the demo always shows open, delayed and closed work.
Loading twice does nothing the second time.
"""

from __future__ import annotations

import io
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from openpoam.domain import cmmc
from openpoam.domain.poam import AffectedAsset, Source
from openpoam.tracker.models import Organization
from openpoam.tracker.services import Actor
from openpoam.tracker.services import assessments, evidence, items, milestones, setup

ORG_SLUG = "redstone"

PEOPLE = [
    ("Maria Chen", "maria.chen@redstone-machining.example", "President"),
    ("Tom Becker", "tom.becker@redstone-machining.example", "IT Manager"),
    ("Priya Nair", "priya.nair@keystone-it.example", "Managed service provider, Keystone IT"),
]

# title, control, risk, status, owner, detected (days ago), due (days from today), remediation
ITEMS = [
    ("MFA not enforced for remote VPN access", "3.5.3", "high", "in_progress", "Priya Nair", 75, 20,
     "Enroll all VPN users in FIDO2 tokens and require MFA on the VPN concentrator."),
    ("Audit logs not reviewed on a schedule", "3.3.5", "moderate", "open", "Tom Becker", 40, 60,
     "Forward logs to the MSP's SIEM and set a weekly documented review."),
    ("CUI at rest on the file server not FIPS-validated", "3.13.11", "high", "in_progress",
     "Priya Nair", 120, -10, "Replace the NAS volume encryption with a FIPS 140-3 validated module."),
    ("Awareness training lacks insider-threat module", "3.2.3", "low", "completed", "Maria Chen",
     150, -30, "Add the insider-threat module to the annual training and record completion."),
    ("No incident response test in the last year", "3.6.3", "moderate", "open", "Tom Becker", 30,
     90, "Run a tabletop exercise with the MSP and record lessons learned."),
    ("Removable media not blocked on engineering workstations", "3.8.7", "moderate", "completed",
     "Priya Nair", 200, -60, "Block USB mass storage by group policy; allow approved encrypted drives."),
    ("Session lock not configured on shop-floor HMI", "3.1.10", "moderate", "risk_accepted",
     "Tom Becker", 90, 30, "HMI vendor does not support session lock; compensate with a locked cabinet."),
    ("Vulnerability scans not run monthly", "3.11.2", "high", "in_progress", "Priya Nair", 60, 15,
     "Schedule authenticated monthly scans of all CUI assets and import results here."),
    ("Unsupported Windows 10 on CNC controller PC", "3.14.1", "high", "open", "Tom Becker", 100, 45,
     "Upgrade once the CNC vendor certifies Windows 11 IoT; isolate the PC meanwhile."),
    ("Guest Wi-Fi not separated from the CUI network", "3.13.5", "high", "completed", "Priya Nair",
     180, -90, "Move guest Wi-Fi to its own VLAN with no route to the enclave."),
    ("Configuration baselines not documented", "3.4.1", "moderate", "in_progress", "Tom Becker", 80,
     40, "Document CIS-based baselines for servers, workstations and network gear."),
    ("Unnecessary services running on the file server", "3.4.7", "low", "open", "Priya Nair", 20,
     120, "Disable print spooler, SMBv1 and unused IIS role on FS01."),
    ("Password length below policy on legacy ERP", "3.5.7", "moderate", "false_positive",
     "Tom Becker", 50, 30, "Verify the ERP authenticates through the domain policy."),
    ("No alert when audit logging fails", "3.3.4", "low", "open", "Priya Nair", 25, 100,
     "Create a SIEM alert on log source silence longer than 24 hours."),
    ("Visitor log not retained", "3.10.4", "low", "completed", "Maria Chen", 160, -40,
     "Keep the paper visitor log for three years in the locked office."),
    ("Backups of CUI not encrypted", "3.8.9", "moderate", "open", "Priya Nair", 110, -5,
     "Enable AES-256 encryption with a FIPS-validated module on the backup appliance."),
    ("Remote maintenance sessions without MFA", "3.7.5", "high", "open", "Priya Nair", 35, 25,
     "Require MFA on the MSP's remote support tool."),
    ("Privileged accounts used for e-mail and web", "3.1.6", "moderate", "in_progress",
     "Tom Becker", 45, 30, "Give administrators separate non-privileged daily accounts."),
    ("Risk assessment not updated after ERP migration", "3.11.1", "moderate", "open", "Maria Chen",
     55, 70, "Update the risk assessment to cover the hosted ERP."),
    ("CUI markings missing on engineering drawings", "3.8.4", "low", "in_progress", "Tom Becker",
     65, 35, "Add CUI banner markings to the drawing templates and re-issue active drawings."),
    ("Mobile devices without full-disk encryption", "3.1.19", "moderate", "reopened",
     "Priya Nair", 170, 20, "Enforce encryption through MDM compliance policy."),
    ("Firewall rule review overdue", "3.13.1", "moderate", "open", "Priya Nair", 95, -15,
     "Review and document every rule on the perimeter firewall."),
    ("Badge keys not inventoried", "3.10.5", "low", "completed", "Maria Chen", 140, -50,
     "Inventory all keys and badges; change locks whose keys are missing."),
    ("Security assessment plan missing", "3.12.1", "moderate", "in_progress", "Maria Chen", 70, 50,
     "Write the annual assessment plan with the MSP."),
    ("Screening records incomplete for contractors", "3.9.1", "low", "open", "Maria Chen", 15, 150,
     "Collect screening attestations from the staffing agency."),
]


def load() -> str:
    if Organization.objects.filter(slug=ORG_SLUG).exists():
        return "demo already loaded (organization 'redstone')"
    with transaction.atomic():
        count = _load(Actor.command_line("demo-loader"))
    return f"demo loaded: organization 'redstone', system 'cui-enclave', {count} items"


def make_owner(username: str) -> str:
    """The administrator that `openpoam start` creates owns the demo organization, so the
    README's examples (API tokens, imports) work for them as written. Only a membership
    that is missing is added: a role someone gave them since is left alone."""
    from django.contrib.auth import get_user_model

    org = Organization.objects.filter(slug=ORG_SLUG).first()
    user = get_user_model().objects.filter(username=username).first()
    if org is None or user is None or org.memberships.filter(user=user).exists():
        return ""
    setup.add_member(Actor.command_line("demo-loader"), org, user, "owner")
    return f"{username} is an owner of the demo organization '{ORG_SLUG}'"


def _load(actor: Actor) -> int:
    org = setup.create_organization(actor, ORG_SLUG, "Redstone Machining LLC")
    system = setup.create_system(
        actor, org, slug="cui-enclave", name="Redstone CUI Enclave", acronym="RCE",
        framework="cmmc-l2", impact_level="Moderate", designation="internal",
        description="Engineering workstations, file server and ERP access handling CUI "
                    "for DoD subcontracts.")
    people = {name: setup.add_person(actor, org, name, email=email, title=title)
              for name, email, title in PEOPLE}
    today = timezone.localdate()
    for row in ITEMS:
        _item(actor, system, people, today, *row)
    _scan_item(actor, system, people, today)
    _assessment(actor, system, today)
    return len(ITEMS) + 1


def _assessment(actor, system, today) -> None:
    """A self-assessment whose gaps are the demo's open 1-point items, plus non-FIPS
    encryption (3.13.11 partial): it reaches Conditional Level 2 (Self)."""
    points = {r.number: r.points for r in cmmc.requirements(2)}
    open_controls = [row[1] for row in ITEMS if row[3] not in ("completed", "false_positive")]
    results = {c: "not_met" for c in open_controls if points.get(c) == 1}
    results["3.13.11"] = "partial"
    status_date = today - timedelta(days=75)
    assessments.record_assessment(
        actor, system, {"level": 2, "assessment_type": "Self", "results": results,
                        "status_date": status_date.isoformat()},
        assessed_on=status_date - timedelta(days=3), assessor="Tom Becker (self-assessment)")


def _item(actor, system, people, today, title, control, risk, status, owner, ago, due, plan):
    detected = today - timedelta(days=ago)
    scheduled = max(today + timedelta(days=due), detected + timedelta(days=14))
    item = items.create_item(
        actor, system, title=title, detected_on=detected, controls=[control],
        source=Source.SELF_ASSESSMENT, source_identifier=f"NIST SP 800-171A {control}",
        original_risk=risk, planned_remediation=plan, owner=people[owner],
        scheduled_completion=scheduled, resources_required="MSP hours; internal staff time",
        weakness_description=f"Self-assessment found NIST SP 800-171 requirement {control} not met. "
                             f"Finding: {title}.")
    first = milestones.add_milestone(actor, item, "Plan and approve the change",
                                     detected + timedelta(days=10), people[owner])
    second = milestones.add_milestone(actor, item, "Implement and verify", scheduled, people[owner])
    milestones.complete_milestone(actor, first, detected + timedelta(days=9))
    if ago > 60 and status in ("in_progress", "open"):
        milestones.reschedule_milestone(actor, second, scheduled + timedelta(days=14),
                                        "Vendor lead time longer than planned")
    _advance(actor, item, status, second, today, people)


def _advance(actor, item, status, last_milestone, today, people) -> None:
    if status == "open":
        return
    if status in ("in_progress", "completed", "reopened"):
        items.set_status(actor, item, "in_progress")
    if status in ("completed", "reopened"):
        done = min(today, last_milestone.current_due)
        milestones.complete_milestone(actor, last_milestone, done)
        evidence.add_file(actor, item, "verification-report.txt",
                          io.BytesIO(f"Verification of {item.poam_id}: {item.title}\n"
                                     f"Checked by Tom Becker on {done.isoformat()}.\n".encode()))
        items.set_status(actor, item, "completed", actual_completion=done)
    if status == "reopened":
        items.set_status(actor, item, "reopened",
                         reason="Quarterly check found two laptops without encryption")
    if status == "risk_accepted":
        items.update_item(actor, item, {"operational_requirement": True})
        items.set_status(actor, item, "risk_accepted", approver="Maria Chen",
                         rationale="Vendor limitation; the HMI sits in a locked cabinet on a "
                                   "segmented network.", review_date=today + timedelta(days=180))
    if status == "false_positive":
        items.set_status(actor, item, "false_positive", approver="Maria Chen",
                         rationale="The ERP delegates authentication to the domain, whose "
                                   "policy requires 14 characters.")


def _scan_item(actor, system, people, today) -> None:
    item = items.create_item(
        actor, system, title="OpenSSH regreSSHion remote code execution (CVE-2024-6387)",
        detected_on=today - timedelta(days=12), controls=["3.14.1", "AC.L2-3.1.12"],
        source=Source.VULNERABILITY_SCAN, source_identifier="Nessus plugin 201194",
        source_detail="Nessus 10.7", original_risk="critical", raw_severity="Critical",
        cves=["CVE-2024-6387"], owner=people["Priya Nair"],
        planned_remediation="Upgrade OpenSSH to 9.8p1 on the jump host and the file server.",
        scheduled_completion=today + timedelta(days=18),
        assets=[AffectedAsset(name="jump01.redstone.local", ip="10.20.0.5", port="22",
                              protocol="tcp"),
                AffectedAsset(name="fs01.redstone.local", ip="10.20.0.10", port="22",
                              protocol="tcp")])
    milestones.add_milestone(actor, item, "Patch jump host", today + timedelta(days=3),
                             people["Priya Nair"])
    milestones.add_milestone(actor, item, "Patch file server in maintenance window",
                             today + timedelta(days=10), people["Priya Nair"])
    items.set_status(actor, item, "in_progress")
