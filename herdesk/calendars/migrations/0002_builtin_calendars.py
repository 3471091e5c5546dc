"""Data migration: every database starts with the official 2025-2026 schedule and the three standard
calendars (CAL-1, CAL-3), so `herdesk calendar add office ...` works right after `herdesk migrate`.

Self-contained on purpose (historical models, definitions copied here) so later code changes cannot
alter what this migration did. It only creates what is missing and never overwrites.
"""

import datetime
import json
import secrets
from pathlib import Path

from django.db import migrations

H = 3600
SOURCE = "State Council notices 国办发明电〔2024〕12号 (2025) and 国务院办公厅关于2026年部分节假日安排的通知 (2026)"
CALENDARS = [
    # code, name, name_en, observes_holidays, always_open, {weekday: [(start, end), ...]}
    ("office", "办公时间", "Office hours", True, False, {d: [(9 * H, 12 * H), (13 * H, 18 * H)] for d in range(5)}),
    ("hotline", "热线服务时间", "Hotline hours", False, False, {d: [(8 * H, 20 * H)] for d in range(7)}),
    ("24x7", "7×24小时", "24x7", False, True, {d: [(0, 24 * H)] for d in range(7)}),
]


def _time(seconds):
    return datetime.time(seconds // H, seconds % H // 60, seconds % 60)


def forwards(apps, schema_editor):
    Calendar = apps.get_model("calendars", "Calendar")
    CalendarInterval = apps.get_model("calendars", "CalendarInterval")
    Holiday = apps.get_model("calendars", "Holiday")
    CalendarVersion = apps.get_model("calendars", "CalendarVersion")

    data_file = Path(__file__).resolve().parent.parent / "data" / "cn_holidays_2025_2026.json"
    data = json.loads(data_file.read_text(encoding="utf-8"))
    for kind, key in (("holiday", "holidays"), ("workday", "workdays")):
        for text in data[key]:
            Holiday.objects.get_or_create(
                date=datetime.date.fromisoformat(text), kind=kind, defaults={"source": SOURCE}
            )

    for code, name, name_en, observes, always_open, weekly in CALENDARS:
        if Calendar.objects.filter(code=code).exists():
            continue
        calendar = Calendar.objects.create(
            code=code, name=name, name_en=name_en, timezone="Asia/Shanghai",
            observes_holidays=observes, always_open=always_open,
        )
        CalendarInterval.objects.bulk_create(
            CalendarInterval(calendar=calendar, weekday=day, start=_time(start), end_seconds=end)
            for day, pairs in weekly.items()
            for start, end in pairs
        )
    CalendarVersion.objects.update_or_create(id=1, defaults={"token": secrets.token_hex(16)})


class Migration(migrations.Migration):
    dependencies = [("calendars", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
