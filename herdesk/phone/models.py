"""Hotline call records built from CTI events (INT-1: call logging, caller number, recording link).

The raw CTI requests are kept by herdesk.inbound (one payload per call id + event, exactly once);
this table is the call as the service centre sees it. The caller's number is personal data:
encrypted, looked up through a blind index (SEC-1).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from herdesk.common.fields import EncryptedTextField

from .choices import CallStatus


class CallRecord(models.Model):
    call_id = models.CharField(_("call id"), max_length=100, unique=True)
    caller = EncryptedTextField(_("caller number"), blank=True)
    caller_bidx = models.CharField(max_length=40, blank=True, db_index=True)
    callee = models.CharField(_("number dialled"), max_length=40, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=CallStatus.choices, default=CallStatus.RINGING
    )
    ringing_at = models.DateTimeField(_("rang at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    talk_seconds = models.PositiveIntegerField(_("talk time (s)"), null=True, blank=True)
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    end_reason = models.CharField(max_length=40, blank=True)
    # The ticket this call is about (linked by the agent), and the call-back task for a missed call.
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    callback_ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("call-back task"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    interaction = models.ForeignKey(
        "tickets.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    events = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [
            models.Index(fields=["status", "-id"], name="call_status_id"),
            models.Index(fields=["agent", "-id"], name="call_agent_id"),
            models.Index(fields=["customer", "-id"], name="call_customer_id"),
        ]

    def __str__(self) -> str:
        return f"call {self.call_id} ({self.status})"


class DialRequest(models.Model):
    """Click-to-call: a member of staff asked the CTI to dial a customer from their extension.

    The number never goes to the agent's browser: the CTI bridge receives it on the channel-layer
    group `phone-cti` (services.call_dial_request), the agent only sees the masked number."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    extension = models.CharField(_("extension"), max_length=20)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact", verbose_name=_("contact"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))

    class Meta:
        verbose_name = _("click-to-call request")
        verbose_name_plural = _("click-to-call requests")
        indexes = [models.Index(fields=["requested_by", "-requested_at"], name="dial_user_at")]

    def __str__(self) -> str:
        return f"dial {self.pk} ({self.extension})"
