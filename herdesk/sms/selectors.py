"""Reads for SMS: which backend is configured."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from .backends import SmsBackend

DEFAULT_BACKEND = "herdesk.sms.backends.ConsoleBackend"


@lru_cache(maxsize=8)
def _backend(path: str) -> SmsBackend:
    backend = import_string(path)()
    if not isinstance(backend, SmsBackend):
        raise TypeError(f"{path} is not an herdesk.sms.backends.SmsBackend")
    return backend


def sms_backend() -> SmsBackend:
    """The backend named by ``HERDESK_SMS_BACKEND`` (read each call, so tests can override it)."""
    return _backend(getattr(settings, "HERDESK_SMS_BACKEND", "") or DEFAULT_BACKEND)
