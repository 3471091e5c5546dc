"""Settings shared by every deployment. Twelve-factor: everything that differs comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[2]
env = environ.Env()

VAR_DIR = Path(env("HERDESK_VAR_DIR", default=str(BASE_DIR / "var")))


def _local_secret(name: str, nbytes: int = 32) -> str:
    """Read a per-installation secret from var/keys, creating it once (embedded default only)."""
    import base64
    import secrets

    keys = VAR_DIR / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    path = keys / name
    if not path.exists():
        path.write_text(base64.b64encode(secrets.token_bytes(nbytes)).decode())
        os.chmod(path, 0o600)
    return path.read_text().strip()


SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or "insecure-dev-only-key-change-me"
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "herdesk.common",
    "herdesk.staff",
    "herdesk.audit",
    "herdesk.customers",
    "herdesk.catalog",
    "herdesk.calendars",
    "herdesk.policies",
    "herdesk.tickets",
    "herdesk.clocks",
    "herdesk.notifications",
    "herdesk.api",
    "herdesk.workspace",
    "herdesk.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "herdesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'herdesk.sqlite3'}"
# An empty DATABASE_URL (e.g. `DATABASE_URL= make test-sqlite`) means the embedded default.
DATABASES = {"default": env.db_url_config(env("DATABASE_URL", default="") or _default_db)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue instead of failing with "database is locked" on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

_replica = env("DATABASE_REPLICA_URL", default="")
if _replica:
    DATABASES["replica"] = env.db_url_config(_replica)
    DATABASE_ROUTERS = ["herdesk.common.dbrouter.AnalyticsReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "staff.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Chinese first: zh-hans by default, English on request; times shown in Asia/Shanghai.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "herdesk" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "herdesk" / "static"]
# Serve static files straight from the app folders (no collectstatic step for `make run`).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
# Attachments live outside the web root and are only served through permission-checked views.
MEDIA_ROOT = Path(env("HERDESK_MEDIA_ROOT", default=str(VAR_DIR / "media")))

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
    CELERY_BROKER_URL = REDIS_URL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE

# Personal data protection (SEC-1): AES-256-GCM field key and HMAC blind-index key, base64.
HERDESK_FIELD_KEY = env("HERDESK_FIELD_KEY", default="")
HERDESK_BLIND_INDEX_KEY = env("HERDESK_BLIND_INDEX_KEY", default="")

# The embedded scheduler thread (clock sweep, outbox dispatch) runs inside `herdesk serve`
# unless the deployment runs Celery beat instead.
HERDESK_EMBEDDED_SCHEDULER = env.bool("HERDESK_EMBEDDED_SCHEDULER", default=not REDIS_URL)
HERDESK_SWEEP_INTERVAL_SECONDS = env.int("HERDESK_SWEEP_INTERVAL_SECONDS", default=30)
HERDESK_TICKET_PREFIX = env("HERDESK_TICKET_PREFIX", default="FW")

NINJA_PAGINATION_PER_PAGE = 25

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("HERDESK_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
