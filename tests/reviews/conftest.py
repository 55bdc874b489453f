"""A CMMC system with people and items made through the services; alice owns the
organization, bob views it, charlie belongs to another one."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from openpoam.tracker.models import Role
from openpoam.tracker.services import Actor, items, milestones, setup

ROOT = Actor.command_line("test-admin")
PASSWORD = "a-long-test-password-42"


@pytest.fixture(autouse=True)
def fast_hashing(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EVIDENCE_DIR = tmp_path / "evidence"


@pytest.fixture
def org(db):
    return setup.create_organization(ROOT, "acme", "Acme Precision")


@pytest.fixture
def other_org(db):
    return setup.create_organization(ROOT, "globex", "Globex")


@pytest.fixture
def accounts(org, other_org):
    model = get_user_model()
    made = {name: model.objects.create_user(name, password=PASSWORD)
            for name in ("alice", "bob", "charlie")}
    setup.add_member(ROOT, org, made["alice"], Role.OWNER)
    setup.add_member(ROOT, org, made["bob"], Role.VIEWER)
    setup.add_member(ROOT, other_org, made["charlie"], Role.OWNER)
    return made


@pytest.fixture
def actors(accounts):
    return {name: Actor.for_user(user) for name, user in accounts.items()}


@pytest.fixture
def system(org):
    return setup.create_system(ROOT, org, slug="enclave", name="CUI Enclave",
                               framework="cmmc-l2")


@pytest.fixture
def dana(org):
    return setup.add_person(ROOT, org, "Dana Ortiz", email="dana@acme.example")


@pytest.fixture
def lee(org):
    return setup.add_person(ROOT, org, "Lee Park", email="lee@acme.example")


@pytest.fixture
def poam(system, dana, lee):
    """Three open items: one with a milestone due in three days, one overdue."""
    first = items.create_item(ROOT, system, title="MFA not enforced for [/admin] VPN",
                              detected_on=date(2026, 10, 1), controls=["3.5.3"],
                              original_risk="high", owner=dana,
                              scheduled_completion=date(2027, 1, 15),
                              planned_remediation="Enforce FIDO2 MFA on the VPN gateway")
    milestones.add_milestone(ROOT, first, "Buy FIDO2 tokens", date(2026, 12, 2))
    second = items.create_item(ROOT, system, title="Audit logs not reviewed",
                               detected_on=date(2026, 9, 1), original_risk="moderate",
                               owner=lee, scheduled_completion=date(2026, 11, 1))
    third = items.create_item(ROOT, system, title="Banner missing",
                              detected_on=date(2026, 9, 1), original_risk="low", owner=dana,
                              scheduled_completion=date(2027, 2, 1))
    return [first, second, third]
