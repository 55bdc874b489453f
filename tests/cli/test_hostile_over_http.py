"""Hostile and malformed input sent to a running `openpoam serve` over real HTTP, and to the
installed command line: each is refused with a 4xx (or one line and exit 1/2) naming what was
wrong, never a 500, and the serving process stays at its normal size."""

from __future__ import annotations

import html
import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.cli.process import Server, fresh_env, new_env, run  # noqa: F401

DEPTH = 50_000
PEAK_MB = 400  # the server's whole peak resident size after the hostile requests


def _deep_oscal(path: Path) -> Path:
    """An OSCAL-looking POA&M nested 50,000 levels (a few hundred KB)."""
    path.write_text('{"plan-of-action-and-milestones": {"uuid": "x", "metadata": '
                    + "[" * DEPTH + "]" * DEPTH + "}}")
    return path


class Browser:
    """A signed-in session over real HTTP (cookies and the CSRF token, as a browser)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None,
                method: str | None = None) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Referer": self.base + "/", **(headers or {})})
        try:
            with self.opener.open(request, timeout=120) as answer:
                return answer.status, answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def get(self, path: str) -> tuple[int, str]:
        return self.request(path)

    def post(self, path: str, fields: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf(), **fields}).encode()
        return self.request(path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, path: str, name: str, content: bytes) -> tuple[int, str]:
        boundary = "----openpoam-test-boundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\""
                f"\r\n\r\n{self.csrf()}\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f"name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/json\r\n\r\n"
                ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return self.request(path, body, {"Content-Type":
                                         f"multipart/form-data; boundary={boundary}"})

    def sign_in(self, username: str, password: str) -> tuple[int, str]:
        self.get("/login/")
        return self.post("/login/", {"username": username, "password": password})


def _peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def _ok(env, *args):
    done = run(list(args), env)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done


@pytest.fixture
def site(fresh_env, tmp_path):
    """A served organization with a system, an owner account, a person and a token."""
    _ok(fresh_env, "org", "create", "acme", "--name", "Acme")
    _ok(fresh_env, "system", "create", "enclave", "--org", "acme", "--name", "Enclave",
        "--framework", "fedramp-moderate")
    _ok(fresh_env, "person", "add", "Dana Ortiz", "--org", "acme")
    made = _ok(fresh_env, "user", "add", "olive", "--email", "olive@acme.example")
    password = re.search(r"password: (\S+)", made.stdout).group(1)
    _ok(fresh_env, "member", "add", "olive", "--org", "acme", "--role", "owner")
    token = _ok(fresh_env, "token", "create", "--user", "olive", "--org", "acme", "--name",
                "t").stdout.strip().splitlines()[-1]
    _ok(fresh_env, "item", "add", "--org", "acme", "--system", "enclave", "--title", "Gap",
        "--detected", "2026-10-01")
    # `start`, as a laptop runs it: the server with a worker beside it (uploads are jobs).
    server = Server(["start"], dict(fresh_env, OPENPOAM_API_RATE_LIMIT="100000/min"),
                    cwd=tmp_path)
    browser = Browser(server.url)
    status, body = browser.sign_in("olive", password)
    assert status == 200 and "Sign out" in body or "sign out" in body.lower(), (status, body[:500])
    yield server, browser, token, fresh_env
    server.stop()


def _api(server, token, method, path, body=None, content_type="application/json"):
    request = urllib.request.Request(server.url + "/api/v1" + path, data=body, method=method,
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _api_job_outcome(server, token, job: dict, seconds: float = 90) -> dict:
    """An API job, polled at /api/v1/jobs/ID until it ends."""
    deadline = time.monotonic() + seconds
    while job["state"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        status, job = _api(server, token, "GET", f"/jobs/{job['id']}")
        assert status == 200, (status, job)
    return job


def _job_outcome(browser, page: str, seconds: float = 90) -> str:
    """The job page's progress fragment, polled as the page's HTMX does, until it ends."""
    found = re.search(r'hx-get="([^"]+/progress/)"', page)
    if found is None:
        return page
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, fragment = browser.get(html.unescape(found.group(1)))
        assert status < 500, fragment[-800:]
        if 'hx-trigger="every' not in fragment:
            return fragment
        time.sleep(0.5)
    raise AssertionError(f"the job did not end: {fragment[-800:]}")


def test_hostile_requests_are_refused_not_500(site, tmp_path):
    server, browser, token, env = site
    system = "/org/acme/system/enclave"
    deep = _deep_oscal(tmp_path / "deep.json").read_bytes()

    # A 50,000-deep JSON file: through the web upload (whose dry run starts at once) ...
    status, body = browser.upload(f"{system}/imports/upload/", "deep.json", deep)
    assert status < 500 and "deep.json" in body, (status, body[-800:])
    body = _job_outcome(browser, body)
    assert "levels deep" in body, body[-800:]
    # ... the API's import, and the API's own JSON bodies.
    boundary = "b0undary"
    upload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
              f"filename=\"deep.json\"\r\n\r\n").encode() + deep + f"\r\n--{boundary}--\r\n".encode()
    status, answer = _api(server, token, "POST", "/orgs/acme/systems/enclave/imports", upload,
                          f"multipart/form-data; boundary={boundary}")
    assert status == 202, (status, answer)
    answer = _api_job_outcome(server, token, answer)
    assert answer["state"] == "failed" and "levels deep" in answer["error"], answer
    status, answer = _api(server, token, "PATCH", "/orgs/acme/items/POAM-2026-0001",
                          b'{"title": ' + b"[" * DEPTH + b"]" * DEPTH + b"}")
    assert status == 422 and "levels deep" in answer["detail"], (status, answer)

    # Unknown fields in a body are named, and nothing moves.
    status, answer = _api(server, token, "PATCH", "/orgs/acme/items/POAM-2026-0001",
                          json.dumps({"system": "other", "titel": "x"}).encode())
    assert status == 422 and "system" in answer["detail"] and "titel" in answer["detail"], answer
    # Evidence as multipart/form-data without a boundary.
    status, answer = _api(server, token, "POST", "/orgs/acme/items/POAM-2026-0001/evidence",
                          b"file=x", "multipart/form-data")
    assert status in (400, 415), (status, answer)

    # Identifiers that are not plain digits ('²' passes str.isdigit, not int).
    for fields in ({"revoke": "abc"}, {"revoke": "²"}, {"person": "abc"}, {"person": "²"}):
        status, body = browser.post(f"{system}/calendars/", fields)
        assert status in (200, 400, 404), (fields, status, body[:300])
    status, _ = browser.get(f"{system}/?owner=%C2%B2")
    assert status == 200
    status, _ = browser.post("/tokens/revoke/", {"token": "²"})
    assert status == 200  # back on the tokens page, nothing revoked
    status, answer = _api(server, token, "GET", "/orgs/acme/systems/enclave/items?owner=%C2%B2")
    assert status == 422 and answer["field"] == "owner"

    # NUL in any form field: refused naming the field, on both databases.
    status, body = browser.post(f"{system}/calendars/", {"person": "1\x00"})
    assert status == 400 and "person" in body and "NUL" in body
    status, body = Browser(server.url).sign_in("a\x00b", "x")
    assert status == 400 and "username" in body

    assert server.process.poll() is None, "the server died"
    peak = _peak_mb(server.process.pid)
    assert peak < PEAK_MB, f"the server peaked at {peak:.0f} MB"
    assert "Traceback" not in server.log.read_text()


def test_cli_refuses_hostile_files(fresh_env, tmp_path):
    _ok(fresh_env, "org", "create", "acme", "--name", "Acme")
    _ok(fresh_env, "system", "create", "enclave", "--org", "acme", "--name", "Enclave",
        "--framework", "cmmc-l2")
    deep = _deep_oscal(tmp_path / "deep.json")
    done = run(["import", str(deep), "--org", "acme", "--system", "enclave", "--dry-run"],
               fresh_env)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert "deep.json" in done.stderr and "levels deep" in done.stderr
    for command in (["cmmc", "evaluate"], ["fedramp", "deadlines"]):
        done = run([*command, str(deep)], fresh_env)
        assert done.returncode == 2 and "levels deep" in done.stderr, (command, done.stderr)
    # A POA&M CSV row whose title holds a NUL: refused naming the field, nothing stored.
    _ok(fresh_env, "system", "create", "other", "--org", "acme", "--name", "Other",
        "--framework", "cmmc-l2")
    _ok(fresh_env, "item", "add", "--org", "acme", "--system", "other", "--title",
        "Bad title", "--detected", "2026-10-01")
    csv = tmp_path / "poam.csv"
    _ok(fresh_env, "export", "csv", "--org", "acme", "--system", "other", "--output", str(csv))
    csv.write_bytes(csv.read_bytes().replace(b"Bad title", b"Bad\x00title", 1))
    done = run(["import", str(csv), "--org", "acme", "--system", "enclave", "--format", "csv"],
               fresh_env)
    assert done.returncode == 1 and "NUL" in done.stderr and "database error" not in done.stderr, \
        done.stderr
    listed = _ok(fresh_env, "item", "list", "--org", "acme", "--system", "enclave", "--json")
    assert json.loads(listed.stdout)["items"] == []

    # A workbook whose part declares a DOCTYPE after a 3 KB comment.
    workbook = tmp_path / "poam.xlsx"
    _ok(fresh_env, "export", "fedramp-xlsx", "--org", "acme", "--system", "other", "--output",
        str(workbook))
    hostile = tmp_path / "hostile.xlsx"
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(hostile, "w") as out:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/workbook.xml":
                data = data.replace(b"?>", b"?><!--" + b"x" * 3000 + b'--><!DOCTYPE w [<!ENTITY'
                                    b' a "a">]>', 1)
            out.writestr(member, data)
    done = run(["import", str(hostile), "--org", "acme", "--system", "enclave"], fresh_env)
    assert done.returncode == 1 and "xl/workbook.xml declares a DOCTYPE" in done.stderr, \
        done.stderr
