"""A small world for My work, notifications and the portfolio, made through the services.

- olga owns acme: she decides requests there.
- dana is an editor of acme and of initech (a consultant with two clients); the person
  "Dana Reyes" of each is linked to her account and owns items and milestones.
- gus owns globex, the twin: it has a person also named "Dana Reyes" (linked to gus), an
  item she owns due tomorrow, and a pending request. Neither may reach olga or dana.
"""

from __future__ import annotations

import pytest

from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from openpoam.tracker.models import ApprovalRequest, Organization, PoamItem, System
from openpoam.tracker.services import Actor
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services import milestones as milestone_services
from openpoam.tracker.services import requests, setup

PASSWORD = "a-long-test-password-42"


@dataclass
class World:
    acme: Organization
    initech: Organization
    globex: Organization
    acme_system: System
    initech_system: System
    globex_system: System
    due_soon: PoamItem  # dana's, acme, due in 5 days
    overdue: PoamItem  # dana's, initech, 3 days late
    far: PoamItem  # dana's, acme, due in 90 days: not listed
    unowned: PoamItem  # acme, nobody's
    twin_item: PoamItem  # globex, owned by globex's "Dana Reyes" (gus)
    request: ApprovalRequest  # dana asks in acme; olga decides
    twin_request: ApprovalRequest  # in globex


def user(name: str, email: str = ""):
    return get_user_model().objects.create_user(name, email=email or f"{name}@example.com",
                                                password=PASSWORD)


def build() -> World:
    admin = Actor.command_line("admin")
    today = timezone.localdate()
    olga, dana, gus = user("olga"), user("dana"), user("gus")
    orgs = {}
    for slug, name, owner in (("acme", "Acme Defense", olga), ("initech", "Initech", None),
                              ("globex", "Globex", gus)):
        orgs[slug] = setup.create_organization(admin, slug, name)
        if owner is not None:
            setup.add_member(admin, orgs[slug], owner, "owner")
    setup.add_member(admin, orgs["acme"], dana, "editor")
    setup.add_member(admin, orgs["initech"], dana, "editor")
    systems = {slug: setup.create_system(admin, org, slug="enclave", name=f"{org.name} enclave",
                                         framework="cmmc-l2")
               for slug, org in orgs.items()}
    dana_acme = setup.add_person(admin, orgs["acme"], "Dana Reyes", user=dana)
    dana_initech = setup.add_person(admin, orgs["initech"], "Dana Reyes", user=dana)
    twin_dana = setup.add_person(admin, orgs["globex"], "Dana Reyes", user=gus)

    def item(slug, title, owner, due):
        return item_services.create_item(admin, systems[slug], title=title,
                                         detected_on=today - timedelta(days=30),
                                         owner=owner, scheduled_completion=due,
                                         original_risk="high")

    due_soon = item("acme", "Patch the VPN concentrator", dana_acme, today + timedelta(days=5))
    overdue = item("initech", "Rotate the backup keys", dana_initech, today - timedelta(days=3))
    far = item("acme", "Replace the old firewall", dana_acme, today + timedelta(days=90))
    milestone_services.add_milestone(admin, far, "Order the new firewall",
                                     today + timedelta(days=2), dana_acme)
    unowned = item("acme", "Unowned weakness from the scan", None, today + timedelta(days=60))
    twin_item = item("globex", "Globex secret weakness", twin_dana, today + timedelta(days=1))
    request = requests.request_approval(Actor.for_user(dana), due_soon, "risk_acceptance",
                                        "A compensating control covers it",
                                        review_date=today + timedelta(days=180))
    twin_request = requests.request_approval(admin, twin_item, "risk_acceptance",
                                             "Globex accepts it",
                                             review_date=today + timedelta(days=180))
    return World(orgs["acme"], orgs["initech"], orgs["globex"], systems["acme"],
                 systems["initech"], systems["globex"], due_soon, overdue, far, unowned,
                 twin_item, request, twin_request)


@pytest.fixture
def tasks_inline(settings):
    """Notifications are jobs (Django tasks API); here they run when enqueued, as a worker
    would run them, so a test sees what the person is told without starting a worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
