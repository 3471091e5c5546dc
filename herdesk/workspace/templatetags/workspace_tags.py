"""Template helpers of the workspace: badges, icons, countdowns, query strings, role navigation."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from functools import lru_cache
from html import escape as _html_escape
from typing import Any
from urllib.parse import urlencode

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from herdesk.calendars.models import Calendar
from herdesk.clocks.models import ClockState
from herdesk.inbound.choices import HealthStatus
from herdesk.mail.choices import DeliveryStatus
from herdesk.policies.choices import ClockKind
from herdesk.staff.roles import ROLES
from herdesk.staff.selectors import user_role
from herdesk.tickets.choices import (
    Channel,
    Complexity,
    Direction,
    InteractionKind,
    Priority,
    ProblemType,
    Status,
)

register = template.Library()

# Stroke icons drawn after Feather (MIT licence), inlined so the intranet needs no icon font.
ICONS: dict[str, tuple[str, ...]] = {
    "star": (
        '<polygon points="12 2 15.09 8.26 22 9.27 17 14.14 18.18 21.02 12 17.77 5.82 21.02 7 14.14 2 9.27'
        ' 8.91 8.26 12 2"/>',
    ),
    "eye": ('<path d="M1 12s4-8 11-8 11 8 11 8-4 8-11 8-11-8-11-8z"/>', '<circle cx="12" cy="12" r="3"/>'),
    "briefcase": (
        '<rect x="2" y="7" width="20" height="14" rx="2" ry="2"/>',
        '<path d="M16 21V5a2 2 0 0 0-2-2h-4a2 2 0 0 0-2 2v16"/>',
    ),
    "inbox": (
        '<polyline points="22 12 16 12 14 15 10 15 8 12 2 12"/>',
        (
            '<path d="M5.45 5.11 2 12v6a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-6l-3.45-6.89A2 2 0 0 0 16.76 4H7.24a2'
            ' 2 0 0 0-1.79 1.11z"/>'
        ),
    ),
    "users": (
        '<path d="M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2"/>',
        '<circle cx="9" cy="7" r="4"/>',
        '<path d="M23 21v-2a4 4 0 0 0-3-3.87"/>',
        '<path d="M16 3.13a4 4 0 0 1 0 7.75"/>',
    ),
    "user": (
        '<path d="M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2"/>',
        '<circle cx="12" cy="7" r="4"/>',
    ),
    "user-x": (
        '<path d="M16 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2"/>',
        '<circle cx="8.5" cy="7" r="4"/>',
        '<line x1="18" y1="8" x2="23" y2="13"/>',
        '<line x1="23" y1="8" x2="18" y2="13"/>',
    ),
    "user-check": (
        '<path d="M16 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2"/>',
        '<circle cx="8.5" cy="7" r="4"/>',
        '<polyline points="17 11 19 13 23 9"/>',
    ),
    "zap": ('<polygon points="13 2 3 14 12 14 11 22 21 10 12 10 13 2"/>',),
    "x-octagon": (
        '<polygon points="7.86 2 16.14 2 22 7.86 22 16.14 16.14 22 7.86 22 2 16.14 2 7.86 7.86 2"/>',
        '<line x1="15" y1="9" x2="9" y2="15"/>',
        '<line x1="9" y1="9" x2="15" y2="15"/>',
    ),
    "pause-circle": (
        '<circle cx="12" cy="12" r="10"/>',
        '<line x1="10" y1="15" x2="10" y2="9"/>',
        '<line x1="14" y1="15" x2="14" y2="9"/>',
    ),
    "layers": (
        '<polygon points="12 2 2 7 12 12 22 7 12 2"/>',
        '<polyline points="2 17 12 22 22 17"/>',
        '<polyline points="2 12 12 17 22 12"/>',
    ),
    "headphones": (
        '<path d="M3 18v-6a9 9 0 0 1 18 0v6"/>',
        (
            '<path d="M21 19a2 2 0 0 1-2 2h-1a2 2 0 0 1-2-2v-3a2 2 0 0 1 2-2h3zM3 19a2 2 0 0 0 2 2h1a2 2 0 0 '
            '0 2-2v-3a2 2 0 0 0-2-2H3z"/>'
        ),
    ),
    "grid": (
        '<rect x="3" y="3" width="7" height="7"/>',
        '<rect x="14" y="3" width="7" height="7"/>',
        '<rect x="14" y="14" width="7" height="7"/>',
        '<rect x="3" y="14" width="7" height="7"/>',
    ),
    "bar-chart": (
        '<line x1="12" y1="20" x2="12" y2="10"/>',
        '<line x1="18" y1="20" x2="18" y2="4"/>',
        '<line x1="6" y1="20" x2="6" y2="16"/>',
    ),
    "shield": ('<path d="M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z"/>',),
    "log-out": (
        '<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4"/>',
        '<polyline points="16 17 21 12 16 7"/>',
        '<line x1="21" y1="12" x2="9" y2="12"/>',
    ),
    "search": (
        '<circle cx="11" cy="11" r="8"/>',
        '<line x1="21" y1="21" x2="16.65" y2="16.65"/>',
    ),
    "paperclip": (
        (
            '<path d="m21.44 11.05-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 '
            '0 0 1-2.83-2.83l8.49-8.48"/>'
        ),
    ),
    "message": ('<path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/>',),
    "phone": (
        (
            '<path d="M22 16.92v3a2 2 0 0 1-2.18 2 19.79 19.79 0 0 1-8.63-3.07 19.5 19.5 0 0 1-6-6 19.79 '
            "19.79 0 0 1-3.07-8.67A2 2 0 0 1 4.11 2h3a2 2 0 0 1 2 1.72c.13.96.36 1.9.7 2.81a2 2 0 0 1-.45 "
            "2.11L8.09 9.91a16 16 0 0 0 6 6l1.27-1.27a2 2 0 0 1 2.11-.45c.91.34 1.85.57 2.81.7A2 2 0 0 1 22 "
            '16.92z"/>'
        ),
    ),
    "mail": (
        '<path d="M4 4h16c1.1 0 2 .9 2 2v12c0 1.1-.9 2-2 2H4c-1.1 0-2-.9-2-2V6c0-1.1.9-2 2-2z"/>',
        '<polyline points="22,6 12,13 2,6"/>',
    ),
    "clock": (
        '<circle cx="12" cy="12" r="10"/>',
        '<polyline points="12 6 12 12 16 14"/>',
    ),
    "check-circle": (
        '<path d="M22 11.08V12a10 10 0 1 1-5.93-9.14"/>',
        '<polyline points="22 4 12 14.01 9 11.01"/>',
    ),
    "repeat": (
        '<polyline points="17 1 21 5 17 9"/>',
        '<path d="M3 11V9a4 4 0 0 1 4-4h14"/>',
        '<polyline points="7 23 3 19 7 15"/>',
        '<path d="M21 13v2a4 4 0 0 1-4 4H3"/>',
    ),
    "lock": (
        '<rect x="3" y="11" width="18" height="11" rx="2" ry="2"/>',
        '<path d="M7 11V7a5 5 0 0 1 10 0v4"/>',
    ),
    "globe": (
        '<circle cx="12" cy="12" r="10"/>',
        '<line x1="2" y1="12" x2="22" y2="12"/>',
        (
            '<path d="M12 2a15.3 15.3 0 0 1 4 10 15.3 15.3 0 0 1-4 10 15.3 15.3 0 0 1-4-10 15.3 15.3 0 0 1 '
            '4-10z"/>'
        ),
    ),
    "bookmark": ('<path d="m19 21-7-5-7 5V5a2 2 0 0 1 2-2h10a2 2 0 0 1 2 2z"/>',),
    "plus": (
        '<line x1="12" y1="5" x2="12" y2="19"/>',
        '<line x1="5" y1="12" x2="19" y2="12"/>',
    ),
    "droplet": ('<path d="M12 2.69l5.66 5.66a8 8 0 1 1-11.31 0z"/>',),
    "file": (
        '<path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z"/>',
        '<polyline points="14 2 14 8 20 8"/>',
    ),
    "activity": ('<polyline points="22 12 18 12 15 21 9 3 6 12 2 12"/>',),
    "download": (
        '<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/>',
        '<polyline points="7 10 12 15 17 10"/>',
        '<line x1="12" y1="15" x2="12" y2="3"/>',
    ),
}


@register.simple_tag
def icon(name: str, size: int = 16, css: str = "") -> SafeString:
    return _icon(str(name), int(size), str(css))


@lru_cache(maxsize=512)
def _icon(name: str, size: int, css: str) -> SafeString:
    """Pure function of its arguments (ICONS is constant): a queue page draws the same few icons
    dozens of times."""
    body = "".join(ICONS.get(name, ICONS["file"]))
    return format_html(
        '<svg class="hd-icon {}" width="{}" height="{}" viewBox="0 0 24 24" fill="none" '
        'stroke="currentColor" '
        'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">{}</svg>',
        css,
        int(size),
        int(size),
        mark_safe(body),  # constant markup from ICONS above
    )


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


@register.simple_tag
def status_badge(status: str) -> SafeString:
    return _badge("status", str(status), get_language() or "")


@register.simple_tag
def priority_badge(priority: str) -> SafeString:
    return _badge("prio", str(priority), get_language() or "")


@lru_cache(maxsize=256)
def _badge(kind: str, value: str, language: str) -> SafeString:
    """One badge per (value, language): the labels are constants of the choices."""
    label = _label(Status if kind == "status" else Priority, value)
    return format_html('<span class="badge hd-{} hd-{}-{}">{}</span>', kind, kind, value, label)


@register.filter
def channel_label(value: str) -> str:
    return _label(Channel, value)


@register.filter
def problem_type_label(value: str) -> str:
    return _label(ProblemType, value)


@register.filter
def complexity_label(value: str) -> str:
    return _label(Complexity, value)


@register.filter
def clock_kind_label(value: str) -> str:
    return _label(ClockKind, value)


@register.filter
def interaction_kind_label(value: str) -> str:
    return _label(InteractionKind, value)


@register.filter
def direction_label(value: str) -> str:
    return _label(Direction, value)


@register.filter
def delivery_status(interaction: Any) -> str:
    """The delivery status of an outbound entry sent through the outbox ("" for the others), as
    `tickets.services.interaction_delivery_record` keeps it in `data["delivery"]`."""
    if getattr(interaction, "direction", "") != "outbound":
        return ""
    delivery = (getattr(interaction, "data", None) or {}).get("delivery")
    status = delivery.get("status") if isinstance(delivery, dict) else ""
    return status if isinstance(status, str) else ""


@register.filter
def delivery_label(value: str) -> str:
    return _label(DeliveryStatus, value)


@register.filter
def channel_icon(value: str) -> str:
    return {
        "phone": "phone",
        "email": "mail",
        "email_other": "mail",
        "chat": "message",
        "wechat": "message",
        "portal": "globe",
        "social": "globe",
    }.get(value, "file")


@register.filter
def kind_icon(value: str) -> str:
    return {
        "phone_call": "phone",
        "email": "mail",
        "chat": "message",
        "wechat": "message",
        "sms": "message",
        "web_form": "globe",
        "onsite_visit": "user-check",
        "internal_note": "lock",
        "system_event": "activity",
    }.get(value, "file")


@register.filter
def filesize(value: int) -> str:
    size = float(value or 0)
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} MB"


def _fmt_seconds(seconds: int) -> str:
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


@register.simple_tag
def countdown(clock: Any, now: datetime | None = None, compact: bool = False, tz: Any = None) -> SafeString:
    """A live countdown for one clock. The server renders the value at `now`; herdesk.js then updates
    it every second and moves it to amber after warn_at and red after due_at. `tz`: the current
    time zone, when the caller has it already (queue_rows)."""
    now = now or timezone.now()
    state = clock.state
    due = clock.due_at
    if clock.stopped_at is not None:
        css = "hd-cd-met" if state == ClockState.MET else "hd-cd-breached"
        text = _("met") if state == ClockState.MET else _("breached")
        return format_html('<span class="hd-cd {}" data-state="done">{}</span>', css, text)
    if state == ClockState.PAUSED:
        left = _fmt_seconds(clock.remaining_seconds or 0)
        return format_html(
            '<span class="hd-cd hd-cd-paused" data-state="paused">{} · {}</span>', _("paused"), left
        )
    delta = int((due - now).total_seconds())
    if delta < 0 or state == ClockState.BREACHED:
        css = "hd-cd-over"
    elif clock.warn_at <= now:
        css = "hd-cd-warn"
    else:
        css = "hd-cd-ok"
    text = ("-" if delta < 0 else "") + _fmt_seconds(delta)
    # f-string, not format_html: every value is a fixed class, an ISO time or digits (no escaping
    # needed); this runs for every row of a queue page (issue 4).
    return mark_safe(
        f'<span class="hd-cd {css}" data-state="running" data-due="{due.isoformat()}"'
        f' data-warn="{clock.warn_at.isoformat()}" data-start="{clock.started_at.isoformat()}"'
        f' title="{timezone.localtime(due, tz).strftime("%Y-%m-%d %H:%M:%S")}">{text}</span>'
    )


@register.simple_tag
def clock_progress(clock: Any, now: datetime | None = None) -> int:
    """Elapsed share of the clock's wall-clock span, 0–100 (the thin bar under a countdown)."""
    now = now or timezone.now()
    total = (clock.due_at - clock.started_at).total_seconds()
    if total <= 0 or clock.stopped_at is not None:
        return 100
    return max(0, min(100, int((now - clock.started_at).total_seconds() * 100 / total)))


