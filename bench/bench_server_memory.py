"""Benchmark: the memory of one `openpoam serve` process over thousands of real requests.

    python bench/bench_server_memory.py [--requests 3000] [--report-every 500]

Loads the demo the way a user does (`openpoam demo`, `openpoam create-admin`), starts
`openpoam serve` on a free port, signs in through the login form and walks the pages a
month of browser use walks (the list with changing searches and filters, items, history,
checks, metrics, reviews, the audit trail, exports, the API) over HTTP, one request after
another. Prints the server's resident memory (VmRSS from /proc) before the first request
and every --report-every requests. A server that keeps what it served grows with the
number of requests; a healthy one levels off after warming up.
Goal: the RSS after 3,000 requests within 60 MB of the RSS after the first 500.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import itertools
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

OPENPOAM = Path(sys.executable).parent / "openpoam"
SYSTEM = "/org/redstone/system/cui-enclave/"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--report-every", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="openpoam-bench-mem-") as folder:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
        env["OPENPOAM_DATA_DIR"] = folder
        _run(env, "demo")
        made = _run(env, "create-admin")
        password = re.search(r"password: (\S+)", made).group(1)
        token = _run(env, "token", "create", "--user", "admin", "--org", "redstone",
                     "--name", "bench").strip().splitlines()[-1] if _owner(env) else ""
        port = _free_port()
        server = subprocess.Popen([str(OPENPOAM), "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base)
            opener = _signed_in(base, password)
            print(f"before any page: {_rss_mb(server.pid):.0f} MB")
            started = time.perf_counter()
            for count, path in enumerate(itertools.islice(_walk(), args.requests), 1):
                _get(opener, base + path, token if path.startswith("/api/") else "")
                if count % args.report_every == 0:
                    print(f"after {count:>6,} requests: {_rss_mb(server.pid):.0f} MB "
                          f"({time.perf_counter() - started:.0f} s)")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


def _walk():
    """The pages, in the order a person clicks through them, with searches and filters
    that change from one request to the next (as typing into the live search does)."""
    items = [f"POAM-{year}-{n:04d}" for year in (2025, 2026) for n in range(1, 15)]
    words = ["mfa", "vpn", "audit", "backup", "patch", "tls", "log", "screening", "admin"]
    for n in itertools.count():
        item = items[n % len(items)]
        word = words[n % len(words)]
        yield from (
            "/", SYSTEM, f"{SYSTEM}?q={word}{n}", f"{SYSTEM}?q={word}&risk=high&sort=-due",
            f"{SYSTEM}?status=delayed&page={n % 3 + 1}", f"{SYSTEM}items/{item}/",
            f"{SYSTEM}items/{item}/edit/", f"{SYSTEM}dashboard/", f"{SYSTEM}checks/",
            f"{SYSTEM}metrics/", f"{SYSTEM}reviews/", f"{SYSTEM}cmmc/", f"{SYSTEM}imports/",
            "/org/redstone/audit/", f"/org/redstone/audit/?since=2026-01-{n % 28 + 1:02d}",
            f"{SYSTEM}export/csv/", f"{SYSTEM}export/fedramp-xlsx/",
            "/api/v1/orgs/redstone/systems/cui-enclave/items?limit=50",
            f"/api/v1/orgs/redstone/items/{item}", f"/api/v1/orgs/redstone/items/{item}/history",
            f"/no-such-page-{n}/")


def _run(env: dict, *args: str) -> str:
    done = subprocess.run([str(OPENPOAM), *args], env=env, text=True, capture_output=True,
                          timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"openpoam {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def _owner(env: dict) -> bool:
    """The admin needs a role in the demo organization for a token (start gives it)."""
    subprocess.run([str(OPENPOAM), "member", "add", "admin", "--org", "redstone", "--role",
                    "owner"], env=env, capture_output=True, timeout=120)
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(base: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/login/", timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def _signed_in(base: str, password: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login/", timeout=30).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "username": "admin",
                                   "password": password}).encode()
    request = urllib.request.Request(base + "/login/", data=form,
                                     headers={"Referer": base + "/login/"})
    opener.open(request, timeout=30).read()
    return opener


def _get(opener, url: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=120) as answer:
            answer.read()
    except urllib.error.HTTPError as refused:
        refused.read()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


if __name__ == "__main__":
    sys.exit(main())
