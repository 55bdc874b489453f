"""Second factors: a TOTP authenticator (RFC 6238, django-otp) and ten recovery codes."""

from __future__ import annotations

import secrets

import django_otp
import segno
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from openpoam.accounts.models import RecoveryCode, RecoveryCodeDevice, code_digest
from openpoam.tracker.services import audit
from openpoam.tracker.services.actors import Actor, PermissionDenied, ServiceError

RECOVERY_CODES = 10
AUTHENTICATOR = "authenticator"


def has_mfa(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The authenticator being enrolled: a new secret until a code confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// link as an inline SVG, drawn here: the secret never leaves the server."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#111")


def secret_text(device: TOTPDevice) -> str:
    from base64 import b32encode

    text = b32encode(device.bin_key).decode()
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


@transaction.atomic
def confirm(user, device: TOTPDevice, code: str, address: str = "") -> list[str]:
    """Confirm the authenticator with a first code; returns fresh recovery codes."""
    if device.user_id != user.pk or device.confirmed:
        raise ServiceError("start the enrolment again")
    if not device.verify_token(code.strip()):
        raise ServiceError("that code is not right; check the time on your phone and retry")
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit.record(Actor.for_user(user), None, "account", user.get_username(), "mfa-enrol",
                 {"device": ("", AUTHENTICATOR)}, client_address=address)
    return _new_codes(user)


@transaction.atomic
def new_recovery_codes(user, address: str = "") -> list[str]:
    if not has_mfa(user):
        raise ServiceError("enrol an authenticator first")
    audit.record(Actor.for_user(user), None, "account", user.get_username(), "mfa-recovery",
                 {"codes": ("", RECOVERY_CODES)}, client_address=address)
    return _new_codes(user)


def _new_codes(user) -> list[str]:
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name="recovery codes")
    codes = ["-".join(secrets.token_hex(2) + secrets.token_hex(1)[:1] for _ in range(4))
             for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(RecoveryCode(device=device, digest=code_digest(c))
                                     for c in codes)
    return codes


def recovery_codes_left(user) -> int:
    return RecoveryCode.objects.filter(device__user=user).count()


def verify(user, code: str):
    """The confirmed device that accepts ``code``, or None."""
    code = code.strip()
    if not code:
        return None
    devices = [*TOTPDevice.objects.filter(user=user, confirmed=True),
               *RecoveryCodeDevice.objects.filter(user=user)]
    for device in devices:
        if django_otp.verify_token(user, device.persistent_id, code):
            return device
    return None


@transaction.atomic
def remove_devices(actor: Actor, user, address: str = "") -> None:
    """Remove a user's second factors: the user themself, or an administrator."""
    if not (actor.is_superuser or getattr(actor.user, "pk", None) == user.pk):
        raise PermissionDenied(f"{actor.name} may not remove another user's second factor")
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    audit.record(actor, None, "account", user.get_username(), "mfa-remove",
                 client_address=address)
