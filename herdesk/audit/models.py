"""The compliance audit log (SEC-2): append-only, hash-chained.

Each entry's hash = HMAC-SHA256(audit key, previous hash + canonical JSON of the entry's fields),
the key kept outside the database (HERDESK_AUDIT_KEY). Editing, inserting or deleting any row breaks
the chain there, and `herdesk audit verify` names every break; the signed chain head is anchored in
a file outside the database so a truncated tail is found too (herdesk.audit.services).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    seq = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    # The actor is copied, not linked: deleting a user must never cascade into the audit log.
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    data = models.JSONField(_("data"), default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """Single row holding the latest hash; locked while appending so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # The first entry hashed with the audit key (HMAC). Entries before it were written by a version
    # that hashed with plain SHA-256; migration 0002 set this to the next entry at the upgrade.
    keyed_from_seq = models.BigIntegerField(default=1)
