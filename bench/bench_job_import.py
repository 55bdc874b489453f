"""A scan imported through the API as background jobs, as a pipeline would: the dry run
(POST, 202 at once, poll) then its confirmation (POST, 202, poll), against `openpoam serve`
and one `openpoam worker`, each its own process, on a fresh data folder (SQLite, or the
PostgreSQL of DATABASE_URL, which must be an empty database).

    python bench/bench_job_import.py --hosts 550 --findings-per-host 30   # about 20 MB

Prints the time to each 202 and each job's total time (from the POST to the state
`succeeded` seen by polling every 0.2 s), and first the same dry run with wait=true (inside
the request: what a client waits for without a job).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
OPENPOAM = Path(sys.executable).parent / "openpoam"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, job_id: str, auth: dict) -> dict:
    while True:
        job = requests.get(f"{url}/api/v1/jobs/{job_id}", headers=auth, timeout=60).json()
        if job["state"] in ("succeeded", "failed"):
            return job
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=550)
    parser.add_argument("--findings-per-host", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    env = {**os.environ, "OPENPOAM_DATA_DIR": str(folder / "data"),
           "PYTHONPATH": str(REPO)}
    scan = folder / "monthly.nessus"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_nessus.py"), "--hosts",
                    str(args.hosts), "--findings-per-host", str(args.findings_per_host),
                    "--out", str(scan)], check=True, capture_output=True)
    subprocess.run([str(OPENPOAM), "demo"], env=env, check=True, capture_output=True)
    token = subprocess.run([str(OPENPOAM), "token", "create", "--user", "admin", "--org",
                            "redstone", "--name", "bench"], env=env, capture_output=True,
                           text=True)
    if token.returncode:  # the demo has no admin: make one
        subprocess.run([str(OPENPOAM), "create-admin"], env=env, check=True,
                       capture_output=True)
        subprocess.run([str(OPENPOAM), "member", "add", "admin", "--org", "redstone",
                        "--role", "owner"], env=env, check=True, capture_output=True)
        token = subprocess.run([str(OPENPOAM), "token", "create", "--user", "admin", "--org",
                                "redstone", "--name", "bench"], env=env, capture_output=True,
                               text=True, check=True)
    auth = {"Authorization": f"Bearer {token.stdout.strip().splitlines()[-1]}"}
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(OPENPOAM), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([str(OPENPOAM), "worker", "--interval", "0.2"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                requests.get(f"{url}/healthz", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        size = scan.stat().st_size
        started = time.perf_counter()
        with scan.open("rb") as stream:
            answer = requests.post(
                f"{url}/api/v1/orgs/redstone/systems/cui-enclave/imports", headers=auth,
                files={"file": (scan.name, stream)},
                data={"dry_run": "true", "wait": "true"}, timeout=600)
        waited = time.perf_counter() - started
        assert answer.status_code == 200, answer.text
        started = time.perf_counter()
        with scan.open("rb") as stream:
            answer = requests.post(
                f"{url}/api/v1/orgs/redstone/systems/cui-enclave/imports", headers=auth,
                files={"file": (scan.name, stream)},
                data={"dry_run": "true"}, timeout=600)  # a job: the default
        accepted = time.perf_counter() - started
        assert answer.status_code == 202, answer.text
        dry = _wait(url, answer.json()["id"], auth)
        dry_total = time.perf_counter() - started
        assert dry["state"] == "succeeded", dry
        started = time.perf_counter()
        answer = requests.post(f"{url}/api/v1/jobs/{dry['id']}/confirm", headers=auth,
                               timeout=600)
        confirm_accepted = time.perf_counter() - started
        assert answer.status_code == 202, answer.text
        done = _wait(url, answer.json()["id"], auth)
        confirm_total = time.perf_counter() - started
        assert done["state"] == "succeeded", done
        counts = done["result"]["counts"]
        print(f"scan {size / 1e6:.1f} MB, {dry['progress']['findings']:,} findings, "
              f"{dry['progress']['hosts']:,} hosts; {counts['new']:,} new items")
        print(f"dry run:  202 after {accepted:.2f} s (upload included), done after "
              f"{dry_total:.2f} s")
        print(f"confirm:  202 after {confirm_accepted:.2f} s, done after {confirm_total:.2f} s "
              "(applies the kept dry run: the file is not read again)")
        print(f"wait=true dry run (before the jobs): 200 after {waited:.2f} s, in one request")
    finally:
        for process in (worker, server):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


if __name__ == "__main__":
    main()
