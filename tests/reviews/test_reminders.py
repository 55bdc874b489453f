"""Reminder digests: one e-mail per owner, through Django's e-mail settings, delivered to a
real SMTP server in one test."""

from __future__ import annotations

import time
from datetime import date

import pytest
from django.core import mail

from openpoam.reviews.services.reminders import digests, send_reminders
from openpoam.tracker.services import items, milestones
from tests.reviews.conftest import ROOT

TODAY = date(2026, 11, 29)


def test_each_owner_gets_one_digest_of_what_needs_them(poam, dana, lee):
    sent = send_reminders(TODAY)
    assert sorted(d.person.name for d in sent) == ["Dana Ortiz", "Lee Park"]
    assert len(mail.outbox) == 2
    to_dana = next(m for m in mail.outbox if m.to == ["dana@acme.example"])
    assert "1 due this week" in to_dana.subject
    assert "Buy FIDO2 tokens" in to_dana.body and "due 2026-12-02" in to_dana.body
    to_lee = next(m for m in mail.outbox if m.to == ["lee@acme.example"])
    assert "1 overdue" in to_lee.subject
    assert "Audit logs not reviewed (was due 2026-11-01)" in to_lee.body


def test_a_milestone_owner_is_reminded_rather_than_the_item_owner(poam, lee):
    milestones.add_milestone(ROOT, poam[2], "Draft the banner text", date(2026, 12, 1),
                             owner=lee)
    lee_digest = next(d for d in digests(TODAY) if d.person == lee)
    assert [m.description for m in lee_digest.due_soon] == ["Draft the banner text"]


def test_nothing_is_sent_for_closed_items_or_people_without_email(poam, org, system):
    from openpoam.tracker.services import setup

    nobody = setup.add_person(ROOT, org, "No Mail")
    items.create_item(ROOT, system, title="x", detected_on=date(2026, 1, 1), owner=nobody,
                      scheduled_completion=date(2026, 2, 1))
    assert "No Mail" not in [d.person.name for d in digests(TODAY)]


def test_a_dry_run_sends_nothing(poam):
    assert len(send_reminders(TODAY, dry_run=True)) == 2
    assert mail.outbox == []


def test_stale_items_are_listed(poam, dana):
    from openpoam.tracker.models import PoamItem

    PoamItem.objects.filter(pk=poam[2].pk).update(updated_at="2026-09-01T00:00:00Z")
    dana_digest = next(d for d in digests(TODAY) if d.person == dana)
    assert [i.poam_id for i in dana_digest.stale_items] == [poam[2].poam_id]


@pytest.fixture
def smtp_server():
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    import socket

    with socket.socket() as probe:  # a free port on the loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = aiosmtpd.Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, received
    finally:
        controller.stop()


def test_digests_are_delivered_to_a_real_smtp_server(poam, settings, smtp_server):
    controller, received = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    send_reminders(TODAY)
    deadline = time.monotonic() + 5
    while len(received) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(m["To"] for m in received) == ["dana@acme.example", "lee@acme.example"]
    assert all(m["Subject"].startswith("[OpenPOAM] Acme Precision") for m in received)
