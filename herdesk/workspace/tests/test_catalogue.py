"""The zh-hans catalogue is complete: every msgid of the project has a Chinese translation."""

from __future__ import annotations

import re

import polib

from herdesk.workspace.tests.i18n_util import catalogue_paths

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_catalogue_exists() -> None:
    assert catalogue_paths(), "herdesk/locale/zh_Hans/LC_MESSAGES/django.po is missing"


def test_no_empty_or_fuzzy_msgstr() -> None:
    for path in catalogue_paths():
        po = polib.pofile(str(path))
        empty = [e.msgid for e in po if not e.obsolete and not (e.msgstr or any(e.msgstr_plural.values()))]
        fuzzy = [e.msgid for e in po if "fuzzy" in e.flags and not e.obsolete]
        assert not empty, f"{len(empty)} untranslated in {path}: {empty[:10]}"
        assert not fuzzy, f"{len(fuzzy)} fuzzy in {path}: {fuzzy[:10]}"


def test_translations_keep_their_placeholders() -> None:
    for path in catalogue_paths():
        for e in polib.pofile(str(path)):
            if e.obsolete:
                continue
            translated = e.msgstr or e.msgstr_plural.get(0, "")
            assert set(PLACEHOLDER.findall(e.msgid)) == set(PLACEHOLDER.findall(translated)), e.msgid


def test_translations_are_chinese() -> None:
    """A msgstr copied from the English msgid is not a translation (codes and symbols excepted)."""
    for path in catalogue_paths():
        for e in polib.pofile(str(path)):
            if e.obsolete or not re.search(r"[A-Za-z]{3,}", e.msgid):
                continue
            translated = e.msgstr or e.msgstr_plural.get(0, "")
            assert re.search(r"[\u4e00-\u9fff]", translated) or translated in KEEP, (e.msgid, translated)


# Product names and codes that stay as they are in Chinese.
KEEP = {"API", "SMS"}
