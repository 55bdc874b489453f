"""Periodic work, scheduled under a database lease so that of many workers only one schedules.

The lease is one row (Lease "scheduler": holder, expires_at) taken with a single conditional
UPDATE (free, expired, or already ours); its holder renews it on every beat. The holder
queues each periodic job when due (a ScheduledRun row per job: last run, outcome, next run)
and any worker runs it. Each job calls the service that already does the work.
"""

from __future__ import annotations

import io
import logging
import shutil
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from openpoam.jobs.models import Job, Lease, ScheduledRun, WorkerBeat
from openpoam.jobs.services import jobs_root
from openpoam.reviews.services.my_work import send_due_digests
from openpoam.reviews.services.reminders import send_reminders
from openpoam.tracker.services import kev
from openpoam.tracker.services.actors import Actor
from openpoam.tracker.services.checkpoints import write_checkpoints
from openpoam.tracker.services.cr26_notices import send_overdue_notices

log = logging.getLogger("openpoam.jobs")
LEASE = "scheduler"
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
EVERY = {DAY: "daily", HOUR: "hourly"}
KEV_MAX_BYTES = 64 * 1024 * 1024  # CISA's catalog is about 1.5 MB


@dataclass(frozen=True)
class Periodic:
    name: str
    label: str
    every: timedelta
    run: Callable[[], str]  # returns the one-line outcome


def _reminders() -> str:
    sent = send_reminders()
    return f"{len(sent)} reminder digest(s) sent"


def _digests() -> str:
    sent = send_due_digests.call()
    return f"{sent} due-date digest(s) written"


def _sessions() -> str:
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    return "expired sessions cleared"


def _old_jobs() -> str:
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=settings.JOB_KEEP_DAYS)
    old = Job.objects.filter(finished_at__lt=cutoff)
    removed = 0
    for uuid in old.values_list("uuid", flat=True).iterator():
        shutil.rmtree(jobs_root() / str(uuid), ignore_errors=True)
        removed += 1
    old.delete()
    DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return f"{removed} finished job(s) older than {settings.JOB_KEEP_DAYS} days removed"


def _kev() -> str:
    """The catalog from the administrator's URL or file. Read whole before loading, and
    loaded in one transaction: a failed download or a bad file keeps the previous copy (the
    run's outcome then says why)."""
    source = settings.KEV_SOURCE
    if not source:
        return "no OPENPOAM_KEV_SOURCE set: the shipped catalog stays"
    if source.startswith(("https://", "http://")):
        data = _download(source)
    else:
        with open(source, "rb") as handle:
            data = handle.read(KEV_MAX_BYTES + 1)
    if len(data) > KEV_MAX_BYTES:
        raise ValueError(f"{source}: larger than {KEV_MAX_BYTES:,} bytes; not a KEV catalog")
    count, version = kev.load_catalog(Actor.command_line("scheduler"), io.BytesIO(data),
                                      source=source)
    return f"{count} known exploited vulnerabilities loaded (catalog {version})"


def _download(url: str) -> bytes:
    import requests  # here, not at the top: every command's Django start imports this module

    data = bytearray()
    try:
        with requests.get(url, timeout=60, stream=True) as response:
            response.raise_for_status()
            for chunk in response.iter_content(1024 * 1024):
                data += chunk
                if len(data) > KEV_MAX_BYTES:
                    break
    except requests.HTTPError as exc:
        raise OSError(f"could not download {url}: HTTP {exc.response.status_code}") from exc
    except requests.RequestException as exc:  # refused, timed out, no such host
        raise OSError(f"could not download {url}: {type(exc).__name__}") from exc
    return bytes(data)


def _cr26_overdue() -> str:
    sent = send_overdue_notices()
    return (f"{sent['events']} CR26 deadline(s) newly passed, "
            f"{sent['people']} person(s) told")


def _checkpoint() -> str:
    if not settings.CHECKPOINT_DIR:
        return "no OPENPOAM_CHECKPOINT_DIR set: no checkpoint written"
    return f"checkpoint written: {write_checkpoints().name}"


