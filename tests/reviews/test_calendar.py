"""Private iCalendar feeds: the token opens the feed, nothing else does, revoking closes it."""

from __future__ import annotations

from datetime import date

import pytest
from icalendar import Calendar

from openpoam.reviews.models import CalendarFeed
from openpoam.reviews.services import calendar as calendars
from openpoam.tracker.services import PermissionDenied, ServiceError


def events(response) -> dict[str, object]:
    parsed = Calendar.from_ical(response.content)
    return {str(e["summary"]): e.decoded("dtstart") for e in parsed.walk("VEVENT")}


def test_a_system_feed_lists_open_milestones_and_due_dates(client, actors, system, poam):
    feed, token = calendars.create_feed(actors["bob"], system=system)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    found = events(response)
    assert found[f"{poam[0].poam_id} milestone 1: Buy FIDO2 tokens"] == date(2026, 12, 2)
    assert found[f"{poam[1].poam_id} due: Audit logs not reviewed"] == date(2026, 11, 1)
    assert len(found) == 4


def test_an_owner_feed_holds_only_their_dates(client, actors, system, poam, lee):
    _, token = calendars.create_feed(actors["alice"], person=lee)
    assert list(events(client.get(f"/calendar/{token}.ics"))) == [
        f"{poam[1].poam_id} due: Audit logs not reviewed"]


def test_only_the_hash_of_the_token_is_stored(actors, system):
    feed, token = calendars.create_feed(actors["alice"], system=system)
    assert token not in feed.token_hash and len(feed.token_hash) == 64
    assert calendars.feed_for_token(token) == feed


def test_a_revoked_or_unknown_token_answers_404(client, actors, system, poam):
    feed, token = calendars.create_feed(actors["alice"], system=system)
    calendars.revoke_feed(actors["alice"], feed)
    assert client.get(f"/calendar/{token}.ics").status_code == 404
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_who_may_create_and_revoke_feeds(actors, system, lee):
    with pytest.raises(PermissionDenied):
        calendars.create_feed(actors["charlie"], system=system)
    with pytest.raises(PermissionDenied):  # a viewer may not subscribe to someone else's
        calendars.create_feed(actors["bob"], person=lee)
    feed, _ = calendars.create_feed(actors["bob"], system=system)
    calendars.revoke_feed(actors["bob"], feed)  # their own
    other, _ = calendars.create_feed(actors["alice"], system=system)
    with pytest.raises(PermissionDenied):
        calendars.revoke_feed(actors["bob"], other)
    with pytest.raises(ServiceError):
        calendars.create_feed(actors["alice"])
    assert CalendarFeed.objects.filter(revoked_at=None).count() == 1
