"""Sign-in, second factor, members and the audit trail. Who may reach each of these is in
permissions.URL_PERMISSIONS."""

from django.urls import path

from openpoam.accounts.views import audit_trail, checkpoints, members, mfa, signin, sso

urlpatterns = [
    path("login/", signin.login_view, name="login"),
    path("login/verify/", signin.login_verify, name="login-verify"),
    path("logout/", signin.logout_view, name="logout"),  # POST only
    path("login/sso/", sso.sso_start, name="sso-start"),
    path("login/sso/callback/", sso.sso_callback, name="sso-callback"),
    path("login/card/", sso.cac_login, name="cac-login"),
    path("account/set-password/<uidb64>/<token>/", signin.set_password, name="set-password"),
    path("account/invitations/", members.invitation_list, name="invitations"),
    path("account/mfa/", mfa.mfa_status, name="mfa"),
    path("account/mfa/enrol/", mfa.mfa_enrol, name="mfa-enrol"),
    path("account/mfa/recovery-codes/", mfa.mfa_recovery, name="mfa-recovery"),
    path("account/mfa/remove/", mfa.mfa_remove, name="mfa-remove"),
    path("org/<slug:org_slug>/members/", members.member_list, name="members"),
    path("org/<slug:org_slug>/members/add/", members.member_add, name="member-add"),
    path("org/<slug:org_slug>/members/<int:user_id>/role/", members.member_role,
         name="member-role"),
    path("org/<slug:org_slug>/members/<int:user_id>/remove/", members.member_remove,
         name="member-remove"),
    path("org/<slug:org_slug>/members/<int:user_id>/unlock/", members.member_unlock,
         name="member-unlock"),
    path("org/<slug:org_slug>/settings/", members.org_settings, name="org-settings"),
    path("org/<slug:org_slug>/audit/", audit_trail.audit_trail, name="audit"),
    path("org/<slug:org_slug>/audit/public-key.pem", checkpoints.public_key,
         name="audit-public-key"),
    path("org/<slug:org_slug>/audit/checkpoint.json", checkpoints.download,
         name="audit-checkpoint"),
    path("org/<slug:org_slug>/audit/verify/", checkpoints.verify, name="audit-verify"),
]
