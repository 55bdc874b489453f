"""Where token events land in the audit trail. One function, so the trail can move."""

from __future__ import annotations

from datetime import datetime

from openpoam.api.models import ApiToken, ApiTokenEvent


def record_token_event(token: ApiToken, action: str, *, actor_name: str, at: datetime,
                       address: str | None = None) -> None:
    """Append one event (create, use from a new address, revoke) in the caller's transaction."""
    ApiTokenEvent.objects.create(token=token, organization_id=token.organization_id,
                                 action=action, address=address or None,
                                 actor_name=actor_name, at=at)