PERIODIC = [
    Periodic("reminders", "Daily reminders to owners", DAY, _reminders),
    Periodic("digests", "Daily digest of each person's dates coming due", DAY, _digests),
    Periodic("sessions", "Clear expired sessions", DAY, _sessions),
    Periodic("old-jobs", "Remove old job results", DAY, _old_jobs),
    Periodic("kev", "Refresh the CISA KEV catalog", DAY, _kev),
    Periodic("checkpoint", "Daily audit checkpoint", DAY, _checkpoint),
    # Hourly: CR26 deadlines fall at an hour of the day, and each is told once anyway.
    Periodic("cr26-overdue", "FedRAMP CR26 overdue notices", HOUR, _cr26_overdue),
]
BY_NAME = {p.name: p for p in PERIODIC}


def take_lease(holder: str, now=None) -> bool:
    now = now or timezone.now()
    until = now + timedelta(seconds=settings.JOB_LEASE_SECONDS)
    free = Q(holder=holder) | Q(expires_at__isnull=True) | Q(expires_at__lt=now)
    if Lease.objects.filter(free, name=LEASE).update(holder=holder, expires_at=until):
        return True
    try:
        with transaction.atomic():
            Lease.objects.create(name=LEASE, holder=holder, expires_at=until)
        return True
    except IntegrityError:
        return False


def release(holder: str) -> None:
    Lease.objects.filter(name=LEASE, holder=holder).update(expires_at=None)


def tick(holder: str, now=None) -> list[str]:
    """If this process holds (or takes) the lease, queue the periodic jobs that are due."""
    now = now or timezone.now()
    if not take_lease(holder, now):
        return []
    queued = []
    for periodic in PERIODIC:
        run, _ = ScheduledRun.objects.get_or_create(name=periodic.name)
        if run.next_run is not None and run.next_run > now:
            continue
        # Claim this run with one conditional update, then queue it.
        claimed = ScheduledRun.objects.filter(pk=run.pk, next_run=run.next_run).update(
            next_run=now + periodic.every)
        if claimed:
            run_scheduled.enqueue(periodic.name)
            queued.append(periodic.name)
    return queued


def run(name: str) -> dict:
    periodic = BY_NAME[name]
    ScheduledRun.objects.get_or_create(name=name)  # run by hand before any tick: recorded too
    ScheduledRun.objects.filter(name=name).update(last_started=timezone.now())
    try:
        outcome, ok = periodic.run(), True
    except Exception as exc:
        log.exception("scheduled job %s failed", name)
        outcome, ok = f"failed: {' '.join(str(exc).split())[:300]}", False
    ScheduledRun.objects.filter(name=name).update(last_finished=timezone.now(),
                                                  last_outcome=outcome[:500], ok=ok)
    return {"outcome": outcome, "ok": ok}


def overview(now=None) -> dict:
    """Each periodic job with its last run, outcome and next run, and who holds the
    scheduler's lease (the staff page and `openpoam jobs --schedule`)."""
    now = now or timezone.now()
    runs = {r.name: r for r in ScheduledRun.objects.all()}
    rows = [_row(periodic, runs.get(periodic.name)) for periodic in PERIODIC]
    lease = Lease.objects.filter(name=LEASE).first()
    held = lease is not None and lease.expires_at is not None and lease.expires_at > now
    beat = (WorkerBeat.objects.filter(worker_id=lease.holder).first()
            if lease is not None and lease.holder else None)
    return {"jobs": rows, "now": now, "scheduler": {
        "holder": lease.holder if held else "", "until": lease.expires_at if held else None,
        "host": beat.host if held and beat else "", "last_holder": lease.holder if lease else "",
        "seen_at": beat.seen_at if beat else None}}


def _row(periodic: Periodic, run: ScheduledRun | None) -> dict:
    started = run.last_started if run else None
    finished = run.last_finished if run else None
    if started is None:
        state = "never run"
    elif finished is None or finished < started:
        state = "running"
    else:
        state = "ok" if run.ok else "failed"
    return {"name": periodic.name, "label": periodic.label,
            "every": EVERY.get(periodic.every, str(periodic.every)),
            "last_started": started, "last_finished": finished, "state": state,
            "outcome": _outcome(run, state),
            "next_run": run.next_run if run else None}


def _outcome(run: ScheduledRun | None, state: str) -> str:
    if run is None or state == "running":
        return ""
    return run.last_outcome.removeprefix("failed: ")  # the state already says so


@task()
def run_scheduled(name: str) -> dict:
    """What a worker runs for a periodic job."""
    return run(name)
