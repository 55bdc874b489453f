"""Organizations, systems, people, POA&M items, milestones, evidence and history."""

from __future__ import annotations

from pathlib import Path

import click
from rich.text import Text

from openpoam.cli import base, output
from openpoam.cli.base import (CliError, cli, echo_json, json_option, org_option,
                               output_rows, parse_date_option, system_option, with_django)
from openpoam.domain.poam import Framework, Status


# ---- organizations, systems, people -------------------------------------------------------

@cli.group()
def org() -> None:
    """Organizations (tenants)."""


@org.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@with_django
def org_create(slug: str, name: str) -> None:
    """Create an organization: SLUG names it in every command, --name is shown."""
    from openpoam.tracker.services import setup

    created = setup.create_organization(base.actor(), slug, name)
    output.echo(f"created organization {created.slug}")


@org.command("list")
@json_option
@with_django
def org_list(as_json: bool) -> None:
    """The organizations you may see."""
    from openpoam.tracker.services.actors import visible_organizations

    rows = [{"slug": o.slug, "name": o.name, "systems": o.systems.count()}
            for o in visible_organizations(base.actor())]
    output_rows(rows, as_json, ["slug", "name", "systems"])


@cli.group()
def system() -> None:
    """Information systems (enclaves) of an organization."""


@system.command("create")
@click.argument("slug")
@org_option
@click.option("--name", required=True)
@click.option("--framework", required=True, type=click.Choice([f.value for f in Framework]),
              help="The framework the system's POA&M answers to.")
@click.option("--acronym", default="")
@click.option("--impact", "impact_level", type=click.Choice(["Low", "Moderate", "High"]))
@click.option("--designation", type=click.Choice(["internal", "official"]), default="internal",
              show_default=True)
@click.option("--propose-closure", is_flag=True,
              help="Scans only propose closing items; a person confirms.")
@with_django
def system_create(slug, org_slug, name, framework, acronym, impact_level, designation,
                  propose_closure) -> None:
    """Create a system (enclave) of an organization under one framework."""
    from openpoam.tracker.services import setup

    created = setup.create_system(base.actor(), base.organization(org_slug), slug=slug,
                                  name=name, framework=framework, acronym=acronym,
                                  impact_level=impact_level or "", designation=designation,
                                  auto_close=not propose_closure)
    output.echo(f"created system {created.organization.slug}/{created.slug}")


@system.command("list")
@org_option
@json_option
@with_django
def system_list(org_slug, as_json) -> None:
    """The systems of an organization."""
    from openpoam.tracker.models import System

    rows = [{"slug": s.slug, "name": s.name, "framework": s.framework,
             "designation": s.designation_enum.label, "items": s.items.count()}
            for s in System.objects.filter(organization=base.organization(org_slug))]
    output_rows(rows, as_json, ["slug", "name", "framework", "designation", "items"])


@cli.group()
def person() -> None:
    """People who own items and milestones."""


@person.command("add")
@click.argument("name")
@org_option
@click.option("--email", default="")
@click.option("--title", default="")
@click.option("--user", "username", default="", metavar="USER",
              help="The account (a member) this person signs in as: their work and "
                   "notifications reach it.")
@with_django
def person_add(name, org_slug, email, title, username) -> None:
    """Add a person who can own items and milestones or approve risk decisions."""
    from openpoam.accounts.services.users import user_named
    from openpoam.tracker.services import setup

    org_ = base.organization(org_slug)
    added = setup.add_person(base.actor(), org_, name, email=email, title=title,
                             user=user_named(username) if username else None)
    output.echo(f"added {added.name}")


@person.command("link")
@click.argument("name")
@org_option
@click.option("--user", "username", default="", metavar="USER",
              help="The account this person signs in as; without it the link is removed.")
@with_django
def person_link(name, org_slug, username) -> None:
    """Say which account a person signs in as (what they own shows in `openpoam work`)."""
    from openpoam.accounts.services.users import user_named
    from openpoam.tracker.models import Person
    from openpoam.tracker.services import people
    from openpoam.tracker.services.actors import require

    org_ = base.organization(org_slug)
    require(base.actor(), org_, "poam.edit")
    found = Person.objects.filter(organization=org_, name__iexact=name.strip()).first()
    if found is None:
        raise CliError(f"{org_.slug} has no person named {name!r} (see `openpoam person list`)")
    people.link_user(base.actor(), found, user_named(username) if username else None)
    output.echo(f"{found.name} signs in as {username}" if username
                else f"{found.name} is not linked to an account")


