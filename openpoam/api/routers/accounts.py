"""Members, invitations and API tokens of the token's organization. Managing members is
the owners' (members.manage in the permission table, checked by accounts/services); a
token lists and makes its own user's tokens (an owner sees and revokes every one), and a
read-only token changes nothing here."""

from __future__ import annotations

from typing import Literal

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Router, Schema, Status
from pydantic import Field

from openpoam.accounts.services import invitations, members
from openpoam.accounts.services import tokens
from openpoam.api import lookups
from openpoam.api.schemas import ERRORS, Moment, Input

router = Router()
RoleName = Literal["owner", "editor", "assessor", "viewer"]


class MemberOut(Schema):
    username: str
    email: str
    role: str
    mfa: bool


class MemberPage(Schema):
    members: list[MemberOut]
    next_cursor: str | None = None


class RoleIn(Input):
    role: RoleName


class InvitationOut(Schema):
    id: int
    invited_as: str
    role: str
    invited_by: str
    created_at: Moment


class InvitationPage(Schema):
    invitations: list[InvitationOut]
    next_cursor: str | None = None


class InviteIn(Input):
    invite: str = Field(min_length=1, max_length=254, description="An e-mail address or a "
                        "user name")
    role: RoleName = "viewer"


class InvitedOut(Schema):
    detail: str
    set_password_link: str = Field(description="For a new account only: its one-time link "
                                   "to set a password, shown once")


class TokenOut(Schema):
    prefix: str
    name: str
    user: str
    org: str
    read_only: bool
    created: str
    last_used: str
    expires: str
    expires_at: str
    revoked: str
    state: str


class TokenPage(Schema):
    tokens: list[TokenOut]
    next_cursor: str | None = None


class TokenIn(Input):
    name: str = Field(min_length=1, max_length=100)
    read_only: bool = False
    expires_in_days: int = Field(default=tokens.DEFAULT_EXPIRY_DAYS, ge=1,
                                 le=tokens.MAX_EXPIRY_DAYS)


class NewTokenOut(Schema):
    token: TokenOut
    secret: str = Field(description="The whole token: shown once, never again")


# ---- members ----------------------------------------------------------------------------------

@router.get("/orgs/{org}/members", response={200: MemberPage, **ERRORS}, tags=["members"],
            summary="The organization's members and their roles (owner)")
def list_members(request: HttpRequest, org: str):
    rows = members.member_rows(lookups.actor(request), lookups.organization(request, org))
    return {"members": [members.member_dict(r) for r in rows], "next_cursor": None}


@router.patch("/orgs/{org}/members/{username}", response={200: MemberOut, **ERRORS},
              tags=["members"], summary="Change a member's role (owner)")
def change_role(request: HttpRequest, org: str, username: str, payload: RoleIn):
    organization, actor = lookups.organization(request, org), lookups.actor(request)
    user = members.member_named(actor, organization, username)
    members.change_role(actor, organization, user, payload.role)
    return _member(actor, organization, username)


@router.delete("/orgs/{org}/members/{username}", response={200: MemberOut, **ERRORS},
               tags=["members"], summary="End a membership (owner); answers the member as it "
                                         "was. Its history is kept")
def remove_member(request: HttpRequest, org: str, username: str):
    organization, actor = lookups.organization(request, org), lookups.actor(request)
    user = members.member_named(actor, organization, username)
    removed = _member(actor, organization, username)
    members.remove_member(actor, organization, user)
    return removed


def _member(actor, organization, username: str) -> dict:
    rows = members.member_rows(actor, organization)
    return members.member_dict(next(r for r in rows if r["username"] == username))


# ---- invitations ------------------------------------------------------------------------------

@router.get("/orgs/{org}/invitations", response={200: InvitationPage, **ERRORS},
            tags=["members"], summary="Pending invitations of the organization (owner)")
def list_invitations(request: HttpRequest, org: str):
    pending = invitations.pending_of(lookups.actor(request), lookups.organization(request, org))
    return {"invitations": [invitations.invitation_dict(i) for i in pending],
            "next_cursor": None}


@router.post("/orgs/{org}/invitations", response={201: InvitedOut, **ERRORS},
             tags=["members"],
             summary="Invite by e-mail address or user name (owner). An existing account "
                     "joins when its holder accepts after signing in; an unknown address gets "
                     "a new account and a one-time link to set its password")
def invite(request: HttpRequest, org: str, payload: InviteIn):
    organization = lookups.organization(request, org)
    done = members.invite(lookups.actor(request), organization, payload.invite, payload.role)
    if done.new_user is not None:
        link = request.build_absolute_uri(invitations.set_password_path(done.new_user))
        said = invitations.send_invitation(done.new_user, organization, link)
        return Status(201, {"detail": f"Invited {payload.invite}: {said}",
                            "set_password_link": link})
    if done.invitation is not None and done.invitation.user.email:
        invitations.send_notice(done.invitation.user.email, organization,
                                request.build_absolute_uri(reverse("invitations")))
    # One answer whatever the address or name belongs to: the inviter learns nothing of it.
    return Status(201, {"detail": f"Invited {payload.invite}. If it names an account, its "
                                  "holder sees the invitation after signing in and joins on "
                                  "accepting it.", "set_password_link": ""})


# ---- tokens -----------------------------------------------------------------------------------

@router.get("/orgs/{org}/tokens", response={200: TokenPage, **ERRORS}, tags=["tokens"],
            summary="Your tokens in the organization (an owner sees every one); never their "
                    "secrets")
def list_tokens(request: HttpRequest, org: str):
    found = tokens.organization_tokens(lookups.actor(request), lookups.organization(request, org))
    return {"tokens": [tokens.token_dict(t) for t in found.order_by("-created_at", "-pk")],
            "next_cursor": None}


@router.post("/orgs/{org}/tokens", response={201: NewTokenOut, **ERRORS}, tags=["tokens"],
             summary="Make a token for yourself in this organization (not with a read-only "
                     "token); its secret is in this answer only")
def create_token(request: HttpRequest, org: str, payload: TokenIn):
    organization, actor = lookups.organization(request, org), lookups.actor(request)
    made = tokens.create_token(actor, actor.user, organization, payload.name,
                               read_only=payload.read_only,
                               expires_in_days=payload.expires_in_days)
    return Status(201, {"token": tokens.token_dict(made.token), "secret": made.secret})


@router.post("/orgs/{org}/tokens/{prefix}/revoke", response={200: TokenOut, **ERRORS},
             tags=["tokens"], summary="Revoke a token: your own, or any of the organization's "
                                      "for an owner")
def revoke_token(request: HttpRequest, org: str, prefix: str):
    organization, actor = lookups.organization(request, org), lookups.actor(request)
    found = tokens.organization_tokens(actor, organization).filter(prefix=prefix).first()
    if found is None:
        raise Http404("No such token.")
    return tokens.token_dict(tokens.revoke_token(actor, found))
