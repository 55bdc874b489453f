"""Shared pieces of the command line: Django start-up, error handling, lookups, output.

No traceback reaches a user: refusals print one line (``openpoam: ...``) on standard error
and exit 1; bad arguments exit 2; anything unexpected prints one line and writes the
details to ``cli-errors.log`` in the data folder (``--debug`` or OPENPOAM_DEBUG=1 shows
the traceback instead).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from functools import wraps

import click

from openpoam.cli import firstuse, output
# The refusals (and exit codes) live in cli/errors.py so that the modules base.py uses
# (firstuse) can raise them too; commands import them from here.
from openpoam.cli.errors import EXIT_ERROR, EXIT_USAGE, BadInput, CliError, Failed  # noqa: F401

LOG_MAX_BYTES = 5 * 1024 * 1024
_TRUE = ("1", "true", "yes", "on")


_debug = {"on": False}
# Click 8.2+ raises this for a group called without a command; older Click prints the help.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _set_debug(ctx, param, value) -> None:
    _debug["on"] = bool(value) or _debug["on"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="openpoam")
@click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=_set_debug,
              help="Show the full traceback of an unexpected error.")
@click.option("--as", "as_user", metavar="USER", help="Act as this user, with the roles they "
              "hold ($OPENPOAM_USER). Without it the command line on the server is trusted "
              "like an administrator.")
def cli(as_user: str | None) -> None:
    """OpenPOAM: Plans of Action and Milestones for CMMC, NIST SP 800-171, FedRAMP and RMF."""


def run(group: click.Group, args: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code. Never lets a traceback out."""
    # Read as settings.py reads it, without importing the settings (they make folders).
    _debug["on"] = os.environ.get("OPENPOAM_DEBUG", "").strip().lower() in _TRUE
    try:
        code = group.main(args=list(args) if args is not None else None, prog_name="openpoam",
                          standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("openpoam: aborted", err=True)
        return EXIT_ERROR
    except _NO_ARGS_IS_HELP as exc:  # `openpoam` or `openpoam item` alone: show the help
        click.echo(exc.ctx.get_help() if exc.ctx is not None else "")
        return 0
    except click.UsageError as exc:
        _show_usage_error(exc)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except BrokenPipeError:  # `openpoam item list | head`: the reader left; not an error
        _silence_stdout()
        return EXIT_ERROR
    except SystemExit as exc:  # Click exits by itself on a closed pipe
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the one place that keeps tracebacks from users
        return _unexpected(exc)
    # Without standalone mode Click catches its own Exit (`check`, `history verify`) and
    # returns the code it carries; a command's other return values are not exit codes.
    return code if isinstance(code, int) and not isinstance(code, bool) else 0


def _show_usage_error(exc: click.UsageError) -> None:
    where = exc.ctx.command_path if exc.ctx is not None else "openpoam"
    click.echo(f"openpoam: {output.one_line(exc.format_message())} "
               f"(see `{where} --help`)", err=True)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _unexpected(exc: Exception) -> int:
    if _debug["on"]:
        import traceback

        traceback.print_exception(exc)
        return EXIT_ERROR
    if isinstance(exc, OSError) and exc.filename:
        click.echo(f"openpoam: {output.one_line(exc.filename)}: {exc.strerror}", err=True)
        return EXIT_ERROR
    if type(exc).__name__ == "ImproperlyConfigured":  # a setting the user can fix
        click.echo(f"openpoam: {output.one_line(exc)}", err=True)
        return EXIT_ERROR
    where = _log_unexpected(exc)
    kind = "database error" if _is_database_error(exc) else "unexpected error"
    detail = output.one_line(str(exc).strip().splitlines()[0] if str(exc).strip() else "")[:300]
    click.echo(f"openpoam: {kind}: {type(exc).__name__}{': ' + detail if detail else ''} "
               f"(details in {where}; --debug shows them)", err=True)
    return EXIT_ERROR


def _is_database_error(exc: Exception) -> bool:
    module = type(exc).__module__
    return module.startswith(("django.db", "sqlite3", "psycopg"))


def _log_unexpected(exc: Exception) -> str:
    """Append the traceback to the data folder's error log; return where it went."""
    import tempfile
    import traceback
    from datetime import datetime, timezone
    from pathlib import Path

    try:
        from django.conf import settings

        folder = Path(settings.DATA_DIR)
    except Exception:  # noqa: BLE001 - settings themselves may be what failed
        folder = Path(tempfile.gettempdir())
    path = folder / "cli-errors.log"
    try:
        if path.exists() and path.stat().st_size > LOG_MAX_BYTES:
            path.replace(path.with_suffix(".log.1"))  # keep one older log, bounded
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now(timezone.utc).isoformat(timespec='seconds')} "
                      f"openpoam {' '.join(sys.argv[1:])}\n")
            log.write("".join(traceback.format_exception(exc)))
    except OSError:
        return "no log (the data folder is not writable)"
    return str(path)


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openpoam.settings")
    import django

    django.setup()


