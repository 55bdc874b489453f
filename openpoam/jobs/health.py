"""What /healthz reports to a load balancer: the database answers, the cache answers, a
worker was heard from in the last minute, and the evidence folder has room. No secrets:
only yes/no, ages and sizes."""

from __future__ import annotations

import shutil
import time
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from openpoam.jobs.models import WorkerBeat

WORKER_SEEN_WITHIN = timedelta(minutes=1)


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _cache() -> dict:
    key, value = f"openpoam-healthz-{uuid.uuid4().hex}", "1"
    cache.set(key, value, 10)
    ok = cache.get(key) == value
    cache.delete(key)
    return {"ok": ok}


def _worker() -> dict:
    latest = WorkerBeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    if latest is None:
        return {"ok": False, "detail": "no worker has been seen (start `openpoam worker`)"}
    age = (timezone.now() - latest).total_seconds()
    return {"ok": age <= WORKER_SEEN_WITHIN.total_seconds(), "last_seen_seconds": round(age, 1)}


def _disk() -> dict:
    folder = Path(settings.EVIDENCE_DIR)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    need = settings.HEALTH_MIN_FREE_BYTES
    return {"ok": free >= need, "free_bytes": free, "minimum_bytes": need}


CHECKS = {"database": _database, "cache": _cache, "worker": _worker, "evidence_disk": _disk}


def report() -> tuple[bool, dict]:
    started = time.monotonic()
    checks = {}
    for name, check in CHECKS.items():
        if name in checks:
            continue
        try:
            checks[name] = check()
        except Exception as exc:  # the check failed: say which, not the connection string
            checks[name] = {"ok": False, "detail": type(exc).__name__}
            if name == "database":
                checks["worker"] = {"ok": False, "detail": "database unavailable"}
                connection.close()
    healthy = all(c["ok"] for c in checks.values())
    return healthy, {"status": "ok" if healthy else "failing", "checks": checks,
                     "seconds": round(time.monotonic() - started, 3)}