@register.simple_tag(takes_context=True)
def query(context: Any, **changes: Any) -> str:
    """The current query string with some parameters changed (None/'' removes one)."""
    request = context["request"]
    params = {k: v for k, v in request.GET.items()}
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(params) if params else "?"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def initials(user: Any) -> str:
    """A Chinese personal name shows its given name (王晓燕 → 晓燕); a longer Chinese title is not a
    name ("系统管理员" gave "理员"): then the account's initials (admin → AD)."""
    name = (getattr(user, "display_name", "") or getattr(user, "username", "") or "?").strip()
    if any("\u4e00" <= ch <= "\u9fff" for ch in name):
        if len(name) <= 3:
            return name[-2:]
        name = getattr(user, "username", "") or name
        if any("\u4e00" <= ch <= "\u9fff" for ch in name):
            return name[:2]
    return name[:2].upper()


@register.filter
def is_checkbox(bound_field: Any) -> bool:
    return getattr(bound_field.field.widget, "input_type", "") == "checkbox"


@register.filter
def bs(bound_field: Any, extra: str = "") -> SafeString:
    """Render a form field's widget with Bootstrap classes (and is-invalid when it has errors)."""
    widget = bound_field.field.widget
    kind = getattr(widget, "input_type", "")
    if kind == "checkbox":
        css = "form-check-input"
    elif kind == "select" or widget.__class__.__name__.endswith("Select"):
        css = "form-select form-select-sm"
    elif kind == "file":
        css = "form-control form-control-sm"
    else:
        css = "form-control form-control-sm"
    if bound_field.errors:
        css += " is-invalid"
    attrs = {"class": f"{css} {extra}".strip()}
    return bound_field.as_widget(attrs=attrs)


