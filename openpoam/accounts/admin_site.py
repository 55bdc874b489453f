"""The admin site requires a session verified with a second factor."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from openpoam import proxies


class MfaAdminSite(admin.AdminSite):
    site_header = "OpenPOAM administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and request.user.is_verified()

    def password_change(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Django's own form, with the change written to the audit trail."""
        response = super().password_change(request, extra_context)
        if request.method == "POST" and response.status_code == 302:
            # Django imports this module before the models are ready: the services later.
            from openpoam.accounts.services import users

            users.password_changed(request.user, proxies.client_address(request)[:45],
                                   "admin site")
        return response

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        target = request.GET.get("next") or reverse("admin:index")
        if request.user.is_authenticated and request.user.is_staff:
            messages.info(request, "The administration needs a second factor: enrol an "
                                   "authenticator, then sign in again with it.")
            return redirect("mfa")
        return redirect(f"{reverse('login')}?{urlencode({'next': target})}")


class MfaAdminConfig(AdminConfig):
    """django.contrib.admin with the site above as the default site."""

    default_site = "openpoam.accounts.admin_site.MfaAdminSite"
