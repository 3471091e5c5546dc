"""Read `herdesk/portal/locale_zh.md` (the translations handed to the i18n owner) as a gettext catalogue."""

from __future__ import annotations

from pathlib import Path

import polib

MD = Path(__file__).resolve().parents[1] / "locale_zh.md"


def entries() -> list[polib.POEntry]:
    result = []
    for line in MD.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| ") or line.startswith(("| msgid ", "|---")):
            continue
        cells = [c.strip() for c in line.strip()[1:-1].split(" | ")]
        if len(cells) == 2:
            result.append(polib.POEntry(msgid=cells[0], msgstr=cells[1]))
        elif len(cells) == 3:
            result.append(polib.POEntry(msgid=cells[0], msgid_plural=cells[1], msgstr_plural={0: cells[2]}))
        else:
            raise ValueError(f"cannot read row: {line}")
    return result


def compile_to(locale_dir: Path) -> Path:
    """Write <locale_dir>/zh_Hans/LC_MESSAGES/django.mo and return it."""
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "zh_Hans",
        "Plural-Forms": "nplurals=1; plural=0;",
    }
    for entry in entries():
        po.append(entry)
    target = locale_dir / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    po.save_as_mofile(str(target / "django.mo"))
    return target / "django.mo"
