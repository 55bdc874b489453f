"""`openpoam check | metrics | report | remind | review | snapshot | calendar`: the monthly
cadence from the command line. Stored text is printed as data (never as Rich markup)."""

from __future__ import annotations

from pathlib import Path

import click

from openpoam.cli import base
from openpoam.cli.base import (CliError, cli, json_option, org_option, parse_date_option,
                               system_option, with_django)


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _table(rows: list[dict], columns: list[str]) -> None:
    """A table whose every cell is plain text: scanner output may contain [brackets]."""
    from rich.table import Table
    from rich.text import Text

    table = Table()
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(Text(str(row.get(c, "") if row.get(c) is not None else ""))
                        for c in columns))
    _console().print(table)


def _say(text: str) -> None:
    _console().print(text, markup=False)


def _system(org_slug, system_slug, action: str = "poam.view"):
    """The named system, once the acting user is known to be allowed ``action`` there."""
    from openpoam.tracker.services.actors import require

    org_ = base.organization(org_slug)
    require(base.actor(), org_, action)
    return base.system(org_, system_slug)


# ---- check, metrics, report ------------------------------------------------------------------


@cli.command()
@org_option
@system_option
@json_option
@click.option("--today", callback=parse_date_option, help="Check as of this date (YYYY-MM-DD).")
@click.option("--emass", is_flag=True, help="Also check what eMASS refuses on import (always "
              "done for RMF systems).")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error",
              show_default=True, help="Exit 1 on an error, or also on a warning.")
@with_django
def check(org_slug, system_slug, as_json, today, emass, fail_on) -> None:
    """Quality checks of a system's POA&M; exits 1 when an error-level check fails
    (--fail-on warning: any finding)."""
    from django.utils import timezone

    from openpoam.reviews.services.quality import spooled_gate

    # The issues come back from a spool file: a large POA&M has hundreds of thousands.
    with spooled_gate(_system(org_slug, system_slug), today or timezone.localdate(),
                      emass=emass, fail_on=fail_on) as (result, issues):
        if as_json:
            base.echo_json_listing(result, "issues", issues)
        else:
            _table(list(issues), ["severity", "poam_id", "code", "message", "hint"])
            _say(f"{result['errors']} error(s), {result['warnings']} warning(s)")
    if not result["passed"]:
        raise base.Failed()


@cli.command()
@org_option
@system_option
@json_option
@click.option("--today", callback=parse_date_option, help="As of this date (YYYY-MM-DD).")
@with_django
def metrics(org_slug, system_slug, as_json, today) -> None:
    """Progress metrics: open by risk and age, time to remediate, slips, forecast."""
    from django.utils import timezone

    from openpoam.reviews.services.metrics import system_metrics

    result = system_metrics(_system(org_slug, system_slug), today or timezone.localdate())
    if as_json:
        base.echo_json(result.to_dict())
        return
    _say(f"Open items: {result.open_total} ({result.overdue_items} past their date)")
    _table([{"risk": k, "open": v} for k, v in result.open_by_risk.items()], ["risk", "open"])
    _table([{"age": k, "open": v} for k, v in result.open_by_age.items()], ["age", "open"])
    _table([{"risk": k, **v} for k, v in result.days_to_remediate.items()],
           ["risk", "count", "mean", "median"])
    share = result.on_time_share
    _say(f"Milestones met on their original date: {result.milestones_met_on_time} of "
         f"{result.milestones_due}" + (f" ({share:.0%})" if share is not None else ""))
    _say(f"Milestone dates moved later: {len(result.slipped)}")
    if result.score_trend:
        _say("SPRS score: " + ", ".join(f"{d.isoformat()} {s}" for d, s in result.score_trend))
    _say(f"Forecast: {result.forecast.message}")


@cli.command()
@org_option
@system_option
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the executive report as PDF here.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write it as HTML here.")
@with_django
def report(org_slug, system_slug, pdf_path, html_path) -> None:
    """The executive report for leadership (PDF and/or HTML)."""
    from openpoam.reviews.services import report as reports

    system_ = _system(org_slug, system_slug)
    if not pdf_path and not html_path:
        raise CliError("say where to write the report: --pdf FILE and/or --html FILE")
    if html_path:
        _write(html_path, reports.report_html(base.actor(), system_).encode())
    if pdf_path:
        _write(pdf_path, reports.report_pdf(base.actor(), system_))
    for path in (html_path, pdf_path):
        if path:
            _say(f"wrote {path}")


