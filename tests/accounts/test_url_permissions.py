"""Every URL, every method it accepts, for alice (owner of A), bob (viewer of A), charlie
(member of B only) and an anonymous visitor, checked against the permission table.

A URL pattern missing from accounts/permissions.py fails here, and so does a table entry
that lists methods the view does not accept (or misses one it does).
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from openpoam.accounts import permissions as perms

pytestmark = pytest.mark.django_db
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _patterns(resolvers=None, namespace=""):
    """(full name, namespace, pattern) of every URL pattern, walking includes."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(p for p in (namespace, entry.namespace or "") if p)
            yield from _patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield entry.name or "", namespace, entry


def _app_patterns():
    return [(name, pattern) for name, ns, pattern in _patterns() if not ns]


def test_every_url_pattern_is_in_the_permission_table():
    missing = sorted({name or str(p.pattern) for name, ns, p in _patterns()
                      if ns not in perms.NAMESPACE_PERMISSIONS
                      and name not in perms.URL_PERMISSIONS})
    assert missing == [], f"URL patterns with no entry in accounts/permissions.py: {missing}"


def test_the_table_names_no_url_that_is_gone():
    names = {name for name, _ in _app_patterns()}
    assert sorted(set(perms.URL_PERMISSIONS) - names) == []


@pytest.fixture
def url_args(org_a, bob):
    """A value for each URL parameter, naming objects of organization A."""
    from openpoam.reviews.services import calendar, review
    from openpoam.tracker.services import Actor

    admin = Actor.command_line("admin")
    cr26_slug, cr26_item = _cr26_system(admin, org_a.org)
    review.start_review(admin, org_a.system, date(2026, 11, 1))
    snapshot = review.take_snapshot(admin, org_a.system)
    _feed, feed_token = calendar.create_feed(admin, system=org_a.system)
    from openpoam.tracker.models import ImportRecord
    from openpoam.tracker.services import requests

    approval = requests.request_approval(admin, org_a.item, "risk_acceptance", "compensating WAF",
                                         review_date=date(2030, 1, 1))
    record = ImportRecord.objects.create(system=org_a.system, file_name="scan.nessus",
                                         sha256="0" * 64, format="nessus", imported_by="admin",
                                         imported_at=org_a.item.created_at)
    from openpoam.jobs.models import Job
    from openpoam.jobs.worker import heartbeat

    heartbeat("a-worker")  # /healthz is public and answers 200 with a worker running
    from openpoam.jobs.services import job_dir

    job = Job.objects.create(kind=Job.EXPORT, organization=org_a.org, system=org_a.system,
                             started_by=bob, actor_name=bob.username, state=Job.SUCCEEDED,
                             params={"format": "csv", "output": "poam.csv"}, result={})
    (job_dir(job) / "output").write_bytes(b"POA&M Item ID\n")
    return {"job_id": job.uuid, "month": "2026-11", "request_id": approval.pk,
            "record_id": record.pk, "sequence": 1, "view_id": 1, "number": snapshot.pk,
            "feed_token": feed_token, "kind": "vdt",
            "overrides": {"system-cr26": {"system_slug": cr26_slug},
                          "system-cr26-accepted": {"system_slug": cr26_slug},
                          "system-cr26-report": {"system_slug": cr26_slug},
                          "system-cr26-vuln": {"system_slug": cr26_slug,
                                               "poam_id": cr26_item.poam_id}},"org_slug": org_a.org.slug, "system_slug": org_a.system.slug,
            "poam_id": org_a.item.poam_id, "format_key": "csv",
            "evidence_uuid": org_a.evidence.uuid, "user_id": bob.pk, "notification_id": 1,
            "uidb64": urlsafe_base64_encode(force_bytes(bob.pk)),
            "token": default_token_generator.make_token(bob)}


