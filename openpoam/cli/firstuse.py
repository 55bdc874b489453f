"""First use of a data folder: the first command sets the database up, once, safely.

A laptop user runs `openpoam org create ...` on a fresh folder and expects it to work, so a
database with no tables is set up on first use (a note goes to standard error, so --json
output stays clean). A database made by an older version is not upgraded behind the user's
back: the command says to run `openpoam setup` (after a backup).

Two commands started at once on a fresh folder must not both create the tables, so setting
up holds a lock: a file lock beside the SQLite database (the `filelock` library: portable,
and released by the OS if the process dies), or an advisory lock on PostgreSQL, which also
covers app servers on other machines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from openpoam.cli import output
from openpoam.cli.errors import CliError

LOCK_WAIT_SECONDS = 600  # a first set-up takes seconds; an upgrade of a big database longer
_PG_LOCK_KEY = 0x6F70_6F61_6D00  # "opoam": one advisory lock key for set-up
_checked = {"done": False}


def ensure_database() -> None:
    """Set up a fresh database; refuse (one line) to run on one that needs an upgrade."""
    if _checked["done"]:
        return
    from django.db import connection

    if _pending(connection):
        with setup_lock(connection):
            if _pending(connection):  # another process may have set it up meanwhile
                _first_setup(connection)
    _checked["done"] = True


def migrate() -> None:
    """Create or upgrade the database under the set-up lock (`openpoam setup`)."""
    from django.core.management import call_command
    from django.db import connection

    with setup_lock(connection):
        call_command("migrate", interactive=False, verbosity=0)
    _checked["done"] = True


def _first_setup(connection) -> None:
    from django.core.management import call_command

    if _applied(connection):
        raise CliError(f"the database at {describe(connection)} was made by an older version "
                       "of OpenPOAM: back it up, then run `openpoam setup` to upgrade it")
    output.echo(f"openpoam: first use: setting up a new database at {describe(connection)}",
                err=True)
    call_command("migrate", interactive=False, verbosity=0)


def _executor(connection):
    from django.db.migrations.executor import MigrationExecutor

    return MigrationExecutor(connection)


def _pending(connection) -> bool:
    executor = _executor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _applied(connection) -> bool:
    return bool(_executor(connection).loader.applied_migrations)


def describe(connection) -> str:
    """Where the database is, for messages (never a password)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(settings["NAME"])
    host = settings.get("HOST") or "localhost"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"{connection.vendor} {host}{port}/{settings.get('NAME')}"


@contextmanager
def setup_lock(connection) -> Iterator[None]:
    if connection.vendor == "postgresql":
        with _advisory_lock(connection):
            yield
    elif connection.vendor == "sqlite" and not connection.is_in_memory_db():
        with _file_lock(Path(connection.settings_dict["NAME"])):
            yield
    else:
        yield


@contextmanager
def _file_lock(database: Path) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(database) + ".setup-lock", timeout=LOCK_WAIT_SECONDS)
    try:
        lock.acquire()
    except Timeout:
        raise CliError(f"another openpoam command has been setting up {database} for "
                       f"{LOCK_WAIT_SECONDS} seconds; try again when it has finished") from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _advisory_lock(connection) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_PG_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_PG_LOCK_KEY])
