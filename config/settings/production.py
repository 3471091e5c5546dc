"""Production: every secret must come from the environment; nothing is generated on disk.

Refuses to start (ImproperlyConfigured, listing every problem at once) with a placeholder, short,
malformed or reused secret: config/settings/secrets.py."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .secrets import secret_problems

_problems = secret_problems(globals())
if _problems:
    raise ImproperlyConfigured(
        "Refusing to start with these secrets:\n  - "
        + "\n  - ".join(_problems)
        + "\nKeys: base64 of 32 random bytes each, one per purpose "
        '(python3 -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())"); '
        "other secrets: the values agreed with the CTI system, the WeChat official account and the "
        'social media gateway, or for a channel you do not use a long random value (python3 -c "import '
        'secrets;print(secrets.token_urlsafe(32))"). See deploy/systemd/herdesk.env.example.'
    )
if not HERDESK_AUDIT_ANCHOR_FILE:  # noqa: F405
    raise ImproperlyConfigured("HERDESK_AUDIT_ANCHOR_FILE must name a file (the audit chain's anchors).")
STATIC_ROOT = STATIC_ROOT or str(VAR_DIR / "static")  # noqa: F405
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS only (SEC-5). uvicorn takes the scheme from X-Forwarded-Proto of the trusted proxy
# (HERDESK_FORWARDED_ALLOW_IPS), so no SECURE_PROXY_SSL_HEADER: a client cannot claim https itself.
# The health probes of a load balancer may come over plain HTTP inside the network.
SECURE_SSL_REDIRECT = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("HERDESK_HSTS_SECONDS", default=31536000)  # noqa: F405
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("HERDESK_HSTS_INCLUDE_SUBDOMAINS", default=True)  # noqa: F405
SECURE_HSTS_PRELOAD = env.bool("HERDESK_HSTS_PRELOAD", default=True)  # noqa: F405
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
