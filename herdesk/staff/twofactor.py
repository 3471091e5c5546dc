"""Two-factor sign-in (SEC-5): TOTP (django-otp) required for the roles that can change the rules
or see everything: administrators, management, the supervision group, supervisors (and superusers).

A user of such a role who signed in with their password only is sent to the verify step (a device
is enrolled) or to the set-up page (none yet: enrolment on first sign-in); nothing else answers
until the session is verified. The roles come from HERDESK_2FA_REQUIRED_ROLES; the test settings
switch the requirement off (most tests sign in with force_login) and the 2FA tests switch it on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .models import User
from .selectors import user_role
from .services import totp_confirmed_device, totp_demo_device_ensure

# Paths a half-signed-in user may reach: the 2FA pages themselves, signing out, static files,
# language switch, health probes, the portal (customers), the API (bearer tokens, not the session).
OPEN_PREFIXES = ("/login/2fa/", "/logout/", "/static/", "/i18n/", "/healthz", "/readyz", "/metrics", "/api/")


# Set at sign-in when the user has an enrolled device: a person who enrolled of their own accord
# (any staff role may: SEC-5 "optional 2FA") is asked for the code too, without a query per request.
SESSION_ENROLLED = "hd_2fa_enrolled"


def two_factor_required(user: Any, session: Any = None) -> bool:
    if not getattr(user, "is_authenticated", False) or getattr(user, "customer_id", None):
        return False
    if session is not None and session.get(SESSION_ENROLLED):
        return True
    required = set(getattr(settings, "HERDESK_2FA_REQUIRED_ROLES", []))
    if not required:
        return False
    if user.is_superuser:
        return True

    return user_role(user) in required


@receiver(user_logged_in, dispatch_uid="herdesk.staff.twofactor.enrolled")
def _note_enrolment(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session") or getattr(user, "customer_id", None):
        return

    if totp_confirmed_device(user) is not None:
        request.session[SESSION_ENROLLED] = True


class TwoFactorMiddleware:
    """After django_otp's OTPMiddleware (which sets request.user.is_verified)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and not request.path.startswith(OPEN_PREFIXES)
            and getattr(user, "is_authenticated", False)
            and not user.is_verified()
            and two_factor_required(user, request.session)
        ):
            target = "staff:2fa_verify" if totp_confirmed_device(user) else "staff:2fa_setup"
            if request.headers.get("HX-Request") or request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "two_factor_required", "message": _("Two-factor verification is required.")},
                    status=401,
                )
            from django.urls import reverse

            return redirect(reverse(target) + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)


def demo_two_factor_lines(*, verbose: bool = True) -> list[str]:
    """`herdesk demo load`: pre-enrol a TOTP device for every demo user whose role requires a
    second factor (random keys generated on this installation, none in the source) and say how to
    get a code. The requirement is never switched off for the demo: it runs the real sign-in."""

    users = [
        u
        for u in User.objects.filter(is_active=True, customer__isnull=True).order_by("id")
        if two_factor_required(u)
    ]
    if not users:
        return []
    lines = [
        "Two-factor sign-in (TOTP) is required for "
        + ", ".join(u.username for u in users)
        + ": the current code is printed by `herdesk user otp-code USERNAME`"
        + (", or add the key to an authenticator app:" if verbose else ".")
    ]
    for user in users:
        device = totp_demo_device_ensure(user)
        if verbose:
            lines.append(f"  {user.username}: {device.config_url}")
    return lines