def local_name(obj: Any) -> str:
    """A team's, product's or category's name in the user's language (the models keep name_en)."""
    if obj is None:
        return ""
    english = getattr(obj, "name_en", "")
    if english and (get_language() or "").startswith("en"):
        model = getattr(obj, "model_number", "")
        return f"{english} {model}".strip()
    return str(obj)


register.filter("local_name", local_name)


# ---------------------------------------------------------------- queue rows

_RFC3986_SAFE = "!$&'()*+,;=" + "/~:@"  # what reverse() leaves unquoted in a path


def _ticket_url_maker() -> Any:
    """reverse('workspace:ticket', number) for a whole page at the cost of one reverse()."""
    from urllib.parse import quote

    from django.urls import reverse

    marker = "NUMBER0MARKER"
    url = reverse("workspace:ticket", kwargs={"number": marker})
    head, _sep, tail = url.partition(marker)
    return lambda number: f"{head}{quote(str(number), safe=_RFC3986_SAFE)}{tail}"


def _e(value: Any) -> str:
    """conditional_escape() without its lazy-translation wrapper (a row has ~15 values)."""
    html = getattr(value, "__html__", None)
    return html() if html is not None else _html_escape(str(value))


def _subject_short(subject: str) -> str:
    """Truncator(subject).chars(48): most subjects are shorter and already NFC, and then it is the
    subject itself."""
    if len(subject) <= 48 and unicodedata.is_normalized("NFC", subject):
        return subject
    from django.utils.text import Truncator

    return Truncator(subject).chars(48)


