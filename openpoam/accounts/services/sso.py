"""Single sign-on: who an OpenID Connect sign-in (or a CAC/PIV card) is, and the memberships
their provider groups give them.

The protocol (discovery, PKCE, state, nonce, the ID token's signature, issuer, audience and
expiry) is Authlib's (openpoam/accounts/oidc.py); this module takes the checked claims and
decides: which account, whether it may be created, which memberships follow from the groups,
whether the provider's sign-in already counts as multifactor. Every refusal and every change
goes into the audit trail; a token never does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from openpoam.accounts.models import CardIdentity, GroupRole, ProviderIdentity, ProviderMfaDevice
from openpoam.accounts.services import members
from openpoam.tracker.models import Membership, Organization, Role
from openpoam.tracker.services import audit, setup
from openpoam.tracker.services.actors import Actor, PermissionDenied, ServiceError

# Memberships changed by a sign-in are recorded as done by this actor.
SYNC_ACTOR = Actor(name="single sign-on", local=True)
ANONYMOUS = Actor(name="anonymous")
RANK = {Role.VIEWER: 0, Role.ASSESSOR: 1, Role.EDITOR: 2, Role.OWNER: 3}

NOT_PROVISIONED = ("There is no OpenPOAM account for you yet. Ask your administrator to add "
                   "one (accounts are not created at first sign-in here).")


class SsoRefused(Exception):
    """A sign-in that must not go on. ``code`` is the provider's error code or ours; the
    message is safe to show."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class SignIn:
    user: object
    mfa_by_provider: bool
    changes: list[str]


def refused(who: str, code: str, address: str, method: str = "oidc") -> None:
    """Record a failed provider sign-in: the error code, never the token or the claims."""
    audit.record(ANONYMOUS, None, "account", (who or "unknown")[:200], "sign-in-failed",
                 {"step": ("", method), "error": ("", code[:100])}, client_address=address)


def provider_mfa(claims: dict) -> bool:
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    return (bool(set(amr) & set(settings.OIDC_MFA_AMR))
            or (claims.get("acr") or "") in settings.OIDC_MFA_ACR)


def groups_of(claims: dict) -> set[str]:
    value = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(value, str):
        value = [value]
    return {str(g) for g in value if isinstance(g, (str, int))}


@transaction.atomic
def oidc_sign_in(claims: dict, address: str) -> SignIn:
    """The account for checked ID-token claims, its memberships brought in line with its
    groups. Raises SsoRefused (nothing written but the audit record of the refusal)."""
    issuer, subject = claims["iss"], str(claims["sub"])
    user = _account(issuer, subject, claims)
    if not user.is_active:
        raise SsoRefused("account_inactive", "This account is deactivated.")
    changes = sync_memberships(user, groups_of(claims), address)
    return SignIn(user=user, mfa_by_provider=provider_mfa(claims), changes=changes)


def _account(issuer: str, subject: str, claims: dict):
    identity = (ProviderIdentity.objects.select_related("user")
                .filter(issuer=issuer, subject=subject).first())
    if identity is not None:
        return identity.user
    user = _pre_provisioned_by_email(issuer, claims)
    if user is None:
        if not settings.OIDC_PROVISION:
            raise SsoRefused("not_provisioned", NOT_PROVISIONED)
        user = _provision(claims)
    ProviderIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    audit.record(SYNC_ACTOR, None, "account", user.get_username(), "update",
                 {"provider subject": ("", subject)}, "first sign-in with the provider")
    return user


def _pre_provisioned_by_email(issuer: str, claims: dict):
    """An account added by e-mail for the provider (`user add --email --sso`), not yet bound
    to a subject. Only a provider-verified address counts: an unverified one is a claim
    anybody could make."""
    email = (claims.get("email") or "").strip()
    if not email or claims.get("email_verified") is not True:
        return None
    return (get_user_model().objects.filter(email__iexact=email, is_active=True)
            .exclude(identities__issuer=issuer).first())


def _provision(claims: dict):
    model = get_user_model()
    name = str(claims.get(settings.OIDC_USERNAME_CLAIM) or claims.get("email") or "").strip()
    if not name or len(name) > 150:
        raise SsoRefused("no_username", f"The provider sent no usable "
                                        f"{settings.OIDC_USERNAME_CLAIM!r} claim to name "
                                        "the account.")
    if model.objects.filter(username=name).exists():
        raise SsoRefused("username_taken", f"An account named {name!r} exists but is not "
                                           "linked to this provider sign-in; ask your "
                                           "administrator.")
    user = model(username=name, email=str(claims.get("email") or "")[:254])
    user.set_unusable_password()
    user.save()
    audit.record(SYNC_ACTOR, None, "user", name, "create", {"email": ("", user.email)},
                 "created at first sign-in with the provider")
    return user


