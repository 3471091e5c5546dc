from django.db import models
from django.utils.translation import gettext_lazy as _


class PayloadState(models.TextChoices):
    PENDING = "pending", _("Waiting to be processed")
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")
    # Another delivery of a message already stored (e.g. relayed again with other Received headers).
    DUPLICATE = "duplicate", _("Duplicate delivery")
    DISCARDED = "discarded", _("Discarded")


class Outcome(models.TextChoices):
    TICKET_CREATED = "ticket_created", _("Ticket created")
    INTERACTION_ADDED = "interaction_added", _("Added to a ticket")
    ALREADY_ON_TICKET = "already_on_ticket", _("Already on a ticket")
    BOUNCE_ATTACHED = "bounce_attached", _("Delivery report added to a ticket")
    IGNORED = "ignored", _("Ignored")


class ReasonCode(models.TextChoices):
    PARSE_ERROR = "parse_error", _("Could not be parsed")
    EMPTY = "empty", _("Empty payload")
    NO_SENDER = "no_sender", _("No usable sender")
    LOOP = "loop", _("Mail loop")
    BOUNCE_UNMATCHED = "bounce_unmatched", _("Delivery report for a message we did not send")
    ID_REUSED = "id_reused", _("Message id reused with different content")
    UNKNOWN_SOURCE = "unknown_source", _("Unknown source")
    # A signed webhook (CTI, WeChat, social media) whose signature is wrong or stale: a forgery, a
    # replay or a secret out of step. The body is kept as evidence and answered 403.
    BAD_SIGNATURE = "bad_signature", _("Signature did not verify")
    HANDLER_ERROR = "handler_error", _("Processing failed")
    TOO_MANY_ATTEMPTS = "too_many_attempts", _("Failed repeatedly")
    NO_HANDLER = "no_handler", _("No handler for this channel")


class HealthStatus(models.TextChoices):
    OK = "ok", _("OK")
    DEGRADED = "degraded", _("Degraded")
    FAILING = "failing", _("Failing")
