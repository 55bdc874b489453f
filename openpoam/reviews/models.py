"""Monthly reviews, the snapshots they freeze, and private calendar feeds.

Rows are written only by ``openpoam.reviews.services``. A snapshot is immutable: the
model refuses updates and deletes (of its items too), and its SHA-256 is the hash of its
canonical content with its items.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models

from openpoam.domain.snapshots import CanonicalText
from openpoam.tracker.models.history import AppendOnlyError, AppendOnlyQuerySet


class SnapshotEncoder(json.JSONEncoder):
    """Writes a frozen item's canonical text (``CanonicalText``) as it is, not parsed and
    encoded again. Any other value as usual."""

    def encode(self, o):
        return o.text if isinstance(o, CanonicalText) else super().encode(o)


class _Immutable(models.Model):
    """A part of a snapshot: written once, never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("a snapshot is immutable: it cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("a snapshot is immutable: it cannot be deleted")


class Snapshot(_Immutable):
    """The POA&M of a system frozen at one moment (``domain.snapshots.freeze``)."""

    system = models.ForeignKey("tracker.System", on_delete=models.PROTECT,
                               related_name="snapshots")
    taken_at = models.DateTimeField()
    taken_by = models.CharField(max_length=200)
    label = models.CharField(max_length=200)
    content = models.JSONField()
    sha256 = models.CharField(max_length=64)
    item_count = models.PositiveIntegerField()
    open_count = models.PositiveIntegerField()

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.label} ({self.taken_at:%Y-%m-%d})"


class SnapshotItem(_Immutable):
    """One item of a snapshot, frozen (``domain.snapshots.item_text``). A snapshot keeps
    its items apart from its frame so that one of 100,000 items is written a chunk at a
    time; its SHA-256 covers the frame with every item in ``position`` order."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="frozen_items")
    position = models.PositiveIntegerField()
    content = models.JSONField(encoder=SnapshotEncoder)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["snapshot", "position"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "position"],
                                               name="reviews_snapshotitem_one_position")]


class Review(models.Model):
    """One month's review of one system: started, walked item by item, finished."""

    system = models.ForeignKey("tracker.System", on_delete=models.PROTECT, related_name="reviews")
    month = models.DateField(help_text="The first day of the month reviewed.")
    started_by = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    finished_by = models.CharField(max_length=200, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True)
    snapshot = models.OneToOneField(Snapshot, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="review")

    class Meta:
        ordering = ["-month", "-pk"]
        constraints = [models.UniqueConstraint(fields=["system", "month"],
                                               name="one_review_per_system_month")]

    def __str__(self) -> str:
        return f"{self.system} review {self.month:%Y-%m}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class ReviewEntry(models.Model):
    """What a reviewer did with one open item: confirmed, updated or escalated it."""

    CONFIRMED, UPDATED, ESCALATED = "confirmed", "updated", "escalated"
    ACTIONS = [(CONFIRMED, "Confirmed"), (UPDATED, "Updated"), (ESCALATED, "Escalated")]
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey("tracker.PoamItem", null=True, on_delete=models.SET_NULL,
                             related_name="+")
    poam_id = models.CharField(max_length=30)
    action = models.CharField(max_length=10, choices=ACTIONS)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=200)
    at = models.DateTimeField()

    class Meta:
        ordering = ["poam_id", "at"]
        constraints = [models.UniqueConstraint(fields=["review", "poam_id"],
                                               name="one_entry_per_item_per_review")]


class CalendarFeed(models.Model):
    """A private, revocable iCalendar URL: a system's milestones, or one owner's."""

    organization = models.ForeignKey("tracker.Organization", on_delete=models.CASCADE,
                                     related_name="+")
    system = models.ForeignKey("tracker.System", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("tracker.Person", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8)  # first characters, to tell feeds apart
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(
            condition=models.Q(system__isnull=False) | models.Q(person__isnull=False),
            name="feed_has_a_subject")]

    @property
    def subject(self) -> str:
        return f"owner {self.person.name}" if self.person_id else f"system {self.system.name}"
