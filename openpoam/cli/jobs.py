"""Background jobs: `openpoam worker`, `openpoam scheduler`, `openpoam jobs`."""

from __future__ import annotations

import click

from openpoam.cli import base
from openpoam.cli import output as out
from openpoam.cli.base import cli, with_django


@cli.command()
@click.option("--scheduler", is_flag=True,
              help="Also schedule the periodic jobs (one scheduler at a time holds the "
                   "database lease; the others wait).")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.1, 60),
              help="Seconds between two looks at an empty queue.")
@click.option("--batch", is_flag=True, help="Run the queued jobs, then stop.")
@with_django
def worker(scheduler: bool, interval: float, batch: bool) -> None:
    """Run background jobs (imports, exports, scheduled work) until stopped (Ctrl+C or
    SIGTERM finish the job in hand first). Start as many as you like against PostgreSQL."""
    from openpoam.jobs import worker as job_worker

    worker_id = job_worker.new_worker_id()
    click.echo(f"worker {worker_id} started{' (with the scheduler)' if scheduler else ''}; "
               "Ctrl+C stops it")
    job_worker.run(worker_id=worker_id, interval=interval, scheduler=scheduler, batch=batch)
    click.echo("worker stopped")


@cli.command()
@with_django
def scheduler() -> None:
    """Schedule the periodic jobs (reminders, expired sessions, old jobs, KEV catalog, audit
    checkpoints, CR26 notices) for the workers to run; only the lease holder schedules."""
    import time

    from django.db import connection

    from openpoam.jobs import schedule, worker as job_worker

    worker_id = "scheduler-" + job_worker.new_worker_id()
    click.echo(f"scheduler {worker_id} started; Ctrl+C stops it")
    try:
        while True:
            try:
                job_worker.heartbeat(worker_id, scheduler=True)
                schedule.tick(worker_id)
            except job_worker.DATABASE_AWAY as exc:  # back by itself when the database is
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
                click.echo(f"scheduler: database unavailable ({reason}); trying again", err=True)
                connection.close()
            time.sleep(job_worker.beat_interval())
    except KeyboardInterrupt:
        schedule.release(worker_id)
        click.echo("scheduler stopped")


@cli.command("jobs")
@click.argument("job_id", required=False)
@click.option("--schedule", is_flag=True,
              help="The periodic jobs instead: last run, outcome, next run, and the scheduler "
                   "holding the lease (administrators).")
@click.option("--json", "as_json", is_flag=True)
@with_django
def jobs_(job_id: str | None, schedule: bool, as_json: bool) -> None:
    """Your background jobs, newest first; with an id, that job's state, progress and outcome."""
    from openpoam.jobs import services

    actor = base.actor()
    if schedule:
        _schedule(actor, as_json)
        return
    if job_id:
        job = services.get_job(actor, job_id)
        data = services.job_dict(job)
        if as_json:
            base.echo_json(data)
            return
        for key in ("id", "kind", "state", "organization", "system", "file_name",
                    "started_by", "created_at", "finished_at", "error"):
            if data[key] not in (None, ""):
                out.echo(f"{key}: {out.safe(data[key])}")
        progress = data["progress"] or {}
        out.echo("progress: " + ", ".join(f"{k} {v:,}" for k, v in progress.items()
                                          if isinstance(v, int)))
        counts = (data["result"] or {}).get("counts")
        if counts:
            out.echo("counts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        return
    rows = [{"id": str(j.uuid), "kind": j.kind, "state": j.state,
             "system": j.system.slug if j.system_id else "",
             "file": j.params.get("file_name", ""),
             "created": j.created_at.isoformat(timespec="seconds"), "error": j.error}
            for j in services.jobs_of(actor).select_related("system")[:100]]
    base.output_rows(rows, as_json, ["id", "kind", "state", "system", "file", "created",
                                     "error"])


def _schedule(actor, as_json: bool) -> None:
    from openpoam.jobs import schedule

    if not (actor.is_superuser or getattr(actor.user, "is_staff", False)):
        raise base.CliError("only the site's administrators see the scheduled work")
    found = schedule.overview()
    if as_json:
        base.echo_json(found)
        return
    lease = found["scheduler"]
    if lease["holder"]:
        out.echo(f"scheduler: {lease['holder']}" + (f" on {lease['host']}" if lease["host"]
                                                    else "")
                 + f", lease until {lease['until']:%Y-%m-%d %H:%M:%S %Z}")
    else:
        out.echo("scheduler: none holds the lease (start `openpoam scheduler`)")
    rows = [{"job": row["name"], "runs": row["every"], "last run": _when(row["last_started"]),
             "state": row["state"], "outcome": row["outcome"],
             "next run": _when(row["next_run"])} for row in found["jobs"]]
    base.output_rows(rows, False, ["job", "runs", "last run", "state", "outcome", "next run"])


def _when(moment) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""