@person.command("list")
@org_option
@json_option
@with_django
def person_list(org_slug, as_json) -> None:
    """The people of an organization."""
    from openpoam.tracker.models import Person

    rows = [{"name": p.name, "email": p.email, "title": p.title,
             "user": p.user.get_username() if p.user else ""}
            for p in Person.objects.filter(organization=base.organization(org_slug))
            .select_related("user")]
    output_rows(rows, as_json, ["name", "email", "title", "user"])


# ---- items ----------------------------------------------------------------------------------

@cli.group()
def item() -> None:
    """POA&M items."""


@item.command("add")
@org_option
@system_option
@click.option("--title", required=True)
@click.option("--detected", "detected_on", required=True, callback=parse_date_option,
              help="Original detection date, YYYY-MM-DD.")
@click.option("--control", "controls", multiple=True,
              help="Control reference (3.1.1, AC.L2-3.1.1, AC-2); repeatable.")
@click.option("--asset", "assets", multiple=True, help="host[:port[/protocol]]; repeatable.")
@click.option("--depends-on", "depends_on", multiple=True, metavar="POAM_ID",
              help="An item this one waits for; repeatable.")
@click.option("--set", "pairs", multiple=True, metavar="FIELD=VALUE",
              help="Any other field, e.g. --set original_risk=high; repeatable.")
@with_django
def item_add(org_slug, system_slug, title, detected_on, controls, assets, depends_on,
             pairs) -> None:
    """Create a POA&M item; --set FIELD=VALUE sets any other field (owner, risk, dates)."""
    from openpoam.tracker.services import items as item_services

    org_ = base.organization(org_slug)
    created = item_services.create_item(
        base.actor(), base.system(org_, system_slug), title=title, detected_on=detected_on,
        controls=controls, assets=[_asset(a) for a in assets], depends_on=depends_on,
        **_fields(org_, pairs))
    output.echo(created.poam_id)


@item.command("list")
@org_option
@system_option
@click.option("--status", type=base.LIST_STATUS, help="Only items in this status "
              "(active: not closed; delayed: past a due date).")
@click.option("--risk", type=base.LIST_RISK, help="Only items of this effective risk.")
@click.option("--sort", type=base.LIST_SORT, default="id", show_default=True)
@json_option
@with_django
def item_list(org_slug, system_slug, status, risk, sort, as_json) -> None:
    """A system's items. With --json each item carries its change history."""
    from openpoam.tracker.documents import build_document, items_queryset
    from openpoam.tracker.filters import ListQuery

    system_ = base.system(base.organization(org_slug), system_slug)
    query = ListQuery(status=status or "", risk=risk or "", sort=sort)
    # The history is read in one query for the whole list, only when it is printed.
    document = build_document(system_, with_history=as_json,
                              items=query.apply(items_queryset(system_)))
    items = query.keep(document.items)
    if as_json:
        echo_json({"system": document.system, "items": items})
        return
    rows = ([it.poam_id, it.title, it.effective_risk.label,
             it.status.label + (" (Delayed)" if it.delayed else ""), it.owner,
             it.scheduled_completion.isoformat() if it.scheduled_completion else ""]
            for it in items)
    output.print_table(["POA&M ID", "Title", "Risk", "Status", "Owner", "Due"], rows,
                       title=f"{document.system.name} — {document.system.designation.label}",
                       whole=("POA&M ID", "Risk", "Due"))


@item.command("show")
@click.argument("poam_id")
@org_option
@json_option
@with_django
def item_show(poam_id, org_slug, as_json) -> None:
    """One item: its fields, assets, milestones, evidence and deadlines."""
    from django.utils import timezone

    from openpoam.tracker.documents import item_data, items_queryset
    from openpoam.tracker.services.history import item_history

    found = base.item(base.organization(org_slug), poam_id)
    row = items_queryset(found.system).get(pk=found.pk)
    data = item_data(row, timezone.localdate(), item_history(row))
    if as_json:
        echo_json(data)
        return
    _print_item(data, found.system)


