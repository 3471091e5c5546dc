"""The embedded default used by `make run`: SQLite under var/, keys generated once under var/keys."""

from .base import *  # noqa: F403
from .base import (
    HERDESK_AUDIT_KEY,
    HERDESK_BLIND_INDEX_KEY,
    HERDESK_FIELD_KEY,
    SECRET_KEY,
    _local_secret,
    env,
)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if SECRET_KEY == "insecure-dev-only-key-change-me":
    SECRET_KEY = _local_secret("django_secret", 48)
HERDESK_FIELD_KEY = HERDESK_FIELD_KEY or _local_secret("field_key")
HERDESK_BLIND_INDEX_KEY = HERDESK_BLIND_INDEX_KEY or _local_secret("blind_index_key")
HERDESK_AUDIT_KEY = HERDESK_AUDIT_KEY or _local_secret("audit_key")