def _write(path: Path, content: bytes) -> None:
    import os
    import tempfile

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CliError(f"{path}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(content)
        os.replace(tmp, path)
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@cli.command()
@org_option
@click.option("--dry-run", is_flag=True, help="List the digests without sending them.")
@click.option("--today", callback=parse_date_option, help="As of this date (YYYY-MM-DD).")
@with_django
def remind(org_slug, dry_run, today) -> None:
    """E-mail each owner one digest: milestones due in 7 days, overdue and stale items."""
    from django.conf import settings

    from openpoam.reviews.services.reminders import send_reminders

    from openpoam.tracker.services.actors import require

    actor = base.actor()
    org_ = base.organization(org_slug) if org_slug else None
    if org_ is not None:
        require(actor, org_, "org.manage")
    elif not actor.is_superuser:
        raise CliError("name the organization with --org: reminding every organization is "
                       "for the server's administrator")
    sent = send_reminders(today, org_, dry_run=dry_run)
    verb = "would send" if dry_run else "sent"
    for digest in sent:
        _say(f"{verb} to {digest.person.email}: {digest.subject()}")
    _say(f"{len(sent)} digest(s) {verb}")
    if not dry_run and sent and settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        _console(stderr=True).print("no mail server is set (OPENPOAM_EMAIL_HOST): the messages "
                                    "were printed above instead of sent", markup=False)


# ---- reviews ---------------------------------------------------------------------------------


@cli.group()
def review() -> None:
    """The monthly review: start, walk the open items, finish into a snapshot."""


def _review(system_, month: str):
    from openpoam.reviews.models import Review
    from openpoam.reviews.services.review import parse_month

    found = Review.objects.filter(system=system_, month=parse_month(month)).first()
    if found is None:
        raise CliError(f"{system_.slug} has no review for {month} (see `openpoam review list`)")
    return found


@review.command("start")
@click.argument("month")
@org_option
@system_option
@with_django
def review_start(month, org_slug, system_slug) -> None:
    """Start the review of MONTH (YYYY-MM)."""
    from openpoam.reviews.services.review import open_items, parse_month, start_review

    started = start_review(base.actor(), _system(org_slug, system_slug, "poam.edit"),
                           parse_month(month))
    _say(f"review {started.month:%Y-%m} started: {open_items(started).count()} open item(s) "
         "to walk")


@review.command("list")
@org_option
@system_option
@json_option
@with_django
def review_list(org_slug, system_slug, as_json) -> None:
    """Reviews of a system, newest first."""
    from openpoam.reviews.services.review import review_dict

    system_ = _system(org_slug, system_slug)
    rows = [review_dict(r) for r in system_.reviews.select_related("snapshot")]
    if as_json:
        base.echo_json(rows)
    else:
        _table([{**r, "finished": r["finished_at"] or ""} for r in rows],
               ["month", "started_by", "entries", "finished", "snapshot_sha256"])


@review.command("show")
@click.argument("month")
@org_option
@system_option
@json_option
@with_django
def review_show(month, org_slug, system_slug, as_json) -> None:
    """Each open item of the review and what was done with it."""
    from openpoam.reviews.services.review import progress_dict

    state = progress_dict(_review(_system(org_slug, system_slug), month))
    if as_json:
        base.echo_json(state)
        return
    _table(state["items"], ["poam_id", "title", "action", "by", "note"])
    _say(f"{state['done']} of {state['total']} reviewed")


def _entry_command(action: str, help_text: str):
    @review.command(action, help=help_text)
    @click.argument("month")
    @click.argument("poam_ids", nargs=-1, required=True)
    @click.option("--note", default="", help="What was checked or decided.")
    @org_option
    @system_option
    @with_django
    def command(month, poam_ids, note, org_slug, system_slug) -> None:
        from openpoam.reviews.services.review import record_entry

        system_ = _system(org_slug, system_slug, "poam.edit")
        the_review = _review(system_, month)
        for poam_id in poam_ids:
            record_entry(base.actor(), the_review, base.item(system_.organization, poam_id),
                         _ACTIONS[action], note)
            _say(f"{poam_id.upper()}: {_ACTIONS[action]}")

    return command


_ACTIONS = {"confirm": "confirmed", "update": "updated", "escalate": "escalated"}
_entry_command("confirm", "Confirm items as reviewed: plan, owner and dates still hold.")
_entry_command("update", "Mark items as updated in this review (after changing them).")
_entry_command("escalate", "Escalate items (--note says why and to whom).")


@review.command("finish")
@click.argument("month")
@click.option("--summary", default="", help="The review's conclusion.")
@click.option("--allow-unreviewed", is_flag=True,
              help="Finish although some open items were not walked (--summary says why).")
@org_option
@system_option
@with_django
def review_finish(month, summary, allow_unreviewed, org_slug, system_slug) -> None:
    """Finish the review: freeze the POA&M into an immutable snapshot."""
    from openpoam.reviews.services.review import finish_review

    done = finish_review(base.actor(), _review(_system(org_slug, system_slug, "poam.edit"),
                                               month), summary,
                         allow_unreviewed=allow_unreviewed)
    _say(f"review {done.month:%Y-%m} finished; snapshot {done.snapshot.pk} "
         f"({done.snapshot.item_count} items) sha256 {done.snapshot.sha256}")


# ---- snapshots -------------------------------------------------------------------------------


@cli.group()
def snapshot() -> None:
    """Frozen POA&Ms: take, list, compare, export (the monthly deliverable)."""


def _snapshot(system_, number: int):
    found = system_.snapshots.filter(pk=number).first()
    if found is None:
        raise CliError(f"{system_.slug} has no snapshot {number} (see `openpoam snapshot list`)")
    return found


@snapshot.command("take")
@click.option("--label", default="", help="What the snapshot is for.")
@org_option
@system_option
@with_django
def snapshot_take(label, org_slug, system_slug) -> None:
    """Freeze the POA&M now."""
    from openpoam.reviews.services.review import take_snapshot

    taken = take_snapshot(base.actor(), _system(org_slug, system_slug, "poam.edit"), label)
    _say(f"snapshot {taken.pk}: {taken.item_count} items, sha256 {taken.sha256}")


@snapshot.command("list")
@org_option
@system_option
@json_option
@with_django
def snapshot_list(org_slug, system_slug, as_json) -> None:
    """Snapshots of a system, newest first."""
    from openpoam.reviews.services.review import snapshot_dict

    rows = [snapshot_dict(s) for s in _system(org_slug, system_slug).snapshots.defer("content")]
    if as_json:
        base.echo_json(rows)
    else:
        _table(rows,
               ["id", "label", "taken_at", "taken_by", "items", "open", "sha256"])


@snapshot.command("compare")
@click.argument("old", type=int)
@click.argument("new", type=int)
@org_option
@system_option
@json_option
@with_django
def snapshot_compare(old, new, org_slug, system_slug, as_json) -> None:
    """What changed between two snapshots: new, closed, slipped, risk and owner changes."""
    from openpoam.reviews.services.review import compare_snapshots

    system_ = _system(org_slug, system_slug)
    diff = compare_snapshots(base.actor(), _snapshot(system_, old), _snapshot(system_, new))
    if as_json:
        base.echo_json(diff)
        return
    _say(f"New: {', '.join(diff.new) or 'none'}")
    _say(f"Closed: {', '.join(f'{c.poam_id} ({c.new})' for c in diff.closed) or 'none'}")
    if diff.reopened:
        _say(f"Reopened: {', '.join(c.poam_id for c in diff.reopened)}")
    if diff.removed:
        _say(f"Deleted: {', '.join(diff.removed)}")
    _table([{"item": s.poam_id, "what": s.what, "from": s.old, "to": s.new,
             "why": "; ".join(s.justifications)} for s in diff.slipped],
           ["item", "what", "from", "to", "why"])
    for title, changes in (("Risk changed", diff.risk_changed),
                           ("Owner changed", diff.owner_changed)):
        for c in changes:
            _say(f"{title}: {c.poam_id} {c.old or '(none)'} -> {c.new or '(none)'}")


@snapshot.command("export")
@click.argument("number", type=int)
@click.argument("format_key")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
@org_option
@system_option
@with_django
def snapshot_export(number, format_key, output, org_slug, system_slug) -> None:
    """Write snapshot NUMBER in any export format (e.g. fedramp-xlsx, oscal-json)."""
    import io

    from openpoam.reviews.services.review import export_snapshot

    system_ = _system(org_slug, system_slug, "poam.export")
    buffer = io.BytesIO()
    warnings = export_snapshot(base.actor(), _snapshot(system_, number), format_key, buffer)
    _write(output, buffer.getvalue())
    for warning in warnings:
        _console(stderr=True).print(f"warning: {warning}", markup=False)
    _say(f"wrote {output}")


# ---- calendar feeds --------------------------------------------------------------------------


@cli.group()
def calendar() -> None:
    """Private iCalendar feeds of milestones (per system or per owner)."""


@calendar.command("create")
@org_option
@system_option
@click.option("--owner", help="A person's name: their own milestones instead of the system's.")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True,
              help="Where the app is served, to print the whole URL.")
