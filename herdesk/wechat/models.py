"""The official account's API access token, shared by every process.

WeChat issues one access_token per appid at a time (fetching a new one retires the old one after a
short overlap), so the token must not be cached per process: it lives in this row, refreshed
under a row lock by whichever process finds it stale. Encrypted at rest: it grants API access.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from herdesk.common.fields import EncryptedTextField


class AccessToken(models.Model):
    appid = models.CharField(max_length=64, unique=True)
    token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("WeChat access token")
        verbose_name_plural = _("WeChat access tokens")

    def __str__(self) -> str:
        return f"{self.appid} (until {self.expires_at})"