def sync_memberships(user, groups: set[str], address: str = "") -> list[str]:
    """Memberships in every organization the group table names follow the groups: added,
    role changed, or removed. Organizations the table does not name are left alone."""
    wanted: dict[int, str] = {}
    managed = set(GroupRole.objects.values_list("organization_id", flat=True))
    for rule in GroupRole.objects.filter(group__in=groups):
        if RANK[Role(rule.role)] > RANK[Role(wanted.get(rule.organization_id, Role.VIEWER))] \
                or rule.organization_id not in wanted:
            wanted[rule.organization_id] = rule.role
    changes = []
    current = {m.organization_id: m for m in Membership.objects.filter(user=user)}
    for org in Organization.objects.filter(pk__in=managed):
        have, want = current.get(org.pk), wanted.get(org.pk)
        if want and (have is None or have.role != want):
            setup.add_member(SYNC_ACTOR, org, user, want)
            changes.append(f"{org.slug}: {want}")
        elif have is not None and want is None:
            try:
                members.remove_member(SYNC_ACTOR, org, user)
            except ServiceError as exc:  # the last owner stays; the trail says why
                audit.record(SYNC_ACTOR, org, "membership", user.get_username(), "kept",
                             why=f"no provider group for it, but {exc}")
                continue
            changes.append(f"{org.slug}: removed")
    return changes


# ---- pre-provisioning and the tables, for administrators -----------------------------------

def _require_admin(actor: Actor) -> None:
    if not actor.is_superuser:
        raise PermissionDenied(f"{actor.name} may not manage single sign-on (administrators "
                               "only)")


@transaction.atomic
def link_subject(actor: Actor, user, subject: str, issuer: str | None = None) -> None:
    _require_admin(actor)
    issuer = issuer or settings.OIDC_ISSUER
    if not issuer:
        raise ServiceError("set OPENPOAM_OIDC_ISSUER first: a subject is only unique within "
                           "its provider")
    taken = ProviderIdentity.objects.filter(issuer=issuer, subject=subject).first()
    if taken is not None:
        raise ServiceError(f"subject {subject!r} already signs in as "
                           f"{taken.user.get_username()!r}")
    ProviderIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    audit.record(actor, None, "account", user.get_username(), "update",
                 {"provider subject": ("", subject)})


@transaction.atomic
def link_card(actor: Actor, user, value: str) -> None:
    _require_admin(actor)
    value = value.strip()
    if not value:
        raise ServiceError("give the card's value as the proxy sends it (subject DN or EDIPI)")
    if CardIdentity.objects.filter(value=value).exists():
        raise ServiceError(f"card {value!r} is already mapped to an account")
    CardIdentity.objects.create(user=user, value=value)
    audit.record(actor, None, "account", user.get_username(), "update", {"card": ("", value)})


@transaction.atomic
def unlink_card(actor: Actor, card: CardIdentity) -> None:
    _require_admin(actor)
    card.delete()
    audit.record(actor, None, "account", card.user.get_username(), "update",
                 {"card": (card.value, "")})


@transaction.atomic
def add_group_role(actor: Actor, group: str, organization: Organization, role: str) -> GroupRole:
    _require_admin(actor)
    group = group.strip()
    if not group:
        raise ServiceError("give the group's name as the provider sends it")
    if role not in Role.values:
        raise ServiceError(f"role must be one of {', '.join(Role.values)}")
    rule = GroupRole.objects.filter(group=group, organization=organization).first()
    old = rule.role if rule else ""
    if rule is None:
        rule = GroupRole(group=group, organization=organization)
    rule.role = role
    rule.save()
    audit.record(actor, organization, "group role", group, "update" if old else "create",
                 {"role": (old, role)})
    return rule


@transaction.atomic
def remove_group_role(actor: Actor, group: str, organization: Organization) -> None:
    _require_admin(actor)
    rule = GroupRole.objects.filter(group=group, organization=organization).first()
    if rule is None:
        raise ServiceError(f"no row for group {group!r} in {organization.slug}")
    rule.delete()
    audit.record(actor, organization, "group role", group, "delete", {"role": (rule.role, "")})


def group_rows(actor: Actor) -> list[dict]:
    _require_admin(actor)
    return [{"group": r.group, "organization": r.organization.slug, "role": r.role}
            for r in GroupRole.objects.select_related("organization")]


def card_user(value: str):
    card = CardIdentity.objects.select_related("user").filter(value=value.strip()).first()
    return card.user if card is not None and card.user.is_active else None


def mfa_device(user) -> ProviderMfaDevice:
    device = ProviderMfaDevice.objects.filter(user=user).first()
    return device or ProviderMfaDevice.objects.create(user=user, name="provider")


def password_allowed(username: str) -> bool:
    return settings.LOCAL_SIGNIN or username in settings.BREAK_GLASS_USERS
