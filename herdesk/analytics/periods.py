"""Report periods: a month "2026-11", a quarter "2026Q4", or explicit dates; with the periods they are
compared with (the previous one and the same one a year earlier)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date
    label: str
    kind: str  # "month" | "quarter" | "custom"

    def previous(self) -> Period:
        if self.kind == "month":
            prev = self.first - dt.timedelta(days=1)
            return month(f"{prev:%Y-%m}")
        if self.kind == "quarter":
            q = (self.first.month - 1) // 3 + 1
            year, q = (self.first.year, q - 1) if q > 1 else (self.first.year - 1, 4)
            return quarter(f"{year}Q{q}")
        span = self.last - self.first
        return Period(
            self.first - span - dt.timedelta(days=1), self.first - dt.timedelta(days=1), "", "custom"
        )

    def year_before(self) -> Period:
        if self.kind == "month":
            return month(f"{self.first.year - 1}-{self.first.month:02d}")
        if self.kind == "quarter":
            return quarter(f"{self.first.year - 1}Q{(self.first.month - 1) // 3 + 1}")
        return Period(
            self.first.replace(year=self.first.year - 1),
            self.last.replace(year=self.last.year - 1),
            "",
            "custom",
        )


def month(text: str) -> Period:
    m = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
    if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        raise PeriodError(_("Enter a month as YYYY-MM, e.g. 2026-11 / 请按 YYYY-MM 填写月份"))
    year, mon = int(m.group(1)), int(m.group(2))
    last = calendar.monthrange(year, mon)[1]
    return Period(dt.date(year, mon, 1), dt.date(year, mon, last), f"{year}-{mon:02d}", "month")


def quarter(text: str) -> Period:
    m = re.fullmatch(r"(\d{4})\s*-?[Qq]([1-4])", text or "")
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise PeriodError(_("Enter a quarter as YYYYQn, e.g. 2026Q4 / 请按 YYYYQn 填写季度"))
    year, q = int(m.group(1)), int(m.group(2))
    first = dt.date(year, 3 * q - 2, 1)
    last_month = 3 * q
    return Period(
        first, dt.date(year, last_month, calendar.monthrange(year, last_month)[1]), f"{year}Q{q}", "quarter"
    )
