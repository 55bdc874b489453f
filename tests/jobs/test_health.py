"""/healthz: 200 or 503 with a JSON body, for anyone, naming no secret."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from openpoam.jobs.models import WorkerBeat
from openpoam.jobs.worker import heartbeat

pytestmark = pytest.mark.django_db


def test_healthy_with_a_worker_seen_in_the_last_minute(settings):
    heartbeat("w1")
    answer = Client().get("/healthz")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    body = answer.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "worker", "evidence_disk"}
    assert body["checks"]["evidence_disk"]["free_bytes"] > 0
    text = answer.content.decode()
    for secret in (settings.SECRET_KEY, str(settings.DATABASES["default"]["NAME"])):
        assert secret not in text


def test_503_without_a_worker_or_with_a_full_evidence_disk(settings):
    assert Client().get("/healthz").status_code == 503
    WorkerBeat.objects.create(worker_id="old", host="h", pid=1, started_at=timezone.now(),
                              seen_at=timezone.now() - timedelta(minutes=2))
    stale = Client().get("/healthz")
    assert stale.status_code == 503 and stale.json()["checks"]["worker"]["ok"] is False
    heartbeat("w1")
    settings.HEALTH_MIN_FREE_BYTES = 10 ** 18
    full = Client().get("/healthz")
    assert full.status_code == 503 and full.json()["checks"]["evidence_disk"]["ok"] is False
    assert full.json()["checks"]["worker"]["ok"] is True


def test_a_database_failure_is_503_and_names_no_connection_detail(monkeypatch):
    from openpoam.jobs import health

    def broken():
        raise RuntimeError("could not connect to postgresql://app:hunter2@db/openpoam")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    answer = Client().get("/healthz")
    assert answer.status_code == 503 and "hunter2" not in answer.content.decode()
    assert answer.json()["checks"]["database"] == {"ok": False, "detail": "RuntimeError"}
