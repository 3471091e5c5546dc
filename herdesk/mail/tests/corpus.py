"""The real-world mail corpora under tests/fixtures/mail/ (see SOURCES.md there)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "mail"


def is_message(path: Path) -> bool:
    rel = path.relative_to(ROOT).as_posix()
    if path.name in ("SOURCES.md", "COPYING") or path.name.endswith("_reply_text"):
        return False
    if "/html_replies/" in rel or "/messages/attachments/" in rel:
        return False  # bare HTML bodies and attachment files, not messages
    return not (rel.startswith("flanker/tests/fixtures/") and rel.endswith(".txt"))  # address lists


def messages() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*") if p.is_file() and is_message(p))
