"""What a person leaves behind when they leave an organization or lose their account: their
API tokens and the calendar feeds they made stop answering, for good (adding them again
later does not bring them back; they make new ones)."""

from __future__ import annotations

from django.utils import timezone

from openpoam.accounts.models import ApiToken
from openpoam.accounts.services.tokens import REVOKE, record_token_event
from openpoam.reviews.models import CalendarFeed
from openpoam.tracker.services import audit
from openpoam.tracker.services.actors import Actor


def revoke_access(actor: Actor, user, organization=None, why: str = "") -> tuple[int, int]:
    """Revoke the user's live tokens and feeds, in ``organization`` or everywhere; returns
    (tokens, feeds) revoked. The caller has checked ``actor`` may remove the user."""
    now = timezone.now()
    live_tokens = ApiToken.objects.select_for_update(of=("self",)).filter(
        user=user, revoked_at__isnull=True)
    feeds = CalendarFeed.objects.select_for_update(of=("self",)).filter(
        created_by=user.get_username(), revoked_at__isnull=True)
    if organization is not None:
        live_tokens = live_tokens.filter(organization=organization)
        feeds = feeds.filter(organization=organization)
    tokens = list(live_tokens.select_related("organization", "user"))
    for token in tokens:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        record_token_event(token, REVOKE, actor=actor, why=why)
    made = list(feeds.select_related("organization", "system", "person"))
    for feed in made:
        feed.revoked_at = now
        feed.save(update_fields=["revoked_at"])
        audit.record(actor, feed.organization, "calendar", str(feed.pk), "update",
                     {"revoked_at": ("", feed.revoked_at)}, why, system=feed.system)
    return len(tokens), len(made)
