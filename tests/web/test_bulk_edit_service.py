"""The one bulk service: owner, scheduled completion, status and a new milestone for many
items with one justification; the role checked once, all or nothing, every refusing item
named, one version step and one history record set per item."""

from __future__ import annotations

from datetime import date

import pytest

from openpoam.tracker.models import ChangeEvent, Milestone, PoamItem
from openpoam.tracker.services import Actor, bulk_edit
from openpoam.tracker.services.actors import PermissionDenied, ServiceError


def _plan(poam, **extra):
    dana = poam.delayed.owner
    return bulk_edit.Plan(set_owner=True, owner=dana, scheduled_completion=date(2099, 3, 31),
                          milestone=bulk_edit.NewMilestone("Agree the patch window",
                                                           date(2099, 3, 1), dana), **extra)


def test_owner_date_and_a_milestone_for_every_item_in_one_call(poam, alice,
                                                                django_assert_max_num_queries):
    items = [poam.delayed, poam.adjusted]
    versions = {i.pk: i.version for i in items}
    changed = bulk_edit.change_all(Actor.for_user(alice), items, _plan(poam), "June triage")
    assert changed == 2
    for item in PoamItem.objects.filter(pk__in=versions):
        assert item.version == versions[item.pk] + 1  # one step, whatever changed
        assert item.owner.name == "Dana Reyes"
        assert item.scheduled_completion == date(2099, 3, 31)
        added = item.milestones.order_by("-sequence").first()
        assert (added.description, added.current_due, added.owner.name) == \
            ("Agree the patch window", date(2099, 3, 1), "Dana Reyes")
        events = ChangeEvent.objects.filter(item_uuid=item.uuid, justification="June triage")
        assert {e.field for e in events} >= {"scheduled_completion",
                                             f"milestone {added.sequence}"}


def test_a_refusal_names_every_refusing_item_and_changes_nothing(poam, alice):
    before_events = ChangeEvent.objects.count()
    before_milestones = Milestone.objects.count()
    items = [poam.delayed, poam.closed, poam.adjusted]
    with pytest.raises(bulk_edit.BulkRefused) as refused:
        # A completed item cannot go in progress; the others could.
        bulk_edit.change_all(Actor.for_user(alice), items, _plan(poam, status="in_progress"),
                             "triage")
    message = str(refused.value)
    assert poam.closed.poam_id in message and "nothing was changed" in message
    assert [f[1] for f in refused.value.failures] == [poam.closed.poam_id]
    assert ChangeEvent.objects.count() == before_events
    assert Milestone.objects.count() == before_milestones
    assert PoamItem.objects.get(pk=poam.delayed.pk).scheduled_completion == date(2025, 6, 30)


def test_several_refusing_items_are_all_named(poam, alice):
    blank = bulk_edit.Plan(milestone=bulk_edit.NewMilestone("   "))
    with pytest.raises(bulk_edit.BulkRefused) as refused:
        bulk_edit.change_all(Actor.for_user(alice), [poam.delayed, poam.adjusted], blank, "x")
    assert [f[1] for f in refused.value.failures] == [poam.delayed.poam_id,
                                                      poam.adjusted.poam_id]
    assert "milestone: a description is required" in str(refused.value)


def test_a_viewer_is_refused_before_anything_is_read(poam, bob):
    with pytest.raises(PermissionDenied):
        bulk_edit.change_all(Actor.for_user(bob), [poam.delayed], _plan(poam), "x")


def test_a_justification_and_something_to_change_are_required(poam, alice):
    with pytest.raises(ServiceError, match="justification"):
        bulk_edit.change_all(Actor.for_user(alice), [poam.delayed], _plan(poam), " ")
    with pytest.raises(ServiceError, match="choose what to change"):
        bulk_edit.change_all(Actor.for_user(alice), [poam.delayed], bulk_edit.Plan(), "x")


def test_an_owner_of_another_organization_is_refused(poam, alice, admin_actor):
    from openpoam.tracker.services import setup

    other = setup.create_organization(admin_actor, "globex", "Globex")
    stranger = setup.add_person(admin_actor, other, "Eve Stranger")
    plan = bulk_edit.Plan(milestone=bulk_edit.NewMilestone("x", None, stranger))
    with pytest.raises(bulk_edit.BulkRefused, match="another organization"):
        bulk_edit.change_all(Actor.for_user(alice), [poam.delayed], plan, "x")


