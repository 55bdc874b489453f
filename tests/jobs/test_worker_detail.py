"""The worker's parts in detail: reclaiming a dead worker's job, finishing a job whose import
committed before its worker died, the scheduler's lease, the periodic jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from openpoam.jobs import schedule, services, worker
from openpoam.jobs.models import Job, Lease, ScheduledRun, WorkerBeat
from openpoam.tracker.models import ImportRecord, PoamItem
from openpoam.tracker.services import Actor
from tests.jobs.scans import nessus

pytestmark = pytest.mark.django_db
JUNE = nessus({"10.0.0.1": [1001, 1002]})


def _queued_import(alice, system, tmp_path) -> Job:
    path = tmp_path / "june.nessus"
    path.write_bytes(JUNE)
    return services.start_import(Actor.for_user(alice), system, path, file_name="june.nessus")


def _claim(job: Job, worker_id: str, started_ago: int) -> DBTaskResult:
    row = DBTaskResult.objects.get(id=job.task_id)
    row.claim(worker_id)
    DBTaskResult.objects.filter(id=row.id).update(
        started_at=timezone.now() - timedelta(seconds=started_ago))
    return DBTaskResult.objects.get(id=row.id)


def test_a_running_job_whose_worker_stopped_beating_goes_back_to_the_queue(
        poam, alice, tmp_path, settings):
    settings.JOB_LEASE_SECONDS = 30
    job = _queued_import(alice, poam.system, tmp_path)
    _claim(job, "dead-worker", started_ago=120)
    WorkerBeat.objects.create(worker_id="dead-worker", host="h", pid=1,
                              started_at=timezone.now() - timedelta(minutes=5),
                              seen_at=timezone.now() - timedelta(seconds=60))
    other = _queued_import(alice, poam.system, tmp_path)
    _claim(other, "live-worker", started_ago=120)
    worker.heartbeat("live-worker")

    assert worker.reclaim_stale() == 1
    assert DBTaskResult.objects.get(id=job.task_id).status == TaskResultStatus.READY
    assert DBTaskResult.objects.get(id=other.task_id).status == TaskResultStatus.RUNNING
    assert services.run_queued() == 1  # the reclaimed one runs again, once
    assert Job.objects.get(pk=job.pk).state == Job.SUCCEEDED


def test_a_job_whose_worker_died_three_times_fails_with_a_plain_error(
        poam, alice, tmp_path, settings):
    settings.JOB_LEASE_SECONDS = 30
    job = _queued_import(alice, poam.system, tmp_path)
    for attempt in range(worker.MAX_ATTEMPTS):
        _claim(job, f"dead-{attempt}", started_ago=120)
        worker.reclaim_stale()
    job.refresh_from_db()
    assert job.state == Job.FAILED and "stopped 3 times" in job.error
    assert DBTaskResult.objects.get(id=job.task_id).status == TaskResultStatus.FAILED


def test_a_job_that_committed_before_its_worker_died_only_finishes(poam, alice, tmp_path):
    job = _queued_import(alice, poam.system, tmp_path)
    services.run_queued()
    job.refresh_from_db()
    items = PoamItem.objects.filter(system=poam.system).count()
    # As a worker killed between the import's commit and the job's end leaves it:
    Job.objects.filter(pk=job.pk).update(state=Job.RUNNING, finished_at=None)
    assert job.committed and job.import_record_id
    services.execute(str(job.uuid))
    job.refresh_from_db()
    assert job.state == Job.SUCCEEDED and job.result["counts"]["new"] == 2
    assert PoamItem.objects.filter(system=poam.system).count() == items
    assert ImportRecord.objects.filter(system=poam.system).count() == 1


def test_the_commit_marker_is_written_inside_the_imports_transaction(
        poam, alice, tmp_path, monkeypatch):
    """An import that fails after its rows are written leaves neither the rows nor the mark."""
    from openpoam.tracker.services import scan_apply

    job = _queued_import(alice, poam.system, tmp_path)
    original = scan_apply.cr26.record_detections

    def fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(scan_apply.cr26, "record_detections", fail)
    services.run_queued()
    job.refresh_from_db()
    assert job.state == Job.FAILED and not job.committed and job.import_record_id is None
    assert "server's log" in job.error and "disk on fire" not in job.error
    assert ImportRecord.objects.filter(system=poam.system).count() == 0


def test_only_one_scheduler_holds_the_lease_until_it_expires(db, settings):
    settings.JOB_LEASE_SECONDS = 30
    now = timezone.now()
    assert schedule.take_lease("a", now)
    assert not schedule.take_lease("b", now)
    assert schedule.take_lease("a", now + timedelta(seconds=10))  # renewed
    assert not schedule.take_lease("b", now + timedelta(seconds=35))
    assert schedule.take_lease("b", now + timedelta(seconds=41))  # a stopped renewing
    assert Lease.objects.get().holder == "b"


def test_the_lease_holder_queues_each_periodic_job_once_a_day(db, settings):
    settings.JOB_LEASE_SECONDS = 30
    now = timezone.now()
    assert schedule.tick("a", now) == [p.name for p in schedule.PERIODIC]
    assert schedule.tick("b", now) == []  # not the holder
    assert schedule.tick("a", now + timedelta(minutes=5)) == []  # not due yet
    assert schedule.tick("a", now + timedelta(days=1, minutes=1)) == [
        p.name for p in schedule.PERIODIC]
    assert services.run_queued() == 2 * len(schedule.PERIODIC)
    runs = {r.name: r for r in ScheduledRun.objects.all()}
    assert runs["sessions"].ok and runs["sessions"].last_outcome == "expired sessions cleared"
    assert "shipped catalog stays" in runs["kev"].last_outcome


def test_the_kev_refresh_reads_the_file_the_administrator_set(db, settings, tmp_path):
    catalog = tmp_path / "kev.json"
    catalog.write_text('{"catalogVersion": "2026.12.01", "vulnerabilities": [{"cveID": '
                       '"CVE-2024-0001", "dateAdded": "2024-01-02", "dueDate": "2024-01-23", '
                       '"vulnerabilityName": "Example"}]}')
    settings.KEV_SOURCE = str(catalog)
    outcome = schedule.run("kev")
    assert outcome["ok"], outcome
    assert "1 known exploited" in outcome["outcome"]
    settings.KEV_SOURCE = str(tmp_path / "missing.json")
    failed = schedule.run("kev")
    assert not failed["ok"] and "missing.json" in failed["outcome"]


CATALOG = (b'{"catalogVersion": "2026.12.02", "vulnerabilities": [{"cveID": "CVE-2024-0002", '
           b'"dateAdded": "2024-02-02", "dueDate": "2024-02-23", "vulnerabilityName": "Two"}]}')


@pytest.fixture
def kev_site():
    """A real HTTP server: /kev.json is a catalog, /broken.json is not, anything else 404."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = {"/kev.json": CATALOG, "/broken.json": b'{"vulnerabilities": ['}.get(
                self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"not here")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_kev_refresh_downloads_and_a_failed_download_keeps_the_old_copy(db, settings,
                                                                          kev_site):
    from openpoam.tracker.models import KnownExploited

    settings.KEV_SOURCE = f"{kev_site}/kev.json"
    assert "1 known exploited" in schedule.run("kev")["outcome"]
    assert list(KnownExploited.objects.values_list("cve", flat=True)) == ["CVE-2024-0002"]
    for broken in (f"{kev_site}/gone.json", f"{kev_site}/broken.json", "http://127.0.0.1:9/x"):
        settings.KEV_SOURCE = broken
        failed = schedule.run("kev")
        assert not failed["ok"] and failed["outcome"].startswith("failed: "), failed
        assert "\n" not in failed["outcome"] and broken in failed["outcome"]
        assert list(KnownExploited.objects.values_list("cve", flat=True)) == ["CVE-2024-0002"]
    run = ScheduledRun.objects.get(name="kev")
    assert not run.ok and run.last_finished
    assert run.last_outcome == "failed: could not download http://127.0.0.1:9/x: ConnectionError"