@with_django
def calendar_create(org_slug, system_slug, owner, base_url) -> None:
    """Create a feed; its private URL is printed once, on the last line."""
    from django.urls import reverse

    from openpoam.reviews.services.calendar import create_feed
    from openpoam.tracker.models import Person

    org_ = base.organization(org_slug)
    if owner:
        person = Person.objects.filter(organization=org_, name=owner.strip()).first()
        if person is None:
            raise CliError(f"{org_.slug} has no person named {owner!r} (see `openpoam person "
                           "list`)")
        feed, token = create_feed(base.actor(), person=person)
    else:
        feed, token = create_feed(base.actor(), system=base.system(org_, system_slug))
    _say(f"calendar feed {feed.pk} of {feed.subject} (revoke: openpoam calendar revoke "
         f"{feed.pk})")
    click.echo(base_url.rstrip("/") + reverse("calendar-feed", args=[token]))


@calendar.command("list")
@org_option
@json_option
@with_django
def calendar_list(org_slug, as_json) -> None:
    """Active feeds (the tokens are not shown again)."""
    from openpoam.reviews.services.calendar import feeds

    rows = [{"id": f.pk, "of": f.subject, "starts": f.hint + "…", "created_by": f.created_by,
             "created_at": f.created_at.isoformat(timespec="seconds")}
            for f in feeds(base.actor(), base.organization(org_slug))]
    if as_json:
        base.echo_json(rows)
    else:
        _table(rows, ["id", "of", "starts", "created_by", "created_at"])