def test_the_new_items_of_an_import_are_found(poam, alice, tmp_path):
    from openpoam.tracker.services import imports
    from tests.web.test_browser_flows import NESSUS

    path = tmp_path / "june.nessus"
    path.write_text(NESSUS)
    record = imports.import_file(Actor.for_user(alice), poam.system, path).record
    ids = bulk_edit.new_item_ids(record)
    assert len(ids) == 1 and PoamItem.objects.get(poam_id=ids[0]).system == poam.system


# ---- the browser forms (Django's client; the scenarios are in test_browser_bulkui.py) ------

def test_the_work_page_sets_an_imports_new_items_and_refuses_a_viewer(client, poam, alice,
                                                                      bob, tmp_path):
    from django.urls import reverse

    from openpoam.tracker.services import imports
    from tests.web.test_browser_flows import NESSUS

    path = tmp_path / "june.nessus"
    path.write_text(NESSUS)
    record = imports.import_file(Actor.for_user(alice), poam.system, path).record
    work = reverse("system-work", args=[poam.org.slug, poam.system.slug])
    dana = poam.delayed.owner
    client.force_login(bob)
    page = client.get(f"{work}?import={record.pk}").content.decode()
    assert "Work on 1 item" in page and "risk--high" in page
    refused = client.post(work, {"import": record.pk, "items": bulk_edit.new_item_ids(record),
                                 "owner": dana.pk, "justification": "x"})
    assert refused.status_code == 403
    client.force_login(alice)
    detail = client.get(reverse("system-import", args=[poam.org.slug, poam.system.slug,
                                                       record.pk])).content.decode()
    assert "Work on the 1 new item" in detail
    done = client.post(work, {"import": record.pk, "items": bulk_edit.new_item_ids(record),
                              "owner": dana.pk, "scheduled_completion": "2099-01-31",
                              "milestone_description": "Replace the certificate",
                              "milestone_due": "2099-01-15", "justification": "New findings"})
    assert done.status_code == 302
    item = PoamItem.objects.get(poam_id=bulk_edit.new_item_ids(record)[0])
    assert item.owner == dana and item.milestones.get().description == "Replace the certificate"
    bad = client.post(work, {"import": record.pk, "items": [item.poam_id],
                             "milestone_due": "2099-13-01", "justification": "x"})
    assert bad.status_code == 422 and "milestone" in bad.content.decode()


def test_a_milestone_gets_an_owner_in_the_browser(client, poam, alice, admin_actor):
    from django.urls import reverse

    from openpoam.tracker.services import setup

    client.force_login(alice)
    dana = poam.delayed.owner
    url = reverse("item-milestone", args=[poam.org.slug, poam.system.slug,
                                          poam.delayed.poam_id, 2])
    done = client.post(url, {"do": "owner", "owner": dana.pk})
    assert done.status_code == 302 and done["Location"].endswith("?section=milestones")
    assert Milestone.objects.get(item=poam.delayed, sequence=2).owner == dana
    assert ChangeEvent.objects.filter(field="milestone 2 owner", new_value="Dana Reyes").exists()
    stranger = setup.add_person(admin_actor, setup.create_organization(admin_actor, "globex",
                                                                       "Globex"), "Eve")
    refused = client.post(url, {"do": "owner", "owner": stranger.pk})
    assert refused.status_code == 422 and "choose a person of this organization" in \
        refused.content.decode()


def test_saved_views_are_per_person_and_read_back_as_filters(client, poam, alice, bob):
    from django.urls import reverse

    from openpoam.tracker.models import SavedView

    listing = reverse("system", args=[poam.org.slug, poam.system.slug])
    add = reverse("saved-view-add", args=[poam.org.slug, poam.system.slug])
    client.force_login(alice)
    saved = client.post(add, {"name": "  High  risk ", "query": "?risk=high&bogus=1&page=3"})
    assert saved.status_code == 302 and saved["Location"] == listing + "?risk=high"
    assert "High risk" in client.get(listing).content.decode()
    again = client.post(add, {"name": "High risk", "query": "?risk=low"})
    assert "already have a view" in client.get(again["Location"]).content.decode()
    client.force_login(bob)
    assert "High risk" not in client.get(listing).content.decode()
    view = SavedView.objects.get()
    delete = reverse("saved-view-delete", args=[poam.org.slug, poam.system.slug, view.pk])
    client.post(delete)
    assert SavedView.objects.filter(pk=view.pk).exists()  # not bob's to delete
