from datetime import date

import pytest
from django.contrib.auth import get_user_model

from openpoam.tracker.models import Role
from openpoam.tracker.services import Actor, items, setup

ROOT = Actor.command_line("test-admin")


@pytest.fixture
def org(db):
    return setup.create_organization(ROOT, "acme", "Acme Precision")


@pytest.fixture
def users(org):
    model = get_user_model()
    alice = model.objects.create_user("alice", password="x" * 16)
    bob = model.objects.create_user("bob", password="x" * 16)
    charlie = model.objects.create_user("charlie", password="x" * 16)
    setup.add_member(ROOT, org, alice, Role.OWNER)
    setup.add_member(ROOT, org, bob, Role.VIEWER)
    return {name: Actor.for_user(u) for name, u in
            (("alice", alice), ("bob", bob), ("charlie", charlie))}


@pytest.fixture
def alice(users):
    return users["alice"]


@pytest.fixture
def system(org):
    return setup.create_system(ROOT, org, slug="enclave", name="CUI Enclave", framework="cmmc-l2")


@pytest.fixture
def dana(org):
    return setup.add_person(ROOT, org, "Dana Ortiz", email="dana@acme.example")


@pytest.fixture
def item(system, dana):
    return items.create_item(ROOT, system, title="MFA not enforced", detected_on=date(2026, 10, 1),
                             controls=["3.5.3"], original_risk="high", owner=dana,
                             scheduled_completion=date(2026, 12, 15))
