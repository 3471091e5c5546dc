"""Production: every secret must come from the environment; nothing is generated on disk."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import HERDESK_BLIND_INDEX_KEY, HERDESK_FIELD_KEY, SECRET_KEY

if SECRET_KEY == "insecure-dev-only-key-change-me" or not HERDESK_FIELD_KEY or not HERDESK_BLIND_INDEX_KEY:
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY, HERDESK_FIELD_KEY and HERDESK_BLIND_INDEX_KEY in the environment."
    )
STATIC_ROOT = STATIC_ROOT or str(VAR_DIR / "static")  # noqa: F405
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
