"""Start-up checks of the production secrets (issue #14). Pure functions of the settings' values, so
`config.settings.production` can refuse to start and the tests can call them directly.

Why each rule:
- a placeholder (the values in deploy/systemd/herdesk.env.example, the old development values):
  anybody who has read the repository knows it;
- a short secret: guessable offline (an HMAC-signed webhook, a session cookie) — 32 bytes at least;
  DJANGO_SECRET_KEY 50 characters (Django's own deploy check, security.W009);
- one key used for two purposes (field encryption, blind index, audit chain, SECRET_KEY): losing one
  must not give away the others, and rotating one must not force rotating the others;
- a malformed key (not base64, not 32 bytes): found at start-up, not at the first customer record.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

# Values that are public: the example environment file and earlier versions' development defaults.
PLACEHOLDERS = {
    "",
    "change-me",
    "change-me-50-random-characters",
    "insecure-dev-only-key-change-me",
    "dev-cti-secret-change-me",
    "herdeskdevtoken",
    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "dev-appsecret",
    "dev-social-secret-change-me",
}
MIN_SECRET_BYTES = 32
MIN_DJANGO_SECRET_CHARS = 50
# base64 of 32 bytes each; the field key is an AES-256 key (exactly 32 bytes).
KEYS = ("HERDESK_FIELD_KEY", "HERDESK_BLIND_INDEX_KEY", "HERDESK_AUDIT_KEY")
CHANNEL_SECRETS = (
    "HERDESK_CTI_HMAC_SECRET",
    "HERDESK_WECHAT_TOKEN",
    "HERDESK_WECHAT_ENCODING_AES_KEY",
    "HERDESK_WECHAT_APPSECRET",
    "HERDESK_SOCIAL_WEBHOOK_SECRET",
)


def decode_key(raw: str) -> bytes | None:
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return None


def secret_problems(values: dict[str, Any]) -> list[str]:
    """Every problem of the secrets in `values` (a settings namespace), [] when all is well."""
    problems: list[str] = []
    secret_key = str(values.get("SECRET_KEY") or "")
    if secret_key in PLACEHOLDERS or secret_key.startswith("django-insecure-"):
        problems.append("DJANGO_SECRET_KEY is a placeholder: set a random value")
    elif len(secret_key) < MIN_DJANGO_SECRET_CHARS or len(set(secret_key)) < 5:
        problems.append(f"DJANGO_SECRET_KEY is shorter than {MIN_DJANGO_SECRET_CHARS} characters")
    decoded: dict[str, bytes] = {}
    for name in KEYS:
        raw = str(values.get(name) or "")
        if raw in PLACEHOLDERS:
            problems.append(f"{name} is not set (base64 of 32 random bytes)")
            continue
        key = decode_key(raw)
        if key is None:
            problems.append(f"{name} is not valid base64")
        elif len(key) != MIN_SECRET_BYTES:
            problems.append(f"{name} must decode to 32 bytes, got {len(key)}")
        else:
            decoded[name] = key
    seen: dict[bytes, str] = {secret_key.encode(): "DJANGO_SECRET_KEY"}
    for name, key in decoded.items():
        for candidate in (key, base64.b64encode(key)):
            if candidate in seen:
                problems.append(f"{name} is the same key as {seen[candidate]}: use a separate key for each")
                break
        else:
            seen[key] = name
    for name in CHANNEL_SECRETS:
        value = str(values.get(name) or "")
        if value in PLACEHOLDERS:
            problems.append(f"{name} is not set or still has its development value")
        elif name == "HERDESK_WECHAT_ENCODING_AES_KEY":
            # WeChat's format: 43 characters, base64 of 32 bytes without the padding.
            if not re.fullmatch(r"[A-Za-z0-9+/]{43}", value) or len(decode_key(value + "=") or b"") != 32:
                problems.append(f"{name} must be WeChat's 43-character EncodingAESKey")
        elif name == "HERDESK_WECHAT_TOKEN":
            # WeChat accepts 3–32 letters and digits: the longest is the only one we accept.
            if not re.fullmatch(r"[A-Za-z0-9]{32}", value):
                problems.append(f"{name} must be 32 random letters and digits (WeChat's longest Token)")
        elif len(value.encode()) < MIN_SECRET_BYTES:
            problems.append(f"{name} is shorter than {MIN_SECRET_BYTES} bytes")
    metrics = str(values.get("HERDESK_METRICS_TOKEN") or "")
    if metrics in PLACEHOLDERS or len(metrics.encode()) < MIN_SECRET_BYTES:
        problems.append(f"HERDESK_METRICS_TOKEN must be set, at least {MIN_SECRET_BYTES} bytes (/metrics)")
    return problems
