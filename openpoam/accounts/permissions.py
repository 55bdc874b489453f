"""Who may reach each web page and command: the URL and command-line tables over the one
permission table of actions (``openpoam/domain/permissions.py``, re-exported here so that
``from openpoam.accounts import permissions`` reads both).
"""

from __future__ import annotations

from openpoam.domain.permissions import (  # noqa: F401  (the table, read through this module too)
    ALL_ROLES, ASSESSOR, EDITOR, OWNER, PERMISSIONS, VIEWER, UnknownAction, allows, roles_allowed)

# ---- web pages -----------------------------------------------------------------------------
# Every URL name, per HTTP method, names what it needs: PUBLIC (anyone), SIGNED_IN (any
# signed-in user; the page shows only their own organizations) or an action of the table,
# checked
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
    # For load balancers: yes/no, ages and sizes only (openpoam/jobs/health.py).
    "healthz": {"GET": PUBLIC, "HEAD": PUBLIC},
    # The periodic jobs' last runs and the scheduler's lease (web/views/scheduled.py).
    "scheduled-work": {"GET": STAFF, "HEAD": STAFF},
    # A person's own pages (web/views/personal.py): only their own rows, across every
    # organization they belong to; the portfolio shows the organizations they may see.
    "my-work": {"GET": SIGNED_IN, "HEAD": SIGNED_IN},
    "notifications": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": SIGNED_IN},
    "notification-open": {"POST": SIGNED_IN},
    "notification-settings": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": SIGNED_IN},
    "portfolio": {"GET": SIGNED_IN, "HEAD": SIGNED_IN},
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
    # Work on many items (the list's ticked ones, an import's new ones): shows to a
    # viewer, changes for an editor.
    "system-work": {"GET": "poam.view", "HEAD": "poam.view", "POST": "poam.edit"},
    # Saved list views are one's own; naming one needs only to see the list.
    "saved-view-add": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.view"},
    "saved-view-delete": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.view"},
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
    # A background job's page is its starter's alone (others get 404: openpoam/jobs).
    "system-job": {"GET": "poam.view", "HEAD": "poam.view"},
    "system-job-progress": {"GET": "poam.view", "HEAD": "poam.view"},
    "system-job-again": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.import"},
    "system-job-download": {"GET": "poam.export", "HEAD": "poam.export"},
    "system-export-job": {"GET": SIGNED_IN, "HEAD": SIGNED_IN, "POST": "poam.export"},
    # The monthly cadence (pages: web/views/reviews.py; services: openpoam/reviews).
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
    "person add": "poam.edit", "person list": "poam.view", "person link": "poam.edit",
    "item add": "poam.edit", "item list": "poam.view", "item show": "poam.view",
    "item update": "poam.edit", "item bulk": "poam.edit",
    "item set-status": "poam.edit", "item depends": "poam.edit",
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
    "check": "poam.view", "checks rebuild": "poam.edit", "metrics": "poam.view", "report": "poam.view",
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
    "fedramp group": "poam.edit", "fedramp ungroup": "poam.edit", "fedramp report": "poam.edit",
    "fedramp coverage": "poam.view",
    "token create": "poam.view", "token list": "poam.view",  # a user's own tokens
    # Single sign-on's group table: administrators only (services/sso.py), beyond an owner.
    "sso group-add": "org.manage", "sso group-remove": "org.manage",
}
