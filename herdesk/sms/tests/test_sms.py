"""The SMS interface: validation, the pluggable backend (HERDESK_SMS_BACKEND), the console default."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError

from herdesk.sms import backends
from herdesk.sms.backends import SmsBackend, SmsError, SmsMessage
from herdesk.sms.selectors import sms_backend
from herdesk.sms.services import MAX_TEXT, send_sms


class RecordingBackend(SmsBackend):
    sent: list[SmsMessage] = []

    def send(self, message: SmsMessage) -> str:
        self.sent.append(message)
        return "rec-1"


def test_console_backend_is_the_default_and_logs_the_text_with_a_masked_number(
    settings, caplog, tmp_path
) -> None:
    settings.HERDESK_SMS_BACKEND = ""
    settings.HERDESK_SMS_CONSOLE_FILE = str(tmp_path / "sms.log")
    assert isinstance(sms_backend(), backends.ConsoleBackend)
    with caplog.at_level(logging.INFO, logger="herdesk.sms"):
        result = send_sms(phone="138 1234 8000", text="验证码 123456", purpose="login_code")
    assert result.phone == "+8613812348000" and result.message_id.startswith("console-")
    line = caplog.records[-1].getMessage()
    # Issue #14: the code is not in the log; the full text is in a file only its owner can read.
    assert "验证码 ******" in line and "123456" not in line
    assert "138****8000" in line and "13812348000" not in line
    assert "验证码 123456" in (tmp_path / "sms.log").read_text()
    assert oct((tmp_path / "sms.log").stat().st_mode & 0o777) == "0o600"


def test_backend_is_chosen_by_setting(settings) -> None:
    settings.HERDESK_SMS_BACKEND = f"{__name__}.RecordingBackend"
    RecordingBackend.sent.clear()
    assert (
        send_sms(phone="+86 139 0000 1111", text="您的工单已受理", purpose="ticket_ack").message_id == "rec-1"
    )
    assert RecordingBackend.sent == [
        SmsMessage(phone="+8613900001111", text="您的工单已受理", purpose="ticket_ack")
    ]
    settings.HERDESK_SMS_BACKEND = "herdesk.sms.backends.LocmemBackend"
    backends.outbox.clear()
    send_sms(phone="13900001111", text="hi", purpose="notice")
    assert [m.text for m in backends.outbox] == ["hi"]
    backends.outbox.clear()


def test_a_backend_must_implement_the_interface(settings) -> None:
    settings.HERDESK_SMS_BACKEND = "builtins.object"
    with pytest.raises(TypeError):
        sms_backend()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"phone": "12"}, "phone"),
        ({"phone": ""}, "phone"),
        ({"text": "  "}, "text"),
        ({"text": "x" * (MAX_TEXT + 1)}, "text"),
        ({"purpose": "marketing"}, "purpose"),
    ],
)
def test_bad_input_is_refused_before_the_backend(settings, kw, field) -> None:
    settings.HERDESK_SMS_BACKEND = f"{__name__}.RecordingBackend"
    RecordingBackend.sent.clear()
    args = {"phone": "13812348000", "text": "hello", "purpose": "notice", **kw}
    with pytest.raises(ValidationError) as exc:
        send_sms(**args)
    assert list(exc.value.message_dict) == [field] and RecordingBackend.sent == []


def test_provider_failure_is_an_sms_error(settings) -> None:
    settings.HERDESK_SMS_BACKEND = "herdesk.sms.backends.FailingBackend"
    with pytest.raises(SmsError) as exc:
        send_sms(phone="13812348000", text="hello", purpose="notice")
    assert exc.value.code == "sms_failed"
