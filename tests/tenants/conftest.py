"""A fresh data folder (and on PostgreSQL a fresh database) with one `openpoam serve`,
for tests that drive the installed command line and real HTTP."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
import requests

from tests.deploy import servers


@dataclass
class Site:
    env: dict
    url: str

    def run(self, *args: str, check: bool = True):
        return servers.run(self.env, *args, check=check)

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, timeout=30, allow_redirects=False, **kwargs)

    def sign_in(self, username: str, password: str) -> tuple[requests.Session, requests.Response]:
        """A browser-like session after posting the sign-in form (the answer not followed)."""
        session = requests.Session()
        page = session.get(self.url + "/login/", timeout=30).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        done = session.post(self.url + "/login/", allow_redirects=False, timeout=30, data={
            "csrfmiddlewaretoken": token, "username": username, "password": password})
        return session, done

    def post(self, session: requests.Session, path: str, data: dict) -> requests.Response:
        """A form post in that session (CSRF token from its cookie), redirects followed."""
        return session.post(self.url + path, timeout=30, data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"], **data})

    def python(self, code: str) -> str:
        """Django code run in a process of its own against the site's database (the test's
        stand-in for time passing, or an administrator's edit in the admin site)."""
        import subprocess
        import sys

        done = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code],
                              env={**self.env, "DJANGO_SETTINGS_MODULE": "openpoam.settings"},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    with servers.fresh_database(f"site_{uuid.uuid4().hex[:8]}") as url:
        env = servers.environment(folder / "data", **({"DATABASE_URL": url} if url else {}))
        servers.run(env, "setup")
        port = servers.free_port()
        process = servers.start_serve(env, port)
        try:
            yield Site(env, f"http://127.0.0.1:{port}")
        finally:
            servers.stop(process)
