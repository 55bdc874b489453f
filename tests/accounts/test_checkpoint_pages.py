"""The audit page's checkpoints: public key, download, and the check against an upload."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from openpoam.tracker.models import ChangeEvent
from openpoam.tracker.services import Actor, setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client, alice, org_a, settings, tmp_path):
    settings.SIGNING_KEY_FILE = tmp_path / "keys" / "key.pem"
    client.force_login(alice)
    return client


def _check(client, data: bytes, name="checkpoint.json"):
    return client.post(reverse("audit-verify", args=["org-a"]),
                       {"checkpoint": SimpleUploadedFile(name, data)})


def test_the_page_shows_the_key_and_checks_a_downloaded_checkpoint(owner, alice, org_a):
    page = owner.get(reverse("audit", args=["org-a"])).content.decode()
    pem = owner.get(reverse("audit-public-key", args=["org-a"])).content.decode()
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    downloaded = owner.get(reverse("audit-checkpoint", args=["org-a"]))
    fingerprint = page.split("Key fingerprint <code class=\"hash\">")[1].split("</code>")[0]
    assert len(fingerprint) == 39
    intact = _check(owner, downloaded.content)
    assert intact.status_code == 200 and "Intact: all" in intact.content.decode()
    setup.add_person(Actor.for_user(alice), org_a.org, "Later Person")  # appending is fine
    assert "Intact: all" in _check(owner, downloaded.content).content.decode()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL refuses the deletion")
def test_a_rolled_back_chain_is_named_on_the_page(owner, org_a):
    downloaded = owner.get(reverse("audit-checkpoint", args=["org-a"])).content
    last = ChangeEvent.objects.filter(organization=org_a.org).order_by("-sequence").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tracker_changeevent WHERE id = %s", [last.pk])
        cursor.execute("UPDATE tracker_chainhead SET sequence = sequence - 1, hash = %s "
                       "WHERE key = %s", [last.prev_hash, f"org:{org_a.org.pk}"])
    page = _check(owner, downloaded).content.decode()
    assert f"record #{last.sequence} is missing" in page and "went back" in page


def test_bad_uploads_and_other_roles(owner, client, bob, org_a):
    refused = _check(owner, b"not a checkpoint", "notes.txt")
    assert refused.status_code == 422 and "carries no audit trail checkpoint" in \
        refused.content.decode() and "notes.txt" in refused.content.decode()
    data = json.loads(owner.get(reverse("audit-checkpoint", args=["org-a"])).content)
    data["scope"] = "<script>alert(1)</script>"
    altered = _check(owner, json.dumps(data).encode()).content.decode()
    assert "the signature does not match" in altered
    client.force_login(bob)  # a viewer: no audit trail, no checkpoints
    assert client.get(reverse("audit-checkpoint", args=["org-a"])).status_code == 403
    assert client.get(reverse("audit-public-key", args=["org-a"])).status_code == 403
    assert _check(client, b"{}").status_code == 403
