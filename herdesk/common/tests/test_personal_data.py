"""Issue #14, personal data exposure: account managers see unmasked data of their own accounts
only; masked raw renderings; sent-mail files without recipients in clear; the SQLite file 0600."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from herdesk.common.pii import mask_free_text, mask_raw_message

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_account_manager_sees_only_own_accounts_unmasked(staff) -> None:
    from herdesk.customers.selectors import address_view, contact_view
    from herdesk.customers.services import customer_create, organisation_create

    am = staff["am1"]
    own_org = organisation_create(name="绿源牧场", region="内蒙古", tier="key_account", account_manager=am)
    own = customer_create(name="张三", organisation=own_org, phone="13812348000", address="呼和浩特市 1 号")
    other = customer_create(name="李四", phone="13700009999", address="包头市 2 号")
    assert contact_view(user=am, contact=own.contacts.get()).phone == "+8613812348000"
    assert address_view(user=am, customer=own) == "呼和浩特市 1 号"
    shown = contact_view(user=am, contact=other.contacts.get())
    assert shown.masked and shown.phone == "137****9999"
    assert address_view(user=am, customer=other) != "包头市 2 号"
    # Supervisors still see everyone (and the read is audited); agents never.
    assert not contact_view(user=staff["cs_lead"], contact=other.contacts.get()).masked
    assert contact_view(user=staff["agent1"], contact=own.contacts.get()).masked


def test_masking_of_free_text_and_raw_payloads() -> None:
    text = "call +86 139-1234-5678 or 0471-6543210, mail a.b@x.cn, ID 11010519900101123X"
    masked = mask_free_text(text)
    for secret in ("1234-5678", "6543210", "a.b@x.cn", "19900101"):
        assert secret not in masked, masked
    webhook = b'{"from": "openid-1", "text": "\\u6211 13812348000", "email": "z@y.cn"}'
    out = mask_raw_message(webhook, channel="social")
    assert b"13812348000" not in out and b"z@y.cn" not in out


@pytest.mark.django_db
def test_quarantine_raw_is_masked_for_the_administrator_role(staff) -> None:
    from django.test import Client

    from herdesk.audit.models import AuditEntry
    from herdesk.inbound.services import payload_store

    stored = payload_store(
        channel="email", source="nobox", raw=b"From: x@farm.cn\r\n\r\nphone 13812348000\r\n", external_id="q1"
    )
    from herdesk.inbound.models import InboundPayload

    InboundPayload.objects.filter(pk=stored.payload.pk).update(state="quarantined")
    client = Client()
    client.force_login(staff["admin"])
    r = client.get(f"/channels/payloads/{stored.payload.pk}/raw")
    assert r.status_code == 200 and b"13812348000" not in r.content and b"x@farm.cn" not in r.content
    assert b"138****8000" in r.content
    assert AuditEntry.objects.filter(action="inbound.raw_download", data__masked=True).exists()


def test_sent_mail_files_mask_recipients_and_are_private(tmp_path, settings) -> None:
    from django.core.mail import EmailMessage, get_connection

    backend = get_connection("herdesk.common.mailbackends.MaskedFileEmailBackend", file_path=str(tmp_path))
    EmailMessage(
        "工单已受理",
        "您好",
        "support@herdesk.local",
        ["wang@farm.example.cn"],
        cc=["li@farm.cn"],
        connection=backend,
    ).send()
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and oct(files[0].stat().st_mode & 0o777) == "0o600"
    content = files[0].read_bytes()
    assert b"wang@farm.example.cn" not in content and b"li@farm.cn" not in content
    assert b"w***@farm.example.cn" in content


def test_embedded_sqlite_file_is_created_0600(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HERDESK_", "DJANGO_", "DATABASE_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.local", "HERDESK_VAR_DIR": str(tmp_path)})
    wide = tmp_path / "older"
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.db import connection; connection.ensure_connection()",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    db = tmp_path / "herdesk.sqlite3"
    assert oct(db.stat().st_mode & 0o777) == "0o600"
    # An older, world-readable file is tightened at start-up.
    wide.mkdir()
    (wide / "herdesk.sqlite3").write_bytes(b"")
    os.chmod(wide / "herdesk.sqlite3", 0o644)
    env["HERDESK_VAR_DIR"] = str(wide)
    subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env, timeout=120, check=True
    )
    assert oct((wide / "herdesk.sqlite3").stat().st_mode & 0o777) == "0o600"


def test_access_log_masks_numbers_and_emails_in_query_strings() -> None:
    import logging

    from uvicorn.logging import AccessFormatter

    from herdesk.common.logfilters import PersonalDataFilter, access_log_config

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:5000", "GET", "/customers/lookup/?phone=138+1234+8000&email=wang%40farm.cn", "1.1", 200),
        None,
    )
    assert PersonalDataFilter().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(
        record
    )
    assert (
        "1234" not in line and "wang@farm.cn" not in line and "138****8000" in line and "w***@farm.cn" in line
    )
    config = access_log_config()
    assert "personal_data" in config["handlers"]["access"]["filters"]
