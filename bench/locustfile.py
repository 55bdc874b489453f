"""Load: many users over a big organization, through nginx (bench/load.md says how to run it).

    locust -f bench/locustfile.py --headless -u 50 -r 5 -t 5m --host https://127.0.0.1:8443 \
        --csv /tmp/load

Environment (what bench/load.md's set-up prints):
  OPENPOAM_TOKEN     an API token of an editor of the organization
  OPENPOAM_SESSION   a browser session cookie value of a member (web pages, comments)
  LOAD_ORG, LOAD_SYSTEM (bench, cloud): the organization and its big system
  LOAD_SCANS_SYSTEM  (scans) where the two scan imports go
  LOAD_SCANS         comma-separated .nessus files imported once each (bench/gen_nessus.py)
  LOAD_EDITS         JSON-lines file recording every edit and its answer, for
                     bench/check_lost_updates.py (default /tmp/openpoam-load-edits.jsonl)
  LOAD_HOT_ITEMS     how many items the edits share, so that edits collide (default 40)

Each request type has its own name in locust's statistics: list, search, item, dashboard,
edit (200, or 409 when another user's edit came first), edit-stale (must be 409), comment,
evidence, import (202: a job), import-job (its polling until it ends; a failed import is a
failure).

The users are locust's FastHttpUser (geventhttpclient): the load generator runs on the same
host as the product, and python-requests spent several times its CPU per request.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
import uuid

import gevent

from locust import FastHttpUser, between, events, task
from requests.cookies import create_cookie

ORG = os.environ.get("LOAD_ORG", "bench")
SYSTEM = os.environ.get("LOAD_SYSTEM", "cloud")
SCANS_SYSTEM = os.environ.get("LOAD_SCANS_SYSTEM", "scans")
TOKEN = os.environ.get("OPENPOAM_TOKEN", "")
SESSION = os.environ.get("OPENPOAM_SESSION", "")
EDITS = os.environ.get("LOAD_EDITS", "/tmp/openpoam-load-edits.jsonl")
HOT = int(os.environ.get("LOAD_HOT_ITEMS", 40))
WORDS = ("openssl", "apache", "remote", "kernel", "tomcat", "curl", "samba", "java")
API = f"/api/v1/orgs/{ORG}"
WEB = f"/org/{ORG}/system/{SYSTEM}"

_ids: list[str] = []
_lock = threading.Lock()
_edits = None
_scans = [p for p in os.environ.get("LOAD_SCANS", "").split(",") if p]


def _record(entry: dict) -> None:
    with _lock:
        _edits.write(json.dumps(entry) + "\n")
        _edits.flush()


@events.test_start.add_listener
def _start(environment, **_kw) -> None:
    global _edits
    _edits = open(EDITS, "a", encoding="utf-8")  # noqa: SIM115 - closed at test_stop


@events.test_stop.add_listener
def _stop(environment, **_kw) -> None:
    if _edits:
        _edits.close()


class Member(FastHttpUser):
    """A member of the organization, in the browser and through the API."""

    wait_time = between(1, 3)
    insecure = True  # the layout's self-signed certificate
    network_timeout = 600  # a 20 MB scan upload on a busy host
    default_headers = {"Authorization": f"Bearer {TOKEN}"}

    def on_start(self) -> None:
        if SESSION:  # sent to this host, like a browser's; the CSRF cookie joins it later
            self.client.cookiejar.set_cookie(create_cookie("sessionid", SESSION))
        with _lock:
            if not _ids:
                self._load_ids()

    def _load_ids(self) -> None:
        cursor = ""
        for _ in range(10):  # 2,000 item ids, enough to spread reads over the table
            answer = self.client.get(f"{API}/systems/{SYSTEM}/items",
                                     params={"limit": 200, "cursor": cursor}, name="list")
            page = answer.json()
            _ids.extend(item["poam_id"] for item in page["items"])
            cursor = page.get("next_cursor") or ""
            if not cursor:
                break

    def _any(self) -> str:
        return random.choice(_ids)

    def _hot(self) -> str:
        return _ids[random.randrange(min(HOT, len(_ids)))]

    @task(8)
    def list(self) -> None:
        if random.random() < 0.5:
            self.client.get(f"{WEB}/", params={"page": random.randint(1, 50)}, name="list")
        else:
            self.client.get(f"{API}/systems/{SYSTEM}/items", params={"limit": 50}, name="list")

    @task(4)
    def search(self) -> None:
        self.client.get(f"{API}/systems/{SYSTEM}/items",
                        params={"q": random.choice(WORDS), "limit": 50}, name="search")

    @task(8)
    def item(self) -> None:
        if random.random() < 0.5:
            self.client.get(f"{WEB}/items/{self._any()}/", name="item")
        else:
            self.client.get(f"{API}/items/{self._any()}", name="item")

    @task(2)
    def dashboard(self) -> None:
        self.client.get(f"{WEB}/dashboard/", name="dashboard")

    @task(6)
    def edit(self) -> None:
        poam_id = self._hot()
        current = self.client.get(f"{API}/items/{poam_id}", name="item").json()
        value = f"load edit {uuid.uuid4().hex}"
        with self.client.patch(f"{API}/items/{poam_id}", name="edit", catch_response=True,
                               json={"version": current["version"], "comments": value}) as r:
            if r.status_code in (200, 409):
                r.success()  # 409: another user's edit came first; refused, not lost
            _record({"poam_id": poam_id, "value": value, "sent_version": current["version"],
                     "status": r.status_code,
                     "version": r.json().get("version") if r.status_code == 200 else None})

    @task(1)
    def edit_stale(self) -> None:
        poam_id = self._hot()
        current = self.client.get(f"{API}/items/{poam_id}", name="item").json()
        if current["version"] < 2:
            return
        value = f"stale edit {uuid.uuid4().hex}"
        with self.client.patch(f"{API}/items/{poam_id}", name="edit-stale",
                               catch_response=True,
                               json={"version": current["version"] - 1, "comments": value}) as r:
            if r.status_code == 409:
                r.success()
            else:
                r.failure(f"a stale version got {r.status_code}, not 409")
            _record({"poam_id": poam_id, "value": value, "stale": True,
                     "sent_version": current["version"] - 1, "status": r.status_code})

    @task(3)
    def comment(self) -> None:
        if not SESSION:
            return
        poam_id = self._any()
        page = self.client.get(f"{WEB}/items/{poam_id}/", name="item")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not token:
            return
        origin = self.host.rstrip("/")
        self.client.post(f"{WEB}/items/{poam_id}/comments/", name="comment",
                         data={"csrfmiddlewaretoken": token.group(1),
                               "text": f"load comment {uuid.uuid4().hex[:8]}"},
                         headers={"Referer": f"{origin}{WEB}/items/{poam_id}/",
                                  "Origin": origin, "X-CSRFToken": token.group(1)},
                         allow_redirects=False)

    @task(2)
    def evidence(self) -> None:
        body = os.urandom(16 * 1024) + uuid.uuid4().bytes
        self.client.post(f"{API}/items/{self._any()}/evidence", name="evidence",
                         files={"file": (f"evidence-{uuid.uuid4().hex[:8]}.bin", body)})

    @task(1)
    def scan_import(self) -> None:
        with _lock:
            path = _scans.pop() if _scans else None
        if path is None:
            return
        started = time.monotonic()
        with open(path, "rb") as scan:
            body = scan.read()
        answer = self.client.post(f"{API}/systems/{SCANS_SYSTEM}/imports", name="import",
                                  files={"file": (os.path.basename(path), body)})
        if answer.status_code == 202:  # a job: poll it as a script would, until it ends
            self._wait_for_job(answer.headers["Location"], started)

    def _wait_for_job(self, job_url: str, started: float) -> None:
        state, error = "queued", ""
        while state in ("queued", "running") and time.monotonic() - started < 1800:
            gevent.sleep(5)
            job = self.client.get(job_url, name="job").json()
            state, error = job["state"], job.get("error", "")
        failure = None if state == "succeeded" else RuntimeError(f"import {state}: {error}")
        events.request.fire(request_type="JOB", name="import, until applied",
                            response_time=(time.monotonic() - started) * 1000,
                            response_length=0, exception=failure, context={})
