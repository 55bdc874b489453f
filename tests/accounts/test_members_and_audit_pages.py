"""The owners' pages: members (invite, role, remove) and the audit trail."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from openpoam.tracker.models import ChangeEvent, Membership
from openpoam.tracker.services import Actor, setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_alice(client, alice, org_a):
    client.force_login(alice)
    return client


def test_an_invited_member_sets_a_password_with_a_one_time_link(as_alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    as_alice.post(reverse("member-add", args=["org-a"]),
                  {"email": "erin@example.com", "role": "assessor"})
    assert Membership.objects.get(user__username="erin@example.com").role == "assessor"
    link = re.search(r"http://testserver(/account/set-password/\S+/)", mail.outbox[0].body)[1]
    assert link in as_alice.get(reverse("members", args=["org-a"])).content.decode()
    erin = Client()
    form = erin.get(link, follow=True)
    new = {"new_password1": "erin-long-password-7", "new_password2": "erin-long-password-7"}
    erin.post(form.redirect_chain[-1][0], new)
    assert erin.login(username="erin@example.com", password="erin-long-password-7")
    assert Client().get(link, follow=True).context["validlink"] is False  # used up
    assert ChangeEvent.objects.filter(entity="account", field="password",
                                      entity_ref="erin@example.com").exists()


def test_an_owner_changes_a_role_and_removes_a_member(as_alice, bob):
    as_alice.post(reverse("member-role", args=["org-a", bob.pk]), {"role": "editor"})
    assert Membership.objects.get(user=bob).role == "editor"
    as_alice.post(reverse("member-remove", args=["org-a", bob.pk]))
    assert not Membership.objects.filter(user=bob).exists()


def test_a_bad_role_is_refused_with_a_message(as_alice, bob):
    page = as_alice.post(reverse("member-role", args=["org-a", bob.pk]), {"role": "god"},
                         follow=True).content.decode()
    assert "role: &#x27;god&#x27; is not one of" in page
    assert Membership.objects.get(user=bob).role == "viewer"


def test_the_audit_trail_filters_by_person_entity_and_date(as_alice, alice, org_a):
    setup.update_system(Actor.for_user(alice), org_a.system, framework="fedramp-moderate",
                        why="now a cloud service")
    page = as_alice.get(reverse("audit", args=["org-a"]),
                        {"person": "alice", "entity": "system"}).content.decode()
    assert "fedramp-moderate" in page and "now a cloud service" in page
    assert "No MFA on VPN" not in page
    empty = as_alice.get(reverse("audit", args=["org-a"]), {"until": "2000-01-01"})
    assert "Nothing matches" in empty.content.decode()
    bad = as_alice.get(reverse("audit", args=["org-a"]), {"since": "yesterday"})
    assert "is not a date in YYYY-MM-DD form" in bad.content.decode()


def test_the_audit_trail_is_paginated(as_alice, alice, org_a):
    for n in range(60):
        setup.add_person(Actor.for_user(alice), org_a.org, f"Person {n:02d}")
    first = as_alice.get(reverse("audit", args=["org-a"])).content.decode()
    assert first.count("<tr>") == 51 and "Older" in first
    second = as_alice.get(reverse("audit", args=["org-a"]), {"page": 2}).content.decode()
    assert "Newer" in second


def test_imported_text_is_escaped_in_the_audit_trail(as_alice, alice, org_a):
    setup.add_person(Actor.for_user(alice), org_a.org, "<script>alert(1)</script>")
    page = as_alice.get(reverse("audit", args=["org-a"])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_home_links_members_and_audit_for_owners_only(client, alice, bob, org_a):
    client.force_login(alice)
    assert reverse("members", args=["org-a"]) in client.get(reverse("home")).content.decode()
    client.force_login(bob)
    assert reverse("members", args=["org-a"]) not in client.get(reverse("home")).content.decode()
