"""Single sign-on through a real browser against a real OpenID provider process
(tests/sso/provider): accounts, groups to roles, refusals, sign-out, a provider that is down."""

from __future__ import annotations

import json

import pytest

from tests.sso.conftest import click_provider, sign_in_with_provider

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _groups_table(app) -> None:
    app.ok("sso", "group-add", "poam-editors", "--org", "org-a", "--role", "editor")
    app.ok("sso", "group-add", "assessors", "--org", "org-b", "--role", "assessor")


def _memberships(app, username: str) -> str:
    rows = json.loads(app.ok("user", "list", "--json"))
    return next(r["organizations"] for r in rows if r["username"] == username)


def _no_token_in(rows: list[dict]) -> None:
    text = json.dumps(rows)
    assert "eyJ" not in text  # a JWT (ID or access token) starts so


def test_a_new_user_is_refused_when_provisioning_is_off(start_app, browser):
    app = start_app(prepare=_groups_table)
    page = browser.new_page()
    sign_in_with_provider(page, app, "dave")
    assert page.get_by_role("heading", name="Sign-in refused").is_visible()
    assert "no OpenPOAM account for you" in page.content()
    assert "dave" not in app.ok("user", "list")
    failed = app.audit("sign-in-failed")
    assert {"error": "not_provisioned"} == {r["field_name"]: r["new"] for r in failed
                                            if r["field_name"] == "error"}
    assert any(r["entity_id"] == "dave" for r in failed)
    _no_token_in(app.audit())


def test_a_new_user_is_created_when_provisioning_is_on(start_app, browser):
    app = start_app({"OPENPOAM_OIDC_PROVISION": "1"}, prepare=_groups_table)
    page = browser.new_page()
    sign_in_with_provider(page, app, "dave")
    assert "dave" in page.get_by_text("Signed in as").inner_text()
    assert _memberships(app, "dave") == "org-a (editor)"


def test_groups_place_a_pre_provisioned_user_and_follow_the_provider(start_app, browser,
                                                                     provider, tmp_path):
    def prepare(app):
        _groups_table(app)
        app.ok("user", "add", "carol", "--sso", "--email", "carol@example.com")

    app = start_app(prepare=prepare)
    page = browser.new_page()
    sign_in_with_provider(page, app, "carol")
    assert "carol" in page.get_by_text("Signed in as").inner_text()
    page.screenshot(path=str(tmp_path / "signed-in.png"))
    assert _memberships(app, "carol") == "org-a (editor), org-b (assessor)"

    # Sign-out ends the provider's session too (RP-initiated logout): the next sign-in asks
    # for the provider's password again.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: url.startswith(app.url + "/login/"))
    provider.set_groups("carol", ["poam-editors"])
    click_provider(page)
    assert "Test provider" in page.title()
    sign_in_with_provider(page, app, "carol")
    assert "carol" in page.get_by_text("Signed in as").inner_text()
    assert _memberships(app, "carol") == "org-a (editor)"

    removed = [r for r in app.audit("delete") if r["entity"] == "membership"]
    assert [(r["actor_name"], r["entity_id"], r["old"]) for r in removed] == [
        ("single sign-on", "carol", "assessor")]
    methods = [r["new"] for r in app.audit("sign-in") if r["field_name"] == "method"]
    assert methods == ["provider", "provider"]
    _no_token_in(app.audit())


def test_a_replayed_answer_is_refused(start_app, browser):
    app = start_app(prepare=lambda a: a.ok("user", "add", "carol", "--sso", "--email",
                                           "carol@example.com"))
    page = browser.new_page()
    answers: list[str] = []
    page.on("request", lambda r: answers.append(r.url) if "/login/sso/callback/" in r.url
            else None)
    sign_in_with_provider(page, app, "carol")
    assert "carol" in page.get_by_text("Signed in as").inner_text()
    assert len(answers) == 1
    page.goto(answers[0])  # the same code and state again
    assert page.get_by_role("heading", name="Sign-in refused").is_visible()
    assert "already used" in page.content()
    codes = [r["new"] for r in app.audit("sign-in-failed") if r["field_name"] == "error"]
    assert codes == ["mismatching_state"]