@lru_cache(maxsize=512)
def _choice_label(choices: Any, value: str, language: str) -> str:
    """_label() per (choices, value, language): the labels are constants of the choices."""
    return _label(choices, value)


class _RowEnv:
    """What every row of a page shares: the language, time zone and fixed labels, read once per
    page (each read of the active language or time zone goes through a context-local)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.language = get_language() or ""
        self.english = self.language.startswith("en")
        self.tz = timezone.get_current_timezone()
        self.key_account = f' <span class="badge hd-tier">{_e(_("Key account"))}</span>'
        self.unassigned = f"<em>{_e(_('unassigned'))}</em>"

    def name(self, obj: Any) -> str:
        """local_name() in this page's language."""
        if obj is None:
            return ""
        english = getattr(obj, "name_en", "")
        if english and self.english:
            return f"{english} {getattr(obj, 'model_number', '')}".strip()
        return str(obj)


def _ticket_cells(t: Any, kind: str, env: _RowEnv, url: str) -> str:
    """One row's ticket cells (number and subject, customer, status, priority, team and assignee,
    next due clock, received at), escaped. Why f-strings and _e() rather than format_html: a page
    of 25 rows called conditional_escape ~400 times, a fifth of the rows' CPU (issue 4)."""
    lang = env.language
    sub = [_choice_label(ProblemType, t.problem_type, lang)]
    if t.category_id:
        sub.append(env.name(t.category))
    if t.product_id:
        sub.append(env.name(t.product))
    customer = t.customer
    key = env.key_account if customer.tier == "key_account" else ""
    who = _e(t.assignee) if t.assignee_id else env.unassigned
    received = t.received_at.astimezone(env.tz).strftime("%Y-%m-%d %H:%M:%S")
    due = ""
    if kind == "tickets":
        clocks = getattr(t, "live_clocks", None) or []
        due = (
            f'\n<td><div class="hd-sub">{_e(_choice_label(ClockKind, clocks[0].kind, lang))}</div>'
            f"{countdown(clocks[0], env.now, tz=env.tz)}</td>"
            if clocks
            else '\n<td><span class="text-muted">—</span></td>'
        )
    subject, region = _e(t.subject), _e(t.region or "")
    return (
        f'<td class="hd-col-ticket">\n  <a class="hd-number" href="{_e(url)}">{_e(t.number)}</a>\n'
        f'  <div class="hd-subject" title="{subject}">{icon(channel_icon(t.channel), 13, "text-muted")} '
        f'{_e(_subject_short(t.subject))}</div>\n  <div class="hd-sub">{_e(" · ".join(sub))}</div>\n</td>\n'
        f'<td>\n  <div>{_e(customer.name)}{key}</div>\n  <div class="hd-sub">{region}</div>\n</td>\n'
        f"<td>{_badge('status', str(t.status), lang)}</td>\n"
        f"<td>{_badge('prio', str(t.priority), lang)}</td>\n"
        f'<td>\n  <div>{_e(env.name(t.team) or "—")}</div>\n  <div class="hd-sub">{who}</div>\n</td>{due}\n'
        f'<td class="hd-nowrap"><span title="{received}">{received[5:16]}</span></td>'
    )


