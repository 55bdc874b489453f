"""Sign-in, second factor, members and the audit trail. Who may reach each of these is in
permissions.URL_PERMISSIONS."""

from django.urls import path

from openpoam.accounts.views import audit_trail, members, mfa, signin

urlpatterns = [
    path("login/", signin.login_view, name="login"),
    path("login/verify/", signin.login_verify, name="login-verify"),
    path("logout/", signin.logout_view, name="logout"),  # POST only
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
]
