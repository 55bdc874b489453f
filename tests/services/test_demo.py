"""The newcomer's demo: a defense contractor's CMMC enclave, loaded once, in every status."""

from django.db.models import F

from openpoam.domain.poam import Status
from openpoam.tracker import demo
from openpoam.tracker.models import ChangeEvent, Milestone, Organization, PoamItem
from openpoam.tracker.services import assessments


def test_it_loads_about_25_items_in_every_status_with_history(db):
    assert "26 items" in demo.load()
    items = PoamItem.objects.all()
    assert 20 <= items.count() <= 30
    assert {i.status for i in items} == {s.value for s in Status}
    assert all(i.owner_id for i in items)
    assert Milestone.objects.filter(original_due__isnull=False).exclude(
        current_due=F("original_due")).exists()  # a moved date, with its reason
    assert ChangeEvent.objects.exclude(justification="").exists()
    summary = assessments.summary(items.first().system)
    assert summary["evaluation"]["status"] == "Conditional Level 2 (Self)"


def test_it_is_not_loaded_twice(db):
    demo.load()
    assert "already loaded" in demo.load()
    assert Organization.objects.count() == 1 and PoamItem.objects.count() == 26
