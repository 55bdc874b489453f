"""CAC/PIV through a real nginx (deploy/nginx-cac.conf, with test certificates): the card's
subject DN, set by nginx from a verified client certificate, signs the mapped account in;
the same header sent straight to the app server by a client is ignored."""

from __future__ import annotations

import os
import subprocess
import urllib3

import pytest
import requests

from tests.deploy.servers import (REPO, environment, fresh_database, free_port, nginx_binary,
                                  run, start_serve, stop, wait_for_port)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(nginx_binary() is None, reason="needs nginx (apt-get install "
                                                                "nginx)")]
SUBJECT = "/C=US/O=U.S. Government/OU=DoD/OU=PKI/CN=DOE.JANE.1234567890"
DN = "CN=DOE.JANE.1234567890,OU=PKI,OU=DoD,O=U.S. Government,C=US"  # as nginx writes it
PROXY_ADDRESS = "127.0.0.2"  # nginx connects from here; the test's own client from 127.0.0.1


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _certificates(folder) -> None:
    for ca in ("ca", "other-ca"):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                 f"/CN=Test {ca}", "-keyout", str(folder / f"{ca}.key"),
                 "-out", str(folder / f"{ca}.pem"))
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
             "/CN=localhost", "-keyout", str(folder / "server.key"),
             "-out", str(folder / "server.pem"))
    for card, ca in (("card", "ca"), ("stranger", "other-ca")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", SUBJECT,
                 "-keyout", str(folder / f"{card}.key"), "-out", str(folder / f"{card}.csr"))
        _openssl("x509", "-req", "-in", str(folder / f"{card}.csr"), "-CA",
                 str(folder / f"{ca}.pem"), "-CAkey", str(folder / f"{ca}.key"),
                 "-CAcreateserial", "-days", "1", "-out", str(folder / f"{card}.pem"))


def _nginx_conf(folder, port: int, app_port: int) -> str:
    """deploy/nginx-cac.conf as documented, with this test's ports, files and proxy_bind."""
    site = (REPO / "deploy" / "nginx-cac.conf").read_text()
    for old, new in (("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;"),
                     ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
                     ("/etc/nginx/tls/poam.example.mil.crt", str(folder / "server.pem")),
                     ("/etc/nginx/tls/poam.example.mil.key", str(folder / "server.key")),
                     ("/etc/nginx/tls/dod-ca-bundle.pem", str(folder / "ca.pem")),
                     ("proxy_pass http://openpoam;",
                      f"proxy_pass http://openpoam; proxy_bind {PROXY_ADDRESS};")):
        assert old in site, old
        site = site.replace(old, new)
    user = "user root;" if os.geteuid() == 0 else ""
    return (f"worker_processes 1; {user} pid {folder}/nginx.pid; error_log {folder}/error.log;"
            f" events {{ worker_connections 64; }} http {{ access_log {folder}/access.log; "
            + " ".join(f"{kind}_temp_path {folder}/{kind};"
                       for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"\n{site}\n}}\n")


@pytest.fixture
def deployment(tmp_path):
    app_port, port = free_port(), free_port()
    _certificates(tmp_path)
    (tmp_path / "nginx.conf").write_text(_nginx_conf(tmp_path, port, app_port))
    with fresh_database("sso_cac") as url:
        env = environment(tmp_path / "data", OPENPOAM_TRUSTED_PROXIES=PROXY_ADDRESS,
                          OPENPOAM_CAC_HEADER="X-SSL-Client-S-DN",
                          **({"DATABASE_URL": url} if url else {}))
        run(env, "setup")
        run(env, "user", "add", "jane", "--card", DN)
        app = start_serve(env, app_port)
        nginx = subprocess.Popen([nginx_binary(), "-c", str(tmp_path / "nginx.conf"), "-p",
                                  str(tmp_path), "-g", "daemon off;"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            wait_for_port(port, nginx, "nginx")
            yield env, f"https://127.0.0.1:{port}", f"http://127.0.0.1:{app_port}"
        finally:
            stop(nginx)
            stop(app)


def _errors(env) -> list[str]:
    code = ("import django; django.setup(); from openpoam.tracker.models import ChangeEvent as E; "
            "print('\\n'.join(E.objects.filter(action='sign-in-failed', field='error')"
            ".order_by('id').values_list('new_value', flat=True)))")
    done = subprocess.run([os.sys.executable, "-c", code], capture_output=True, text=True,
                          env={**env, "DJANGO_SETTINGS_MODULE": "openpoam.settings"}, check=True)
    return [line.strip('"') for line in done.stdout.split()]


def test_the_card_header_signs_in_through_the_proxy_and_is_ignored_from_a_client(deployment,
                                                                                 tmp_path):
    env, proxy, direct = deployment
    urllib3.disable_warnings()
    with requests.Session() as through:
        through.cert = (str(tmp_path / "card.pem"), str(tmp_path / "card.key"))
        page = through.get(proxy + "/login/card/", timeout=30, verify=False)
        assert page.status_code == 200 and "Signed in as" in page.text and "jane" in page.text

    # Straight to the app server, with the headers nginx would have set: refused.
    forged = requests.get(direct + "/login/card/", timeout=30, allow_redirects=False,
                          headers={"X-SSL-Client-S-DN": DN, "X-SSL-Client-Verify": "SUCCESS"})
    assert forged.status_code == 403 and "only through" in forged.text
    assert "sessionid" not in forged.cookies

    # Through the proxy with a card from another CA, or none: no verified card.
    with requests.Session() as stranger:
        stranger.cert = (str(tmp_path / "stranger.pem"), str(tmp_path / "stranger.key"))
        refused = stranger.get(proxy + "/login/card/", timeout=30, verify=False,
                               allow_redirects=False)
        assert refused.status_code in (400, 403)  # nginx may refuse the handshake's cert itself
    bare = requests.get(proxy + "/login/card/", timeout=30, verify=False, allow_redirects=False)
    assert bare.status_code == 403 and "did not pass a verified" in bare.text

    errors = _errors(env)
    assert errors[0] == "untrusted_peer" and errors[-1] == "no_verified_card"
