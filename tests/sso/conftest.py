"""A real OpenID provider (tests/sso/provider, django-oauth-toolkit) and a real `openpoam
serve`, each in a process of its own, on free ports; a database of their own (SQLite, or a
fresh PostgreSQL database when DATABASE_URL names one), dropped afterwards."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from tests.browsing import CHROMIUM, CHROMIUM_ARGS
from tests.cli.process import free_port

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "openpoam-test", "a-client-secret-for-tests"
PASSWORD = "provider-pass-1"


def openpoam_command() -> list[str]:
    found = shutil.which("openpoam", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "openpoam.cli"]


def _wait(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server stopped ({process.returncode})")
        try:
            requests.get(url, timeout=10)
            return
        except requests.RequestException:  # not listening yet, or still starting
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Provider:
    folder: Path
    issuer: str
    people: dict = field(default_factory=dict)

    def set_people(self, people: dict) -> None:
        self.people = people
        (self.folder / "people.json").write_text(json.dumps(people))

    def set_groups(self, username: str, groups: list[str]) -> None:
        self.people[username]["groups"] = groups
        self.set_people(self.people)

    def misbehave(self, how: str) -> None:
        (self.folder / "mode").write_text(how)


PEOPLE = {
    "carol": {"password": PASSWORD, "email": "carol@example.com",
              "groups": ["poam-editors", "assessors"]},
    "dave": {"password": PASSWORD, "email": "dave@example.com", "groups": ["poam-editors"]},
    "erin": {"password": PASSWORD, "email": "erin@example.com", "groups": [],
             "amr": ["pwd", "mfa"]},
}


@pytest.fixture(scope="module")
def app_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def provider(tmp_path_factory, app_port):
    folder = tmp_path_factory.mktemp("provider")
    found = Provider(folder=folder, issuer="")
    found.set_people(json.loads(json.dumps(PEOPLE)))
    base = f"http://127.0.0.1:{app_port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sso.provider.run", str(folder), CLIENT_ID, CLIENT_SECRET,
         f"{base}/login/sso/callback/", f"{base}/login/"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("PORT "), f"the provider did not start: {line!r}"
        found.issuer = f"http://127.0.0.1:{int(line.split()[1])}/o"
        _wait(found.issuer + "/.well-known/openid-configuration", process)
        yield found
    finally:
        _stop(process)


@dataclass
class App:
    url: str
    env: dict

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*openpoam_command(), *args], env=self.env, capture_output=True,
                              text=True, timeout=120)

    def ok(self, *args: str) -> str:
        done = self.cli(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def python(self, code: str) -> str:
        """Run ``code`` with the product's Django set up, in a fresh process."""
        done = subprocess.run([sys.executable, "-c", "import django; django.setup(); " + code],
                              capture_output=True, text=True, timeout=120,
                              env={**self.env, "DJANGO_SETTINGS_MODULE": "openpoam.settings"})
        assert done.returncode == 0, done.stderr
        return done.stdout

    def audit(self, action: str = "") -> list[dict]:
        """The audit trail's records, read by the product's own models in a fresh process."""
        out = self.python("import json; "
                "from openpoam.tracker.models import ChangeEvent as E; "
                "print(json.dumps(list(E.objects.order_by('id').values("
                "'actor_name','entity','entity_ref','action','field','old_value','new_value')), "
                "default=str))")
        rows = [{"actor_name": r["actor_name"], "entity": r["entity"],
                 "entity_id": r["entity_ref"], "action": r["action"], "field_name": r["field"],
                 "old": r["old_value"], "new": r["new_value"]} for r in json.loads(out)]
        return [r for r in rows if not action or r["action"] == action]


@pytest.fixture
def database_url():
    """'' for SQLite; else a fresh PostgreSQL database beside DATABASE_URL's, dropped after."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield ""
        return
    import psycopg

    name = f"openpoam_sso_e2e_{uuid.uuid4().hex[:8]}"
    admin = urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlparse(url)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def start_app(tmp_path, database_url, provider, app_port):
    """start_app(**env) sets up the product (`openpoam setup`, two organizations), returns
    an App before serving; app.serve() starts `openpoam serve` on the port the provider
    knows."""
    running: list[subprocess.Popen] = []

    def start(extra: dict | None = None, prepare=None) -> App:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("OPENPOAM_") and k not in ("DATABASE_URL", "SECRET_KEY")}
        env.update({"PYTHONPATH": str(ROOT), "OPENPOAM_DATA_DIR": str(tmp_path / "data"),
                    "OPENPOAM_OIDC_ISSUER": provider.issuer, "OPENPOAM_OIDC_CLIENT_ID": CLIENT_ID,
                    "OPENPOAM_OIDC_CLIENT_SECRET": CLIENT_SECRET,
                    "OPENPOAM_OIDC_PROVIDER_NAME": "Test Provider"})
        if database_url:
            env["DATABASE_URL"] = database_url
        env.update(extra or {})
        app = App(url=f"http://127.0.0.1:{app_port}", env=env)
        app.ok("setup")
        app.ok("org", "create", "org-a", "--name", "Organization A")
        app.ok("org", "create", "org-b", "--name", "Organization B")
        if prepare:
            prepare(app)
        process = subprocess.Popen([*openpoam_command(), "serve", "--port", str(app_port)],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        running.append(process)
        _wait(app.url + "/login/", process)
        return app

    yield start
    for process in running:
        _stop(process)
    provider.misbehave("")
    provider.set_people(json.loads(json.dumps(PEOPLE)))


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in_with_provider(page, app: App, username: str) -> None:
    """From the product's sign-in page through the provider's form (when it asks) and back."""
    page.goto(app.url + "/login/")
    click_provider(page)
    if "Test provider" in page.title():
        page.get_by_label("Provider user name").fill(username)
        page.get_by_label("Provider password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(lambda url: url.startswith(app.url))
        page.wait_for_load_state()


def click_provider(page) -> None:
    page.get_by_role("link", name="Sign in with Test Provider").click()
    page.wait_for_url(lambda url: not url.endswith("/login/"))
    page.wait_for_load_state()
