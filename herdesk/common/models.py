"""Per-subject data keys (SEC-4, PIPL art. 47; crypto-shredding).

Each customer's personal fields are encrypted under a data key of their own (AES-256), stored here
wrapped (RFC 3394 AES key wrap) by the master field key (HERDESK_FIELD_KEY, outside the database).
Erasure destroys the wrapped key (`wrapped` emptied, `destroyed_at` set): every copy of the
subject's ciphertext, in the live database, an archive or a backup, can no longer be decrypted.
Backups leave this table's rows out and keep them in one current key export (herdesk.privacy
backup), so a backup taken before an erasure stays unreadable for that subject.
"""

from __future__ import annotations

from django.db import models


class SubjectKey(models.Model):
    wrapped = models.CharField(max_length=80, blank=True)  # "k1:" + base64(AES-KW(master, key))
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "subject data key"

    def __str__(self) -> str:
        return f"subject key {self.pk}{' (destroyed)' if self.destroyed_at else ''}"
