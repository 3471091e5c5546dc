"""Test settings: fixed keys, fast hashing; DATABASE_URL picks SQLite (default) or PostgreSQL."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

SECRET_KEY = "test-secret-key-not-for-production-0123456789"
HERDESK_FIELD_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
HERDESK_BLIND_INDEX_KEY = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
HERDESK_AUDIT_KEY = "dGVzdC1hdWRpdC1rZXktMDEyMzQ1Njc4OWFiY2RlZjA="
# The channels' secrets of the tests (the base settings have none; production refuses these).
HERDESK_CTI_HMAC_SECRET = "dev-cti-secret-change-me"
HERDESK_WECHAT_TOKEN = "herdeskdevtoken"
HERDESK_WECHAT_ENCODING_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
HERDESK_WECHAT_APPSECRET = "dev-appsecret"
HERDESK_SOCIAL_WEBHOOK_SECRET = "dev-social-secret-change-me"
# No anchor file: anchors outlive the rolled-back test databases, so tests that anchor name their own.
HERDESK_AUDIT_ANCHOR_FILE = ""
# Likewise the subject key export (the backup tests name their own).
HERDESK_SUBJECT_KEYS_FILE = ""
HERDESK_ARCHIVE_DIR = tempfile.mkdtemp(prefix="herdesk-test-archive-")
# Most tests sign in with force_login; the two-factor tests switch the requirement on themselves.
HERDESK_2FA_REQUIRED_ROLES = []
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HERDESK_EMBEDDED_SCHEDULER = False
HERDESK_CALENDAR_RECHECK_SECONDS = 0  # tests edit calendars from "other processes" and expect it seen
HERDESK_TRIAGE_RECHECK_SECONDS = 0  # likewise a model trained "elsewhere"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="herdesk-test-media-"))
HERDESK_SMS_CONSOLE_FILE = str(Path(tempfile.mkdtemp(prefix="herdesk-test-sms-")) / "sms-console.log")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Several test runs may share one PostgreSQL server (developers in parallel, xdist workers):
# HERDESK_TEST_DB_SUFFIX keeps their test databases apart.
_suffix = env("HERDESK_TEST_DB_SUFFIX", default="")  # noqa: F405
if _suffix and DATABASES["default"]["ENGINE"] != SQLITE_ENGINE:  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_herdesk_{_suffix}"}  # noqa: F405
if DATABASES["default"]["ENGINE"] == SQLITE_ENGINE:  # noqa: F405
    # In memory, one per xdist worker. Said explicitly: pytest-django recognises SQLite by Django's
    # own ENGINE name only, and would otherwise give our backend (herdesk.common.sqlite) a file name.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405

# The API's per-IP/per-token limits count every request of the whole run (one IP, the cache lives
# for the process); herdesk/api/tests/test_limits.py sets small limits where it tests them.
HERDESK_API_RATE_PER_IP = 1_000_000
HERDESK_API_RATE_PER_TOKEN = 1_000_000