@item.command("update")
@click.argument("poam_id")
@org_option
@click.option("--set", "pairs", multiple=True, required=True, metavar="FIELD=VALUE")
@click.option("--control", "controls", multiple=True, help="Replace the control references.")
@click.option("--why", "justification", default="", help="Justification (required to move dates).")
@with_django
def item_update(poam_id, org_slug, pairs, controls, justification) -> None:
    """Change fields of an item (--set FIELD=VALUE); a moved date needs --why."""
    from openpoam.tracker.services import items as item_services

    org_ = base.organization(org_slug)
    found = base.item(org_, poam_id)
    item_services.edit_item(base.actor(), found, _fields(org_, pairs),
                            controls=controls or None, justification=justification)
    output.echo(f"updated {found.poam_id}")


@item.command("bulk")
@click.argument("poam_ids", nargs=-1)
@org_option
@click.option("--import", "import_id", type=int,
              help="Every item this import created (its number in `openpoam imports list`).")
@click.option("--owner", default=None, help="New owner (a person's name); '' for nobody.")
@click.option("--due", "scheduled_completion", callback=parse_date_option,
              help="New scheduled completion, YYYY-MM-DD.")
@click.option("--status", type=click.Choice(["open", "in_progress", "completed", "reopened"]),
              help="Move every item to this status.")
@click.option("--milestone", "milestone", default="", help="Add this milestone to every item.")
@click.option("--milestone-due", callback=parse_date_option, help="The milestone's due date.")
@click.option("--milestone-owner", default="", help="The milestone's owner (a person's name).")
@click.option("--why", "justification", required=True,
              help="Justification; each item's history keeps it.")
@with_django
def item_bulk(poam_ids, org_slug, import_id, owner, scheduled_completion, status, milestone,
              milestone_due, milestone_owner, justification) -> None:
    """Change many items at once: owner, scheduled completion, status and a new milestone,
    all or nothing. Name the items, or take those an import created (--import)."""
    from openpoam.tracker.models import ImportRecord, PoamItem
    from openpoam.tracker.services import bulk_edit
    from openpoam.tracker.services.actors import require
    from openpoam.tracker.services.fields import person_named

    org_ = base.organization(org_slug)
    require(base.actor(), org_, "poam.edit")  # before telling what exists
    ids = [p.strip().upper() for p in poam_ids]
    if import_id is not None:
        record = ImportRecord.objects.filter(system__organization=org_, pk=import_id).first()
        if record is None:
            raise CliError(f"{org_.slug} has no import {import_id}")
        ids += bulk_edit.new_item_ids(record)
    if not ids:
        raise CliError("name the items (POAM_IDS) or an import (--import)")
    found = {i.poam_id: i for i in PoamItem.objects.select_related("organization", "system")
             .filter(organization=org_, poam_id__in=ids)}
    missing = [p for p in ids if p not in found]
    if missing:
        raise CliError(f"{org_.slug} has no POA&M item {', '.join(missing[:10])}"
                       + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
                       + "; nothing was changed")
    plan = bulk_edit.Plan(status=status or "", scheduled_completion=scheduled_completion)
    if owner is not None:
        plan.set_owner = True
        plan.owner = person_named(org_, owner) if owner.strip() else None
    if milestone or milestone_due or milestone_owner:
        plan.milestone = bulk_edit.NewMilestone(
            milestone, milestone_due,
            person_named(org_, milestone_owner) if milestone_owner.strip() else None)
    count = bulk_edit.change_all(base.actor(), list(dict.fromkeys(found[p] for p in ids)),
                                 plan, justification)
    output.echo(f"changed {count} of {len(set(ids))} item{'s' if len(set(ids)) != 1 else ''}")


@item.command("set-status")
@click.argument("poam_id")
@click.argument("status", metavar="STATUS", type=click.Choice([s.value for s in Status]))
@org_option
@click.option("--completed-on", callback=parse_date_option, help="Actual completion date.")
@click.option("--approver", default="", help="Name of the approving person of the organization "
              "(risk acceptance, false positive).")