@register.simple_tag
def queue_rows(page: Any, now: datetime | None = None, can_reassign: bool = False) -> SafeString:
    """The <tr> rows of a queue page (ticket rows, or clock rows with their ticket), written in
    Python. Why: through a template with an include per row, 25 rows cost ~18 ms of CPU, a third of
    a page whose budget is 50 ms at 1,000,000 tickets (issue 4, bench/bench_queues.py); this is
    several times cheaper. Same markup as the template it replaces (tests/test_rendering.py)."""
    now = now or timezone.now()
    env = _RowEnv(now)
    url = _ticket_url_maker()
    out = []
    for row in page.rows:
        lead: str
        if page.kind == "clocks":
            t = row.ticket
            lead = format_html(
                '<td><span class="hd-clock-kind">{}</span></td>\n    <td>{}</td>\n    ',
                _choice_label(ClockKind, row.kind, env.language),
                countdown(row, now, tz=env.tz),
            )
        else:
            t = row
            lead = (
                format_html(
                    '<td class="hd-col-check"><input class="form-check-input" type="checkbox" name="tickets"'
                    ' value="{}" form="bulk-form" aria-label="{}"></td>\n    ',
                    t.number,
                    t.number,
                )
                if can_reassign
                else ""
            )
        out.append(
            f'\n  <tr class="hd-row" data-number="{_e(t.number)}">\n    {lead}'
            f"{_ticket_cells(t, page.kind, env, url(t.number))}\n  </tr>"
        )
    return mark_safe("".join(out))  # every part is escaped above (format_html, _e)


