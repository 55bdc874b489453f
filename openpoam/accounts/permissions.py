"""THE permission table: what each role of an organization may do.

One table, read by the services (``tracker.services.actors.require``), the web views, the
API and the command line. Roles are the values of ``tracker.models.Role``; an action is a
short dotted name. Nothing else in the code decides who may do what.

| action              | owner | editor | assessor | viewer |
|---------------------|:-----:|:------:|:--------:|:------:|
| poam.view           |   x   |   x    |    x     |   x    |  read items, systems, history
| poam.export         |   x   |   x    |    x     |   x    |  a file of what the reader sees
| poam.edit           |   x   |   x    |          |        |  items, milestones, evidence, dates
| poam.import         |   x   |   x    |          |        |  scans and POA&M files
| item.comment        |   x   |   x    |    x     |        |
| closure.verify      |   x   |        |    x     |        |  verify or reject a closure
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
    "closure.verify": frozenset({OWNER, ASSESSOR}),
    "assessment.record": frozenset({OWNER, EDITOR, ASSESSOR}),
    "item.delete": frozenset({OWNER}),
    "system.manage": frozenset({OWNER}),
    "members.manage": frozenset({OWNER}),
    "audit.view": frozenset({OWNER}),
    "org.manage": frozenset({OWNER}),
    "request.decide": frozenset({OWNER}),
}

# The old "at least this role" checks, each read as one action of the table.
ROLE_MINIMUM_ACTION = {VIEWER: "poam.view", EDITOR: "poam.edit", OWNER: "org.manage",
                       ASSESSOR: "assessment.record"}


class UnknownAction(KeyError):
    pass


def allows(role: str | None, action: str) -> bool:
    """True when ``role`` may do ``action``; an action missing from the table is an error."""
    try:
        allowed = PERMISSIONS[action]
    except KeyError:
        raise UnknownAction(f"no action {action!r} in the permission table") from None
    return role is not None and role in allowed


def actions_of(role: str) -> list[str]:
    return [action for action, roles in PERMISSIONS.items() if role in roles]


# ---- web pages -----------------------------------------------------------------------------
# Every URL name, per HTTP method, names what it needs: PUBLIC (anyone), SIGNED_IN (any
# signed-in user; the page shows only their own organizations) or an action above, checked
# against the organization the URL names. tests/accounts/test_url_permissions.py fails for a
# URL pattern missing here, so a new page cannot ship without deciding who may see it.
PUBLIC, SIGNED_IN = "public", "signed-in"
# The admin site: staff accounts whose session passed the second factor (admin_site.py).
STAFF = "staff with a second factor"
# The REST API: a bearer token acting with its user's role (tests/api/test_permissions.py
# checks every API route); "api" is its JSON 404 for any other path under /api/.
API_TOKEN = "an API token, with its user's role"
NAMESPACE_PERMISSIONS = {"admin": STAFF, "api-v1": API_TOKEN, "api": PUBLIC}

URL_PERMISSIONS: dict[str, dict[str, str]] = {
    "login": {"GET": PUBLIC, "HEAD": PUBLIC, "POST": PUBLIC},
    "login-verify": {"GET": PUBLIC, "HEAD": PUBLIC, "POST": PUBLIC},
    "logout": {"POST": SIGNED_IN},
    "set-password": {"GET": PUBLIC, "HEAD": PUBLIC, "POST": PUBLIC},
    "sso-start": {"GET": PUBLIC, "HEAD": PUBLIC},
    "sso-callback": {"GET": PUBLIC, "HEAD": PUBLIC},
    "cac-login": {"GET": PUBLIC, "HEAD": PUBLIC},
    "invitations": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": SIGNED_IN},  # one's own
    "mfa": {"GET": SIGNED_IN, "HEAD": SIGNED_IN},
    "mfa-enrol": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": SIGNED_IN},
    "mfa-remove": {"POST": SIGNED_IN},
    "mfa-recovery": {"POST": SIGNED_IN},
    "home": {"GET": SIGNED_IN, "HEAD": SIGNED_IN},
    "members": {"GET": "members.manage", "HEAD": "members.manage"},
    "member-add": {"POST": "members.manage"},
    "member-role": {"POST": "members.manage"},
    "member-remove": {"POST": "members.manage"},
    "member-unlock": {"POST": "members.manage"},
    "org-settings": {"POST": "org.manage"},
    "audit": {"GET": "audit.view", "HEAD": "audit.view"},
    "audit-public-key": {"GET": "audit.view", "HEAD": "audit.view"},
    "audit-checkpoint": {"GET": "audit.view", "HEAD": "audit.view"},
    "audit-verify": {"POST": "audit.view"},
    "system": {"GET": "poam.view", "HEAD": "poam.view"},
    "item": {"GET": "poam.view", "HEAD": "poam.view"},
    "system-cmmc": {"GET": "poam.view", "HEAD": "poam.view"},
    "system-checks": {"GET": "poam.view", "HEAD": "poam.view"},
    "system-imports": {"GET": "poam.view", "HEAD": "poam.view"},
    "system-export": {"GET": "poam.export", "HEAD": "poam.export"},
    "evidence": {"GET": "poam.view", "HEAD": "poam.view"},
    "favicon": {m: PUBLIC for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")},
    # The browser interface (openpoam/web). A form's own address answers GET by sending
    # the browser back to the form's page (web/views/actions.py), which checks its role.
    "approvals": {"GET": SIGNED_IN, "HEAD": SIGNED_IN},
    "org-people": {"GET": "poam.view", "HEAD": "poam.view", "POST": "poam.edit"},
    "system-new": {"GET": "system.manage", "HEAD": "system.manage", "POST": "system.manage"},
    "system-settings": {"GET": "system.manage", "HEAD": "system.manage",
                        "POST": "system.manage"},
    "system-dashboard": {"GET": "poam.view", "HEAD": "poam.view"},
    "system-bulk": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.edit"},
    "item-new": {"GET": "poam.edit", "HEAD": "poam.edit", "POST": "poam.edit"},
    "item-edit": {"GET": "poam.edit", "HEAD": "poam.edit", "POST": "poam.edit"},
    "item-status": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.edit"},
    "item-vendor": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.edit"},
    "item-comment": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "item.comment"},
    "item-request": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.edit"},
    # Editors withdraw their own requests here; deciding needs request.decide (service).
    "item-request-decide": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.edit"},
    "item-milestone-add": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.edit"},
    "item-milestone": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.edit"},
    "item-evidence": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.edit"},
    "system-cmmc-assess": {"GET": "poam.edit", "HEAD": "poam.edit", "POST": "poam.edit"},
    "system-cmmc-preview": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.edit"},
    "system-import-upload": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.import"},
    "system-import-confirm": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.import"},
    "system-import": {"GET": "poam.view", "HEAD": "poam.view"},
    # The monthly cadence (openpoam/reviews).
    "system-reviews": {"GET": "poam.view", "HEAD": "poam.view", "POST": "poam.edit"},
    "system-review": {"GET": "poam.view", "HEAD": "poam.view", "POST": "poam.edit"},
    "system-review-entry": {"POST": "poam.edit"},
    "snapshot-compare": {"GET": "poam.view", "HEAD": "poam.view"},
    "snapshot-export": {"GET": "poam.export", "HEAD": "poam.export"},
    "system-metrics": {"GET": "poam.view", "HEAD": "poam.view"},
    "system-report": {"GET": "poam.view", "HEAD": "poam.view"},
    # Anyone may subscribe to their own feed; revoking someone else's is the owner's.
    "system-calendars": {"GET": "poam.view", "HEAD": "poam.view", "POST": "poam.view"},
    # No sign-in: calendar programs cannot; the private token in the URL is the key.
    "calendar-feed": {"GET": PUBLIC, "HEAD": PUBLIC},
    # FedRAMP CR26 pages: a GET of a report is a preview; a POST records it.
    "system-cr26": {"GET": "poam.view", "HEAD": "poam.view"},
    "system-cr26-accepted": {"GET": "poam.view", "HEAD": "poam.view"},
    "system-cr26-vuln": {"GET": "poam.view", "HEAD": "poam.view", "POST": "poam.edit"},
    "system-cr26-report": {"GET": "poam.export", "HEAD": "poam.export", "POST": "poam.edit"},
    "api-tokens": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": SIGNED_IN},  # one's own
    "api-token-revoke": {"POST": SIGNED_IN},  # one's own tokens only
}

# ---- the command line ------------------------------------------------------------------------
# Every command that takes --org, and the action it needs when run as a user (`--as USER`).
# tests/accounts/test_cli_permissions.py fails for a command missing here.
CLI_PERMISSIONS: dict[str, str] = {
    "system create": "system.manage", "system list": "poam.view",
    "system emass": "poam.view",  # shows; setting asks system.manage in the service
    "person add": "poam.edit", "person list": "poam.view",
    "item add": "poam.edit", "item list": "poam.view", "item show": "poam.view",
    "item update": "poam.edit", "item set-status": "poam.edit", "item depends": "poam.edit",
    "item delete": "item.delete",
    # Requests: anyone who edits asks; deciding needs request.decide (the service checks).
    "request create": "poam.edit", "request list": "poam.view", "request decide": "poam.edit",
    "milestone add": "poam.edit", "milestone complete": "poam.edit",
    "milestone reschedule": "poam.edit", "evidence add": "poam.edit",
    "member add": "members.manage", "member role": "members.manage",
    "member remove": "members.manage", "member list": "members.manage",
    "history show": "poam.view", "history verify": "audit.view",
    "history checkpoint": "audit.view",
    "cmmc record": "assessment.record", "cmmc status": "poam.view",
    "export": "poam.export", "import": "poam.import", "imports list": "poam.view",
    "check": "poam.view", "metrics": "poam.view", "report": "poam.view",
    "remind": "org.manage",
    "review start": "poam.edit", "review confirm": "poam.edit", "review update": "poam.edit",
    "review escalate": "poam.edit", "review finish": "poam.edit",
    "review list": "poam.view", "review show": "poam.view",
    "snapshot take": "poam.edit", "snapshot list": "poam.view",
    "snapshot compare": "poam.view", "snapshot export": "poam.export",
    "calendar create": "poam.view", "calendar list": "poam.view",
    "calendar revoke": "poam.view",
    # FedRAMP CR26 (openpoam/cli/fedramp.py); a recorded report starts the next period.
    "fedramp regime": "system.manage", "fedramp queue": "poam.view",
    "fedramp overdue": "poam.view", "fedramp accepted": "poam.view", "fedramp show": "poam.view",
    "fedramp track": "poam.edit", "fedramp evaluate": "poam.edit", "fedramp reduce": "poam.edit",
    "fedramp dispose": "poam.edit", "fedramp accept": "poam.edit", "fedramp plan": "poam.edit",
    "fedramp group": "poam.edit", "fedramp report": "poam.edit",
    "fedramp coverage": "poam.view",
    "token create": "poam.view", "token list": "poam.view",  # a user's own tokens
    # Single sign-on's group table: administrators only (services/sso.py), beyond an owner.
    "sso group-add": "org.manage", "sso group-remove": "org.manage",
}