@click.option("--rationale", default="", help="Why the risk is accepted / why a false positive.")
@click.option("--review-date", callback=parse_date_option, help="When to review an accepted risk.")
@click.option("--reason", default="", help="Why an item is reopened.")
@with_django
def item_set_status(poam_id, status, org_slug, completed_on, approver, rationale, review_date,
                    reason) -> None:
    """Move an item through the workflow (what each status needs: README)."""
    from openpoam.tracker.services import items as item_services

    found = base.item(base.organization(org_slug), poam_id)
    changed = item_services.set_status(base.actor(), found, status, actual_completion=completed_on,
                                       approver=approver, rationale=rationale,
                                       review_date=review_date, reason=reason)
    output.echo(f"{changed.poam_id} is now {changed.status_enum.label}")


@item.command("depends")
@click.argument("poam_id")
@org_option
@click.option("--on", "targets", multiple=True, help="POA&M ID this item waits for; repeatable. "
              "None clears them.")
@with_django
def item_depends(poam_id, org_slug, targets) -> None:
    """Set the items this item waits for (replaces the list; none clears it)."""
    from openpoam.tracker.services import items as item_services

    found = base.item(base.organization(org_slug), poam_id)
    item_services.set_dependencies(base.actor(), found, targets)
    output.echo(f"{found.poam_id} depends on {', '.join(targets) or 'nothing'}")


@item.command("delete")
@click.argument("poam_id")
@org_option
@click.option("--why", "justification", required=True)
@with_django
def item_delete(poam_id, org_slug, justification) -> None:
    """Delete an item, with a justification; its history is kept."""
    from openpoam.tracker.services import items as item_services

    found = base.item(base.organization(org_slug), poam_id)
    item_services.delete_item(base.actor(), found, justification)
    output.echo(f"deleted {poam_id.upper()} (its history is kept; the ID is not reused)")


# ---- milestones, evidence, history ----------------------------------------------------------

@cli.group()
def milestone() -> None:
    """Milestones of an item."""


@milestone.command("add")
@click.argument("poam_id")
@click.argument("description")
@org_option
@click.option("--due", callback=parse_date_option, required=True)
@click.option("--owner", default="", help="Person's name.")
@with_django
def milestone_add(poam_id, description, org_slug, due, owner) -> None:
    """Add a dated milestone to an item."""
    from openpoam.tracker.services import milestones
    from openpoam.tracker.services.fields import person_named

    org_ = base.organization(org_slug)
    added = milestones.add_milestone(base.actor(), base.item(org_, poam_id), description, due,
                                     person_named(org_, owner) if owner else None)
    output.echo(f"milestone {added.sequence} added to {poam_id.upper()}")


@milestone.command("complete")
@click.argument("poam_id")
@click.argument("sequence", type=int)
@org_option
@click.option("--on", "completed_on", callback=parse_date_option, required=True)
@click.option("--not-needed", "not_needed", metavar="REASON", default=None,
              help="Close the milestone as not needed, for this reason (kept in the history).")
@with_django
def milestone_complete(poam_id, sequence, org_slug, completed_on, not_needed) -> None:
    """Complete a milestone, or close it as not needed (--not-needed REASON)."""
    from openpoam.tracker.services import milestones

    found = base.item(base.organization(org_slug), poam_id)
    target = milestones.milestone_of(found, sequence)
    if not_needed is not None:
        milestones.close_not_needed(base.actor(), target, not_needed, completed_on)
        output.echo(f"milestone {sequence} of {found.poam_id} closed as not needed")
        return
    milestones.complete_milestone(base.actor(), target, completed_on)
    output.echo(f"milestone {sequence} of {found.poam_id} completed")