def _cr26_system(admin, org):
    """A FedRAMP system under the CR26 rules, with one vulnerability it tracks."""
    from openpoam.tracker.services import cr26, items, setup

    system = setup.create_system(admin, org, slug="cr26-sys", name="Cloud offering",
                                 framework="fedramp-moderate")
    cr26.set_regime(admin, system, "cr26", "B")
    item = items.create_item(admin, system, title="Outdated TLS library",
                             detected_on=date(2026, 11, 1), original_risk="high")
    cr26.track(admin, item, why="penetration test")
    return system.slug, item


def _url(name: str, pattern: URLPattern, args: dict) -> str:
    """The URL of a pattern; a page that needs another object than the rest gets it from
    ``args["overrides"]``."""
    args = {**args, **args.get("overrides", {}).get(name, {})}
    return reverse(name, kwargs={k: args[k] for k in pattern.pattern.converters})


def _request(user, method: str, url: str):
    """One request, its changes rolled back: a POST as the owner removes nobody for good."""
    client = Client()
    if user is not None:
        client.force_login(user)
    with transaction.atomic():
        response = client.generic(method, url)
        transaction.set_rollback(True)
    return response


def _accepted(url: str, user) -> set[str]:
    return {m for m in METHODS if _request(user, m, url).status_code != 405}


def test_each_entry_lists_exactly_the_methods_the_view_accepts(url_args, alice):
    wrong = {}
    for name, pattern in _app_patterns():
        url = _url(name, pattern, url_args)
        if _accepted(url, alice) != set(perms.URL_PERMISSIONS[name]):
            wrong[name] = (sorted(_accepted(url, alice)), sorted(perms.URL_PERMISSIONS[name]))
    assert wrong == {}


def _cases(url_args):
    for name, pattern in _app_patterns():
        for method, need in perms.URL_PERMISSIONS[name].items():
            yield name, method, need, _url(name, pattern, url_args)


# Pages of one person's own object (a background job): anyone else gets 404.
OWN_ONLY = {"system-job", "system-job-progress", "system-job-again", "system-job-download"}


def _signs_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_anonymous_visitors_are_sent_to_sign_in(url_args):
    wrong = [(name, method) for name, method, need, url in _cases(url_args)
             if need != perms.PUBLIC and not _signs_in(_request(None, method, url))]
    public = [(name, method) for name, method, need, url in _cases(url_args)
              if need == perms.PUBLIC and _request(None, method, url).status_code >= 400]
    assert (wrong, public) == ([], [])


@pytest.mark.parametrize("who, role", [("alice", "owner"), ("bob", "viewer")])
def test_members_of_a_get_exactly_what_their_role_allows(request, url_args, who, role):
    user = request.getfixturevalue(who)
    wrong = []
    for name, method, need, url in _cases(url_args):
        if who == "alice" and name in OWN_ONLY:
            continue  # bob's job: alice gets 404 whatever her role (tests/jobs covers it)
        status = _request(user, method, url).status_code
        allowed = need in (perms.PUBLIC, perms.SIGNED_IN) or (
            need != perms.STAFF and perms.allows(role, need))  # neither is staff
        if status >= 500 or (status in (403, 404)) == allowed or (not allowed and status != 403):
            wrong.append((name, method, status))
    assert wrong == []


def test_charlie_gets_404_for_every_object_of_a(url_args, org_b, charlie):
    wrong = []
    for name, method, need, url in _cases(url_args):
        status = _request(charlie, method, url).status_code
        if need == perms.STAFF:  # the site's pages, no organization's: refused, not hidden
            if status != 403:
                wrong.append((name, method, status))
            continue
        scoped = need not in (perms.PUBLIC, perms.SIGNED_IN)
        if (scoped and status != 404) or (not scoped and status >= 400):
            wrong.append((name, method, status))
    assert wrong == []


def test_the_admin_needs_staff_and_a_second_factor(alice, django_user_model):
    admin_url = reverse("admin:index")
    assert _signs_in(Client().get(admin_url, follow=False)) or \
        Client().get(admin_url).status_code == 302
    staff = django_user_model.objects.create_superuser("root", password="x" * 16)
    client = Client()
    client.force_login(staff)  # a password alone: no verified second factor
    response = client.get(admin_url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa")
