"""The scheduled CR26 overdue notices: the responsible people of a vulnerability whose
deadline passed are told once (in the app and by e-mail, as their settings say); a second
run tells nobody; a new deadline that passes is a new event. Each organization's people hear
only of its own systems: globex's twin system (same slug) has an overdue vulnerability too."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core import mail

from openpoam.jobs import schedule
from openpoam.tracker.models import (Cr26OverdueNotice, Cr26Vulnerability, Notification,
                                     NotificationSetting, PoamItem)
from openpoam.tracker.services import Actor, cr26, cr26_notices, items, setup

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def cloud(acme, admin_actor, globex, settings):
    """acme's CR26 system (class C) with one vulnerability detected 2026-11-02: its
    evaluation was due within 5 days; globex's twin system is under CR26 too."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    system = setup.create_system(admin_actor, acme, slug="cloud", name="Acme Cloud",
                                 framework="fedramp-moderate")
    items.create_item(admin_actor, system, title="Admin panel exposed",
                      detected_on=date(2026, 11, 2))
    cr26.set_regime(admin_actor, system, "cr26", "C")
    cr26.set_regime(admin_actor, globex, "cr26", "C")
    return system


def _told(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=Notification.CR26_OVERDUE))


def test_the_editors_of_each_organization_are_told_once_of_their_own(cloud, alice, bob,
                                                                      charlie):
    sent = cr26_notices.send_overdue_notices(NOW)
    assert sent == {"events": 2, "people": 2}  # acme's and globex's late evaluations
    [acme_note] = _told(alice)
    assert acme_note.organization == cloud.organization
    assert "Acme Cloud" in acme_note.title and "Admin panel exposed" in acme_note.body
    assert "evaluation was due 2026-11-07" in acme_note.body and "VER-TFR-EVU" in acme_note.body
    assert "Globex" not in acme_note.body + acme_note.title
    assert acme_note.link == "/org/acme/system/cloud/cr26/"
    assert _told(bob) == []  # a viewer answers for nothing
    [globex_note] = _told(charlie)
    assert "Globex secret weakness" in globex_note.body and "Admin panel" not in globex_note.body
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, charlie.email])

    assert cr26_notices.send_overdue_notices(NOW) == {"events": 0, "people": 0}
    assert len(_told(alice)) == 1 and len(mail.outbox) == 2
    assert Cr26OverdueNotice.objects.count() == 2


def test_the_owner_alone_is_told_as_their_settings_say(cloud, acme, admin_actor, alice, bob):
    person = setup.add_person(admin_actor, acme, "Bob Viewer", user=bob)
    PoamItem.objects.filter(system=cloud).update(owner=person)
    NotificationSetting.objects.create(user=bob, kind=Notification.CR26_OVERDUE, in_app=False,
                                       email=True)
    cr26_notices.send_overdue_notices(NOW)
    assert _told(alice) == [] and _told(bob) == []  # bob chose e-mail only
    assert [m.to for m in mail.outbox if "Acme Cloud" in m.subject] == [[bob.email]]


def test_a_new_deadline_that_passes_is_a_new_event(cloud, alice):
    cr26_notices.send_overdue_notices(NOW)
    vuln = Cr26Vulnerability.objects.get(system=cloud)
    cr26.evaluate(Actor.for_user(alice), vuln, rating=4, lev=True, irv=False,
                  reason="internal admin", at=datetime(2026, 11, 9, 9, tzinfo=UTC))
    # Evaluated (late, already told); class C N4: reduce within 8 days, by 2026-11-17.
    assert cr26_notices.send_overdue_notices(NOW) == {"events": 1, "people": 1}
    latest = _told(alice)[0]
    assert "reduction was due 2026-11-17" in latest.body, latest.body
    assert cr26_notices.send_overdue_notices(NOW)["events"] == 0


def test_nothing_is_told_before_a_deadline_passes(cloud, alice):
    assert cr26_notices.send_overdue_notices(datetime(2026, 11, 3, tzinfo=UTC))["events"] == 1
    assert all("Globex" in n.body for n in Notification.objects.all())  # globex's, from January


def test_the_scheduler_runs_it_and_records_the_outcome(cloud, alice):
    assert "cr26-overdue" in schedule.BY_NAME
    outcome = schedule.run("cr26-overdue")
    assert outcome["ok"] and outcome["outcome"].startswith("2 CR26 deadline(s) newly passed")
    assert schedule.run("cr26-overdue")["outcome"].startswith("0 CR26 deadline(s)")
