"""Settings shared by every deployment. Twelve-factor: everything that differs comes from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import django_stubs_ext
import environ

from herdesk.ops.jobs import beat_schedule as _beat_schedule

# Generic Django classes (ModelAdmin[Ticket], Field[...]) subscriptable at run time, as mypy strict
# wants them written in the core apps (django-stubs-ext).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parents[2]
env = environ.Env()

VAR_DIR = Path(env("HERDESK_VAR_DIR", default=str(BASE_DIR / "var")))


def _local_secret(name: str, nbytes: int = 32, encoding: str = "base64") -> str:
    """Read a per-installation secret from var/keys, creating it once (embedded default only).

    encoding: "base64" (keys), "hex" (letters and digits only: WeChat's Token), "base64-43" (WeChat's
    EncodingAESKey: base64 of 32 bytes without the padding)."""
    import base64
    import secrets

    keys = VAR_DIR / "keys"
    keys.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = keys / name
    if not path.exists():
        raw = secrets.token_bytes(nbytes)
        value = {
            "base64": base64.b64encode(raw).decode(),
            "hex": raw.hex(),
            "base64-43": base64.b64encode(raw).decode().rstrip("="),
        }[encoding]
        # Created 0600 from the start (not chmod after writing: no moment readable by others).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
    return path.read_text().strip()


SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or "insecure-dev-only-key-change-me"
# Rotation: the previous key(s) keep sessions and signed links valid while they age out.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
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
    "axes",  # sign-in lockout (SEC-5; herdesk.staff.signin)
    "django_otp",  # two-factor sign-in (SEC-5; herdesk.staff.twofactor)
    "django_otp.plugins.otp_totp",
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
    "ninja",  # the API docs' Swagger UI from our static files, not a CDN (CSP, SEC-5)
    "herdesk.workspace",
    "herdesk.attachments",
    "herdesk.savedviews",
    "herdesk.demo",
    "herdesk.search",
    "herdesk.triage",
    "herdesk.analytics",
    "herdesk.kb",
    "herdesk.ops",
    "herdesk.sms",
    "herdesk.portal",
    "channels",  # Django Channels (its app label is "channels": none of ours may use it)
    "herdesk.chat",
    "herdesk.phone",
    "herdesk.wechat",
    "herdesk.social",
    "herdesk.inbound",
    "herdesk.mail",
    "herdesk.privacy",  # data-subject requests (SEC-4, SEC-6)
    "herdesk.followup",
    "herdesk.complaints",
    "herdesk.quality",
    "herdesk.training",
    "herdesk.field",
    "herdesk.emergency",
]

MIDDLEWARE = [
    "herdesk.ops.middleware.RequestMetricsMiddleware",  # first: times the whole stack (OPS-3)
    "herdesk.ops.middleware.RequestContextMiddleware",  # request id / user / ticket in every log record
    "herdesk.ops.middleware.ReplicaRoutingMiddleware",  # report reads → replica, if configured
    "django.middleware.security.SecurityMiddleware",
    "herdesk.common.csp.ContentSecurityPolicyMiddleware",  # nonce-based CSP (SEC-5)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "herdesk.staff.twofactor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the 429 page
]

# Middleware a browser's request needs and a bearer-token API request (/api/v1/) does not: sessions,
# CSRF, sign-in, TOTP, messages, framing, sign-in lockout, static files. The WSGI application skips
# them for the API (herdesk/ops/wsgi.py, ADR 0006: they cost every API request CPU for nothing).
HERDESK_BROWSER_ONLY_MIDDLEWARE = [
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "herdesk.staff.twofactor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
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
                "herdesk.common.csp.nonce",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'herdesk.sqlite3'}"
SQLITE_ENGINE = "herdesk.common.sqlite"
# An empty DATABASE_URL (e.g. `DATABASE_URL= make test-sqlite`) means the embedded default.
DATABASES = {"default": env.db_url_config(env("DATABASE_URL", default="") or _default_db)}


def _private_sqlite(name: str) -> None:
    """The SQLite file holds every customer's (encrypted) data and the audit log: create it 0600
    (SQLite gives its -wal and -shm files the same mode) and tighten an older, wider file."""
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass  # a read-only or foreign location: SQLite reports its own error on connect


_SQLITE = DATABASES["default"]["ENGINE"] in ("django.db.backends.sqlite3", SQLITE_ENGINE)
if _SQLITE:
    _private_sqlite(str(DATABASES["default"].get("NAME", "")))
    # Django's backend, with one process's writers queued on a lock instead of SQLite's sleeping
    # busy handler (herdesk/common/sqlite/base.py, issue #20).
    DATABASES["default"]["ENGINE"] = SQLITE_ENGINE
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue instead of failing with "database is locked" on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Persistent connections: an SQLite connection costs nothing to keep but reopening it re-runs
    # the PRAGMAs above. The chat consumers' database work runs in one executor thread per process
    # and Channels' database_sync_to_async calls close_old_connections() around every call, so
    # with CONN_MAX_AGE = 0 every chat message reopened the file (it saturated the 1,000-socket
    # benchmark, docs/architecture/realtime.md). HTTP requests run in a fixed pool of long-lived
    # threads (config/asgi.py, ADR 0005), so theirs are reused too.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("HERDESK_SQLITE_CONN_MAX_AGE", default=600))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

# Threads per web process serving HTTP (config/asgi.py, ADR 0005). On SQLite every write waits for
# the one writer, and a thread that holds the write lock shares the interpreter with the others of
# its process: more threads only stretch the write everyone waits for (measured, 2 workers and 4
# clients creating tickets: 2 threads 123–190/s, 4 threads 105–108/s, 8 threads 132–140/s, p95
# 40–62 / 66–82 / 54–63 ms). PostgreSQL writes in parallel and a thread waiting for it lets another
# run, so more threads help there.
HERDESK_HTTP_THREADS = env.int("HERDESK_HTTP_THREADS", default=2 if _SQLITE else 8)

_replica = env("DATABASE_REPLICA_URL", default="")
if _replica:
    DATABASES["replica"] = env.db_url_config(_replica)
    DATABASE_ROUTERS = ["herdesk.common.dbrouter.AnalyticsReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "staff.User"
# Every form's plain widgets (inputs, selects, textareas) written in Python, the same HTML as Django's
# templates (herdesk/workspace/rendering.py; others still go through the templates). The ticket page
# renders ~50 widgets in its action panels: through the templates that was half of its CPU.
FORM_RENDERER = "herdesk.workspace.rendering.FastWidgetRenderer"
# tickets.Ticket's tkt_open_id carries INCLUDE columns for index-only scans on PostgreSQL (the
# scale database); SQLite builds the same index without them, which is what this check says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
# ModelBackend's answers in fewer queries (the user with their team; permissions and role together).
# AxesStandaloneBackend first: a locked-out username/address pair is refused before any password
# check (SEC-5; herdesk.staff.signin).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "herdesk.staff.backends.StaffBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "login"

# Data-subject requests (herdesk.privacy): answered within this many working days of the calendar.
HERDESK_DSR_CALENDAR = env("HERDESK_DSR_CALENDAR", default="office")
HERDESK_DSR_DEADLINE_WORKING_DAYS = env.int("HERDESK_DSR_DEADLINE_WORKING_DAYS", default=15)
# Content-Security-Policy (herdesk.common.csp): report-only while trying a change out.
HERDESK_CSP_REPORT_ONLY = env.bool("HERDESK_CSP_REPORT_ONLY", default=False)
# Sign-in lockout (django-axes; herdesk.staff.signin): 5 failures of one username from one address
# lock that pair for 15 minutes; the 429 page is bilingual; every lockout is audited.
AXES_FAILURE_LIMIT = env.int("HERDESK_SIGNIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("HERDESK_SIGNIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "herdesk.staff.signin.lockout_response"
AXES_CLIENT_IP_CALLABLE = "herdesk.staff.signin.client_ip"
AXES_VERBOSE = False
# Two-factor sign-in (django-otp TOTP; herdesk.staff.twofactor) required for these roles (and
# superusers): they change the rules, the permissions, or see every ticket.
HERDESK_2FA_REQUIRED_ROLES = env.list(
    "HERDESK_2FA_REQUIRED_ROLES", default=["admin", "management", "qa", "supervisor"]
)
OTP_TOTP_ISSUER = env("HERDESK_OTP_ISSUER", default="Herdesk 牧服")

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
# collectstatic target for production; the embedded default serves from the app folders.
STATIC_ROOT = env("HERDESK_STATIC_ROOT", default="") or None
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
# Audit chain (SEC-2): HMAC key of the hash chain (base64, >= 32 bytes), kept outside the database
# like the field keys, and the file outside the database the signed chain head is appended to
# (herdesk.audit.services.audit_anchor; keep it in the backups, ideally on other storage).
HERDESK_AUDIT_KEY = env("HERDESK_AUDIT_KEY", default="")
HERDESK_AUDIT_ANCHOR_FILE = env("HERDESK_AUDIT_ANCHOR_FILE", default=str(VAR_DIR / "audit-anchors.log"))
HERDESK_AUDIT_ANCHOR_INTERVAL_SECONDS = env.int("HERDESK_AUDIT_ANCHOR_INTERVAL_SECONDS", default=300)
# Per-subject data keys (crypto-shredding, SEC-4; herdesk.common.keystore): backups leave the keys out
# and `herdesk backup take` writes them here instead — ONE current copy, never versioned (an erasure
# blanks its key here too). Keep it apart from the backups (e.g. with the secret store).
HERDESK_SUBJECT_KEYS_FILE = env(
    "HERDESK_SUBJECT_KEYS_FILE", default=str(VAR_DIR / "keys" / "subject-keys.jsonl")
)
# Retention per data class and the monthly archive (CLS-3, SEC-4; herdesk.privacy.retention): months
# (the archive waits archive_grace_days after a month ends). The audit chain is kept without limit.
HERDESK_RETENTION = {
    "archive_grace_days": env.int("HERDESK_RETENTION_ARCHIVE_GRACE_DAYS", default=5),
    "archive_months": env.int("HERDESK_RETENTION_ARCHIVE_MONTHS", default=36),
    "raw_inbound_months": env.int("HERDESK_RETENTION_RAW_INBOUND_MONTHS", default=6),
    "inactive_customer_months": env.int("HERDESK_RETENTION_INACTIVE_CUSTOMER_MONTHS", default=60),
}
HERDESK_ARCHIVE_DIR = env("HERDESK_ARCHIVE_DIR", default=str(VAR_DIR / "archive"))
HERDESK_RETENTION_INTERVAL_SECONDS = env.int("HERDESK_RETENTION_INTERVAL_SECONDS", default=6 * 3600)

# The embedded scheduler thread (clock sweep, outbox dispatch) runs inside `herdesk serve`
# unless the deployment runs Celery beat instead.
HERDESK_EMBEDDED_SCHEDULER = env.bool("HERDESK_EMBEDDED_SCHEDULER", default=not REDIS_URL)
HERDESK_SWEEP_INTERVAL_SECONDS = env.int("HERDESK_SWEEP_INTERVAL_SECONDS", default=30)
# Calendar edits made by another process are picked up within this many seconds.
HERDESK_CALENDAR_RECHECK_SECONDS = env.float("HERDESK_CALENDAR_RECHECK_SECONDS", default=5.0)
# How soon a web process notices a triage model trained in another process (herdesk.triage.services).
HERDESK_TRIAGE_RECHECK_SECONDS = env.float("HERDESK_TRIAGE_RECHECK_SECONDS", default=5.0)
# SMS for verification codes and notices (console backend writes to the log in the demo).
HERDESK_SMS_BACKEND = env("HERDESK_SMS_BACKEND", default="herdesk.sms.backends.ConsoleBackend")
# The console backend masks codes in the log and writes the full texts here (0600; demo sign-in codes).
HERDESK_SMS_CONSOLE_FILE = env("HERDESK_SMS_CONSOLE_FILE", default=str(VAR_DIR / "sms-console.log"))
# Absolute base URL for links in emails and SMS (e.g. https://service.example.cn).
HERDESK_PUBLIC_URL = env("HERDESK_PUBLIC_URL", default="")
HERDESK_TICKET_PREFIX = env("HERDESK_TICKET_PREFIX", default="FW")

# --- ops (herdesk.ops): Celery beat schedule, metrics, readiness -----------------------------------
# Beat runs the same jobs as the embedded scheduler thread.
HERDESK_OUTBOX_INTERVAL_SECONDS = env.int("HERDESK_OUTBOX_INTERVAL_SECONDS", default=10)
# How long a dispatcher holds the messages it claimed before another may take them (a dispatcher killed
# mid-batch delays its messages by at most this much: short, because a breach notice is itself timed).
HERDESK_OUTBOX_LEASE_SECONDS = env.int("HERDESK_OUTBOX_LEASE_SECONDS", default=120)
HERDESK_MAIL_POLL_INTERVAL_SECONDS = env.int("HERDESK_MAIL_POLL_INTERVAL_SECONDS", default=60)
# The schedule is built from the one list of periodic jobs (herdesk.ops.jobs), which the embedded
# scheduler thread runs too.
HERDESK_INBOUND_DRAIN_INTERVAL_SECONDS = env.int("HERDESK_INBOUND_DRAIN_INTERVAL_SECONDS", default=30)
HERDESK_KPI_ROLLUP_INTERVAL_SECONDS = env.int("HERDESK_KPI_ROLLUP_INTERVAL_SECONDS", default=900)
HERDESK_REPORT_PACK_INTERVAL_SECONDS = env.int("HERDESK_REPORT_PACK_INTERVAL_SECONDS", default=3600)
# Supervision sweep (issue #17): dispute windows closing, per-agent scorecard rollups.
HERDESK_QUALITY_SWEEP_INTERVAL_SECONDS = env.int("HERDESK_QUALITY_SWEEP_INTERVAL_SECONDS", default=900)
HERDESK_NOTIFICATION_DIGEST_INTERVAL_SECONDS = env.int(
    "HERDESK_NOTIFICATION_DIGEST_INTERVAL_SECONDS", default=300
)
# Training (STF-2): the sweep (onboarding completion, overdue notices) and the working calendar of
# due dates and onboarding days.
HERDESK_TRAINING_SWEEP_INTERVAL_SECONDS = env.int("HERDESK_TRAINING_SWEEP_INTERVAL_SECONDS", default=3600)
HERDESK_TRAINING_CALENDAR = env("HERDESK_TRAINING_CALENDAR", default="office")
# Complaints: CAPA/regulator deadlines and effectiveness checks (a minute is precise enough).
HERDESK_COMPLAINTS_SWEEP_INTERVAL_SECONDS = env.int("HERDESK_COMPLAINTS_SWEEP_INTERVAL_SECONDS", default=60)
# Follow-up tasks and review deadlines (CLS-2); the follow-up rules' defaults (a FollowUpRule row wins).
HERDESK_FOLLOWUP_SWEEP_INTERVAL_SECONDS = env.int("HERDESK_FOLLOWUP_SWEEP_INTERVAL_SECONDS", default=60)
HERDESK_FOLLOWUP_FATIGUE_DAYS = env.int("HERDESK_FOLLOWUP_FATIGUE_DAYS", default=30)
HERDESK_FOLLOWUP_MAX_ATTEMPTS = env.int("HERDESK_FOLLOWUP_MAX_ATTEMPTS", default=3)
# Field service (FLD-3): the preventive-maintenance generator (idempotent; catches up after downtime).
HERDESK_MAINTENANCE_INTERVAL_SECONDS = env.int("HERDESK_MAINTENANCE_INTERVAL_SECONDS", default=3600)
# Biosecurity (FLD-4): hours an engineer stays away from other farms after a farm under a disease alert.
HERDESK_FIELD_QUARANTINE_HOURS = env.int("HERDESK_FIELD_QUARANTINE_HOURS", default=48)
# Emergencies (EMG-1): drill reminders N days ahead, overdue level responses (emergency/drills.py).
HERDESK_EMERGENCY_SWEEP_INTERVAL_SECONDS = env.int("HERDESK_EMERGENCY_SWEEP_INTERVAL_SECONDS", default=300)
HERDESK_DRILL_REMINDER_DAYS = env.int("HERDESK_DRILL_REMINDER_DAYS", default=3)
CELERY_BEAT_SCHEDULE = _beat_schedule(globals(), INSTALLED_APPS)
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "HERDESK_BEAT_SCHEDULE_FILE", default=str(VAR_DIR / "celerybeat-schedule")
)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_IGNORE_RESULT = True
# A periodic task that runs this long is stuck (a sweep of 50,000 breaches takes seconds).
CELERY_TASK_TIME_LIMIT = env.int("HERDESK_TASK_TIME_LIMIT_SECONDS", default=600)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# /metrics: with a token set the scraper must send "Authorization: Bearer <token>".
HERDESK_METRICS_TOKEN = env("HERDESK_METRICS_TOKEN", default="")
# /readyz reports the outbox as degraded when its oldest due message waited longer than this.
HERDESK_READYZ_OUTBOX_MAX_AGE_SECONDS = env.int("HERDESK_READYZ_OUTBOX_MAX_AGE_SECONDS", default=600)
# Read replica (DATABASE_REPLICA_URL): GET requests under these paths read from it (dashboards and
# reports tolerate a few seconds of lag; ticket handling never reads from it). Tests mirror it.
HERDESK_REPLICA_PATHS = env.list("HERDESK_REPLICA_PATHS", default=["/api/v1/compliance"])
if "replica" in DATABASES:
    DATABASES["replica"].setdefault("TEST", {"MIRROR": "default"})
# PostgreSQL: HTTP requests run in a fixed pool of long-lived threads (config/asgi.py, ADR 0005), so
# a persistent connection per thread is reused, and a web process holds at most
# HERDESK_HTTP_THREADS of them (+ the sockets' executor and the scheduler). Opening one per request
# cost a PostgreSQL log-in each time. With HERDESK_DB_POOL=1 (psycopg-pool) a small pool per
# process instead (Django >= 5.1).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("HERDESK_DB_CONN_MAX_AGE", default=60)
    if env.bool("HERDESK_DB_POOL", default=False):
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": env.int("HERDESK_DB_POOL_SIZE", default=8),
            "timeout": 10,
        }
# --- end ops ---------------------------------------------------------------------------------------

# --- email channel (herdesk.inbound, herdesk.mail) -------------------------------------------------
# Outbound mail goes through the outbox and this backend: SMTP in production
# (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend + EMAIL_HOST…), files under var/ in the demo.
# The file backend of the embedded default masks the recipients (herdesk.common.mailbackends).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="herdesk.common.mailbackends.MaskedFileEmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "sent-mail"))
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="support@herdesk.local")
# Larger mail is kept raw, becomes a ticket from its headers, and the sender gets a polite notice.
HERDESK_MAIL_MAX_BYTES = env.int("HERDESK_MAIL_MAX_BYTES", default=25 * 1024 * 1024)
HERDESK_MAIL_ATTACHMENT_MAX_BYTES = env.int("HERDESK_MAIL_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
# RFC 3834: at most this many automatic replies per recipient per day.
HERDESK_MAIL_AUTOREPLY_DAILY_CAP = env.int("HERDESK_MAIL_AUTOREPLY_DAILY_CAP", default=5)
# A Date header further in the past than this is not trusted as the received time.
HERDESK_MAIL_MAX_PAST_DAYS = env.int("HERDESK_MAIL_MAX_PAST_DAYS", default=7)
HERDESK_MAIL_POLL_BATCH = env.int("HERDESK_MAIL_POLL_BATCH", default=200)
HERDESK_MAIL_LOOP_ID = env("HERDESK_MAIL_LOOP_ID", default="herdesk")
HERDESK_SMTPD_MAX_BYTES = env.int("HERDESK_SMTPD_MAX_BYTES", default=100 * 1024 * 1024)
# New tickets from inbound channels start with this problem type until triage (INT-5) corrects it.
HERDESK_INBOUND_DEFAULT_PROBLEM_TYPE = env("HERDESK_INBOUND_DEFAULT_PROBLEM_TYPE", default="product_inquiry")
# --- end email channel -----------------------------------------------------------------------------

# Untriaged tickets belong to an intake team from the moment they arrive, so its agents see them in
# the unassigned queue and can claim them (#13). Per channel as "email=customer-service,social=…";
# every other channel goes to HERDESK_INTAKE_TEAM (the first-line customer-service team).
HERDESK_INTAKE_TEAM = env("HERDESK_INTAKE_TEAM", default="customer-service")
HERDESK_INTAKE_TEAMS = env.dict("HERDESK_INTAKE_TEAMS", default={})
# A customer's message on a closed ticket within this many days reopens it; later (and always after
# the record is finalised) it opens a new ticket linked to the old one (CLS-1).
HERDESK_REOPEN_WINDOW_DAYS = env.int("HERDESK_REOPEN_WINDOW_DAYS", default=7)

NINJA_PAGINATION_PER_PAGE = 25

# Structured logs (OPS-3): one JSON object a line with request_id, user (id) and ticket, personal data
# masked (herdesk.common.logs). HERDESK_LOG_FORMAT=plain for a human at a terminal.
HERDESK_LOG_FORMAT = env("HERDESK_LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "herdesk.common.logs.LogContextFilter"},
        # Phone numbers, emails and ID numbers masked in every record (herdesk.common.logfilters).
        "personal_data": {"()": "herdesk.common.logfilters.PersonalDataFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(ticket)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["levelname", "name", "message", "request_id", "user", "ticket"],
            "timestamp": "time",  # ISO 8601, UTC
            "rename_fields": {"levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if HERDESK_LOG_FORMAT == "plain" else "json",
            "filters": ["context", "personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": env("HERDESK_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- real-time and messaging channels (herdesk.chat, phone, wechat, social; herdesk.sms.aliyun) ----
# Every secret comes from the environment; the defaults only suit development and tests.
# Live chat: agents are online during the hotline's hours; a waiting chat nobody accepts within the
# timeout becomes a message-taking chat (a ticket with a running first-response clock, INT-2).
HERDESK_CHAT_CALENDAR = env("HERDESK_CHAT_CALENDAR", default="hotline")
HERDESK_CHAT_ACCEPT_TIMEOUT_SECONDS = env.int("HERDESK_CHAT_ACCEPT_TIMEOUT_SECONDS", default=120)
HERDESK_CHAT_MAX_MESSAGE_CHARS = env.int("HERDESK_CHAT_MAX_MESSAGE_CHARS", default=2000)
HERDESK_CHAT_TOKEN_MAX_AGE_SECONDS = env.int("HERDESK_CHAT_TOKEN_MAX_AGE_SECONDS", default=7 * 24 * 3600)
# Webhook bodies larger than this are refused with 413 (after the first bytes are kept as evidence).
HERDESK_WEBHOOK_MAX_BYTES = env.int("HERDESK_WEBHOOK_MAX_BYTES", default=256 * 1024)
# The channels' secrets: from the environment. None is written here: the embedded default
# (config.settings.local) generates its own under var/keys/, the tests set theirs, and
# config.settings.production refuses to start without good ones (config/settings/secrets.py).
# Hotline CTI: HMAC-SHA256 over "<timestamp>.<body>", timestamps older than the skew are replays.
HERDESK_CTI_HMAC_SECRET = env("HERDESK_CTI_HMAC_SECRET", default="")
HERDESK_CTI_MAX_SKEW_SECONDS = env.int("HERDESK_CTI_MAX_SKEW_SECONDS", default=300)
# WeChat official account (公众号) message push and customer-service message API.
HERDESK_WECHAT_TOKEN = env("HERDESK_WECHAT_TOKEN", default="")
HERDESK_WECHAT_ENCODING_AES_KEY = env("HERDESK_WECHAT_ENCODING_AES_KEY", default="")
HERDESK_WECHAT_APPID = env("HERDESK_WECHAT_APPID", default="") or "wx0000000000000000"
HERDESK_WECHAT_APPSECRET = env("HERDESK_WECHAT_APPSECRET", default="")
HERDESK_WECHAT_API_BASE = env("HERDESK_WECHAT_API_BASE", default="https://api.weixin.qq.com")
# Social media: HMAC-SHA256 of the body in X-Herdesk-Signature ("sha256=<hex>").
HERDESK_SOCIAL_WEBHOOK_SECRET = env("HERDESK_SOCIAL_WEBHOOK_SECRET", default="")
# Aliyun SMS (herdesk.sms.aliyun.AliyunSmsBackend, chosen with HERDESK_SMS_BACKEND).
HERDESK_ALIYUN_SMS_ACCESS_KEY_ID = env("HERDESK_ALIYUN_SMS_ACCESS_KEY_ID", default="")
HERDESK_ALIYUN_SMS_ACCESS_KEY_SECRET = env("HERDESK_ALIYUN_SMS_ACCESS_KEY_SECRET", default="")
HERDESK_ALIYUN_SMS_SIGN_NAME = env("HERDESK_ALIYUN_SMS_SIGN_NAME", default="")
HERDESK_ALIYUN_SMS_ENDPOINT = env("HERDESK_ALIYUN_SMS_ENDPOINT", default="https://dysmsapi.aliyuncs.com/")
HERDESK_ALIYUN_SMS_REGION = env("HERDESK_ALIYUN_SMS_REGION", default="cn-hangzhou")
# One filed template per purpose (JSON: {"login_code": "SMS_123", ...}); each carries ${content}.
HERDESK_ALIYUN_SMS_TEMPLATES = env.json("HERDESK_ALIYUN_SMS_TEMPLATES", default={})
HERDESK_ALIYUN_SMS_TEMPLATE_PARAM = env("HERDESK_ALIYUN_SMS_TEMPLATE_PARAM", default="content")
HERDESK_ALIYUN_SMS_TIMEOUT_SECONDS = env.float("HERDESK_ALIYUN_SMS_TIMEOUT_SECONDS", default=10.0)
# Room for bursts in each socket's channel: the layers' default (100 messages) drops events
# silently while a consumer is busy for a moment (clients recover by sequence number, but should
# rarely have to).
_channel_layer: dict = dict(CHANNEL_LAYERS["default"])
if _channel_layer["BACKEND"] == "channels.layers.InMemoryChannelLayer":
    # The same layer with its expiry sweep once a second instead of on every receive (O(sockets)
    # per delivered event: the main cost at 1,000 sockets; herdesk/realtime/layers.py).
    _channel_layer["BACKEND"] = "herdesk.realtime.layers.InMemoryChannelLayer"
elif _channel_layer["BACKEND"] == "channels_redis.core.RedisChannelLayer":
    # redis-py 8 reads with a 5 s socket timeout by default, and channels_redis blocks in BZPOPMIN for
    # 5 s: a receive() on a quiet channel raised "Timeout reading from …" and killed the socket
    # (the 1,000-socket benchmark). The layer's connections get a timeout well above that.
    _channel_layer["CONFIG"] = {
        **_channel_layer.get("CONFIG", {}),
        "hosts": [
            {
                "address": REDIS_URL,
                "socket_timeout": env.float("HERDESK_REDIS_LAYER_SOCKET_TIMEOUT", default=30.0),
            }
        ],
    }
_channel_layer["CONFIG"] = {
    **_channel_layer.get("CONFIG", {}),
    "capacity": env.int("HERDESK_CHANNEL_CAPACITY", default=1000),
}
CHANNEL_LAYERS = {"default": _channel_layer}
# --- end real-time and messaging channels ----------------------------------------------------------

# SEC-1 API rate limits per one-minute window (herdesk.api.throttle): per token, and per client IP
# (checked before the token). Raise them for an integration that creates tickets in bulk, or for a
# benchmark of throughput (bench/run.py does).
HERDESK_API_RATE_PER_TOKEN = env.int("HERDESK_API_RATE_PER_TOKEN", default=600)
HERDESK_API_RATE_PER_IP = env.int("HERDESK_API_RATE_PER_IP", default=1200)
