"""Throttling of sign-in: after repeated failures an account name, or a client address, is
locked for a while. Counted for names that match no account too, so the answer never tells
whether an account exists. Owners (and administrators) lift a lock early.

NIST SP 800-171 Rev 2, 3.1.8: "Limit unsuccessful logon attempts."
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from openpoam.accounts.models import SignInLock


def _keys(username: str, address: str) -> list[str]:
    keys = [account_key(username)]
    if address:
        keys.append(f"ip:{address}")
    return keys


def account_key(username: str) -> str:
    return f"user:{username.strip().lower()}"


def _limit(key: str) -> int:
    if key.startswith("ip:"):
        return settings.OPENPOAM_LOCKOUT_ADDRESS_FAILURES
    return settings.OPENPOAM_LOCKOUT_FAILURES


def is_locked(username: str, address: str, now: datetime) -> bool:
    return SignInLock.objects.filter(key__in=_keys(username, address),
                                     locked_until__gt=now).exists()


@transaction.atomic
def count_failure(username: str, address: str, now: datetime) -> list[str]:
    """Count one failure against the name and the address; returns the keys that it locks."""
    window = timedelta(minutes=settings.OPENPOAM_LOCKOUT_MINUTES)
    newly_locked = []
    for key in _keys(username, address):
        SignInLock.objects.bulk_create([SignInLock(key=key)], ignore_conflicts=True)
        lock = SignInLock.objects.select_for_update().get(key=key)
        if lock.first_failure_at is None or now - lock.first_failure_at > window:
            lock.failures, lock.first_failure_at = 0, now
        lock.failures += 1
        if lock.failures >= _limit(key) and not (lock.locked_until and lock.locked_until > now):
            lock.locked_until = now + window
            newly_locked.append(key)
        lock.save()
    return newly_locked


def clear(username: str) -> bool:
    """Forget an account's failures (a successful sign-in, or an unlock); True if it was
    locked."""
    lock = SignInLock.objects.filter(key=account_key(username)).first()
    if lock is None:
        return False
    was_locked = lock.locked_until is not None
    lock.delete()
    return was_locked


def locked_names(names: list[str], now: datetime) -> set[str]:
    keys = {account_key(n): n for n in names}
    rows = SignInLock.objects.filter(key__in=keys, locked_until__gt=now)
    return {keys[row.key] for row in rows}
