"""Set-up, demo data, accounts and the web server."""

from __future__ import annotations

import errno

import click

from openpoam.cli import base, firstuse, output
from openpoam.cli.base import CliError, cli, with_django


@cli.command()
@click.option("--runtime-role", "runtime_role", metavar="NAME",
              help="PostgreSQL: grant this role what app servers and workers need, and no "
                   "more (append to the audit trail, never rewrite it). Run set-up as the "
                   "owner role, the app as NAME.")
@with_django(database_ready=False)
def setup(runtime_role: str | None) -> None:
    """Create or upgrade the database (idempotent); create the checkpoint signing key."""
    from openpoam.tracker.services import checkpoints, db_roles, item_checks

    _migrate()
    click.echo("database ready")
    for system in item_checks.bring_up_to_date():
        click.echo(f"quality checks of {system[0].organization.slug}/{system[0].slug} "
                   f"stored again: {system[1]:,} results")
    _key, created = checkpoints.ensure_key()
    if created:
        click.echo(f"checkpoint signing key created: {checkpoints.key_path()} "
                   f"(fingerprint {checkpoints.public_key_info()['fingerprint']})")
    if runtime_role:
        db_roles.grant_runtime_role(runtime_role)
        click.echo(f"runtime role {runtime_role}: may read and append to the audit trail, "
                   "never update, delete, truncate, alter or drop it")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
@with_django
def serve(host: str, port: int, threads: int) -> None:
    """Serve the web app (waitress; static files by WhiteNoise)."""
    _serve(host, port, threads)


@cli.command()
@with_django(database_ready=False)
def demo() -> None:
    """Load the demo organization (a small defense contractor). Loads only once."""
    from openpoam.tracker import demo as demo_data

    _migrate()
    output.echo(demo_data.load())


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@with_django(database_ready=False)
def start(host: str, port: int) -> None:
    """First run: set up the database, load the demo, create an admin, serve."""
    from openpoam.tracker import demo as demo_data

    _migrate()
    output.echo(demo_data.load())
    _ensure_admin("admin", reset=False)
    owner = demo_data.make_owner("admin")
    if owner:
        output.echo(owner)
    _serve(host, port, 8, with_worker=True)


@cli.command("create-admin")
@click.option("--username", default="admin", show_default=True)
@click.option("--reset", is_flag=True, help="Give an existing account a new password.")
@with_django(database_ready=False)
def create_admin(username: str, reset: bool) -> None:
    """Create an administrator account and print its password once."""
    _migrate()
    _ensure_admin(username, reset=reset)


def _ensure_admin(username: str, *, reset: bool) -> None:
    from django.contrib.auth import get_user_model

    from openpoam.accounts.services import users

    user = get_user_model().objects.filter(username=username).first()
    if user is not None and not reset:
        output.echo(f"admin account {username!r} exists (new password: "
                    f"`openpoam create-admin --username {username} --reset`)")
        return
    if user is None:
        _created, password = users.create_user(base.actor(), username, superuser=True)
    else:
        password = users.reset_password(base.actor(), user)
    click.secho(f"admin account: {username}  password: {password}  (shown once; keep it)",
                fg="yellow", bold=True)


def _migrate() -> None:
    firstuse.migrate()


def _share_malloc_arenas() -> None:
    """Let the server's threads share one glibc malloc arena (M_ARENA_MAX=1).

    By default glibc gives each thread its own arena, up to 8 per core, and keeps what a
    thread freed in that thread's arena. A large export (the FedRAMP workbook parses its
    4,000-row template into about 170 MB of XML) then stays resident once per thread that
    ever served one: 8 threads, over 1 GB after an hour of use. One shared arena reuses the
    memory instead (the threads take turns on Python's lock anyway). MALLOC_ARENA_MAX in the environment, if set, wins (glibc reads it
    itself); elsewhere than glibc this does nothing."""
    import ctypes
    import ctypes.util
    import os

    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_ARENA_MAX, 1)
    except (OSError, AttributeError):
        pass


M_ARENA_MAX = -8  # glibc's malloc.h


def _freeze_startup_objects() -> None:
    """Leave what start-up made (Django, the URL table, templates' modules: a few hundred
    thousand objects that live as long as the process) out of the garbage collector's
    passes. Every request allocates many objects, and each full pass walked all of those
    again: a measurable part of a request's CPU on a busy server."""
    import gc

    gc.collect()
    gc.freeze()


def _serve(host: str, port: int, threads: int, *, with_worker: bool = False) -> None:
    from waitress.server import create_server

    from openpoam import proxies
    from openpoam.wsgi import application

    _share_malloc_arenas()  # before waitress starts its threads
    proxies.trusted_networks()  # a bad OPENPOAM_TRUSTED_PROXIES stops here, not per request

    try:
        # Waitress would drop every X-Forwarded-* header (it trusts one proxy address at most);
        # openpoam.proxies decides instead, from OPENPOAM_TRUSTED_PROXIES, for any server.
        server = create_server(application, host=host, port=port, threads=threads,
                               ident="OpenPOAM", clear_untrusted_proxy_headers=False)
    except OSError as exc:
        raise CliError(f"cannot serve on {host}:{port}: {exc.strerror or exc}"
                       + (" (another server is using it; choose another --port)"
                          if exc.errno == errno.EADDRINUSE else "")) from None
    worker = heart = None
    if with_worker:  # the laptop: one background worker (and the scheduler) in this process
        from openpoam.jobs import worker as job_worker

        worker, heart = job_worker.run(in_thread=True, scheduler=True)
    click.echo(f"OpenPOAM on http://{host}:{port}/  (Ctrl+C stops it)")
    _freeze_startup_objects()
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.close()
        if worker is not None:
            worker.running = False
            heart.stopping.set()
