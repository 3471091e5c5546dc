"""config.settings.production refuses the channels' development secrets (a fresh interpreter per
case: settings modules are evaluated once per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# At least 32 bytes each since issue #14 (config/settings/secrets.py); WeChat's own formats.
CHANNEL_SECRETS = {
    "HERDESK_CTI_HMAC_SECRET": "cti-5b0f2d7e9c-0123456789abcdefghij",
    "HERDESK_WECHAT_TOKEN": "wxtoken8f3a0123456789abcdefABCDE",
    "HERDESK_WECHAT_ENCODING_AES_KEY": "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx",
    "HERDESK_WECHAT_APPSECRET": "appsecret-71c2-0123456789abcdefghij",
    "HERDESK_SOCIAL_WEBHOOK_SECRET": "social-0e4b9a-0123456789abcdefghij",
}


def _import_production(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("HERDESK_", "DJANGO_")) and k != "DATABASE_URL"
    }
    env.update(
        {
            "DJANGO_SECRET_KEY": "a-production-secret-key-for-this-test-0123456789abcdef",
            "HERDESK_FIELD_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            "HERDESK_BLIND_INDEX_KEY": "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=",
            "HERDESK_AUDIT_KEY": "dGVzdC1hdWRpdC1rZXktMDEyMzQ1Njc4OWFiY2RlZjA=",
            "HERDESK_METRICS_TOKEN": "metrics-token-0123456789abcdefghijkl",
            "HERDESK_VAR_DIR": str(tmp_path),
            **extra,
        }
    )
    code = (
        "import config.settings.production as s;"
        "print(s.HERDESK_CTI_HMAC_SECRET, s.HERDESK_SOCIAL_WEBHOOK_SECRET)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_starts_with_every_channel_secret_set(tmp_path):
    done = _import_production(tmp_path, **CHANNEL_SECRETS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        CHANNEL_SECRETS["HERDESK_CTI_HMAC_SECRET"],
        CHANNEL_SECRETS["HERDESK_SOCIAL_WEBHOOK_SECRET"],
    ]


def test_production_refuses_to_start_with_the_development_channel_secrets(tmp_path):
    done = _import_production(tmp_path)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    for name in CHANNEL_SECRETS:
        assert name in done.stderr


@pytest.mark.parametrize("left_out", sorted(CHANNEL_SECRETS))
def test_each_development_secret_alone_is_refused_and_named(tmp_path, left_out):
    done = _import_production(tmp_path, **{k: v for k, v in CHANNEL_SECRETS.items() if k != left_out})
    assert done.returncode != 0
    message = done.stderr[done.stderr.index("Refusing to start") :]
    assert "development value" in message and left_out in message
    assert not any(name in message for name in CHANNEL_SECRETS if name != left_out)
