"""scripts/deploy-check: start the layout of deploy/ on one machine and run the fault drills.

What runs comes from the files a team copies, not from a second copy of them here:
- every process is its systemd unit's ExecStart (deploy/systemd/*.service, `%i` filled in,
  the installed `openpoam` in place of /opt/openpoam/.venv/bin/openpoam), with the
  environment of deploy/openpoam.env.example, overridden only where this machine differs
  (database, cache, folders, host names);
- nginx runs deploy/nginx/openpoam.conf with only the lines marked "deploy-check" rewritten
  (loopback ports, a self-signed certificate made here, server_name localhost).

Layout: a throwaway PostgreSQL database, Redis, nginx (TLS), two app servers (each with its
own data folder, as on two machines, sharing the evidence folder and keys), two workers and
the scheduler (skipped with one line when this build has no `openpoam worker`), all on
loopback. Then the drills:
  1. one app server killed: the other keeps serving through nginx;
  2. a backup while clients upload and edit, restored into a fresh folder and a fresh
     database: counts, hashes and chain heads equal, `history verify` passes;
  3. the database unreachable for 10 s: 503 through nginx, then 200 without a restart
     (default: this database refuses connections; --stop-postgresql stops the cluster).
Exit 0 when every drill passed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
OPENPOAM = Path(sys.executable).with_name("openpoam")
INSTALLED = "/opt/openpoam/.venv/bin/openpoam"

NGINX_MAIN = """worker_processes 2;
{user}
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/openpoam.conf;
}}
"""


def say(text: str) -> None:
    print(f"deploy-check: {text}", flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def read_unit(path: Path) -> dict[str, list[str]]:
    """The [Service] keys of a systemd unit (each key's values in order)."""
    keys: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            keys.setdefault(key.strip(), []).append(value.strip())
    return keys


def unit_command(unit: str, instance: str = "") -> list[str]:
    keys = read_unit(DEPLOY / "systemd" / unit)
    words = shlex.split(keys["ExecStart"][0].replace("%i", instance))
    if words[0] != INSTALLED:
        raise SystemExit(f"{unit}: ExecStart does not start with {INSTALLED}")
    return [str(OPENPOAM), *words[1:]]


class Layout:
    def __init__(self, folder: Path, admin_url: str, cache_url: str,
                 site_database: str = "") -> None:
        self.folder, self.admin_url, self.cache_url = folder, admin_url, cache_url
        self.processes: dict[str, subprocess.Popen] = {}
        self.extra: dict[str, str] = {}
        self.databases: list[str] = []
        self.shared = folder / "shared"
        self.web_ports = [free_port(), free_port()]
        self.https_port = free_port()
        self.http_port = free_port()
        self.database_url = site_database or self.new_database("site")

    # -- databases ---------------------------------------------------------------------
    def new_database(self, what: str) -> str:
        import psycopg

        name = f"openpoam_deploycheck_{what}_{secrets.token_hex(3)}"
        with psycopg.connect(self.admin_url, autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{name}"))

    def drop_databases(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as db:
            for name in self.databases:
                db.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # -- environment -------------------------------------------------------------------
    def env(self, machine: str, **extra: str) -> dict[str, str]:
        """deploy/openpoam.env.example, with what differs on this one machine."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENPOAM_")
               and k not in ("DATABASE_URL", "SECRET_KEY", "SECRET_KEY_FILE",
                             "DJANGO_SETTINGS_MODULE")}
        env.update(read_env_file(DEPLOY / "openpoam.env.example"))
        env.update(
            DATABASE_URL=self.database_url, OPENPOAM_CACHE_URL=self.cache_url,
            OPENPOAM_DATA_DIR=str(self.folder / machine),
            OPENPOAM_EVIDENCE_DIR=str(self.shared / "evidence"),
            SECRET_KEY_FILE=str(self.shared / "keys" / "secret_key"),
            OPENPOAM_SIGNING_KEY_FILE=str(self.shared / "keys" / "checkpoint-ed25519.pem"),
            OPENPOAM_CHECKPOINT_DIR=str(self.folder / "checkpoints"),
            OPENPOAM_ALLOWED_HOSTS="localhost,127.0.0.1",
            OPENPOAM_CSRF_TRUSTED_ORIGINS=f"https://localhost:{self.https_port}",
            OPENPOAM_EVIDENCE_MIN_FREE_MB="100",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        env.update(self.extra)
        env.update(extra)
        return env

    def prepare(self) -> None:
        (self.shared / "keys").mkdir(parents=True, mode=0o700)
        (self.folder / "checkpoints").mkdir()
        (self.shared / "keys" / "secret_key").write_text(secrets.token_urlsafe(50))
        os.chmod(self.shared / "keys" / "secret_key", 0o600)

    def openpoam(self, *args: str, env: dict | None = None, check: bool = True):
        done = subprocess.run([str(OPENPOAM), *args], env=env or self.env("admin"),
                              capture_output=True, text=True, timeout=600)
        if check and done.returncode != 0:
            raise SystemExit(f"openpoam {' '.join(args)} failed: {done.stderr.strip()}")
        return done

    # -- processes ---------------------------------------------------------------------
    def start(self, name: str, command: list[str], env: dict) -> None:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - the process owns it
        self.processes[name] = subprocess.Popen(command, env=env, stdout=log,
                                                stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL)

    def start_web(self, index: int) -> None:
        port = self.web_ports[index]
        self.start(f"web{index + 1}", unit_command("openpoam-web@.service", str(port)),
                   self.env(f"machine{index + 1}"))

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop(name)

    def start_nginx(self) -> None:
        folder = self.folder / "nginx"
        folder.mkdir()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                        "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
                       check=True, capture_output=True)
        site = (DEPLOY / "nginx" / "openpoam.conf").read_text()
        servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;\n"
                          for port in self.web_ports)
        site = re.sub(r"(upstream openpoam \{\n(?:\s*#.*\n)*)(\s*server .*\n)+",
                      lambda m: m.group(1) + servers, site)
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.http_port};")
        site = site.replace("listen 443 ssl", f"listen 127.0.0.1:{self.https_port} ssl")
        site = site.replace("server_name poam.example.com;", "server_name localhost;")
        site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {folder}/cert.pem;", site)
        site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {folder}/key.pem;",
                      site)
        (folder / "openpoam.conf").write_text(site)
        (folder / "nginx.conf").write_text(NGINX_MAIN.format(
            dir=folder, user="user root;" if os.geteuid() == 0 else ""))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        test = subprocess.run([nginx, "-t", "-c", str(folder / "nginx.conf"), "-p", str(folder)],
                              capture_output=True, text=True)
        if test.returncode != 0:
            raise SystemExit(f"nginx refused deploy/nginx/openpoam.conf: {test.stderr.strip()}")
        self.start("nginx", [nginx, "-c", str(folder / "nginx.conf"), "-p", str(folder),
                             "-g", "daemon off;"], os.environ.copy())


class Client:
    """HTTPS through nginx, as the API's scripts use it."""

    def __init__(self, port: int, token: str = "") -> None:
        import requests
        import urllib3

        urllib3.disable_warnings()
        self.base = f"https://127.0.0.1:{port}"
        self.session = requests.Session()
        self.session.trust_env = False  # the self-signed certificate made here; no proxies
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kw):
        return self.session.get(self.base + path, timeout=60, verify=False, **kw)

    def post(self, path: str, **kw):
        return self.session.post(self.base + path, timeout=120, verify=False, **kw)

    def patch(self, path: str, **kw):
        return self.session.patch(self.base + path, timeout=60, verify=False, **kw)


def wait_healthy(client: Client, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    last = ""
    while time.monotonic() < deadline:
        try:
            answer = client.get("/healthz")
            if answer.status_code == 200:
                return "/healthz 200"
            if answer.status_code == 404:  # this build has no health endpoint yet
                if client.get("/api/v1/openapi.json").status_code == 200:
                    return "/healthz not in this build (404); the API answers 200"
            last = f"{answer.status_code} {answer.text[:200]}"
        except Exception as exc:  # noqa: BLE001 - not up yet
            last = str(exc)
        time.sleep(0.5)
    raise SystemExit(f"the site did not become healthy through nginx: {last}")


def has_command(name: str, env: dict) -> bool:
    done = subprocess.run([str(OPENPOAM), name, "--help"], env=env, capture_output=True,
                          text=True, timeout=120)
    return done.returncode == 0


# ---- drills ---------------------------------------------------------------------------------

def drill_kill_app_server(layout: Layout, client: Client, item: str) -> str:
    layout.stop("web1", signal.SIGKILL)
    codes = [client.get(item).status_code for _ in range(30)]
    layout.start_web(0)  # systemd's Restart=always brings it back
    ok = codes.count(200)
    if ok != len(codes):
        raise AssertionError(f"with web1 killed, {len(codes) - ok} of {len(codes)} requests "
                             f"failed: {sorted(set(codes))}")
    return f"web1 killed (SIGKILL): {ok}/{len(codes)} requests answered 200 by web2"


class Writer(threading.Thread):
    def __init__(self, client: Client, item: str, n: int) -> None:
        super().__init__(daemon=True)
        self.client, self.item, self.n = client, item, n
        self.stop = threading.Event()
        self.uploads = self.edits = self.conflicts = 0
        self.errors: list[str] = []

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            i += 1
            answer = self.client.post(self.item + "/evidence",
                                      files={"file": (f"w{self.n}-{i}.bin",
                                                      os.urandom(4096) + b"%d" % i)})
            if answer.status_code == 201:
                self.uploads += 1
            else:
                self.errors.append(f"upload {answer.status_code}")
            version = self.client.get(self.item).json()["version"]
            answer = self.client.patch(self.item, json={"version": version,
                                                        "comments": f"writer {self.n} #{i}"})
            if answer.status_code == 200:
                self.edits += 1
            elif answer.status_code == 409:
                self.conflicts += 1  # another writer got there first: refused, not lost
            else:
                self.errors.append(f"edit {answer.status_code}")


def drill_backup_under_load(layout: Layout, client: Client, item: str) -> str:
    writers = [Writer(client, item, n) for n in range(3)]
    for writer in writers:
        writer.start()
    time.sleep(2)
    archive = layout.folder / "backups" / "site.tar.gz"
    archive.parent.mkdir()
    started = time.monotonic()
    made = layout.openpoam("backup", str(archive))
    took = time.monotonic() - started
    time.sleep(1)
    for writer in writers:
        writer.stop.set()
    for writer in writers:
        writer.join(60)
    errors = [e for w in writers for e in w.errors]
    if errors:
        raise AssertionError(f"requests failed during the backup: {errors[:5]}")
    fresh_db = layout.new_database("restore")
    fresh = layout.folder / "restored"
    env = layout.env("restored", DATABASE_URL=fresh_db,
                     OPENPOAM_EVIDENCE_DIR=str(fresh / "evidence"))
    restored = layout.openpoam("restore", str(archive), env=env)
    layout.openpoam("history", "verify", env=env)
    with __import__("tarfile").open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    import hashlib

    stored = {f"evidence/{p.relative_to(fresh / 'evidence')}":
              hashlib.sha256(p.read_bytes()).hexdigest()
              for p in (fresh / "evidence").rglob("*") if p.is_file()}
    listed = {k: v["sha256"] for k, v in manifest["files"].items() if k.startswith("evidence/")}
    if stored != listed:
        raise AssertionError("restored files differ from the manifest")
    uploads = sum(w.uploads for w in writers)
    edits = sum(w.edits for w in writers)
    return (f"backup of {archive.stat().st_size:,} bytes in {took:.1f} s while 3 clients made "
            f"{uploads} uploads and {edits} edits (409s: {sum(w.conflicts for w in writers)}); "
            f"{made.stdout.strip().split(': ', 1)[-1]}; restored into a fresh folder and "
            f"database: {len(stored)} files equal by SHA-256, "
            f"{len(manifest['row_counts'])} tables' counts and "
            f"{len(manifest['chain_heads'])} chain heads equal, history verify passes")


def _cut_off(layout: Layout, off: bool) -> None:
    import psycopg

    name = urlsplit(layout.database_url).path.lstrip("/")
    with psycopg.connect(layout.admin_url, autocommit=True) as db:
        db.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(not off).lower()}')
        if off:
            db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = %s AND pid <> pg_backend_pid()", [name])


def _cluster(action: str) -> None:
    version = sorted(Path("/etc/postgresql").iterdir())[-1].name
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
                   check=True)


def drill_database_down(layout: Layout, client: Client, item: str, stop_cluster: bool) -> str:
    samples: list[tuple[float, float, int, str]] = []  # sent, answered, status, type
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            sent = time.monotonic()
            try:
                answer = client.get(item)
                samples.append((sent, time.monotonic(), answer.status_code,
                                answer.headers.get("Content-Type", "")))
            except Exception:  # noqa: BLE001 - counted as a failure below
                samples.append((sent, time.monotonic(), 0, ""))
            time.sleep(0.2)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    time.sleep(2)
    how = "PostgreSQL stopped (pg_ctlcluster)" if stop_cluster else \
        "the site's database refusing connections"
    down = time.monotonic()
    _cluster("stop") if stop_cluster else _cut_off(layout, True)
    try:
        time.sleep(10)
    finally:
        # The database may answer before ``start`` returns: "during" ends when it is asked
        # to come back, not when it says it has.
        back = time.monotonic()
        _cluster("start") if stop_cluster else _cut_off(layout, False)
    up = time.monotonic()
    time.sleep(6)
    done.set()
    poller.join(30)
    during = [(code, kind) for sent, at, code, kind in samples if sent > down + 1 and at < back]
    after = [code for sent, _at, code, _kind in samples if sent > up + 3]
    codes_during = sorted({code for code, _ in during})
    if codes_during != [503] or not all(k.startswith("application/json") for _, k in during):
        raise AssertionError(f"during the outage: {codes_during}")
    if not after or set(after) != {200}:
        raise AssertionError(f"after the outage: {sorted(set(after))}")
    first_ok = next(at for _sent, at, code, _ in samples if at > up and code == 200)
    # systemd would restart a worker that exited; the point is that none needs to.
    background = [name for name in layout.processes if name.startswith(("worker", "scheduler"))]
    exited = [name for name in background if layout.processes[name].poll() is not None]
    if exited:
        raise AssertionError(f"exited during the outage: {', '.join(exited)}")
    return (f"{how} for {back - down:.1f} s (back up in {up - back:.1f} s): {len(during)} requests answered 503 (JSON, "
            f"Retry-After), none failed otherwise; 200 again {first_ok - up:.1f} s after, "
            f"{len(after)} requests 200; app servers"
            f"{', ' + ', '.join(background) if background else ''} still running, no restart")


# ---- main -----------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/deploy-check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get(
        "DEPLOY_CHECK_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="an administrator's URL to the PostgreSQL server (throwaway databases are "
             "created and dropped there)")
    parser.add_argument("--redis", default=os.environ.get("DEPLOY_CHECK_REDIS",
                                                          "redis://127.0.0.1:6379/15"),
                        help="the Redis database the servers share (OPENPOAM_CACHE_URL)")
    parser.add_argument("--stop-postgresql", action="store_true",
                        help="the database drill stops the whole local PostgreSQL cluster for "
                             "10 s (pg_ctlcluster) instead of cutting off only its database")
    parser.add_argument("--keep", action="store_true",
                        help="leave the folder (logs, archive) in place afterwards")
    parser.add_argument("--serve", type=float, metavar="SECONDS", default=0,
                        help="after the drills, keep the layout up this long (e.g. for "
                             "bench/locustfile.py) and print its address")
    parser.add_argument("--site-database", metavar="URL", default="",
                        help="serve this existing database (e.g. one filled for the load "
                             "benchmark) instead of a throwaway one; it is not dropped")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="one more setting for every process (e.g. "
                             "OPENPOAM_API_RATE_LIMIT=100000/min for a load test)")
    parser.add_argument("--drills", default="kill,backup,database",
                        help="which drills, comma-separated, or 'none' (default: all)")
    args = parser.parse_args()
    # Stopped by SIGTERM or SIGINT (even in the background): stop what it started, drop
    # the throwaway databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if not OPENPOAM.exists():
        raise SystemExit(f"no `openpoam` beside {sys.executable}: install the project first")
    if not (shutil.which("nginx") or os.access("/usr/sbin/nginx", os.X_OK)):
        raise SystemExit("nginx is not installed (Debian: apt install nginx-light)")
    folder = Path(tempfile.mkdtemp(prefix="openpoam-deploy-check-"))
    layout = Layout(folder, args.postgres, args.redis, args.site_database)
    layout.extra = dict(pair.split("=", 1) for pair in args.env)
    results, failed = [], False
    try:
        layout.prepare()
        say(f"folder {folder}; database {urlsplit(layout.database_url).path[1:]}; "
            f"cache {args.redis}")
        admin = layout.env("admin")
        layout.openpoam("setup")
        org = "redstone"
        if args.site_database:
            org = json.loads(layout.openpoam("org", "list", "--json").stdout)[0]["slug"]
        else:
            layout.openpoam("demo")
        user = f"deploycheck-{secrets.token_hex(3)}"
        layout.openpoam("user", "add", user)
        layout.openpoam("member", "add", user, "--org", org, "--role", "editor")
        token = layout.openpoam("token", "create", "--user", user, "--org", org,
                                "--name", "deploy-check").stdout.strip().splitlines()[-1]
        for index in range(2):
            layout.start_web(index)
        for n in (1, 2):
            if has_command("worker", admin):
                layout.start(f"worker{n}", unit_command("openpoam-worker@.service", str(n)),
                             layout.env(f"machine{n}"))
        if not has_command("worker", admin):
            say("workers skipped: this build has no `openpoam worker` yet")
        if has_command("scheduler", admin):
            layout.start("scheduler", unit_command("openpoam-scheduler.service"),
                         layout.env("machine1"))
        else:
            say("scheduler skipped: this build has no `openpoam scheduler` yet")
        layout.start_nginx()
        client = Client(layout.https_port, token)
        say(f"up: nginx https://127.0.0.1:{layout.https_port} -> app servers "
            f"{layout.web_ports}: {wait_healthy(client)}")
        item = "/api/v1/orgs/redstone/items/POAM-2026-0001"
        chosen = set(args.drills.split(","))
        for key, name, drill in (
                ("kill", "kill an app server", lambda: drill_kill_app_server(layout, client, item)),
                ("backup", "backup under load", lambda: drill_backup_under_load(layout, client, item)),
                ("database", "database down", lambda: drill_database_down(layout, client, item,
                                                              args.stop_postgresql))):
            if key not in chosen:
                continue
            try:
                wait_healthy(client)
                results.append(f"PASS {name}: {drill()}")
            except AssertionError as exc:
                failed = True
                results.append(f"FAIL {name}: {exc}")
            say(results[-1])
        if args.serve:
            session = subprocess.run(
                [sys.executable, str(REPO / "bench" / "bench_web.py"), "--session", user],
                env=admin, capture_output=True, text=True, check=True).stdout.strip()
            say(f"serving for {args.serve:.0f} s at https://127.0.0.1:{layout.https_port}")
            print(f"OPENPOAM_HOST=https://127.0.0.1:{layout.https_port}\n"
                  f"OPENPOAM_TOKEN={token}\nOPENPOAM_SESSION={session.partition('=')[2]}",
                  flush=True)
            time.sleep(args.serve)
    finally:
        layout.stop_all()
        if args.site_database:
            layout.databases = [n for n in layout.databases
                                if n != urlsplit(args.site_database).path.lstrip("/")]
        layout.drop_databases()
        if args.keep:
            say(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    say("all drills passed" if not failed else "some drills FAILED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