@milestone.command("reschedule")
@click.argument("poam_id")
@click.argument("sequence", type=int)
@org_option
@click.option("--due", callback=parse_date_option, required=True)
@click.option("--why", "justification", required=True)
@with_django
def milestone_reschedule(poam_id, sequence, org_slug, due, justification) -> None:
    """Move a milestone's due date, with a justification (the original is kept)."""
    from openpoam.tracker.services import milestones

    found = base.item(base.organization(org_slug), poam_id)
    moved = milestones.reschedule_milestone(base.actor(), milestones.milestone_of(found, sequence),
                                            due, justification)
    output.echo(f"milestone {sequence} of {found.poam_id} now due {moved.current_due} "
               f"(originally {moved.original_due})")


@cli.group()
def evidence() -> None:
    """Evidence files and links."""


@evidence.command("add")
@click.argument("poam_id")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False,
                                                        path_type=Path))
@org_option
@click.option("--link", help="An http(s) link instead of a file.")
@click.option("--milestone", "sequence", type=int, help="Attach to this milestone.")
@click.option("--description", default="")
@with_django
def evidence_add(poam_id, file, org_slug, link, sequence, description) -> None:
    """Attach an evidence file (or a link with --link) to an item or one milestone."""
    from openpoam.tracker.services import evidence as evidence_services
    from openpoam.tracker.services import milestones

    if bool(file) == bool(link):
        raise CliError("give either a FILE or --link, not both")
    found = base.item(base.organization(org_slug), poam_id)
    target = milestones.milestone_of(found, sequence) if sequence else None
    if link:
        added = evidence_services.add_link(base.actor(), found, link, milestone=target,
                                           description=description)
    else:
        with file.open("rb") as stream:
            added = evidence_services.add_file(base.actor(), found, file.name, stream,
                                               milestone=target, description=description)
    output.echo(f"evidence {added.name} added to {found.poam_id}"
               + (f" (sha256 {added.sha256})" if added.sha256 else ""))


@cli.command()
@click.argument("poam_id")
@org_option
@json_option
@with_django
def history(poam_id, org_slug, as_json) -> None:
    """The change history of an item (kept even after the item is deleted)."""
    from openpoam.tracker.models import ChangeEvent

    org_ = base.organization(org_slug)
    events = ChangeEvent.objects.filter(organization=org_, poam_id=poam_id.strip().upper())
    rows = [{"at": e.at.isoformat(timespec="seconds"), "actor": e.actor_name,
             "action": e.action, "entity": e.entity, "field": e.field, "old": e.old_value,
             "new": e.new_value, "why": e.justification} for e in events]
    if not rows:
        raise CliError(f"{org_.slug} has no history for {poam_id!r}")
    output_rows(rows, as_json, ["at", "actor", "action", "field", "old", "new", "why"])


# ---- helpers --------------------------------------------------------------------------------

def _fields(org_, pairs) -> dict:
    from openpoam.tracker.services.fields import coerce

    fields = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise CliError(f"--set takes FIELD=VALUE, got {pair!r}")
        fields[name.strip()] = coerce(name.strip(), value, org_)
    return fields


def _asset(text: str):
    from openpoam.tracker.services.fields import asset_from_text

    return asset_from_text(text)


def _print_item(it, system_) -> None:
    output.print_text(Text(it.poam_id, style="bold"), "  ", it.title)
    output.echo(f"System: {system_.name} ({system_.designation_enum.label})")
    lines = [
        ("Status", it.status.label + (" (Delayed)" if it.delayed else "")),
        ("Risk", it.original_risk.label + (f" → {it.adjusted_risk.label}" if it.adjusted_risk else "")),
        ("Source", f"{it.source.label} {it.source_identifier}".strip()),
        ("Controls", ", ".join(c.control_id for c in it.controls)),
        ("Assets", ", ".join(a.label for a in it.assets)),
        ("Owner", it.owner), ("Detected", str(it.detected_on or "")),
        ("Scheduled completion", str(it.scheduled_completion or "")),
        ("Remediation", it.planned_remediation), ("Depends on", ", ".join(it.depends_on)),
    ]
    for label, value in lines:
        if value:
            output.echo(f"  {label}: {value}")
    for m in it.milestones:
        moved = f" (originally {m.original_due})" if m.original_due != m.current_due else ""
        done = f" — completed {m.completed_on}" if m.completed_on else ""
        output.echo(f"  Milestone {m.sequence}: {m.description} — due {m.current_due}{moved}{done}")
