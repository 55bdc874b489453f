"""Separate PostgreSQL roles: migrations run as the owner of the tables; app servers and
workers as a runtime role that can append to the audit trail but never rewrite it.

The runtime role gets SELECT, INSERT, UPDATE and DELETE on the product's tables, except:

- ``tracker_changeevent`` (the history): SELECT and INSERT only;
- ``tracker_chainhead``: SELECT, INSERT, and UPDATE of ``sequence`` and ``hash`` only (a
  writer locks and advances its chain's head; the owner's trigger refuses a head that goes
  back or changes its hash in place, and any DELETE);
- ``django_migrations``: SELECT only.

Not being the owner, it cannot ALTER, DROP, TRUNCATE or disable a trigger on any of them.
"""

from __future__ import annotations

from django.db import connection

from openpoam.tracker.services.actors import ServiceError

HISTORY = "tracker_changeevent"
HEADS = "tracker_chainhead"
MIGRATIONS = "django_migrations"


def grant_runtime_role(role: str) -> list[str]:
    """Grant ``role`` exactly the runtime privileges; returns the statements run."""
    if connection.vendor != "postgresql":
        raise ServiceError("--runtime-role needs PostgreSQL (DATABASE_URL): SQLite has no roles")
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    if found is None:
        raise ServiceError(f"no PostgreSQL role {role!r}: create it first (as an "
                           f"administrator: CREATE ROLE {role} LOGIN PASSWORD '...')")
    if found[0]:
        raise ServiceError(f"{role!r} is a PostgreSQL superuser: no privilege binds it; "
                           "use an ordinary role")
    if role == owner:
        raise ServiceError(f"{role!r} is the role running this set-up, which owns the "
                           "tables; the runtime role must be another one")
    statements = _statements(connection.ops.quote_name(role))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return statements


def _statements(role: str) -> list[str]:
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE ALL ON {HISTORY}, {HEADS}, {MIGRATIONS} FROM {role}",
        f"GRANT SELECT, INSERT ON {HISTORY} TO {role}",
        f"GRANT SELECT, INSERT ON {HEADS} TO {role}",
        f"GRANT UPDATE (sequence, hash) ON {HEADS} TO {role}",
        f"GRANT SELECT ON {MIGRATIONS} TO {role}",
        # Tables a later upgrade creates: usable by the runtime role too.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE "
        f"ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]


def owner_warning() -> str:
    """Why the app's database account could rewrite the audit trail, or "" when it could
    not: it owns the history table, or is a superuser. PostgreSQL only."""
    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, superuser = cursor.fetchone()
        cursor.execute("SELECT pg_has_role(current_user, tableowner, 'USAGE') FROM pg_tables "
                       "WHERE tablename = %s AND schemaname = current_schema()", [HISTORY])
        owns = cursor.fetchone()
    if superuser:
        return (f"the app connects to PostgreSQL as {user}, a superuser: it could disable the "
                "audit trail's trigger, rewrite or truncate the history")
    if owns and owns[0]:
        return (f"the app connects to PostgreSQL as {user}, which owns the audit trail's "
                "tables: it could disable the trigger, rewrite or truncate the history")
    return ""
