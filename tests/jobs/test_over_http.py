"""Over real HTTP: `openpoam start` serves and runs a worker in the same process; an API
import answers 202 at once and its job is polled until done; /healthz sees the worker.
Stopping `start` stops both."""

from __future__ import annotations

import json
import time
import urllib.request

import requests

from tests.jobs.scans import nessus
from tests.process import Openpoam, environment, fresh_database, serving

SCAN = nessus({f"10.0.1.{n}": [2001, 2002, 2000 + n] for n in range(3, 23)})


def test_start_runs_a_worker_the_api_import_is_a_job_polled_to_its_end(tmp_path):
    with fresh_database() as url:
        env = environment(tmp_path / "data", url)
        with serving(env, "start") as server:
            made = Openpoam(env)("token", "create", "--user", "admin", "--org", "redstone",
                                 "--name", "jobs test")
            assert made.code == 0, made.err
            auth = {"Authorization": f"Bearer {made.out.strip().splitlines()[-1]}"}
            answer = requests.post(
                f"{server.url}/api/v1/orgs/redstone/systems/cui-enclave/imports",
                headers=auth, files={"file": ("june.nessus", SCAN)}, timeout=60)
            assert answer.status_code == 202, answer.text  # a job, by default
            job = answer.json()
            assert answer.headers["Location"] == f"/api/v1/jobs/{job['id']}"
            assert job["state"] in ("queued", "running", "succeeded")
            deadline = time.monotonic() + 120
            while job["state"] not in ("succeeded", "failed") and time.monotonic() < deadline:
                time.sleep(0.5)
                job = requests.get(f"{server.url}/api/v1/jobs/{job['id']}", headers=auth,
                                   timeout=30).json()
            assert job["state"] == "succeeded", job
            assert job["progress"]["hosts"] == 20 and job["progress"]["findings"] == 60
            assert job["result"]["counts"]["new"] == 22
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=30) as health:
                body = json.loads(health.read())
            assert health.status == 200 and body["checks"]["worker"]["ok"], body
            process = server.process
        assert process.poll() is not None  # the server and its worker stopped together