@calendar.command("revoke")
@click.argument("feed_id", type=int)
@org_option
@with_django
def calendar_revoke(feed_id, org_slug) -> None:
    """Revoke a feed: its URL stops working at once."""
    from openpoam.reviews.models import CalendarFeed
    from openpoam.reviews.services.calendar import revoke_feed

    org_ = base.organization(org_slug)
    feed = CalendarFeed.objects.filter(organization=org_, pk=feed_id).first()
    if feed is None:
        raise CliError(f"{org_.slug} has no calendar feed {feed_id}")
    revoke_feed(base.actor(), feed)
    _say(f"calendar feed {feed_id} revoked")


# ---- checks rebuild ---------------------------------------------------------------------------


@cli.group("checks")
def checks_group() -> None:
    """The quality checks' stored results (kept with every change; rebuilt here)."""


@checks_group.command("rebuild")
@org_option
@system_option
@with_django
def checks_rebuild(org_slug, system_slug) -> None:
    """Work out the stored quality-check results again: of one system, of every system of
    an organization (--org without --system), or of every system (neither; an
    administrator only). `openpoam setup` does it after an upgrade."""
    from openpoam.tracker.models import System
    from openpoam.tracker.services import item_checks
    from openpoam.tracker.services.actors import require

    if org_slug is None and system_slug is None:
        if not base.actor().is_superuser:
            raise CliError("name the organization with --org")
        systems = list(System.objects.select_related("organization").order_by("pk"))
    else:
        org_ = base.organization(org_slug)
        require(base.actor(), org_, "poam.edit")
        systems = ([base.system(org_, system_slug)] if system_slug
                   else list(System.objects.filter(organization=org_).order_by("pk")))
    for system in systems:
        rows = item_checks.rebuild(system)
        _say(f"{system.organization.slug}/{system.slug}: {rows} stored check results")
