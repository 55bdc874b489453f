"""THE permission table: what each role of an organization may do.

One table, read by the services (``tracker.services.actors.require`` and ``may``), and through
them by the web pages, the API and the command line; every check asks for an action, never
for a role. Roles are the values of ``tracker.models.Role``; an action is a short dotted name.
Nothing else in the code decides who may do what. It is a pure table (no Django), so every
layer can read it; the tables of which URL and command needs which action are in
``accounts/permissions.py``.

| action              | owner | editor | assessor | viewer |
|---------------------|:-----:|:------:|:--------:|:------:|
| poam.view           |   x   |   x    |    x     |   x    |  read items, systems, history
| poam.export         |   x   |   x    |    x     |   x    |  a file of what the reader sees
| poam.edit           |   x   |   x    |          |        |  items, milestones, evidence, dates
| poam.import         |   x   |   x    |          |        |  scans and POA&M files
| item.comment        |   x   |   x    |    x     |        |
| assessment.record   |   x   |   x    |    x     |        |
| item.delete         |   x   |        |          |        |
| system.manage       |   x   |        |          |        |  create systems, change settings
| members.manage      |   x   |        |          |        |  invite, change role, remove, unlock
| audit.view          |   x   |        |          |        |  the organization's audit trail
| org.manage          |   x   |        |          |        |  organization settings (MFA rule)
| request.decide      |   x   |        |          |        |  approve or reject a risk acceptance,
|                     |       |        |          |        |  false positive or deviation request
"""

from __future__ import annotations

OWNER, EDITOR, ASSESSOR, VIEWER = "owner", "editor", "assessor", "viewer"
ALL_ROLES = frozenset({OWNER, EDITOR, ASSESSOR, VIEWER})

PERMISSIONS: dict[str, frozenset[str]] = {
    "poam.view": ALL_ROLES,
    "poam.export": ALL_ROLES,
    "poam.edit": frozenset({OWNER, EDITOR}),
    "poam.import": frozenset({OWNER, EDITOR}),
    "item.comment": frozenset({OWNER, EDITOR, ASSESSOR}),
    "assessment.record": frozenset({OWNER, EDITOR, ASSESSOR}),
    "item.delete": frozenset({OWNER}),
    "system.manage": frozenset({OWNER}),
    "members.manage": frozenset({OWNER}),
    "audit.view": frozenset({OWNER}),
    "org.manage": frozenset({OWNER}),
    "request.decide": frozenset({OWNER}),
}


class UnknownAction(KeyError):
    pass


def allows(role: str | None, action: str) -> bool:
    """True when ``role`` may do ``action``; an action missing from the table is an error."""
    try:
        allowed = PERMISSIONS[action]
    except KeyError:
        raise UnknownAction(f"no action {action!r} in the permission table") from None
    return role is not None and role in allowed


def roles_allowed(action: str) -> list[str]:
    """The roles that may do ``action``, strongest first, for a refusal's message."""
    allowed = PERMISSIONS[action]
    return [role for role in (OWNER, EDITOR, ASSESSOR, VIEWER) if role in allowed]