def test_a_database_outage_does_not_end_the_worker_and_its_claimed_job_is_queued_again(
        transactional_db, poam, alice, tmp_path, monkeypatch):  # the worker closes its connection
    from django.db import OperationalError

    job = _queued_import(alice, poam.system, tmp_path)
    _claim(job, "w-away", started_ago=5)  # claimed, then the database went away mid-job
    monkeypatch.setattr(worker, "RETRY_SECONDS", 0)

    class Flaky:
        worker_id, running, runs = "w-away", True, 0

        def run(self):
            self.runs += 1
            if self.runs == 1:
                raise OperationalError("connection failed: the server is not accepting")

    flaky = Flaky()
    worker.run_through_outages(flaky)
    assert flaky.runs == 2  # started again, not ended
    assert DBTaskResult.objects.get(id=job.task_id).status == TaskResultStatus.READY


def test_a_stopped_worker_is_not_started_again_after_an_outage(transactional_db):
    from django.db import InterfaceError

    class Stopping:
        worker_id, running, runs = "w-stop", True, 0

        def run(self):
            self.runs += 1
            self.running = False  # SIGTERM arrived while the database was away
            raise InterfaceError("connection already closed")

    stopping = Stopping()
    worker.run_through_outages(stopping)
    assert stopping.runs == 1
