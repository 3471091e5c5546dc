"""Forms of the governance pages (policy versions, working calendars): they parse and check input;
`herdesk.policies.services` and `herdesk.calendars.services` decide and write."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from herdesk.calendars.builtin import parse_schedule
from herdesk.calendars.engine import parse_duration
from herdesk.calendars.models import CalendarInterval
from herdesk.calendars.selectors import calendar_codes
from herdesk.policies.choices import Action

ACTIONS = list(Action.choices)
# How far back an approval's effective date may lie: tickets received before the approval already
# carry the old version for life (POL-2), so a back-dated effective date would misstate the record.
EFFECTIVE_GRACE = dt.timedelta(minutes=5)


class ClockRowForm(forms.Form):
    """One clock of a draft: the fields S1's clock table may change (POL-1)."""

    target = forms.CharField(label=_("Target"), max_length=20)
    calendar_code = forms.ChoiceField(label=_("Calendar"))
    warn_at_percent = forms.IntegerField(label=_("Warn at % of target"), min_value=1, max_value=99)
    warn_actions = forms.MultipleChoiceField(
        label=_("Warning actions"), choices=ACTIONS, required=False, widget=forms.CheckboxSelectMultiple
    )
    breach_actions = forms.MultipleChoiceField(
        label=_("Breach actions"), choices=ACTIONS, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["calendar_code"]).choices = [(c, c) for c in calendar_codes()]

    def clean_target(self) -> str:
        value = self.cleaned_data["target"].strip().lower()
        try:
            parse_duration(value)
        except ValueError:
            raise ValidationError(_("Enter a target like 30m, 4h, 2h30m or 3wd (working days)."))
        return value


def clock_initial(c: Any) -> dict[str, Any]:
    return {
        "target": c.target,
        "calendar_code": c.calendar_code,
        "warn_at_percent": c.warn_at_percent,
        "warn_actions": list(c.warn_actions),
        "breach_actions": list(c.breach_actions),
    }


class NotesForm(forms.Form):
    notes = forms.CharField(label=_("Change notes"), required=False, max_length=2000, widget=forms.Textarea)


class DecisionForm(forms.Form):
    """Management's decision on a submitted version (S1 §六)."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    effective_from = forms.DateTimeField(
        label=_("Effective from"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control form-control-sm"}, format="%Y-%m-%dT%H:%M"
        ),
        help_text=_("Tickets received from this moment (Asia/Shanghai) get the new version."),
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "approve":
            at = data.get("effective_from")
            if at is None:
                self.add_error("effective_from", _("Give the date and time the version takes effect."))
            elif at < timezone.now() - EFFECTIVE_GRACE:
                self.add_error(
                    "effective_from",
                    _("The effective time cannot be in the past: received tickets keep their version."),
                )
        elif data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why the version is rejected."))
        return data


class DiffForm(forms.Form):
    a = forms.IntegerField(label=_("From version"))
    b = forms.IntegerField(label=_("To version"))


# --- calendars ---------------------------------------------------------------------------------

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~]\s*(\d{1,2}):(\d{2})\s*$")
WEEKDAYS = CalendarInterval.WEEKDAY_CHOICES  # 0..6 Monday..Sunday, 7 make-up working day


def spans_text(pairs: list[tuple[int, int]]) -> str:
    def hm(seconds: int) -> str:
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"

    return ", ".join(f"{hm(a)}-{hm(b)}" for a, b in pairs)


def parse_spans(text: str) -> list[tuple[int, int]]:
    """ "09:00-12:00, 13:00-18:00" → [(32400, 43200), (46800, 64800)]; "" → closed; 24:00 allowed."""
    out: list[tuple[int, int]] = []
    for part in [p for p in re.split(r"[,，;；]", text) if p.strip()]:
        m = _SPAN.match(part)
        if not m:
            raise ValidationError(_("Write opening hours like 09:00-12:00, 13:00-18:00."))
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if m1 > 59 or m2 > 59 or h1 > 23 or end > 86400 or end <= start:
            raise ValidationError(
                _("%(span)s is not a valid opening (closing after opening, 24:00 at most).")
                % {"span": part.strip()}
            )
        out.append((start, end))
    out.sort()
    for (_a1, b1), (a2, _b2) in itertools.pairwise(out):
        if a2 < b1:
            raise ValidationError(_("Opening hours on one day must not overlap."))
    return out


class CalendarHoursForm(forms.Form):
    observes_holidays = forms.BooleanField(label=_("Observes public holidays"), required=False)
    always_open = forms.BooleanField(label=_("Always open (7×24)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, label in WEEKDAYS:
            self.fields[f"day{day}"] = forms.CharField(label=label, required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        weekly: dict[int, list[tuple[int, int]]] = {}
        for day, _label in WEEKDAYS:
            try:
                spans = parse_spans(data.get(f"day{day}", "") or "")
            except ValidationError as exc:
                self.add_error(f"day{day}", exc)
                continue
            if spans:
                weekly[day] = spans
        if not weekly and not data.get("always_open"):
            raise ValidationError(
                _("A calendar needs opening hours on at least one day, or to be always open.")
            )
        data["weekly"] = weekly
        return data

    @staticmethod
    def initial_for(calendar: Any, weekly: dict[int, list[tuple[int, int]]]) -> dict[str, Any]:
        initial = {f"day{d}": spans_text(weekly.get(d, [])) for d, _l in WEEKDAYS}
        return {
            **initial,
            "observes_holidays": calendar.observes_holidays,
            "always_open": calendar.always_open,
        }


class ClosureForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


class ClosureRemoveForm(forms.Form):
    date = forms.DateField()


class HolidayImportForm(forms.Form):
    """The official schedule in the format of `herdesk calendar import-holidays`:
    {"holidays": ["YYYY-MM-DD", ...], "workdays": [...], "source": "..."} as a file or pasted."""

    file = forms.FileField(label=_("Schedule file (JSON)"), required=False)
    text = forms.CharField(label=_("…or paste it"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    source = forms.CharField(label=_("Source"), required=False, max_length=255)
    MAX_BYTES = 200_000

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        raw = data.get("text") or ""
        upload = data.get("file")
        if upload is not None:
            if upload.size > self.MAX_BYTES:
                raise ValidationError(_("The file is too large for a holiday schedule."))
            try:
                raw = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError(_("The file is not UTF-8 text."))
        if not raw.strip():
            raise ValidationError(_("Choose a schedule file or paste its contents."))
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValidationError(_("This is not valid JSON: %(e)s") % {"e": exc})
        source = data.get("source") or (parsed.get("source") if isinstance(parsed, dict) else "") or ""
        if isinstance(parsed, dict):
            parsed = {k: v for k, v in parsed.items() if k != "source"}
        try:
            parse_schedule(parsed)  # the parser of `herdesk calendar import-holidays`
        except ValueError as exc:
            raise ValidationError(_("The schedule was not accepted: %(e)s") % {"e": exc})
        data["schedule"] = parsed
        data["schedule_json"] = json.dumps(parsed, ensure_ascii=False)
        data["source"] = str(source)[:255] or str(_("calendar page import"))
        return data
