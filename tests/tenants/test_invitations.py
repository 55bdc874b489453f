"""An owner cannot pull an existing account into their organization: it gets an invitation
its holder accepts after signing in; the inviter learns nothing about the account; an owner
unlocks an account only when they own every organization it belongs to. Real HTTP to
`openpoam serve` and the installed command line."""

from __future__ import annotations

import json
import re

from tests.deploy import servers


def _members(site, org: str) -> dict:
    return {m["username"]: m["role"] for m in json.loads(
        site.run("member", "list", "--org", org, "--json").stdout)}


def _account(site, name: str, org: str, role: str, email: str = "") -> str:
    password = servers.password_of(site.run("user", "add", name, *(
        ["--email", email] if email else [])).stdout)
    site.run("member", "add", name, "--org", org, "--role", role)
    return password


def _message(page: str) -> str:
    return " ".join(re.findall(r'class="message message--[^"]*"[^>]*>([^<]*)', page))


def test_an_existing_account_joins_only_by_accepting(site):
    for org in ("inv-a", "inv-b"):
        site.run("org", "create", org, "--name", org.upper())
    owner_a = _account(site, "owner-a", "inv-a", "owner")
    target = _account(site, "target", "inv-b", "viewer", email="target@example.com")
    owner, done = site.sign_in("owner-a", owner_a)
    assert done.status_code == 302
    by_mail = site.post(owner, "/org/inv-a/members/add/",
                        {"email": "Target@Example.com", "role": "owner"}).text
    by_name = site.post(owner, "/org/inv-a/members/add/", {"email": "target", "role": "editor"})
    nobody = site.post(owner, "/org/inv-a/members/add/", {"email": "no-such-user",
                                                          "role": "editor"})
    assert by_name.status_code == nobody.status_code == 200
    # The same answer for an account and for nobody; the e-mail never shows the user name.
    assert "Invited target. If it names an account" in _message(by_name.text)
    assert _message(by_name.text).replace("target", "X") == \
        _message(nobody.text).replace("no-such-user", "X")
    assert ">target<" not in by_mail and "target " not in _message(by_mail)
    assert "target" not in _members(site, "inv-a")
    # The owner cannot unlock, nor otherwise touch, an account that has not joined.
    assert site.post(owner, "/org/inv-a/members/99999/unlock/", {}).status_code == 404
    # The holder sees the invitation on signing in, and accepts it.
    holder, landed = site.sign_in("target", target)
    assert landed.status_code == 302 and landed.headers["Location"] == "/account/invitations/"
    page = holder.get(site.url + "/account/invitations/", timeout=30).text
    assert "INV-A" in page and "editor" in page  # the last invitation's role
    number = re.search(r'name="invitation" value="(\d+)"', page).group(1)
    assert "You joined INV-A" in site.post(holder, "/account/invitations/",
                                           {"invitation": number, "answer": "accept"}).text
    assert _members(site, "inv-a")["target"] == "editor"
    again = site.post(holder, "/account/invitations/", {"invitation": number, "answer": "accept"})
    assert "no such pending invitation" in again.text


def test_an_owner_of_one_organization_cannot_unlock_a_member_of_another(site):
    for org in ("lock-a", "lock-b"):
        site.run("org", "create", org, "--name", org.upper())
    owner_a = _account(site, "lock-owner", "lock-a", "owner")
    password = _account(site, "locked", "lock-a", "viewer")
    site.run("member", "add", "locked", "--org", "lock-b", "--role", "viewer")
    for _ in range(5):
        site.sign_in("locked", "wrong password")
    assert "Too many failed" in site.sign_in("locked", password)[1].text
    owner, _ = site.sign_in("lock-owner", owner_a)
    user_id = re.search(r'/org/lock-a/members/(\d+)/unlock/',
                        owner.get(site.url + "/org/lock-a/members/", timeout=30).text).group(1)
    refused = site.post(owner, f"/org/lock-a/members/{user_id}/unlock/", {})
    assert "may not unlock" in refused.text
    assert "Too many failed" in site.sign_in("locked", password)[1].text
    site.run("member", "remove", "locked", "--org", "lock-b")
    done = site.post(owner, f"/org/lock-a/members/{user_id}/unlock/", {})
    assert "may sign in again" in done.text
    assert site.sign_in("locked", password)[1].status_code == 302


def test_the_command_line_as_an_owner_cannot_add_an_existing_account(site):
    site.run("org", "create", "cli-a", "--name", "CLI A")
    _account(site, "cli-owner", "cli-a", "owner")
    site.run("user", "add", "bystander")
    refused = site.run("--as", "cli-owner", "member", "add", "bystander", "--org", "cli-a",
                       check=False)
    assert refused.returncode != 0 and "invite it" in refused.stderr
    assert "bystander" not in _members(site, "cli-a")
