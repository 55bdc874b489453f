"""Shared data for the web tests: one organization (acme) with a system whose POA&M
has items, milestones (one moved), evidence, assets and history, all made through the
services, exactly as the command line and importers make them.

Users: alice owns acme, bob views it, charlie belongs nowhere. A second organization
(globex) exists so that cross-tenant access can be tested both ways.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from openpoam.domain.poam import AffectedAsset as AssetData
from openpoam.tracker.models import Evidence, Organization, PoamItem, Role, System
from openpoam.tracker.services import Actor
from openpoam.tracker.services import evidence as evidence_services
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services import milestones as milestone_services
from openpoam.tracker.services import setup

from tests.conftest import PASSWORD, _user  # noqa: F401  (alice, bob and charlie are made there)

CSP_MIDDLEWARE = "openpoam.web.security.ContentSecurityPolicyMiddleware"
EVIDENCE_BYTES = b"MFA rollout plan, signed.\n"


@pytest.fixture
def web_settings(settings, tmp_path):
    """Fast password hashing, a private evidence folder, and the CSP middleware on."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EVIDENCE_DIR = tmp_path / "evidence"
    settings.STATIC_ROOT = tmp_path / "static"  # files come from the app via finders
    settings.STATIC_ROOT.mkdir()
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, CSP_MIDDLEWARE]
    return settings


# The shared alice, bob and charlie (tests/conftest.py), with the web settings on.
@pytest.fixture
def alice(alice, web_settings):
    return alice


@pytest.fixture
def bob(bob, web_settings):
    return bob


@pytest.fixture
def charlie(charlie, web_settings):
    return charlie


@pytest.fixture
def admin_actor() -> Actor:
    return Actor.command_line("admin")


@pytest.fixture
def acme(admin_actor, alice, bob) -> Organization:
    org = setup.create_organization(admin_actor, "acme", "Acme Defense")
    setup.add_member(admin_actor, org, alice, Role.OWNER)
    setup.add_member(admin_actor, org, bob, Role.VIEWER)
    return org


@pytest.fixture
def enclave(acme, alice) -> System:
    return setup.create_system(Actor.for_user(alice), acme, slug="enclave", name="CUI Enclave",
                               acronym="CUI", framework="cmmc-l2", impact_level="Moderate",
                               designation="internal")


@dataclass
class Poam:
    """The acme POA&M the web tests read."""

    org: Organization
    system: System
    delayed: PoamItem  # open, scheduled completion in the past, a milestone moved
    adjusted: PoamItem  # risk adjusted, depends on ``delayed``, a link as evidence
    closed: PoamItem  # completed with evidence
    file: Evidence


@pytest.fixture
def poam(acme, enclave, alice) -> Poam:
    actor = Actor.for_user(alice)
    owner = setup.add_person(actor, acme, "Dana Reyes", email="dana@example.com",
                             title="IT manager")
    delayed = item_services.create_item(
        actor, enclave, title="Multifactor authentication not enforced for remote access",
        detected_on=date(2025, 1, 15), controls=["3.5.3"],
        assets=[AssetData(name="vpn01.acme.test", ip="10.0.0.5", port="443", protocol="tcp")],
        original_risk="high", source="self_assessment", source_identifier="3.5.3[a]",
        weakness_description="Remote VPN logins accept a password alone.",
        planned_remediation="Enable MFA on the VPN concentrator for every account.",
        owner=owner, resources_required="Two days of engineering", cost_estimate=Decimal("1200"),
        scheduled_completion=date(2025, 6, 30), cves=["CVE-2024-0001"],
        residual_risk="Low once MFA is enforced.", comments="Raised at the quarterly review.")
    first = milestone_services.add_milestone(actor, delayed, "Buy hardware tokens",
                                             date(2025, 3, 1), owner)
    milestone_services.add_milestone(actor, delayed, "Enforce MFA for all VPN users",
                                     date(2025, 6, 1))
    milestone_services.reschedule_milestone(actor, first, date(2025, 4, 15),
                                            "Token supplier backordered")
    file = evidence_services.add_file(actor, delayed, "mfa-plan.txt", io.BytesIO(EVIDENCE_BYTES),
                                      description="Signed rollout plan")

    adjusted = item_services.create_item(
        actor, enclave, title="TLS 1.0 enabled on the intranet portal",
        detected_on=date(2026, 2, 1), controls=["3.13.8", "SC-8"],
        assets=[AssetData(name="portal01", port="443", protocol="tcp")],
        original_risk="high", adjusted_risk="moderate",
        risk_adjustment_rationale="Portal reachable only from the internal network.",
        source="vulnerability_scan", source_identifier="plugin 104743",
        scheduled_completion=date(2099, 1, 31))
    adjusted = item_services.set_dependencies(actor, adjusted, [delayed.poam_id])
    evidence_services.add_link(actor, adjusted, "https://tickets.acme.test/CHG-42",
                               name="Change ticket CHG-42")

    closed = item_services.create_item(actor, enclave, title="Audit logs not reviewed weekly",
                                       detected_on=date(2026, 1, 10), controls=["3.3.1"],
                                       original_risk="low")
    evidence_services.add_file(actor, closed, "review.pdf", io.BytesIO(b"%PDF-1.4 test"))
    item_services.set_status(actor, closed, "completed", actual_completion=date(2026, 3, 1))
    return Poam(org=acme, system=enclave, delayed=delayed, adjusted=adjusted, closed=closed,
                file=file)


@pytest.fixture
def globex(admin_actor, charlie) -> System:
    """Another tenant: charlie owns it; alice and bob have no business there."""
    org = setup.create_organization(admin_actor, "globex", "Globex")
    setup.add_member(admin_actor, org, charlie, Role.OWNER)
    system = setup.create_system(admin_actor, org, slug="cloud", name="Globex Cloud",
                                 framework="fedramp-moderate", designation="official")
    item_services.create_item(admin_actor, system, title="Globex secret weakness",
                              detected_on=date(2026, 1, 2))
    return system


@pytest.fixture(scope="module")
def strict_server(request):
    """The live server with the Content-Security-Policy middleware on, so the pages are
    checked under the strict policy. The server loads its middleware once, when it
    starts, hence a module fixture (the function-scoped ``settings`` comes too late)."""
    from django.conf import settings
    from django.test import override_settings

    with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != CSP_MIDDLEWARE]
                           + [CSP_MIDDLEWARE]):
        yield request.getfixturevalue("live_server")


@pytest.fixture
def browser(strict_server):
    """One chromium session against the live server; the test fails on any console error,
    axe-core finding or sideways scroll it met. Ask for it last: the database fixtures must
    run before Playwright's event loop starts."""
    from playwright.sync_api import sync_playwright

    from tests.browsing import Browser

    with sync_playwright() as playwright:
        session = Browser(playwright, strict_server.url)
        try:
            yield session
        finally:
            session.close()
    assert session.problems == [], session.problems
    assert session.findings == {}, session.findings
