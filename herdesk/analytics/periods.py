"""Report periods: a day "2026-11-03", an ISO week "2026-W45", a month "2026-11", a quarter "2026Q4", or
explicit dates "2026-11-01".."2026-11-15"; with the periods they are compared with (the previous one
and the same one a year earlier). Every figure of a period is summed from the daily rollups, so any
span of whole days is as cheap as a month (#18)."""

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
    kind: str  # "day" | "week" | "month" | "quarter" | "custom"

    def previous(self) -> Period:
        if self.kind == "day":
            return day((self.first - dt.timedelta(days=1)).isoformat())
        if self.kind == "week":
            prev = self.first - dt.timedelta(days=7)
            return week(_week_label(prev))
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
        if self.kind == "day":
            return day(_a_year_before(self.first).isoformat())
        if self.kind == "week":
            # The same ISO week number a year earlier (week 53 → that year's last week).
            year, number = self.first.isocalendar()[0] - 1, self.first.isocalendar()[1]
            last_week = dt.date(year, 12, 28).isocalendar()[1]
            return week(f"{year}-W{min(number, last_week):02d}")
        if self.kind == "month":
            return month(f"{self.first.year - 1}-{self.first.month:02d}")
        if self.kind == "quarter":
            return quarter(f"{self.first.year - 1}Q{(self.first.month - 1) // 3 + 1}")
        return Period(_a_year_before(self.first), _a_year_before(self.last), "", "custom")


# The longest explicit span: a year and a day (a leap year), so "this year" always fits.
MAX_CUSTOM_DAYS = 366


def _a_year_before(d: dt.date) -> dt.date:
    return d.replace(year=d.year - 1) if (d.month, d.day) != (2, 29) else dt.date(d.year - 1, 2, 28)


def _week_label(d: dt.date) -> str:
    year, number, _weekday = d.isocalendar()
    return f"{year}-W{number:02d}"


def _date(text: str) -> dt.date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text or ""):
        return None
    try:
        d = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return d if 2000 <= d.year <= 2100 else None


def day(text: str) -> Period:
    d = _date(text)
    if d is None:
        raise PeriodError(_("Enter a day as YYYY-MM-DD, e.g. 2026-11-03 / 请按 YYYY-MM-DD 填写日期"))
    return Period(d, d, d.isoformat(), "day")


def week(text: str) -> Period:
    """An ISO week, Monday to Sunday ("2026-W45"; what a browser's week field sends)."""
    m = re.fullmatch(r"(\d{4})-?W(\d{1,2})", (text or "").strip(), flags=re.IGNORECASE)
    if m and 2000 <= int(m.group(1)) <= 2100:
        try:
            first = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            first = None
        if first is not None:
            return Period(first, first + dt.timedelta(days=6), f"{m.group(1)}-W{int(m.group(2)):02d}", "week")
    raise PeriodError(_("Enter a week as YYYY-Www, e.g. 2026-W45 / 请按 YYYY-Www 填写周，例如 2026-W45"))


def custom(first_text: str, last_text: str) -> Period:
    """Explicit dates, both included, at most MAX_CUSTOM_DAYS."""
    first, last = _date(first_text), _date(last_text)
    if first is None or last is None:
        raise PeriodError(
            _("Enter both dates as YYYY-MM-DD, e.g. 2026-11-01 and 2026-11-15 / 请按 YYYY-MM-DD 填写起止日期")
        )
    if last < first:
        raise PeriodError(_("The end date is before the start date / 结束日期早于开始日期"))
    if (last - first).days + 1 > MAX_CUSTOM_DAYS:
        raise PeriodError(
            _("A custom period is at most %(n)d days / 自定义期间最长 %(n)d 天") % {"n": MAX_CUSTOM_DAYS}
        )
    return Period(first, last, f"{first.isoformat()}..{last.isoformat()}", "custom")


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
