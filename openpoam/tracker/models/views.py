"""Saved list views: a person's name for a set of list filters on one system."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SavedView(models.Model):
    """One user's named filter set for a system's POA&M list. ``query`` is the list's own
    query string (tracker.filters.ListQuery), re-read through ListQuery when used, so a
    saved view can never carry a filter the list does not know."""

    organization = models.ForeignKey("tracker.Organization", on_delete=models.CASCADE,
                                     related_name="+")
    system = models.ForeignKey("tracker.System", on_delete=models.CASCADE,
                               related_name="saved_views")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="saved_views")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=600)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["system", "user", "name"],
                                               name="saved_view_name_unique")]

    def __str__(self) -> str:
        return self.name
