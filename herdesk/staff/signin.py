"""Sign-in hardening (SEC-5): lockout after repeated failures (django-axes) on /login/, /admin/login/
and the customer portal's code sign-in, and the audit entries of lockouts.

Lockout key: the combination of username and client address (AXES_LOCKOUT_PARAMETERS). Locking a
username alone lets anybody lock a colleague out; locking an address alone locks the whole service
centre out behind its one NAT address after five typos. The portal's code sign-in has its own
per-number attempt limit (portal.services); axes adds the same lockout as the staff sign-in, keyed
by a blind index of the number so axes' tables never hold a phone number in clear (PIPL).
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from herdesk.audit.services import audit_record
from herdesk.common.crypto import blind_index

PORTAL_PHONE_CTX = "axes.portal_phone"


def client_ip(request: HttpRequest) -> str:
    """The client address: uvicorn already replaced REMOTE_ADDR with the forwarded address of a
    trusted proxy (HERDESK_FORWARDED_ALLOW_IPS); a client-sent X-Forwarded-For is never read here."""
    return request.META.get("REMOTE_ADDR", "") or "0.0.0.0"


def lockout_response(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """429 with a bilingual page (AXES_LOCKOUT_CALLABLE)."""
    response = render(request, "staff/locked_out.html", status=429)
    response["Retry-After"] = str(15 * 60)
    return response


def _portal_credentials(phone: str) -> dict[str, str]:
    return {"username": "portal:" + blind_index(phone, context=PORTAL_PHONE_CTX)}


def portal_code_locked(request: HttpRequest, phone: str) -> bool:
    """True when this number has failed too often from this address (axes), before checking a code."""
    from axes.handlers.proxy import AxesProxyHandler

    return not AxesProxyHandler.is_allowed(request, _portal_credentials(phone))


def portal_code_failed(request: HttpRequest, phone: str) -> None:
    """A wrong portal code counts as a failed sign-in for axes (same signal Django sends)."""
    user_login_failed.send(sender=__name__, credentials=_portal_credentials(phone), request=request)


def portal_code_succeeded(request: HttpRequest, phone: str) -> None:
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.reset_attempts(
        username=_portal_credentials(phone)["username"], ip_address=client_ip(request)
    )


@receiver(user_locked_out, dispatch_uid="herdesk.staff.signin.locked_out")
def audit_lockout(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str, **kw: Any
) -> None:
    """Every lockout is an audit entry (SEC-2): repeated failures are a security event."""

    # The portal's key is a blind index; a staff username is not a customer's personal data.
    audit_record(
        actor=None,
        action="signin.locked_out",
        object_type="signin",
        object_id=(username or "")[:64],
        data={"ip": ip_address, "path": request.path if request is not None else ""},
    )
