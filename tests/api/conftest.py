"""API test data: the web tests' acme POA&M (alice owns acme, bob views it) and globex
(charlie's only organization), with one token each: alice's full, bob's read-only,
charlie's for globex."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from openpoam.accounts.services import tokens
from openpoam.tracker.services import Actor
from tests.web.conftest import (acme, admin_actor, alice, bob, charlie,  # noqa: F401
                                enclave, globex, poam, web_settings)

BASE = "/api/v1"


@dataclass
class Caller:
    """A client that sends one user's token on every request."""

    name: str
    secret: str
    client: Client

    def call(self, method: str, path: str, **kwargs):
        url = path if path.startswith("/") else f"{BASE}/{path}"
        kwargs.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.secret}")
        if "json" in kwargs:
            kwargs["data"] = kwargs.pop("json")
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method.lower())(url, **kwargs)

    def get(self, path: str, **kwargs):
        return self.call("get", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.call("post", path, **kwargs)

    def patch(self, path: str, **kwargs):
        return self.call("patch", path, **kwargs)


def _caller(name, user, org, read_only=False) -> Caller:
    made = tokens.create_token(Actor.for_user(user), user, org, f"{name} test",
                               read_only=read_only)
    return Caller(name, made.secret, Client(HTTP_HOST="localhost"))


@pytest.fixture
def api_settings(web_settings):
    web_settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                       "LOCATION": "api-tests"}}
    from django.core.cache import cache

    cache.clear()
    return web_settings


@pytest.fixture
def as_alice(api_settings, poam, alice) -> Caller:
    return _caller("alice", alice, poam.org)


@pytest.fixture
def as_bob(api_settings, poam, bob) -> Caller:
    return _caller("bob", bob, poam.org, read_only=True)


@pytest.fixture
def as_charlie(api_settings, globex, charlie) -> Caller:
    return _caller("charlie", charlie, globex.organization)
