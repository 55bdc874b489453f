"""nginx (TLS) in front of two `openpoam serve` processes sharing one database.

The proxy is trusted (OPENPOAM_TRUSTED_PROXIES=127.0.0.1); the client connects from
127.0.0.2, so the audit trail must say 127.0.0.2, never the proxy's address nor an address
the client wrote into X-Forwarded-For itself. A client talking to an app server directly is
not trusted: its X-Forwarded-* headers change nothing.
"""

from __future__ import annotations

import html
import uuid

import pytest

from tests.deploy import servers
from tests.deploy.https_client import Client

pytestmark = pytest.mark.skipif(servers.nginx_binary() is None,
                                reason="nginx is not installed: the reverse-proxy test is skipped")

FORGED = "198.51.100.7"
ADDRESS_FAILURES = 3


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("proxy")
    extra = {"OPENPOAM_HTTPS": "1", "OPENPOAM_TRUSTED_PROXIES": "127.0.0.1, ::1",
             "OPENPOAM_LOCKOUT_ADDRESS_FAILURES": str(ADDRESS_FAILURES)}
    suffix = uuid.uuid4().hex[:8]
    with servers.fresh_database(f"proxy_{suffix}") as url:
        if url:
            extra["DATABASE_URL"] = url
        yield from _serve_behind_nginx(folder, servers.environment(folder / "data", **extra),
                                       suffix)


def _serve_behind_nginx(folder, env, suffix):
    slug, username = f"proxied-{suffix}", f"owner-{suffix}"
    servers.run(env, "setup")
    servers.run(env, "org", "create", slug, "--name", "Behind the proxy")
    password = servers.password_of(servers.run(env, "user", "add", username).stdout)
    servers.run(env, "member", "add", username, "--org", slug, "--role", "owner")
    app_ports = [servers.free_port(), servers.free_port()]
    started = []
    try:
        for port in app_ports:
            started.append(servers.start_serve(env, port))
        proxy_port = servers.free_port()
        started.append(servers.start_nginx(folder / "nginx", proxy_port, app_ports))
        yield {"proxy": proxy_port, "apps": app_ports, "slug": slug, "username": username,
               "password": password}
    finally:
        for process in reversed(started):
            servers.stop(process)


def _audit_rows(client: Client, slug: str) -> list[str]:
    status, _headers, page = client.request("GET", f"/org/{slug}/audit/")
    assert status == 200, (status, page[:300])
    return [html.unescape(row) for row in page.split("<tr")[1:]]


def test_sign_in_through_the_proxy_records_the_real_client(site):
    client = Client(site["proxy"], tls=True)
    # The client writes its own X-Forwarded-For; nginx appends the address it saw.
    status, headers, _page = client.sign_in(site["username"], site["password"])
    assert status == 302, "sign-in through the TLS proxy must not loop on the https redirect"
    assert headers["location"] == "/"
    upstreams = set()
    for _ in range(4):
        status, headers, page = client.request("GET", "/", headers={"X-Forwarded-For": FORGED})
        assert status == 200, (status, headers.get("location"))
        upstreams.add(headers["x-upstream"])
    assert upstreams == {f"127.0.0.1:{p}" for p in site["apps"]}, "both app servers answered"
    rows = _audit_rows(client, site["slug"])
    sign_ins = [r for r in rows if "sign-in" in r and site["username"] in r]
    assert sign_ins, "the sign-in is in the audit trail"
    assert "127.0.0.2" in sign_ins[0]
    assert "127.0.0.1" not in sign_ins[0] and FORGED not in sign_ins[0]


def test_failed_sign_ins_lock_out_the_client_not_everyone_behind_the_proxy(site):
    attacker = Client(site["proxy"], tls=True, source="127.0.0.2")
    for n in range(ADDRESS_FAILURES):  # a fresh forged address each time changes nothing
        status, _headers, page = attacker.sign_in(
            f"nobody-{n}", "guess", headers={"X-Forwarded-For": f"198.51.100.{n + 1}"})
        assert status == 200 and "enter a correct username" in page
    status, _headers, page = attacker.sign_in(site["username"], site["password"])
    assert status == 200 and "Too many failed sign-ins" in page, "127.0.0.2 is locked out"
    neighbour = Client(site["proxy"], tls=True, source="127.0.0.3")
    assert neighbour.sign_in(site["username"], site["password"])[0] == 302, \
        "another client behind the same proxy still signs in"


def test_a_direct_client_cannot_forge_the_proxy_headers(site):
    direct = Client(site["apps"][0], tls=False)
    status, headers, _page = direct.request("GET", "/login/", headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-For": FORGED,
        "X-Forwarded-Host": "evil.example"})
    # Not trusted: still plain HTTP, so HTTPS mode sends it to https on its own Host.
    assert status == 301
    assert headers["location"] == f"https://localhost:{site['apps'][0]}/login/"