@register.inclusion_tag("workspace/partials/sidebar.html", takes_context=True)
def workspace_sidebar(context: template.Context, active: str = "") -> dict[str, Any]:
    """The role's navigation, the same on every staff page (workspace, chat console, channels):
    pages that are not rendered by workspace views get it computed here."""
    # cycle: workspace.views (intake_pages) imports these tags
    from herdesk.workspace.views.common import _nav

    request = context.get("request")
    nav: dict[str, Any] = {str(k): v for k, v in context.flatten().items() if str(k).startswith("nav_")}
    if "nav_queues" not in nav and request is not None:
        nav = _nav(request, timezone.now())
    return {
        **nav,
        "request": request,
        "active": active or context.get("active", ""),
        "csrf_token": context.get("csrf_token"),
        "perms": context.get("perms"),
    }


# The clock card's target in words (issue 13: "15 分钟 · 热线时间", not "15m · hotline"): the policy's
# duration syntax (calendars.engine: 30m, 4h, 2h30m, 3wd) and the calendar it counts in.
_TARGET_RE = re.compile(r"^(?:(?P<wd>\d+)wd|(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?)$")


def _calendar_names() -> dict[str, str]:
    return {
        "hotline": _("hotline hours"),
        "office": _("office hours"),
        "24x7": _("around the clock"),
    }


@register.filter
def duration_words(text: str) -> str:
    from django.utils.translation import ngettext

    m = _TARGET_RE.match(str(text or "").strip())
    if not m or not any(m.groupdict().values()):
        return str(text or "")
    if m["wd"]:
        n = int(m["wd"])
        return ngettext("%(n)d working day", "%(n)d working days", n) % {"n": n}
    parts = []
    if m["h"]:
        n = int(m["h"])
        parts.append(ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n})
    if m["m"]:
        n = int(m["m"])
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n})
    return " ".join(parts)


