"""The Chinese translations handed to the i18n owner (locale_zh.md) are well-formed and usable."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import Client
from django.urls import reverse
from django.utils import translation

from .catalogue import compile_to, entries

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_row_has_a_translation_and_keeps_its_placeholders() -> None:
    rows = entries()
    assert len(rows) > 150
    ids = [(e.msgid, e.msgid_plural) for e in rows]
    assert len(ids) == len(set(ids)), "duplicate msgid"
    for e in rows:
        text = e.msgstr_plural[0] if e.msgid_plural else e.msgstr
        assert text and text != e.msgid, e.msgid
        assert sorted(PLACEHOLDER.findall(e.msgid)) == sorted(PLACEHOLDER.findall(text)), e.msgid
        assert re.search(r"[\u4e00-\u9fff]", text), e.msgid


def test_the_catalogue_translates_the_portal(settings, tmp_path: Path, db) -> None:
    compile_to(tmp_path)
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]
    with translation.override("zh-hans"):
        assert translation.gettext("My requests") == "我的服务请求"
        assert translation.ngettext("%(n)d minute", "%(n)d minutes", 30) % {"n": 30} == "30 分钟"
    page = Client().get(reverse("portal:login")).content.decode()
    assert "客户服务中心" in page and "获取验证码" in page
