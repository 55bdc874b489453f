"""My work, notifications and the portfolio over HTTP (Django's client) and in the service:
every list scoped to the person, with a twin organization (globex) that must not appear."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from openpoam.tracker.models import Notification
from openpoam.tracker.services import Actor
from openpoam.tracker.services import items as item_services
from openpoam.tracker.services import notify, requests
from openpoam.reviews.services.my_work import my_work, send_due_digests
from openpoam.reviews.services.portfolio import portfolio
from tests.web.my_work_world import PASSWORD, build, tasks_inline  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, web_settings, django_capture_on_commit_callbacks, tasks_inline):
    web_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    web_settings.OPENPOAM_BASE_URL = "https://poam.example.test"
    cache.clear()  # the unread counts of an earlier test's users
    with django_capture_on_commit_callbacks(execute=True):
        return build()


def signed_in(client, name):
    assert client.login(username=name, password=PASSWORD)
    return client


def refs(work, kind):
    return [row.reference for row in work.section(kind).rows]


def test_dana_sees_her_dates_in_both_clients_and_nothing_of_the_twin(world):
    from django.contrib.auth import get_user_model

    work = my_work(get_user_model().objects.get(username="dana"))
    assert refs(work, "item") == [world.overdue.poam_id, world.due_soon.poam_id]
    assert [r.overdue for r in work.section("item").rows] == [True, False]
    assert refs(work, "milestone") == [world.far.poam_id]  # the item is far, its step is not
    assert world.far.poam_id not in refs(work, "item")
    assert refs(work, "request") == []  # an editor decides nothing; her own request least of all
    assert work.section("unowned").rows == []  # not an owner anywhere
    assert {o["slug"] for o in work.organizations} == {"acme", "initech"}
    assert "globex" not in {row.organization for row in work.rows}
    assert all(row.href.startswith("/org/") for row in work.rows)


def test_olga_decides_dana_request_and_sees_unowned_items(world):
    from django.contrib.auth import get_user_model

    work = my_work(get_user_model().objects.get(username="olga"))
    assert refs(work, "request") == [world.due_soon.poam_id]  # not globex's twin request
    [unowned] = work.section("unowned").rows
    assert unowned.title.startswith("1 open item") and "owner=none" in unowned.href
    assert refs(work, "item") == []  # olga owns nothing herself


def test_the_home_page_of_an_editor_is_my_work_and_lists_the_rows(world, client):
    page = signed_in(client, "dana").get(reverse("home")).content.decode()
    assert "My work" in page and world.overdue.poam_id in page and world.due_soon.poam_id in page
    assert world.twin_item.title not in page and "Globex" not in page
    assert reverse("item", args=["initech", "enclave", world.overdue.poam_id]) in page


def test_an_owner_keeps_the_systems_home_and_sees_the_request_on_my_work(world, client):
    signed_in(client, "olga")
    home = client.get(reverse("home")).content.decode()
    assert "Your POA&amp;Ms" in home
    page = client.get(reverse("my-work")).content.decode()
    assert "Requests to decide" in page and world.due_soon.poam_id in page
    assert world.twin_item.title not in page


def test_the_api_lists_the_token_organization_only(world, client, settings):
    from django.contrib.auth import get_user_model

    from openpoam.accounts.services import tokens

    dana = get_user_model().objects.get(username="dana")
    secret = tokens.create_token(Actor.for_user(dana), dana, world.initech, "laptop").secret
    response = client.get("/api/v1/me/work", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200, response.content
    body = response.json()
    items = next(s for s in body["sections"] if s["kind"] == "item")["rows"]
    assert [r["reference"] for r in items] == [world.overdue.poam_id]  # initech only
    assert items[0]["url"].startswith("https://poam.example.test/org/initech/")
    assert items[0]["overdue"] is True


def test_a_request_tells_the_approver_and_the_decision_tells_the_person_who_asked(world):
    olga_notes = Notification.objects.filter(user__username="olga", kind="request_waiting")
    assert [n.title for n in olga_notes] == [
        f"Risk acceptance waits for your decision: {world.due_soon.poam_id}"]
    gus_notes = Notification.objects.filter(user__username="gus", kind="request_waiting")
    assert gus_notes.count() == 1 and world.twin_item.poam_id in gus_notes[0].title
    waiting = [m for m in mail.outbox if m.to == ["olga@example.com"]]
    assert len(waiting) == 1
    assert (f"https://poam.example.test/org/acme/system/enclave/items/"
            f"{world.due_soon.poam_id}/?section=requests#h-requests") in waiting[0].body


def test_decided_and_assigned_are_told_unless_turned_off(world, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    olga, dana = users.get(username="olga"), users.get(username="dana")
    notify.save_settings(dana, {"request_decided": (True, False)})  # in the app, no e-mail
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        requests.decide(Actor.for_user(olga), world.request, approve=False, note="Fix it")
    decided = Notification.objects.get(user=dana, kind="request_decided")
    assert "rejected" in decided.title and "Fix it" in decided.body and not decided.emailed
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        item_services.update_item(Actor.for_user(olga), world.unowned,
                                  {"owner": world.due_soon.owner})
    # Three items were hers from the start (made by the admin), and now a fourth.
    assigned = Notification.objects.filter(user=dana, kind="item_assigned")
    assert assigned.count() == 4 and world.unowned.poam_id in assigned.first().title
    assert [m.to for m in mail.outbox] == [["dana@example.com"]]


def test_a_bulk_owner_change_tells_each_person_once_listing_the_items(
        world, django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    from openpoam.tracker.services import bulk_edit, setup

    admin, olga = Actor.command_line("admin"), get_user_model().objects.get(username="olga")
    acme_dana = world.due_soon.owner
    olga_person = setup.add_person(admin, world.acme, "Olga Owner", user=olga)
    new = [item_services.create_item(admin, world.acme_system, title=f"Scan finding {n}",
                                     detected_on=timezone.localdate(), original_risk="low")
           for n in range(5)]
    Notification.objects.all().delete()
    mail.outbox.clear()
    changes = ([bulk_edit.ItemChange(item, fields={"owner": acme_dana}) for item in new[:3]]
               + [bulk_edit.ItemChange(item, fields={"owner": olga_person}) for item in new[3:]]
               + [bulk_edit.ItemChange(world.unowned, fields={"owner": acme_dana})])
    with django_capture_on_commit_callbacks(execute=True):
        bulk_edit.bulk_edit(admin, changes, "Triage of the new scan")
    dana_notes = Notification.objects.filter(user__username="dana", kind="item_assigned")
    assert dana_notes.count() == 1
    note = dana_notes.get()
    assert note.title == "4 items were assigned to you"
    for item in [*new[:3], world.unowned]:
        assert item.poam_id in note.body
    assert new[3].poam_id not in note.body and "Globex" not in note.body
    assert note.link == (reverse("system", args=["acme", "enclave"])
                         + f"?owner={acme_dana.pk}")
    olga_notes = Notification.objects.filter(user=olga, kind="item_assigned")
    assert [n.title for n in olga_notes] == ["2 items were assigned to you"]
    assert sorted(m.to[0] for m in mail.outbox) == ["dana@example.com", "olga@example.com"]
    # One item alone keeps the single message, and an item reassigned before the job ran
    # is left out of the first owner's message.
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        bulk_edit.change_all(admin, [new[0]], bulk_edit.Plan(set_owner=True,
                                                             owner=olga_person), "Swap")
    assert [n.title for n in Notification.objects.filter(user=olga)] == [
        f"{new[0].poam_id} was assigned to you"]
    assert notify.notify_items_assigned.call([new[0].pk, new[1].pk], acme_dana.pk, None) == 1
    assert [n.title for n in Notification.objects.filter(user__username="dana")] == [
        f"{new[1].poam_id} was assigned to you"]


def test_a_rolled_back_change_tells_nobody(world, django_capture_on_commit_callbacks):
    from django.db import transaction

    before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                item_services.update_item(Actor.command_line("admin"), world.unowned,
                                          {"owner": world.due_soon.owner})
                raise RuntimeError("stop")
        except RuntimeError:
            pass
    assert Notification.objects.count() == before


def test_the_daily_digest_goes_to_people_with_dates_due(world):
    mail.outbox.clear()
    sent = send_due_digests.enqueue(timezone.localdate().isoformat()).return_value
    digest = Notification.objects.get(user__username="dana", kind="due_digest")
    assert "1 overdue" in digest.title and world.overdue.poam_id in digest.body
    assert world.twin_item.title not in digest.body
    assert sent == 2  # dana, and gus for the twin's item
    assert {tuple(m.to) for m in mail.outbox} == {("dana@example.com",), ("gus@example.com",)}


def test_notifications_page_bell_and_mark_read(world, client):
    signed_in(client, "olga")
    page = client.get(reverse("my-work")).content.decode()
    assert 'class="bell__count">1<' in page
    listing = client.get(reverse("notifications")).content.decode()
    assert world.due_soon.poam_id in listing and world.twin_item.title not in listing
    note = Notification.objects.get(user__username="olga")
    response = client.post(reverse("notification-open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"].endswith("#h-requests")
    assert 'bell__count' not in client.get(reverse("my-work")).content.decode()
    # Another person's notification cannot be opened or marked through these pages.
    theirs = Notification.objects.filter(user__username="gus").first()
    client.post(reverse("notifications"), {"id": theirs.pk})
    client.post(reverse("notification-open", args=[theirs.pk]))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_settings_page_turns_a_kind_off(world, client):
    signed_in(client, "dana")
    client.post(reverse("notification-settings"), {"request_decided:app": "on"})
    from openpoam.tracker.models import NotificationSetting

    chosen = {s.kind: (s.in_app, s.email) for s in NotificationSetting.objects.filter(
        user__username="dana")}
    assert chosen["request_decided"] == (True, False)
    assert chosen["item_assigned"] == (False, False)


def test_the_portfolio_has_a_row_per_system_of_the_person(world, client):
    from openpoam.tracker.services.actors import visible_organizations

    from django.contrib.auth import get_user_model

    dana = get_user_model().objects.get(username="dana")
    result = portfolio(visible_organizations(Actor.for_user(dana)))
    assert [(r.organization, r.overdue) for r in result.rows] == [("initech", 1), ("acme", 0)]
    acme = result.rows[1]
    assert acme.open_by_risk["high"] == 3 and acme.open == 3
    page = signed_in(client, "dana").get(reverse("portfolio") + "?sort=organization").content
    text = page.decode()
    assert text.index("Acme Defense enclave") < text.index("Initech enclave")
    assert "Globex" not in text
    assert 'aria-sort="ascending"' in text


def test_a_person_links_only_to_a_member(world):
    from django.contrib.auth import get_user_model

    from openpoam.tracker.models import Person
    from openpoam.tracker.services import people
    from openpoam.tracker.services.actors import ServiceError

    gus = get_user_model().objects.get(username="gus")
    person = Person.objects.get(organization=world.acme, name="Dana Reyes")
    with pytest.raises(ServiceError, match="not a member of acme"):
        people.link_user(Actor.command_line("admin"), person, gus)

