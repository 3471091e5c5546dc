"""The two-factor pages of the staff sign-in (SEC-5): set-up (enrolment with a QR code) and the
verify step after the password. Thin: the writes are staff.services.totp_*."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from . import services
from .twofactor import two_factor_required


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("6-digit code"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Enter the 6 digits your authenticator app shows.")},
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return "/"
    return target


@never_cache
@login_required
def twofactor_verify(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "customer_id", None):
        raise Http404
    device = services.totp_confirmed_device(request.user)  # type: ignore[arg-type]
    if device is None:
        return redirect(f"{_setup_url()}?{urlencode({'next': _next(request)})}")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            # verify_token is throttled by django-otp (growing delay after each wrong code).
            if device.verify_token(form.cleaned_data["code"].strip()):
                otp_login(request, device)
                return redirect(_next(request))
            form.add_error("code", _("That code is not right (or came too late). Try the current one."))
            status = 403
    return render(request, "staff/2fa_verify.html", {"form": form, "next": _next(request)}, status=status)


def _setup_url() -> str:
    from django.urls import reverse

    return reverse("staff:2fa_setup")


@never_cache
@login_required
def twofactor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "customer_id", None):  # portal customers sign in by SMS code or email link
        raise Http404
    if services.totp_confirmed_device(user) is not None:  # type: ignore[arg-type]
        # Enrolled already: a second device is added only after a reset by an administrator.
        from django.urls import reverse

        return redirect(f"{reverse('staff:2fa_verify')}?{urlencode({'next': _next(request)})}")
    device = services.totp_setup_device(user)  # type: ignore[arg-type]
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            if services.totp_confirm(user=user, device=device, code=form.cleaned_data["code"].strip()):  # type: ignore[arg-type]
                otp_login(request, device)
                return redirect(_next(request))
            form.add_error("code", _("That code is not right. Check the time on your phone and try again."))
    qr = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#1b3b2f")
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "staff/2fa_setup.html",
        {
            "form": form,
            "qr": qr,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": _next(request),
            "required": two_factor_required(user),
        },
        status=status,
    )
