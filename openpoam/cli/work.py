"""`openpoam work`: what waits on a person (tracker/services/my_work.py), and `openpoam
notify digest`, the daily digest of dates coming due (tracker/services/notify.py)."""

from __future__ import annotations

import os

import click

from openpoam.cli import base, output
from openpoam.cli.base import CliError, cli, echo_json, json_option, parse_date_option, with_django


@cli.command("work")
@click.option("--as", "as_user", metavar="USER",
              help="The person whose work to list (their user name); also `openpoam --as "
                   "USER work` or $OPENPOAM_USER.")
@click.option("--date", "today", callback=parse_date_option, metavar="YYYY-MM-DD",
              help="List as of this day (default: today).")
@json_option
@with_django
def work(as_user, today, as_json) -> None:
    """What waits on a person in every organization they belong to: requests to decide,
    milestones and items they own due within 14 days or overdue, items without an owner in
    organizations they own, reviews to finish, CR26 evaluations due."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from openpoam.reviews.services.my_work import my_work
    from openpoam.tracker.services.notify import absolute_url

    context = click.get_current_context()
    username = as_user or context.find_root().params.get("as_user") \
        or os.environ.get("OPENPOAM_USER")
    if not username:
        raise CliError("whose work? give --as USER (a user name, see `openpoam user list`)")
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CliError(f"no active user {username!r} (see `openpoam user list`)")
    acting = base.actor()
    if not acting.is_superuser and acting.user != user:
        # Another person's list is theirs: only the server's own operator may read it.
        raise CliError(f"{acting.name} may not list the work of {username}")
    found = my_work(user, today)
    if as_json:
        data = found.to_dict()
        for section in data["sections"]:
            for row in section["rows"]:
                row["url"] = absolute_url(row["href"])
        echo_json(data)
        return
    if not found.total:
        output.echo(f"Nothing waits on {username} "
                    f"({len(found.organizations)} organization(s), {found.today.isoformat()}).")
        return
    for section in found.sections:
        if not section.total:
            continue
        rows = ([(r.due.isoformat() + (" late" if r.overdue else "")) if r.due else "",
                 f"{r.organization}/{r.system}", r.reference, r.title]
                for r in section.rows)
        output.print_table(["Due", "Where", "Ref", "What"], rows,
                           title=f"{section.label} ({section.total})", whole=("Due", "Ref"))
        if section.more:
            output.echo(f"... {section.more} more not listed")
    output.echo(f"Open each in the browser at {absolute_url(reverse('my-work'))} "
                "(or `openpoam work --json` for each row's link).")


@cli.group()
def notify() -> None:
    """Notifications: the daily digest of dates coming due."""


@notify.command("digest")
@click.option("--date", "today", callback=parse_date_option, metavar="YYYY-MM-DD",
              help="As of this day (default: today).")
@with_django
def notify_digest(today) -> None:
    """Tell each person what they own that is due within 14 days or overdue, in the app and
    by e-mail (as their notification settings say). Run daily from cron or a timer."""
    from openpoam.reviews.services.my_work import send_due_digests

    if not base.actor().is_superuser:
        raise CliError("the daily digest is sent by the server's operator or an administrator")
    # Run here and now (the operator asked for it); the scheduler runs it daily as a job.
    sent = send_due_digests.call(today.isoformat() if today else None)
    output.echo(f"digest sent to {sent} person(s)")
