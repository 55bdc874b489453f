"""A user's own second factor: enrol an authenticator (QR code drawn here), see how many
recovery codes are left, issue new ones, remove the authenticator."""

from __future__ import annotations

import django_otp
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from openpoam.accounts.middleware import needs_second_factor
from openpoam.accounts.services import mfa
from openpoam.web.views.accounts.common import actor_of, client_address
from openpoam.tracker.services import ServiceError


@require_safe
@login_required
def mfa_status(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "accounts/mfa.html", {
        "enrolled": mfa.has_mfa(user), "codes_left": mfa.recovery_codes_left(user),
        "required": needs_second_factor(user), "verified": user.is_verified()})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def mfa_enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    if mfa.has_mfa(user) and not user.is_verified():
        messages.info(request, "Sign in with your authenticator to change it.")
        return redirect("mfa")
    device = mfa.pending_device(user)
    context = {"qr": mfa.qr_svg(device), "secret": mfa.secret_text(device),
               "required": needs_second_factor(user)}
    if request.method == "POST":
        try:
            codes = mfa.confirm(user, device, request.POST.get("code", ""),
                                client_address(request))
        except ServiceError as exc:
            context["error"] = str(exc)
            return render(request, "accounts/mfa_enrol.html", context)
        django_otp.login(request, device)
        return render(request, "accounts/recovery_codes.html", {"codes": codes})
    return render(request, "accounts/mfa_enrol.html", context)


@never_cache
@require_POST
@login_required
def mfa_recovery(request: HttpRequest) -> HttpResponse:
    if not request.user.is_verified():
        messages.error(request, "Sign in with your authenticator first.")
        return redirect("mfa")
    try:
        codes = mfa.new_recovery_codes(request.user, client_address(request))
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("mfa")
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@require_POST
@login_required
def mfa_remove(request: HttpRequest) -> HttpResponse:
    """Needs a current code: a stolen session alone cannot switch the second factor off."""
    user = request.user
    if mfa.verify(user, request.POST.get("code", "")) is None:
        messages.error(request, "That code is not right; the authenticator was kept.")
        return redirect("mfa")
    mfa.remove_devices(actor_of(request), user, client_address(request))
    messages.success(request, "Your authenticator and recovery codes were removed.")
    return redirect("mfa")
