"""Signing in: password, then a TOTP or recovery code; lockout; the MFA rule; enrolment."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from openpoam.accounts.models import RecoveryCode
from openpoam.accounts.services import mfa
from openpoam.tracker.models import ChangeEvent
from openpoam.tracker.services import Actor, audit, setup
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def _wait_out_throttle(device: TOTPDevice) -> None:
    """django-otp refuses any code for a while after a wrong one; let that time pass."""
    from datetime import timedelta

    from django.utils import timezone

    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=5))


@pytest.fixture
def device(alice):
    return TOTPDevice.objects.create(user=alice, name="authenticator", confirmed=True)


def _sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _signed_in(client: Client) -> bool:
    return client.get(reverse("home")).status_code == 200


def test_a_password_signs_in_an_account_without_second_factor(client, alice):
    assert _sign_in(client, "alice")["Location"] == reverse("home")
    assert _signed_in(client)
    event = ChangeEvent.objects.get(action="sign-in")
    assert (event.organization_id, event.actor_name, event.new_value) == (None, "alice", "password")


def test_an_authenticator_code_is_asked_after_the_password(client, alice, device):
    assert _sign_in(client, "alice")["Location"] == reverse("login-verify")
    assert not _signed_in(client)
    wrong = client.post(reverse("login-verify"), {"code": "000000"})
    assert "not right" in wrong.content.decode() and not _signed_in(client)
    too_soon = client.post(reverse("login-verify"), {"code": _code(device)})
    assert "wait a few seconds" in too_soon.content.decode()
    _wait_out_throttle(device)
    assert client.post(reverse("login-verify"), {"code": _code(device)}).status_code == 302
    assert _signed_in(client)
    assert ChangeEvent.objects.filter(action="sign-in", new_value="authenticator").exists()
    assert ChangeEvent.objects.filter(action="sign-in-failed", new_value="second factor").exists()


def test_a_recovery_code_works_once(client, alice, device):
    codes = mfa.new_recovery_codes(alice)
    assert len(codes) == 10 and RecoveryCode.objects.count() == 10
    assert not RecoveryCode.objects.filter(digest__in=codes).exists()  # only hashes are kept
    _sign_in(client, "alice")
    client.post(reverse("login-verify"), {"code": codes[0].upper()})
    assert _signed_in(client) and mfa.recovery_codes_left(alice) == 9
    again = Client()
    _sign_in(again, "alice")
    again.post(reverse("login-verify"), {"code": codes[0]})
    assert not _signed_in(again)


def test_repeated_failures_lock_the_account_with_the_same_words_for_any_name(client, alice,
                                                                            settings):
    settings.OPENPOAM_LOCKOUT_FAILURES = 3
    for name in ("alice", "nobody"):
        texts = {_sign_in(client, name, "wrong-password").content.decode().split("role=\"alert\"")[1][:140]
                 for _ in range(3)}
        assert len(texts) == 1 and "enter a correct username and password" in texts.pop()
    for name in ("alice", "nobody"):
        page = _sign_in(client, name).content.decode()
        assert "Too many failed sign-ins" in page
    assert not _signed_in(client)
    assert ChangeEvent.objects.filter(action="locked-out", entity_ref="user:alice").exists()


def test_an_owner_unlocks_a_member(client, alice, bob, org_a, settings):
    settings.OPENPOAM_LOCKOUT_FAILURES = 2
    for _ in range(2):
        _sign_in(Client(), "bob", "wrong-password")
    assert "Too many" in _sign_in(Client(), "bob").content.decode()
    client.force_login(alice)
    assert "locked out" in client.get(reverse("members", args=["org-a"])).content.decode()
    client.post(reverse("member-unlock", args=["org-a", bob.pk]))
    bob_client = Client()
    _sign_in(bob_client, "bob")
    assert _signed_in(bob_client)
    assert ChangeEvent.objects.filter(action="unlocked", actor_name="alice").exists()


def test_a_client_address_is_locked_after_failures_on_many_names(client, alice, settings):
    settings.OPENPOAM_LOCKOUT_ADDRESS_FAILURES = 4
    for n in range(4):
        _sign_in(client, f"guess{n}", "wrong-password", REMOTE_ADDR="203.0.113.9")
    page = _sign_in(client, "alice", REMOTE_ADDR="203.0.113.9").content.decode()
    assert "Too many failed sign-ins" in page
    _sign_in(client, "alice", REMOTE_ADDR="198.51.100.1")
    assert _signed_in(client)


def test_an_organization_can_require_a_second_factor(client, alice, bob, org_a):
    setup.update_organization(Actor.for_user(alice), org_a.org, require_mfa=True)
    _sign_in(client, "bob")
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("mfa-enrol")
    row = ChangeEvent.objects.get(entity="organization", action="update")
    assert (row.field, row.old_value, row.new_value, row.actor_name) == (
        "require_mfa", "no", "yes", "alice")


def test_enrolment_shows_a_qr_code_and_gives_ten_recovery_codes(client, alice):
    client.force_login(alice)
    page = client.get(reverse("mfa-enrol")).content.decode()
    assert "<svg" in page and "otpauth" not in page
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    done = client.post(reverse("mfa-enrol"), {"code": _code(device)}).content.decode()
    assert done.count("<li><code>") == 10
    device.refresh_from_db()
    assert device.confirmed and mfa.has_mfa(alice)
    assert ChangeEvent.objects.filter(action="mfa-enrol", entity_ref="alice").exists()
    assert audit.verify()[1] == []


def test_removing_the_authenticator_needs_a_current_code(client, alice, device):
    client.force_login(alice)
    client.post(reverse("mfa-remove"), {"code": "123456"})
    assert mfa.has_mfa(alice)
    _wait_out_throttle(device)
    client.post(reverse("mfa-remove"), {"code": _code(device)})
    assert not mfa.has_mfa(alice)
    assert ChangeEvent.objects.filter(action="mfa-remove").exists()


def test_passwords_are_hashed_with_argon2(settings):
    from django.conf import settings as live

    assert live.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = live.PASSWORD_HASHERS
    user = get_user_model().objects.create_user("dana", password=PASSWORD)
    assert user.password.startswith("argon2")


def test_sessions_end_after_eight_idle_hours_by_default():
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE == 8 * 3600


def _check_deploy(tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "OPENPOAM_DATA_DIR": str(tmp_path),
                   "OPENPOAM_ALLOWED_HOSTS": "poam.example.com", **env}
    environment.pop("OPENPOAM_DEBUG", None)
    return subprocess.run([sys.executable, "-c", "from openpoam.cli import main; main()",
                           "check-deploy"],
                          env=environment, capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_with_the_https_switch_and_fails_without(tmp_path):
    assert _check_deploy(tmp_path, OPENPOAM_HTTPS="1",
                         OPENPOAM_TRUSTED_PROXIES="10.0.0.0/8").returncode == 0
    plain = _check_deploy(tmp_path, OPENPOAM_HTTPS="0")
    assert plain.returncode == 1 and "security.W004" in plain.stderr


def test_check_deploy_warns_about_wildcard_hosts_no_trusted_proxy_and_per_process_cache(tmp_path):
    done = _check_deploy(tmp_path, OPENPOAM_HTTPS="1", OPENPOAM_ALLOWED_HOSTS="*",
                         OPENPOAM_TRUSTED_PROXIES="", OPENPOAM_APP_SERVERS="2")
    assert done.returncode == 1
    for check in ("openpoam.W001", "openpoam.W002", "openpoam.W003"):
        assert check in done.stderr, done.stderr
    shared = _check_deploy(tmp_path, OPENPOAM_HTTPS="1", OPENPOAM_TRUSTED_PROXIES="127.0.0.1",
                           OPENPOAM_APP_SERVERS="2",
                           OPENPOAM_CACHE_URL="redis://127.0.0.1:6379/9")
    assert shared.returncode == 0, shared.stderr


def test_a_bad_trusted_proxy_entry_is_one_line_naming_it(tmp_path):
    done = _check_deploy(tmp_path, OPENPOAM_HTTPS="1", OPENPOAM_TRUSTED_PROXIES="10.0.0.1, proxy")
    assert done.returncode != 0
    assert "'proxy' is not an IP address or network" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_session_in_use_is_renewed_and_an_idle_one_ends(client, alice):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from openpoam.accounts.middleware import SEEN

    _sign_in(client, "alice")
    session = client.session
    session[SEEN] = 0  # the last renewal was long ago
    session.save()
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=5))
    assert _signed_in(client)
    assert Session.objects.get().expire_date > timezone.now() + timedelta(hours=7)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))  # idle too long
    assert not _signed_in(client)
