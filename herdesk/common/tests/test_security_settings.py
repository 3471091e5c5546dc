"""Production refuses to start with weak secrets; the embedded default generates its own; the
production settings pass `check --deploy` without a warning (issue #14)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings.secrets import secret_problems

ROOT = Path(__file__).resolve().parents[3]


def _key(fill: int) -> str:
    return base64.b64encode(bytes([fill]) * 32).decode()


GOOD = {
    "SECRET_KEY": "Zk2v9Qw8Lx3Hn7Tr5Yp1Bm6Cj4Df0Gs2Ka8Pe3Wq9Rt7Uy5Io1Az",
    "HERDESK_FIELD_KEY": base64.b64encode(os.urandom(32)).decode(),
    "HERDESK_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
    "HERDESK_AUDIT_KEY": base64.b64encode(os.urandom(32)).decode(),
    "HERDESK_CTI_HMAC_SECRET": "c" * 20 + "ti-secret-0123456789abcdef",
    "HERDESK_WECHAT_TOKEN": "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6",
    "HERDESK_WECHAT_ENCODING_AES_KEY": base64.b64encode(os.urandom(32)).decode().rstrip("="),
    "HERDESK_WECHAT_APPSECRET": "0123456789abcdef0123456789abcdef",
    "HERDESK_SOCIAL_WEBHOOK_SECRET": "social-secret-0123456789abcdefghij",
    "HERDESK_METRICS_TOKEN": "metrics-token-0123456789abcdefghij",
}


def test_good_secrets_pass() -> None:
    assert secret_problems(GOOD) == []


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("SECRET_KEY", "change-me-50-random-characters", "placeholder"),  # the env.example value
        ("SECRET_KEY", "insecure-dev-only-key-change-me", "placeholder"),
        ("SECRET_KEY", "short-but-random-31-characters!", "shorter"),
        ("HERDESK_FIELD_KEY", "", "not set"),
        ("HERDESK_FIELD_KEY", "not base64 at all!", "not valid base64"),
        ("HERDESK_FIELD_KEY", base64.b64encode(b"x" * 16).decode(), "32 bytes"),
        ("HERDESK_AUDIT_KEY", "", "not set"),
        ("HERDESK_CTI_HMAC_SECRET", "dev-cti-secret-change-me", "development value"),
        ("HERDESK_SOCIAL_WEBHOOK_SECRET", "only-twenty-chars-xx", "shorter than 32"),
        ("HERDESK_WECHAT_TOKEN", "herdeskdevtoken", "development value"),
        ("HERDESK_WECHAT_TOKEN", "short1234", "32 random letters"),
        ("HERDESK_WECHAT_ENCODING_AES_KEY", "tooshort", "43-character"),
        ("HERDESK_WECHAT_APPSECRET", "dev-appsecret", "development value"),
        ("HERDESK_METRICS_TOKEN", "change-me", "HERDESK_METRICS_TOKEN"),
    ],
)
def test_each_weak_secret_is_named(name: str, value: str, words: str) -> None:
    problems = secret_problems({**GOOD, name: value})
    assert len(problems) == 1 and words in problems[0], problems


def test_one_key_for_two_purposes_is_refused() -> None:
    same = {**GOOD, "HERDESK_BLIND_INDEX_KEY": GOOD["HERDESK_FIELD_KEY"]}
    assert any("same key as HERDESK_FIELD_KEY" in p for p in secret_problems(same))
    audit = {**GOOD, "HERDESK_AUDIT_KEY": GOOD["HERDESK_FIELD_KEY"]}
    assert any("HERDESK_AUDIT_KEY is the same key" in p for p in secret_problems(audit))


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HERDESK_", "DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / "deploy/systemd/herdesk.env.example").read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            values[k] = v
    return values


@pytest.mark.slow
def test_production_refuses_the_example_file_and_names_every_problem(tmp_path) -> None:
    env = {**_env_example(), "HERDESK_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db"}
    env.pop("DATABASE_REPLICA_URL", None)
    env.pop("REDIS_URL", None)
    r = _run(env, "check")
    assert r.returncode != 0
    for name in ("DJANGO_SECRET_KEY", "HERDESK_FIELD_KEY", "HERDESK_AUDIT_KEY", "HERDESK_CTI_HMAC_SECRET"):
        assert name in r.stderr, r.stderr[-2000:]


@pytest.mark.slow
def test_production_with_good_secrets_passes_check_deploy_without_warnings(tmp_path) -> None:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": GOOD["SECRET_KEY"],
        "DJANGO_ALLOWED_HOSTS": "herdesk.example.cn",
        "HERDESK_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        **{k: v for k, v in GOOD.items() if k != "SECRET_KEY"},
    }
    r = _run(env, "check", "--deploy", "--fail-level", "WARNING")
    assert r.returncode == 0 and "no issues" in r.stdout, r.stdout + r.stderr


def test_embedded_default_generates_every_secret_0600(tmp_path) -> None:
    """config.settings.local: no secret in the source; each generated once, private to the owner."""
    code = (
        "from django.conf import settings as s\n"
        "from config.settings.secrets import secret_problems\n"
        "names = ['SECRET_KEY','HERDESK_FIELD_KEY','HERDESK_BLIND_INDEX_KEY','HERDESK_AUDIT_KEY',"
        "'HERDESK_CTI_HMAC_SECRET','HERDESK_WECHAT_TOKEN','HERDESK_WECHAT_ENCODING_AES_KEY',"
        "'HERDESK_WECHAT_APPSECRET','HERDESK_SOCIAL_WEBHOOK_SECRET']\n"
        "vals = {n: getattr(s, n) for n in names}\n"
        "vals['HERDESK_METRICS_TOKEN'] = 'x' * 40\n"
        "print(secret_problems(vals))\n"
        "print('|'.join(vals[n] for n in names))\n"
    )
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.local", "HERDESK_VAR_DIR": str(tmp_path)}
    first = _run(env, "shell", "--no-imports", "-c", code)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == "[]"
    again = _run(env, "shell", "--no-imports", "-c", code)
    assert again.stdout == first.stdout  # generated once, then read
    other = _run({**env, "HERDESK_VAR_DIR": str(tmp_path / "other")}, "shell", "--no-imports", "-c", code)
    assert other.stdout.splitlines()[1] != first.stdout.splitlines()[1]  # per installation
    keys = tmp_path / "keys"
    assert oct(keys.stat().st_mode & 0o777) == "0o700"
    for path in keys.iterdir():
        assert oct(path.stat().st_mode & 0o777) == "0o600", path
