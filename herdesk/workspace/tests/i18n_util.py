"""Compile the catalogue for tests without racing parallel workers (write aside, then rename)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import polib
from django.conf import settings


def catalogue_paths() -> list[Path]:
    return [p for base in settings.LOCALE_PATHS for p in Path(base).glob("*/LC_MESSAGES/django.po")]


def ensure_compiled() -> None:
    for po_path in catalogue_paths():
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        fd, tmp = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
        os.close(fd)
        polib.pofile(str(po_path)).save_as_mofile(tmp)
        os.replace(tmp, mo_path)
