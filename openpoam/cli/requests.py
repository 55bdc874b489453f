"""`openpoam request create|list|decide`: risk acceptance, false positive and deviation
requests (risk adjustment, operational requirement). One person asks, another decides:
the service (tracker/services/requests.py) checks the roles and that separation; run as a
user with `--as USER` (or $OPENPOAM_USER) so the decision names who made it."""

from __future__ import annotations

import click

from openpoam.cli import base, output
from openpoam.cli.base import (cli, echo_json, json_option, org_option, parse_date_option,
                               with_django)

KINDS = ("risk_acceptance", "false_positive", "risk_adjustment", "operational_requirement")
STATES = ("pending", "approved", "rejected", "withdrawn")
DECISIONS = ("approve", "reject", "withdraw")
RISKS = ("low", "moderate", "high", "critical")


@cli.group()
def request() -> None:
    """Requests one person makes and another decides (risk acceptance, deviations)."""


@request.command("create")
@click.argument("poam_id")
@click.argument("request_kind", metavar="KIND", type=click.Choice(KINDS))
@org_option
@click.option("--rationale", required=True, help="Why: kept with the request and the item.")
@click.option("--review-date", callback=parse_date_option,
              help="When the accepted risk is reviewed (risk acceptance: required).")
@click.option("--proposed-risk", type=click.Choice(RISKS), default=None,
              help="The proposed risk level (risk adjustment: required).")
@json_option
@with_django
def request_create(poam_id, request_kind, org_slug, rationale, review_date, proposed_risk,
                   as_json) -> None:
    """Ask for KIND on item POAM_ID; an owner other than you decides it."""
    from openpoam.tracker.services import requests

    made = requests.request_approval(base.actor(), base.item(base.organization(org_slug),
                                                             poam_id),
                                     request_kind, rationale, review_date=review_date,
                                     proposed_risk=proposed_risk or "")
    if as_json:
        echo_json(requests.request_dict(made))
        return
    output.echo(f"request {made.pk}: {made.get_kind_display()} of {made.item.poam_id} is "
                "pending; an owner other than you decides it "
                f"(`openpoam request decide {made.pk} approve|reject`)")


@request.command("list")
@org_option
@click.option("--state", type=click.Choice(STATES), help="Only requests in this state.")
@click.option("--item", "poam_id", default="", help="Only the requests of this item.")
@json_option
@with_django
def request_list(org_slug, state, poam_id, as_json) -> None:
    """An organization's requests, newest first."""
    from openpoam.tracker.services import requests

    found = requests.requests_in(base.organization(org_slug), state=state or "",
                                 poam_id=poam_id)
    rows = [requests.request_dict(r) for r in found]
    if as_json:
        echo_json(rows)
        return
    output.print_table(["ID", "Item", "Kind", "State", "Asked by", "Decided by", "Rationale"],
                       ([str(r["id"]), r["poam_id"], r["kind_label"], r["state"],
                         r["requested_by"], r["decided_by"], r["rationale"]] for r in rows),
                       whole=("ID", "Item", "State"))


@request.command("decide")
@click.argument("request_id", type=click.IntRange(min=1))
@click.argument("decision", type=click.Choice(DECISIONS))
@org_option
@click.option("--note", default="", help="The reason (required to reject).")
@json_option
@with_django
def request_decide(request_id, decision, org_slug, note, as_json) -> None:
    """Approve (and apply), reject or withdraw request REQUEST_ID."""
    from openpoam.tracker.services import requests

    decided = requests.answer_in(base.actor(), base.organization(org_slug), request_id,
                                 decision, note)
    if as_json:
        echo_json(requests.request_dict(decided))
        return
    output.echo(f"request {decided.pk}: {decided.get_kind_display()} of "
                f"{decided.item.poam_id} {decided.state}")