@register.filter
def calendar_words(code: str) -> str:
    known = _calendar_names().get(str(code or ""))
    if known:
        return known

    cal = Calendar.objects.filter(code=code).first()
    return local_name(cal) if cal is not None else str(code or "")


@register.filter
def clock_target(clock: Any) -> str:
    """ "15 分钟 · 热线时间" for a clock of 15m on the hotline calendar."""
    return f"{duration_words(clock.target)} · {calendar_words(clock.calendar_code)}"


@register.filter
def any_channel_label(value: str) -> str:
    """A channel code of the inbound/outbound machinery in words (ticket channels and the
    outbox's sms / internal)."""
    extra = {"sms": _("SMS"), "internal": _("Internal"), "action": _("Internal")}
    if value in extra:
        return extra[value]
    return _label(Channel, value)


@register.filter
def health_label(value: str) -> str:
    return _label(HealthStatus, value)


@register.filter
def local_time(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A datetime or an ISO 8601 string in the current time zone (Asia/Shanghai): health data
    arrives as ISO strings in UTC."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return timezone.localtime(value).strftime(fmt)


# The lifecycle writes its step notes in the language of whoever made the step (tickets.services
# _transition / _system_event). Shown in the reader's language (issue 13: system events in English
# in English mode): a note that is one of these texts, in either language, is translated again.
_EVENT_MSGIDS = (
    "Triaged",
    "Acknowledged (查收确认)",
    "Work started",
    "Solution options offered",
    "Waiting for customer",
    "Resolved",
    "Closed",
    "Customer replied",
    "Customer replied after resolution",
    "Service record finalised",
    "Assigned to %(who)s",
    "Merged into %(n)s",
    "%(n)s was merged into this ticket",
    "Satisfaction follow-up: %(score)d/5",
    "Customer chose option %(n)d: %(s)s",
)
_PLACEHOLDER_RE = re.compile(r"%\((\w+)\)([sd])")


@lru_cache(maxsize=1)
def _event_patterns() -> list[tuple[re.Pattern[str], str]]:
    from django.utils import translation

    patterns = []
    for msgid in _EVENT_MSGIDS:
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                text = translation.gettext(msgid)
            parts, pos = [], 0
            for m in _PLACEHOLDER_RE.finditer(text):
                parts.append(re.escape(text[pos : m.start()]))
                parts.append(f"(?P<{m.group(1)}>\\d+)" if m.group(2) == "d" else f"(?P<{m.group(1)}>.+?)")
                pos = m.end()
            parts.append(re.escape(text[pos:]))
            patterns.append((re.compile("".join(parts), re.S), msgid))
    return patterns


@register.filter
def event_text(interaction: Any) -> str:
    """A system event's text in the reader's language (other entries: their text as written)."""
    body = getattr(interaction, "shown_body", None) or interaction.body or ""
    if interaction.kind != InteractionKind.SYSTEM_EVENT:
        return body
    for rx, msgid in _event_patterns():
        m = rx.fullmatch(body.strip())
        if m:
            values = {
                k: int(v) if v.isdigit() and f"%({k})d" in msgid else v for k, v in m.groupdict().items()
            }
            return _(msgid) % values if values else _(msgid)
    data = interaction.data if isinstance(interaction.data, dict) else {}
    old, new = data.get("from_status"), data.get("to_status")
    if old and new and body.strip() == f"{old} → {new}":
        return f"{_label(Status, old)} → {_label(Status, new)}"
    return body


@register.simple_tag
def role_label(user: Any) -> str:
    """The user's role in words (the user menu of pages not rendered by workspace views)."""

    role = user_role(user)
    return str(ROLES.get(role, {}).get("label", role))
