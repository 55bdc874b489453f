"""Token events in the audit trail (the hash-chained history of the token's organization)."""

from __future__ import annotations

from openpoam.api.models import ApiToken
from openpoam.tracker.services import audit
from openpoam.tracker.services.actors import Actor

CREATE, USE, REVOKE = "create", "use", "revoke"
USED_FROM = "used from"  # the field of a use-from-a-new-address record


def record_token_event(token: ApiToken, event: str, *, actor: Actor,
                       address: str | None = None, why: str = "") -> None:
    """Creation, use from a new address, or revocation, in the caller's transaction."""
    if event == CREATE:
        changes = {"name": ("", token.name), "user": ("", token.user.get_username()),
                   "read_only": ("", token.read_only),
                   "expires_at": ("", token.expires_at.isoformat(timespec="seconds")
                                  if token.expires_at else "")}
        audit.record(actor, token.organization, "token", token.prefix, "create", changes)
    elif event == USE:
        audit.record(actor, token.organization, "token", token.prefix, "update",
                     {USED_FROM: ("", address or "")}, "first use from this address",
                     client_address=address or "")
    else:
        audit.record(actor, token.organization, "token", token.prefix, "delete", {},
                     why or "revoked")
