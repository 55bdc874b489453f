"""What every page's header shows: the signed-in person's unread notifications."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from openpoam.tracker.services import notify


def notifications(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: read (from the cache) only when a template shows it.
    return {"unread_notifications": SimpleLazyObject(lambda: notify.unread_count(user))}
