"""Raw inbound payloads (stored before parsing), endpoint health and sender claims.

DESIGN "store every inbound payload raw before parsing": a payload row holds the exact bytes a
transport gave us (email, webhook body) and their SHA-256. It is committed before anything parses
it, so a crash or a parser bug can never lose a customer's message; failures land in quarantine.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from herdesk.common.fields import EncryptedBinaryField, EncryptedJSONField

from .choices import PayloadState, ReasonCode


class InboundPayload(models.Model):
    channel = models.CharField(_("channel"), max_length=20)
    # The endpoint within the channel: a mailbox code, a WeChat account, a CTI trunk.
    source = models.CharField(_("source"), max_length=60)
    external_id = models.CharField(_("message id"), max_length=255, blank=True)
    # What "the same message" means for exactly-once: the external id, else a content hash.
    dedupe_key = models.CharField(max_length=255)
    # Identifies the content regardless of transport additions (e.g. an email's body).
    content_key = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    # Encrypted at rest (issue #14): raw messages carry addresses, phone numbers, signatures; meta
    # carries webhook signatures, envelope senders and peer addresses.
    raw = EncryptedBinaryField(_("raw payload"))
    meta = EncryptedJSONField(default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=PayloadState.choices, default=PayloadState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)
    # Byte-identical deliveries of this very row (1 = delivered once).
    deliveries = models.PositiveIntegerField(default=1)
    # Later deliveries recognised as the same message (identical or relayed copies).
    duplicate_count = models.PositiveIntegerField(_("duplicates received"), default=0)
    last_duplicate_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="copies"
    )
    reason_code = models.CharField(_("reason"), max_length=20, choices=ReasonCode.choices, blank=True)
    reason = models.TextField(_("reason (detail)"), blank=True)
    result = models.JSONField(default=dict, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"))
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound payload")
        verbose_name_plural = _("inbound payloads")
        constraints = [
            # Exactly once (per channel endpoint): one "first" row per message; later copies point
            # at it through duplicate_of.
            models.UniqueConstraint(
                fields=["channel", "source", "dedupe_key"],
                condition=Q(duplicate_of__isnull=True),
                name="inbound_payload_once",
            ),
        ]
        indexes = [
            # Backlog (health, pending drain) and quarantine lists stay index-only.
            models.Index(
                fields=["channel", "source", "received_at"],
                name="inbound_pending",
                condition=Q(state="pending"),
            ),
            models.Index(
                fields=["channel", "source", "-id"],
                name="inbound_quarantine",
                condition=Q(state="quarantined"),
            ),
            models.Index(fields=["channel", "source", "-received_at"], name="inbound_src_time"),
            models.Index(fields=["channel", "source", "content_key"], name="inbound_content"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.source} #{self.pk} {self.state}"


class InboundSource(models.Model):
    """One endpoint of a channel (a mailbox, an account) and the result of its last polls."""

    channel = models.CharField(_("channel"), max_length=20)
    code = models.CharField(_("code"), max_length=60)
    label = models.CharField(_("name"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Set for polled sources: health turns degraded when no poll succeeded for 3 intervals.
    poll_interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful fetch"), null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    fetched_total = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("inbound source")
        verbose_name_plural = _("inbound sources")
        constraints = [models.UniqueConstraint(fields=["channel", "code"], name="inbound_source_once")]
        permissions = [("view_channel_health", "Can see the health of inbound channels")]

    def __str__(self) -> str:
        return f"{self.channel}/{self.code}"


class SenderClaim(models.Model):
    """Serialises creating a customer for an unknown sender: the unique key makes a second worker
    wait for (and then reuse) the first one's customer instead of creating a twin."""

    kind = models.CharField(max_length=10)  # email, phone, wechat
    key = models.CharField(max_length=80)  # blind index (never the plain address)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="inbound_sender_claim_once")]
