"""Keep selectors' cache honest when rows are saved outside services.py (admin, shell, fixtures).

services.py bumps CalendarVersion once per operation and silences these receivers meanwhile
(services.batched_writes), so an import of a year's holidays costs one bump, not one per row.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Calendar, CalendarClosure, CalendarInterval, Holiday
from .services import calendar_version_bump, writes_batched

_WATCHED = (Calendar, CalendarInterval, Holiday, CalendarClosure)


@receiver(post_save)
@receiver(post_delete)
def calendar_tables_changed(sender: Any, raw: bool = False, **kwargs: Any) -> None:
    if sender not in _WATCHED or raw:
        return  # raw=True: loaddata; the loader's caller is expected to bump (or restart)

    if not writes_batched():
        calendar_version_bump()
