"""Mailboxes, the emails we received and sent (for threading and display), their attachments and
the per-recipient automatic-reply counter. Addresses are personal data: encrypted (SEC-1)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from herdesk.common.fields import EncryptedTextField

from .choices import AfterFetch, DeliveryStatus, EmailDirection, MailboxKind


class Mailbox(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    address = models.EmailField(_("address"), max_length=254, unique=True)
    display_name = models.CharField(_("sender name"), max_length=80, blank=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=MailboxKind.choices, default=MailboxKind.PRIMARY
    )
    imap_host = models.CharField(_("IMAP host"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_user = models.CharField(_("IMAP user"), max_length=200, blank=True)
    imap_password = EncryptedTextField(_("IMAP password"), blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=200, default="INBOX")
    imap_ssl = models.BooleanField(_("IMAP over TLS"), default=True)
    after_fetch = models.CharField(
        _("after fetching"), max_length=10, choices=AfterFetch.choices, default=AfterFetch.SEEN
    )
    move_to = models.CharField(_("move to folder"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} <{self.address}>"

    @property
    def polls(self) -> bool:
        return bool(self.active and self.imap_host and self.imap_user)


class EmailMessage(models.Model):
    """One email in or out. Its Message-ID threads replies (In-Reply-To/References) to the ticket."""

    direction = models.CharField(max_length=3, choices=EmailDirection.choices)
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.OneToOneField(
        "inbound.InboundPayload", null=True, blank=True, on_delete=models.PROTECT, related_name="email"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    interaction = models.ForeignKey(
        "tickets.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outbox = models.ForeignKey(
        "notifications.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    from_addr = EncryptedTextField(_("from"), blank=True)
    to_addrs = EncryptedTextField(_("to"), blank=True)
    cc_addrs = EncryptedTextField(_("cc"), blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("date"), null=True, blank=True)
    # The full decoded text (the timeline entry may be cut at its length limit).
    text = models.TextField(_("text"), blank=True)
    # Where the quoted part of a reply starts: text[:new_part_end] is what the sender wrote.
    new_part_end = models.PositiveIntegerField(default=0)
    html_safe = models.TextField(_("HTML (sanitised)"), blank=True)
    auto_reasons = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)  # charset fallbacks, MIME defects, size
    is_automatic = models.BooleanField(default=False)
    oversized = models.BooleanField(default=False)
    delivery_status = models.CharField(max_length=12, choices=DeliveryStatus.choices, blank=True)
    delivery = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        indexes = [models.Index(fields=["ticket", "-id"], name="mail_email_ticket")]

    def __str__(self) -> str:
        return f"{self.direction} {self.message_id}"

    @property
    def new_part(self) -> str:
        return self.text[: self.new_part_end] if self.new_part_end else self.text

    @property
    def quoted_part(self) -> str:
        return self.text[self.new_part_end :] if self.new_part_end else ""


class EmailAttachment(models.Model):
    """A file from an email, stored under MEDIA_ROOT/inbound/ with a random name; downloaded only
    as application/octet-stream, never served inline or executed (SEC-5)."""

    email = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("declared type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, blank=True)
    storage_path = models.CharField(max_length=255, blank=True)
    content_id = models.CharField(max_length=255, blank=True)
    is_inline = models.BooleanField(default=False)
    # Not stored as a file (too large, limit per message reached): still inside the raw message.
    skipped_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("email attachment")
        verbose_name_plural = _("email attachments")

    def __str__(self) -> str:
        return self.filename


class AutoReplyCounter(models.Model):
    """Automatic replies per recipient per local day (RFC 3834 loop protection). `key` is the
    recipient's blind index, never the address."""

    key = models.CharField(max_length=80)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "day"], name="mail_autoreply_once")]
