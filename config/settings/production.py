"""Production: every secret must come from the environment; nothing is generated on disk."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import _DEV_CHANNEL_SECRETS, HERDESK_BLIND_INDEX_KEY, HERDESK_FIELD_KEY, SECRET_KEY

if SECRET_KEY == "insecure-dev-only-key-change-me" or not HERDESK_FIELD_KEY or not HERDESK_BLIND_INDEX_KEY:
    raise ImproperlyConfigured(
        "Set DJANGO_SECRET_KEY, HERDESK_FIELD_KEY and HERDESK_BLIND_INDEX_KEY in the environment."
    )
# The real-time channels' webhook secrets (CTI, WeChat, social media) and the WeChat credentials:
# their development values are in the source code, so anybody could forge a signed webhook.
_dev_secrets_in_use = [
    name for name, dev_value in _DEV_CHANNEL_SECRETS.items() if globals()[name] == dev_value
]
if _dev_secrets_in_use:
    raise ImproperlyConfigured(
        "These channel secrets still have their development values: "
        + ", ".join(_dev_secrets_in_use)
        + ". Set them in the environment: the values agreed with the CTI system, the WeChat official"
        " account (Token, EncodingAESKey, AppSecret) and the social media gateway; for a channel you"
        ' do not use, a long random value (python3 -c "import secrets;print(secrets.token_urlsafe(32))").'
    )
STATIC_ROOT = STATIC_ROOT or str(VAR_DIR / "static")  # noqa: F405
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
