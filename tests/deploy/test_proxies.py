"""openpoam.proxies in detail (the nginx test is the proof at the user's layer)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory

from openpoam import proxies


def _through_middleware(settings, trusted: str, peer: str, **headers):
    settings.OPENPOAM_TRUSTED_PROXIES = trusted
    settings.ALLOWED_HOSTS = ["testserver", "poam.example.com", "evil.example"]
    request = RequestFactory().get("/", REMOTE_ADDR=peer, **headers)
    seen = {}

    def view(req):
        seen.update(client=proxies.client_address(req), trusted=proxies.peer_is_trusted(req),
                    secure=req.is_secure(), host=req.get_host(), meta=dict(req.META))
        return HttpResponse()

    proxies.ProxyHeadersMiddleware(view)(request)
    return seen


def test_parsing_takes_addresses_and_networks_and_names_a_bad_entry():
    nets = proxies.parse_trusted_proxies(" 10.0.0.1, 192.168.0.0/16 ,, ::1 ")
    assert [str(n) for n in nets] == ["10.0.0.1/32", "192.168.0.0/16", "::1/128"]
    assert proxies.parse_trusted_proxies("") == ()
    with pytest.raises(ImproperlyConfigured, match="'nginx'"):
        proxies.parse_trusted_proxies("10.0.0.1,nginx")


def test_from_a_trusted_peer_the_rightmost_untrusted_address_is_the_client(settings):
    seen = _through_middleware(settings, "10.0.0.0/8", "10.0.0.5",
                               HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9, 10.0.0.7",
                               HTTP_X_FORWARDED_PROTO="https",
                               HTTP_X_FORWARDED_HOST="poam.example.com")
    assert seen["client"] == "203.0.113.9" and seen["trusted"] and seen["secure"]
    assert seen["host"] == "poam.example.com"
    assert seen["meta"]["REMOTE_ADDR"] == "203.0.113.9"
    assert seen["meta"]["OPENPOAM_PEER_ADDR"] == "10.0.0.5"
    assert "HTTP_X_FORWARDED_FOR" not in seen["meta"]


def test_from_anyone_else_the_headers_are_ignored_and_removed(settings):
    seen = _through_middleware(settings, "10.0.0.0/8", "203.0.113.9",
                               HTTP_X_FORWARDED_FOR="10.0.0.9", HTTP_X_FORWARDED_PROTO="https",
                               HTTP_X_FORWARDED_HOST="evil.example")
    assert seen["client"] == "203.0.113.9" and not seen["trusted"] and not seen["secure"]
    assert seen["host"] == "testserver"
    assert not any(k.startswith("HTTP_X_FORWARDED") for k in seen["meta"])


def test_with_no_trusted_proxy_nothing_is_believed(settings):
    seen = _through_middleware(settings, "", "127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert seen["client"] == "127.0.0.1" and not seen["trusted"]


def test_a_garbled_hop_stops_the_walk_at_the_proxy(settings):
    seen = _through_middleware(settings, "10.0.0.1", "10.0.0.1",
                               HTTP_X_FORWARDED_FOR="203.0.113.9, not-an-address")
    assert seen["client"] == "10.0.0.1"