@pytest.mark.parametrize(("mode", "code", "words"), [
    ("forged", "bad_signature", "not signed by the provider"),
    ("expired", "expired_token", "has expired"),
    ("audience", "invalid_claim", "wrong 'aud' claim (it was issued to another application)"),
    ("audience-azp", "invalid_claim", "wrong 'aud' claim"),
    ("nonce", "invalid_claim", "wrong 'nonce' claim (it belongs to another sign-in"),
])
def test_an_id_token_that_does_not_check_out_is_refused(start_app, browser, provider, mode,
                                                         code, words):
    app = start_app(prepare=lambda a: a.ok("user", "add", "carol", "--sso", "--email",
                                           "carol@example.com"))
    provider.misbehave(mode)
    page = browser.new_page()
    sign_in_with_provider(page, app, "carol")
    assert page.get_by_role("heading", name="Sign-in refused").is_visible()
    assert words in page.inner_text("main"), page.inner_text("main")
    assert page.get_by_text("Signed in as").count() == 0
    codes = [r["new"] for r in app.audit("sign-in-failed") if r["field_name"] == "error"]
    assert codes == [code]
    assert app.audit("sign-in") == []
    _no_token_in(app.audit())


def test_the_providers_error_code_is_shown_and_recorded(start_app, browser):
    app = start_app({"OPENPOAM_OIDC_SCOPES": "openid email no-such-scope"})
    page = browser.new_page()
    sign_in_with_provider(page, app, "carol")
    assert page.get_by_role("heading", name="Sign-in refused").is_visible()
    assert "invalid_scope" in page.text_content("body")
    codes = [r["new"] for r in app.audit("sign-in-failed") if r["field_name"] == "error"]
    assert codes == ["invalid_scope"]


def test_a_provider_that_is_down_gives_a_page_that_says_so(start_app, browser, tmp_path):
    from tests.sso.conftest import free_port

    closed = f"http://127.0.0.1:{free_port()}/o"
    app = start_app({"OPENPOAM_OIDC_ISSUER": closed})
    page = browser.new_page()
    page.goto(app.url + "/login/")
    click_provider(page)
    assert page.get_by_role("heading", name="The sign-in provider is not available").is_visible()
    assert "does not answer" in page.text_content("body")
    page.screenshot(path=str(tmp_path / "provider-down.png"))
    assert [r["new"] for r in app.audit("sign-in-failed") if r["field_name"] == "error"] == [
        "provider_unavailable"]

    done = app.cli("check-deploy")
    assert done.returncode == 1
    assert "openpoam_sso.E002" in done.stderr and "does not answer" in done.stderr


def test_check_deploy_reads_the_discovery_document(start_app):
    app = start_app()
    done = app.cli("check-deploy")
    assert "openpoam_sso" not in done.stdout + done.stderr


def test_a_provider_sign_in_with_mfa_counts_and_one_without_asks_for_the_second_factor(
        start_app, browser):
    def prepare(app):
        for name in ("carol", "erin"):
            app.ok("user", "add", name, "--sso", "--email", f"{name}@example.com")
            app.ok("member", "add", name, "--org", "org-a", "--role", "viewer")
        app.python("from openpoam.tracker.models import Organization as O; "
                   "O.objects.filter(slug='org-a').update(require_mfa=True)")

    app = start_app(prepare=prepare)
    page = browser.new_page()
    sign_in_with_provider(page, app, "erin")  # the provider's amr says "mfa"
    assert "erin" in page.get_by_text("Signed in as").inner_text()
    page.goto(app.url + "/")
    assert page.get_by_role("heading", name="Set up an authenticator").count() == 0
    methods = [r["new"] for r in app.audit("sign-in") if r["field_name"] == "method"]
    assert methods == ["provider with multifactor"]

    other = browser.new_page()
    sign_in_with_provider(other, app, "carol")  # no amr: the product's own second factor
    other.goto(app.url + "/")
    assert "/account/mfa/enrol/" in other.url
