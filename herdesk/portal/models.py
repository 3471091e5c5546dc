"""One-time sign-in codes and signed single-use links of the customer portal (SEC-3).

Neither a code nor a link secret is stored: only a keyed hash, so a database dump signs nobody in.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import TokenPurpose


class LoginCode(models.Model):
    """A 6-digit code texted to a phone number (5 minutes, at most 5 attempts).

    A row is written for *every* request, also for numbers we do not know (contact empty, nothing
    sent), so rate limits and answers are identical for both and reveal no account (no enumeration).
    """

    # Blind index of the E.164 number, the same HMAC as Contact.phone_bidx: never the plaintext.
    phone_bidx = models.CharField(max_length=40)
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Keyed hash of the client's IP address: a per-client limit without keeping the address.
    client_key = models.CharField(max_length=40, blank=True)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [
            models.Index(fields=["phone_bidx", "-created_at"], name="portal_code_phone"),
            models.Index(fields=["client_key", "created_at"], name="portal_code_client"),
        ]

    def __str__(self) -> str:
        return f"code {self.pk} ({self.created_at:%Y-%m-%d %H:%M})"


class PortalToken(models.Model):
    """A signed single-use link: sign in by email, or act on a ticket from an email without signing in."""

    purpose = models.CharField(_("purpose"), max_length=30, choices=TokenPurpose.choices)
    # SHA-256 of the random secret inside the link; the link itself is also signed (tamper check).
    token_hash = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal link")
        verbose_name_plural = _("portal links")
        indexes = [models.Index(fields=["contact", "purpose", "-created_at"], name="portal_token_contact")]

    def __str__(self) -> str:
        return f"{self.purpose} link {self.pk}"
