"""Exactly once, as an operator sees it: `openpoam worker` processes, one killed with SIGKILL
inside an import's transaction, the next one retrying the job; the system ends as after one
import. Runs on SQLite, and on PostgreSQL when the suite does (DATABASE_URL)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.process import REPO, entry_point, new_env, run  # noqa: F401
from tests.jobs.dbprobe import Database

LEASE = "3"  # seconds: a dead worker's job goes back to the queue this soon


@pytest.fixture(scope="module")
def scan(tmp_path_factory) -> Path:
    """A generated Nessus scan big enough that its import takes seconds (about 9 MB)."""
    out = tmp_path_factory.mktemp("scan") / "monthly.nessus"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_nessus.py"), "--hosts", "300",
                    "--findings-per-host", "30", "--out", str(out), "--seed", "11"],
                   check=True, capture_output=True)
    return out


def _env(new_env):  # noqa: F811
    env = new_env()
    env["OPENPOAM_JOB_LEASE_SECONDS"] = LEASE
    done = run(["demo"], env)
    assert done.returncode == 0, done.stderr
    return env


def _worker(env: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([str(entry_point()), "worker", "--interval", "0.2"], env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _job(env: dict, job_id: str) -> dict:
    shown = run(["jobs", job_id, "--json"], env)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def _progress(db: Database, job_id: str) -> dict:
    text = db.scalar("SELECT progress FROM jobs_job WHERE uuid = ?",
                     job_id if db.url else job_id.replace("-", ""))
    return text if isinstance(text, dict) else json.loads(text or "{}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_worker_killed_inside_an_import_is_retried_and_the_import_applies_once(
        new_env, scan, tmp_path):  # noqa: F811
    # The reference: the same scan imported once, in the foreground.
    reference = _env(new_env)
    done = run(["import", str(scan), "--org", "redstone", "--system", "cui-enclave", "--json"],
               reference)
    assert done.returncode == 0, done.stderr
    expected = Database(reference).counts()
    assert expected["tracker_importrecord"] == 1

    env = _env(new_env)
    db = Database(env)
    queued = run(["import", str(scan), "--org", "redstone", "--system", "cui-enclave",
                  "--background", "--json"], env)
    assert queued.returncode == 0, queued.stderr
    job_id = json.loads(queued.stdout)["id"]
    assert _job(env, job_id)["state"] == "queued"

    log = tmp_path / "workers.log"
    first = _worker(env, log)
    try:
        deadline = time.monotonic() + 240
        # Wait until the file is read and the import's transaction holds its lock, then kill.
        while time.monotonic() < deadline:
            progress = _progress(db, job_id)
            if progress.get("bytes", 0) >= progress.get("total_bytes", 1) and \
                    db.import_transaction_open() and db.import_transaction_open():
                break
            assert first.poll() is None, log.read_text()[-2000:]
            time.sleep(0.05)
        else:
            pytest.fail("the import never reached its transaction")
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        _stop(first)
    killed_inside = db.counts()["tracker_importrecord"] == 0
    assert _job(env, job_id)["state"] == "running"  # as the dead worker left it

    second = _worker(env, log)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            job = _job(env, job_id)
            if job["state"] in ("succeeded", "failed"):
                break
            time.sleep(0.5)
    finally:
        _stop(second)
    assert job["state"] == "succeeded", (job, log.read_text()[-3000:])
    assert db.counts() == expected, killed_inside
    assert job["result"]["counts"]["new"] == json.loads(done.stdout)["counts"]["new"]
    assert job["import_id"] is not None
    assert killed_inside, "the kill came after the commit; the retry only finished the job"
