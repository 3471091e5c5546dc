"""Decoding real-world mail: charsets (declared wrongly or not at all), headers, quotes, reports."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from herdesk.mail.parsing import (
    decode_bytes,
    decode_header_value,
    identity,
    new_part_end,
    parse_email,
    sanitize_html,
)

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "mail"
TALON = FIXTURES / "talon" / "tests" / "fixtures" / "standard_replies"


def _raw(headers: str, body: bytes) -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


# GBK-only characters (not in GB2312): 镕 喆 — what Chinese mailers send under "gb2312".
GBK_TEXT = "朱镕基和张喆在牧场检查挤奶机。"


def test_declared_gb2312_with_gbk_characters_decodes_as_gb18030():
    raw = _raw(
        "From: a@farm.example.cn\nSubject: x\nContent-Type: text/plain; charset=gb2312",
        GBK_TEXT.encode("gbk"),
    )
    e = parse_email(raw)
    assert e.text == GBK_TEXT
    with pytest.raises(UnicodeDecodeError):
        GBK_TEXT.encode("gbk").decode("gb2312")  # what a naive parser would do


def test_undeclared_charset_tries_utf8_then_gb18030():
    gbk = _raw("From: a@farm.example.cn\nSubject: x", GBK_TEXT.encode("gbk"))
    utf8 = _raw("From: a@farm.example.cn\nSubject: x", GBK_TEXT.encode("utf-8"))
    assert parse_email(gbk).text == GBK_TEXT
    assert parse_email(utf8).text == GBK_TEXT


def test_raw_8bit_gbk_headers_use_the_body_charset():
    head = "From: 王小明 <wang@farm.example.cn>\nSubject: 挤奶机故障\nContent-Type: text/plain; charset=GBK"
    raw = head.replace("\n", "\r\n").encode("gbk") + b"\r\n\r\n" + "正文".encode("gbk")
    e = parse_email(raw)
    assert e.subject == "挤奶机故障" and e.from_name == "王小明" and e.from_addr == "wang@farm.example.cn"
    assert e.text == "正文"


def test_encoded_words_split_inside_a_multibyte_character_are_joined():
    data = "牧场设备报修".encode("gbk")
    a, b = base64.b64encode(data[:5]).decode(), base64.b64encode(data[5:]).decode()
    assert decode_header_value(f"=?GBK?B?{a}?= =?GBK?B?{b}?=") == "牧场设备报修"
    # declared gb2312 in the encoded word, GBK-only character inside
    word = base64.b64encode("张喆".encode("gbk")).decode()
    assert decode_header_value(f"=?gb2312?B?{word}?=") == "张喆"


def test_big5_and_iso_8859_1_mislabels():
    assert decode_bytes("牧場維修".encode("big5"), "big5")[0] == "牧場維修"
    # Declared latin-1 but really UTF-8 (common): UTF-8 wins because it decodes.
    assert decode_bytes("café 牧场".encode(), "iso-8859-1")[0] == "café 牧场"
    assert decode_bytes("café".encode("cp1252"), "iso-8859-1")[0] == "café"
    text, used, exact = decode_bytes(b"caf\xe9", "x-no-such-charset")
    assert text == "café" and not exact and used == "latin-1"
    text, used, exact = decode_bytes("牧场".encode("gbk"), "utf-8")  # lies about UTF-8
    assert text == "牧场" and used == "gb18030" and not exact


@pytest.mark.parametrize(
    ("path", "subject", "text_start", "name"),
    [
        (
            "imap_tools/tests/messages/multi_charset/japanese_iso_2022.eml",
            "まみむめも",
            "すみません",
            "Mikel Lindsaar",
        ),
        ("imap_tools/tests/messages/multi_charset/japanese_shift_jis.eml", "test", "あいうえお", ""),
        ("imap_tools/tests/messages/multi_charset/ks_c_5601-1987.eml", "test", "스티해", ""),
        (
            "webklex-php-imap/tests/messages/ks_c_5601-1987_headers.eml",
            "RE: 회원님께 Ersi님이 메시지를 보냈습니다.",
            "Content",
            "김 현진",
        ),
        ("spamscope-mail-parser/tests/mails/mail_test_12", "代开各地增值税发票", "你好！我公司", "张先生"),
    ],
)
def test_real_world_charsets(path, subject, text_start, name):
    e = parse_email((FIXTURES / path).read_bytes())
    assert e.subject == subject
    assert e.text.startswith(text_start)
    assert e.from_name == name


def test_rfc2231_and_encoded_attachment_names():
    e = parse_email(
        (FIXTURES / "imap_tools/tests/messages/multi_charset/japanese_attachment.eml").read_bytes()
    )
    assert [a.filename for a in e.attachments] == ["てすと.txt"]


def test_obsolete_header_syntax_is_read():
    # RFC 5322 §4.5 obsolete syntax: blanks before the colon, comments inside the address.
    e = parse_email((FIXTURES / "imap_tools/tests/messages/rfc2822/example13.eml").read_bytes())
    assert e.from_addr == "jdoe@machine.example"


def test_broken_mime_still_gives_text():
    for name in (
        "missing-boundaries.eml",
        "missing-final-boundary.eml",
        "dashed-boundaries.eml",
        "torture.eml",
    ):
        e = parse_email((FIXTURES / "flanker/tests/fixtures/messages" / name).read_bytes())
        assert e.from_addr and (e.text or e.attachments), name


def test_mime_bomb_nesting_is_bounded():
    depth = 200
    parts = []
    for i in range(depth):
        parts.append(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n')
    raw = b"From: a@b.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n" + "".join(parts).encode() + b"hi\r\n"
    e = parse_email(raw)
    assert e.from_addr == "a@b.example"


@pytest.mark.parametrize("name", ["iphone", "sparrow"])
def test_quoted_text_is_folded_like_talon_expects(name):
    e = parse_email((TALON / f"{name}.eml").read_bytes())
    expected = (TALON / f"{name}_reply_text").read_text().rstrip()
    assert e.text[: e.new_part_end].rstrip() == expected
    assert len(e.text) > e.new_part_end  # the quoted part is kept


@pytest.mark.parametrize(
    "name",
    ["android", "aol", "apple_mail", "apple_mail_2", "comcast", "gmail", "hotmail", "outlook", "yahoo"],
)
def test_quoted_text_of_common_clients(name):
    e = parse_email((TALON / f"{name}.eml").read_bytes())
    assert e.text[: e.new_part_end].strip() == "Hello"


@pytest.mark.parametrize(
    "text",
    [
        "收到，谢谢！\n\n在 2026年5月1日 星期五 10:00，客服 <support@x.cn> 写道：\n> 您好",
        "收到，谢谢！\n\n------------------ 原始邮件 ------------------\n发件人: 客服",
        "收到，谢谢！\n\n发件人: 客服 <support@x.cn>\n发送时间: 2026年5月1日 10:00\n主题: hi\n\n旧内容",
        "收到，谢谢！\n\n-----Original Message-----\nFrom: support",
    ],
)
def test_quoted_text_of_chinese_clients(text):
    assert text[: new_part_end(text)] == "收到，谢谢！"


def test_no_quote_means_all_new():
    assert new_part_end("只有新内容") == len("只有新内容")


def test_html_sanitising():
    dirty = (
        '<div onclick="steal()">hi<script>alert(1)</script><style>p{}</style>'
        '<iframe src="https://x"></iframe><form action="/x"><input name=a></form>'
        '<img src="https://tracker.example/p.gif"><img src="cid:logo@x"><a href="javascript:x">j</a>'
        '<a href="https://ok.example">ok</a></div>'
    )
    clean = sanitize_html(dirty)
    for bad in (
        "onclick",
        "<script",
        "<style",
        "<iframe",
        "<form",
        "<input",
        "tracker.example",
        "javascript:",
    ):
        assert bad not in clean
    assert 'src="cid:logo@x"' in clean
    assert 'rel="noopener noreferrer nofollow"' in clean


def test_delivery_report_is_recognised():
    e = parse_email(
        (FIXTURES / "flanker/tests/fixtures/messages/bounce/gmail-invalid-address.eml").read_bytes()
    )
    assert e.report is not None and e.report.status == "bounced"
    assert "delivery-report" in e.auto_reasons or "system-sender" in e.auto_reasons


def test_identity_ignores_relay_headers():
    raw = _raw("From: a@b.example\nSubject: x\nMessage-ID: <m1@b>", b"body\r\n")
    relayed = b"Received: from mx2\r\n" + raw.replace(b"\r\n", b"\n")
    assert identity(raw) == identity(relayed)
    assert identity(raw)[0] == "<m1@b>"
    other = _raw("From: a@b.example\nSubject: x\nMessage-ID: <m1@b>", b"other body\r\n")
    assert identity(other)[1] != identity(raw)[1]
