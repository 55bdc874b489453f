"""Signing in: the password step, the second-factor step, and the record of both."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.utils import timezone

from openpoam.accounts.services import lockout, mfa
from openpoam.tracker.services import audit
from openpoam.tracker.services.actors import Actor

LOCKED_MESSAGE = ("Too many failed sign-ins from this account or this address. Wait "
                  "{minutes} minutes, or ask an owner of your organization to unlock the account.")
WRONG_MESSAGE = "Please enter a correct username and password. Both may be case-sensitive."
# django-otp throttles a device after a wrong code (1 s, then 2, 4 …): say so.
WRONG_CODE_MESSAGE = ("That code is not right, was already used, or came too soon after a "
                      "wrong one: wait a few seconds and try the next code.")
PASSWORD_OFF_MESSAGE = ("Password sign-in is turned off here: use your organization's "
                        "sign-in above.")
ANONYMOUS = Actor(name="anonymous")


class SignInRefused(Exception):
    """The message is safe to show: it never says whether the account exists."""


@dataclass(frozen=True)
class PasswordResult:
    user: object
    needs_code: bool


def check_password(request, username: str, password: str, address: str) -> PasswordResult:
    _refuse_if_locked(username, address)
    user = authenticate(request, username=username, password=password)
    if user is None:
        fail(username, address, "password")
        raise SignInRefused(WRONG_MESSAGE)
    return PasswordResult(user=user, needs_code=mfa.has_mfa(user))


def check_code(user, code: str, address: str):
    """The device that accepts ``code`` (authenticator or recovery code)."""
    username = user.get_username()
    _refuse_if_locked(username, address)
    device = mfa.verify(user, code)
    if device is None:
        fail(username, address, "second factor")
        raise SignInRefused(WRONG_CODE_MESSAGE)
    return device


def signed_in(user, address: str, method: str) -> None:
    lockout.clear(user.get_username())
    audit.record(Actor.for_user(user), None, "account", user.get_username(), "sign-in",
                 {"method": ("", method)}, client_address=address)


def fail(username: str, address: str, step: str) -> None:
    now = timezone.now()
    newly_locked = lockout.count_failure(username, address, now)
    audit.record(ANONYMOUS, None, "account", username[:200], "sign-in-failed",
                 {"step": ("", step)}, client_address=address)
    for key in newly_locked:
        audit.record(ANONYMOUS, None, "account", key[:200], "locked-out",
                     client_address=address)


def _refuse_if_locked(username: str, address: str) -> None:
    from django.conf import settings

    if lockout.is_locked(username, address, timezone.now()):
        raise SignInRefused(LOCKED_MESSAGE.format(minutes=settings.OPENPOAM_LOCKOUT_MINUTES))
