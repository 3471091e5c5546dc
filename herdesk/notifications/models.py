"""Transactional outbox: side effects are rows written in the same transaction as the change,
sent after commit by a dispatcher with retries (nothing is sent from inside a request)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import NoticeChannel, NotificationKind, OutboxStatus

__all__ = ["Notification", "OutboxMessage", "OutboxStatus"]


class OutboxMessage(models.Model):
    # Unique key so a retried producer (e.g. two sweeps) cannot queue the same message twice
    # (constraint outbox_dedupe_once: unlike unique=True it adds no varchar_pattern_ops "_like"
    # index on PostgreSQL, which nothing queries and every enqueued row paid for).
    dedupe_key = models.CharField(max_length=200)
    channel = models.CharField(_("channel"), max_length=20)  # internal, email, sms, wechat, portal
    recipient = models.CharField(_("recipient"), max_length=200, blank=True)
    template = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="outbox"
    )
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="outbox_dedupe_once")]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_pending", condition=Q(status="pending"))
        ]


class Notification(models.Model):
    """An in-app notice to a staff member: the bell, the notification list, the API and the e-mail
    digest show these. Written only by `staff_notices.notify` (the 'action' and 'internal' outbox
    channels deliver through it too). `text` is the English text at creation (logs, fallback); pages
    render `kind` + `data` in the reader's language (`staff_notices.notification_text`)."""

    user = models.ForeignKey("staff.User", on_delete=models.CASCADE, related_name="notifications")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=NotificationKind.choices, default=NotificationKind.OTHER
    )
    data = models.JSONField(default=dict, blank=True)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="notif_user_unread")]


class NotificationSetting(models.Model):
    """A staff member's notification settings: the optional e-mail digest of unread notifications."""

    user = models.OneToOneField("staff.User", on_delete=models.CASCADE, related_name="notification_setting")
    email_digest = models.BooleanField(_("e-mail digest of unread notifications"), default=False)
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")


class CustomerNoticePreference(models.Model):
    """How a customer wants to hear about their requests (one row per customer; none = automatic).

    The portal always shows every notice; `opt_out_non_essential` stops only the notices the
    regulation does not require (choices.ESSENTIAL_NOTICES are always sent)."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="notice_preference"
    )
    channel = models.CharField(
        _("preferred channel"), max_length=10, choices=NoticeChannel.choices, default="", blank=True
    )
    opt_out_non_essential = models.BooleanField(_("only essential notices"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer notice preference")
        verbose_name_plural = _("customer notice preferences")
