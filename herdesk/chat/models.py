"""Live chat conversations and their messages (INT-1 online chat on website/app).

A message is persisted (with a per-conversation sequence number) *before* the server acknowledges
it, so a client that reconnects asks for everything after the last sequence number it saw and
resends what was never acknowledged; the (conversation, sender, client_id) constraint makes the
resend harmless.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import ConversationStatus, Identity, OfflineReason, Sender


class Conversation(models.Model):
    # The public id is what the signed conversation token carries; the integer pk never leaves us.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visitor_name = models.CharField(_("name given"), max_length=120, blank=True)
    identity = models.CharField(_("identity"), max_length=10, choices=Identity.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ConversationStatus.choices, default=ConversationStatus.WAITING
    )
    offline_reason = models.CharField(
        _("why no agent"), max_length=20, choices=OfflineReason.choices, blank=True, default=""
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    page_url = models.CharField(_("page"), max_length=500, blank=True)
    language = models.CharField(max_length=10, blank=True)
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("opened at"))
    accept_deadline = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    first_customer_message_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    transcript_saved_at = models.DateTimeField(null=True, blank=True)
    # QA-2: when the agent ends the chat the customer is offered a 1–5 rating of the service; it is
    # stored here (the chat's rating, on its ticket) and written on the ticket's timeline.
    closed_by_agent = models.BooleanField(default=False)
    rating = models.PositiveSmallIntegerField(_("rating (1–5)"), null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # Phone verification (issue #14, INT-7): a visitor who typed a phone number is shown as "not
    # verified" and their customer record's history stays hidden until they enter the SMS code sent
    # to that number (herdesk.chat.verification). The code itself is stored only as a keyed hash.
    verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)
    verify_code_hash = models.CharField(max_length=64, blank=True)
    verify_sent_at = models.DateTimeField(null=True, blank=True)
    verify_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("chat conversation")
        verbose_name_plural = _("chat conversations")
        indexes = [
            models.Index(fields=["status", "accept_deadline"], name="chat_conv_status_deadline"),
            models.Index(fields=["agent", "status"], name="chat_conv_agent_status"),
            models.Index(fields=["customer", "-id"], name="chat_conv_customer"),
        ]

    def __str__(self) -> str:
        return f"chat {self.public_id} ({self.status})"


class ChatMessage(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    client_id = models.CharField(max_length=64)
    sender = models.CharField(max_length=10, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="chat_msg_seq"),
            # Exactly once: a resend after a lost acknowledgement finds the stored message.
            models.UniqueConstraint(
                fields=["conversation", "sender", "client_id"], name="chat_msg_client_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"


class ChatToken(models.Model):
    """A customer's browser's key to one conversation (herdesk.chat.tokens): 32 random bytes, only
    their SHA-256 stored, revocable and expiring. Not derived from SECRET_KEY: someone who learns
    SECRET_KEY still cannot open anybody's conversation (issue #14)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("chat token")
        verbose_name_plural = _("chat tokens")

    def __str__(self) -> str:
        return f"token of {self.conversation_id}"
