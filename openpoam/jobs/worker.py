"""A worker process: django-tasks-db's worker loop, plus a heartbeat and the reclaim of jobs
whose worker died.

django-tasks-db claims a queued row with SELECT ... FOR UPDATE SKIP LOCKED (an exclusive
transaction on SQLite) and marks it running; a worker killed mid-job leaves it running for
ever. So every worker writes a heartbeat row every few seconds, and hands back to the queue
any running row whose worker has not been heard from for OPENPOAM_JOB_LEASE_SECONDS. The
job itself knows whether its import committed (jobs.services), so running it again applies
it once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string

from openpoam.jobs import schedule
from openpoam.jobs.models import Job, WorkerBeat

log = logging.getLogger("openpoam.jobs")
MAX_ATTEMPTS = 3  # a job whose worker died this many times is failed, not tried again
# The database is away (restarted, failed over, unreachable): a worker waits this long and
# tries again instead of exiting, so it comes back by itself as the app servers do.
DATABASE_AWAY = (OperationalError, InterfaceError)
RETRY_SECONDS = 2.0


def beat_interval() -> float:
    return max(0.5, min(5.0, settings.JOB_LEASE_SECONDS / 4))


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(8)}"


def heartbeat(worker_id: str, *, scheduler: bool = False, started=None) -> None:
    now = timezone.now()
    updated = WorkerBeat.objects.filter(worker_id=worker_id).update(seen_at=now,
                                                                   scheduler=scheduler)
    if not updated:
        WorkerBeat.objects.create(worker_id=worker_id, host=socket.gethostname()[:255],
                                  pid=os.getpid(), started_at=started or now, seen_at=now,
                                  scheduler=scheduler)


def reclaim_stale(now=None) -> int:
    """Put back in the queue the running jobs whose worker stopped beating; returns how many."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOB_LEASE_SECONDS)
    alive = set(WorkerBeat.objects.filter(seen_at__gte=cutoff)
                .values_list("worker_id", flat=True))
    reclaimed = 0
    for row in DBTaskResult.objects.running().only("id", "worker_ids", "started_at",
                                                    "args_kwargs", "task_path"):
        last = row.worker_ids[-1] if row.worker_ids else None
        if last in alive or (row.started_at and row.started_at > cutoff):
            continue
        still = DBTaskResult.objects.filter(id=row.id, status=TaskResultStatus.RUNNING,
                                            started_at=row.started_at)
        if len(row.worker_ids) >= MAX_ATTEMPTS:
            if still.update(status=TaskResultStatus.FAILED, finished_at=now,
                            exception_class_path="openpoam.jobs.WorkerDied",
                            traceback=f"its worker stopped {len(row.worker_ids)} times"):
                _fail_job(row, len(row.worker_ids))
            continue
        if still.update(status=TaskResultStatus.READY):
            reclaimed += 1
            log.warning("job %s: worker %s stopped; queued again", row.id, last)
    WorkerBeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return reclaimed


def requeue_own(worker_id: str) -> int:
    """Put back in the queue the jobs this worker had claimed when the database went away:
    it runs none of them any more, and its heartbeat would keep others from reclaiming them."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    mine = [row.id for row in DBTaskResult.objects.running().only("id", "worker_ids")
            if row.worker_ids and row.worker_ids[-1] == worker_id]
    return DBTaskResult.objects.filter(id__in=mine, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY)


def run_through_outages(worker) -> None:
    """django-tasks-db's loop, started again whenever the database was away."""
    while worker.running:
        try:
            worker.run()
            return
        except DATABASE_AWAY as exc:
            log.warning("worker %s: database unavailable (%s); trying again in %.0f s",
                        worker.worker_id, exc, RETRY_SECONDS)
            connection.close()
            time.sleep(RETRY_SECONDS)
            try:
                if requeue_own(worker.worker_id):
                    log.warning("worker %s: its interrupted job was queued again",
                                worker.worker_id)
            except DATABASE_AWAY:
                connection.close()


def _fail_job(row, times: int) -> None:
    job_uuid = (row.args_kwargs.get("args") or [None])[0]
    if row.task_path.endswith("run_job") and job_uuid:
        Job.objects.filter(uuid=job_uuid, committed=False).exclude(
            state__in=[Job.SUCCEEDED, Job.FAILED]).update(
            state=Job.FAILED, finished_at=timezone.now(),
            error=f"the worker running this job stopped {times} times; it was not retried "
                  "again (see the workers' logs)")
        Job.objects.filter(uuid=job_uuid, committed=True).exclude(
            state=Job.SUCCEEDED).update(state=Job.SUCCEEDED, finished_at=timezone.now())


class Heart(threading.Thread):
    """Beats, reclaims stale jobs and (with ``scheduler``) schedules periodic work."""

    def __init__(self, worker_id: str, *, scheduler: bool = False) -> None:
        super().__init__(name="openpoam-heartbeat", daemon=True)
        self.worker_id, self.scheduler = worker_id, scheduler
        self.started = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.once()
            self.stopping.wait(beat_interval())
        _forget(self.worker_id, scheduler=self.scheduler)
        connection.close()

    def once(self) -> None:
        try:
            close_old_connections()
            heartbeat(self.worker_id, scheduler=self.scheduler, started=self.started)
            reclaim_stale()
            if self.scheduler:
                schedule.tick(self.worker_id)
        except OperationalError as exc:  # SQLite busy under a long import; PostgreSQL away
            log.warning("worker %s: heartbeat skipped (%s)", self.worker_id, exc)
        except Exception:
            log.exception("worker %s: heartbeat failed", self.worker_id)


def _forget(worker_id: str, *, scheduler: bool = False) -> None:
    """A stopping worker: no more beats, and its lease free for another scheduler at once."""
    try:
        WorkerBeat.objects.filter(worker_id=worker_id).delete()
        if scheduler:
            schedule.release(worker_id)
    except Exception:
        pass


def make_worker(worker_id: str, *, interval: float = 1.0, max_tasks: int | None = None,
                batch: bool = False):
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(queue_names=["*"], interval=interval, batch=batch, backend_name="default",
                  startup_delay=False, max_tasks=max_tasks, worker_id=worker_id,
                  excluded_queue_names=[])


def run(*, worker_id: str | None = None, interval: float = 1.0, scheduler: bool = False,
        in_thread: bool = False, max_tasks: int | None = None, batch: bool = False):
    """Run a worker until it is stopped. In the main thread it stops on SIGINT/SIGTERM
    (finishing the job it runs); ``in_thread`` returns (worker, heart) to stop later."""
    worker_id = worker_id or new_worker_id()
    heart = Heart(worker_id, scheduler=scheduler)
    heart.once()  # seen before the first job, so nobody reclaims what it claims
    heart.start()
    worker = make_worker(worker_id, interval=interval, max_tasks=max_tasks, batch=batch)
    if in_thread:
        thread = threading.Thread(target=_run_quietly, args=(worker,), daemon=True,
                                  name="openpoam-worker")
        thread.start()
        return worker, heart
    worker.configure_signals()
    try:
        run_through_outages(worker)
    finally:
        heart.stopping.set()
        heart.join(timeout=10)
    return worker, heart


def _run_quietly(worker) -> None:
    try:
        run_through_outages(worker)
    except Exception:
        log.exception("the background worker stopped")
    finally:
        connection.close()