def with_django(func: Callable | None = None, *, database_ready: bool = True):
    """Start Django before the command and turn refusals into one-line errors.

    With ``database_ready`` (the default) a fresh database is set up first; commands that
    set up or upgrade the database themselves pass False.
    """
    if func is None:
        return lambda f: with_django(f, database_ready=database_ready)

    @wraps(func)
    def wrapper(*args, **kwargs):
        django_setup()
        from django.core.exceptions import ObjectDoesNotExist
        from django.db import OperationalError, ProgrammingError

        from openpoam.formats.base import FormatError
        from openpoam.tracker.services import ServiceError

        if database_ready:
            firstuse.ensure_database()
        try:
            return func(*args, **kwargs)
        except (ServiceError, FormatError) as exc:
            raise CliError(str(exc)) from None
        except ObjectDoesNotExist as exc:
            raise CliError(str(exc)) from None
        except (OperationalError, ProgrammingError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CliError(f"database: {first} (is it set up? `openpoam setup`)") from None

    return wrapper


def actor(name: str | None = None):
    """Who runs the command: the user named by --as / $OPENPOAM_USER (their roles apply),
    else the local operator, trusted like an administrator."""
    from openpoam.tracker.services import Actor

    context = click.get_current_context(silent=True)
    username = (context.find_root().params.get("as_user") if context else None) \
        or os.environ.get("OPENPOAM_USER")
    if username:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CliError(f"no active user {username!r} (see `openpoam user list`)")
        return Actor.for_user(user)
    return Actor.command_line(name or os.environ.get("OPENPOAM_ACTOR"))


def organization(slug: str | None):
    """The named organization; with none named, the only one there is. An organization the
    acting user may not see is reported as missing, like one that does not exist."""
    from openpoam.tracker.services.actors import visible_organizations

    organizations = visible_organizations(actor())
    slug = slug or os.environ.get("OPENPOAM_ORG")
    if slug:
        org = organizations.filter(slug=slug).first()
        if org is None:
            raise CliError(f"no organization {slug!r} (see `openpoam org list`)")
        return org
    orgs = list(organizations[:2])
    if len(orgs) == 1:
        return orgs[0]
    raise CliError("name the organization with --org (see `openpoam org list`)")


def system(org, slug: str | None):
    from openpoam.tracker.models import System

    if slug:
        found = System.objects.filter(organization=org, slug=slug).first()
        if found is None:
            raise CliError(f"{org.slug} has no system {slug!r} (see `openpoam system list`)")
        return found
    systems = list(System.objects.filter(organization=org)[:2])
    if len(systems) == 1:
        return systems[0]
    raise CliError(f"name the system with --system (see `openpoam system list --org {org.slug}`)")


def item(org, poam_id: str):
    from openpoam.tracker.models import PoamItem

    found = PoamItem.objects.filter(organization=org, poam_id=poam_id.strip().upper()).first()
    if found is None:
        raise CliError(f"{org.slug} has no POA&M item {poam_id!r}")
    return found


def echo_json(data) -> None:
    from openpoam.tracker.documents import to_jsonable

    sys.stdout.write(output.json_text(json.dumps(to_jsonable(data), indent=2,
                                                 ensure_ascii=False)))
    sys.stdout.write("\n")


def echo_json_listing(data: dict, key: str, entries) -> None:
    """``echo_json({**data, key: list(entries)})``, the same text, written an entry at a
    time: for a list too long to hold (``entries`` may be read from a file)."""
    from openpoam.tracker.documents import to_jsonable

    def write(text: str) -> None:
        sys.stdout.write(output.json_text(text))

    marker = f"entries-{os.urandom(16).hex()}"  # stands in for the list in the frame
    head, tail = json.dumps(to_jsonable({**data, key: marker}), indent=2,
                            ensure_ascii=False).split(f'"{marker}"')
    write(head)
    count = 0
    for entry in entries:  # a list under a top-level key: its entries indented 4 spaces
        text = json.dumps(to_jsonable(entry), indent=2, ensure_ascii=False)
        # Split on "\n" alone: a value may hold U+2028, a line break to str.splitlines.
        write(("[\n" if count == 0 else ",\n") + "\n".join("    " + line
                                                           for line in text.split("\n")))
        count += 1
    write("\n  ]" if count else "[]")
    write(tail)
    sys.stdout.write("\n")


def parse_date_option(ctx, param, value):
    from openpoam.domain.dates import DateError, parse_iso_date

    if value is None:
        return None
    try:
        return parse_iso_date(value.strip())
    except DateError as exc:
        raise click.BadParameter(str(exc)) from None


class LazyChoice(click.Choice):
    """A choice whose values are read when first needed (the list filters, the format
    registry), so `openpoam --help` and the database-free commands stay fast."""

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load
        super().__init__([])

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(self._load())

    @choices.setter
    def choices(self, value) -> None:
        pass


def _list_filter(name: str) -> Callable[[], list[str]]:
    def load() -> list[str]:
        django_setup()  # the filters module reads the models: `item list --help` runs first
        from openpoam.tracker import filters

        values = getattr(filters, name)
        if isinstance(values, dict):
            return list(values)
        return [key for key, _ in values if key]
    return load


def _formats(kind: str) -> Callable[[], list[str]]:
    def load() -> list[str]:
        from openpoam.formats import registry

        known = registry.default()
        if kind == "exporters":  # POA&M formats and the FedRAMP CR26 reports (cr26-vdt ...)
            return sorted([*known.exporters, *known.report_exporters])
        return known.importer_keys()
    return load


LIST_STATUS = LazyChoice(_list_filter("STATUS_CHOICES"))
LIST_RISK = LazyChoice(_list_filter("RISK_CHOICES"))
LIST_SORT = LazyChoice(_list_filter("SORTS"))
EXPORT_FORMAT = LazyChoice(_formats("exporters"))
IMPORT_FORMAT = LazyChoice(_formats("importers"))

org_option = click.option("--org", "org_slug", help="Organization slug (default: the only one, "
                          "or $OPENPOAM_ORG).")
system_option = click.option("--system", "system_slug", help="System slug (default: the only "
                             "one of the organization).")
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def output_rows(rows: list[dict], as_json: bool, columns: list[str]) -> None:
    if as_json:
        echo_json(rows)
        return
    output.print_table(columns, ([row.get(c, "") for c in columns] for row in rows))
