"""Documents of field service: the Chinese PDF service report (WeasyPrint, like the analytics
report pack), the equipment's QR label (segno, SVG) and the engineer's ICS feed (icalendar)."""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from django.core import signing
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .choices import WorkOrderStatus
from .models import WorkOrder

ZONE = ZoneInfo("Asia/Shanghai")
FEED_SALT = "herdesk.field.ics"


def render_report_pdf(wo: WorkOrder) -> bytes:
    from weasyprint import HTML

    signature = ""
    if wo.signature:
        try:
            with wo.signature.open("rb") as fh:
                signature = "data:image/png;base64," + base64.b64encode(fh.read()).decode()
        except OSError:
            signature = ""
    with translation.override("zh-hans"):
        html = render_to_string(
            "field/report_pdf.html",
            {
                "wo": wo,
                "parts": list(wo.parts_used.select_related("part", "store")),
                "engineers": list(wo.engineers.all()),
                "signature": signature,
                "arrived": timezone.localtime(wo.arrived_at, ZONE) if wo.arrived_at else None,
                "departed": timezone.localtime(wo.departed_at, ZONE) if wo.departed_at else None,
                "generated_at": timezone.localtime(timezone.now(), ZONE),
            },
        )
    return bytes(HTML(string=html).write_pdf())


def qr_svg(url: str, *, scale: int = 4) -> str:
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=scale, xmldecl=False, svgns=True, border=2)
    return out.getvalue().decode()


def feed_token(user: Any) -> str:
    return signing.dumps({"u": user.pk}, salt=FEED_SALT)


def feed_user_id(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=FEED_SALT)
    except signing.BadSignature:
        return None
    return data.get("u") if isinstance(data, dict) else None


def ics_feed(user: Any, *, days_back: int = 14, host: str = "herdesk") -> bytes:
    """The engineer's booked work orders as an iCalendar feed (scheduled, on site, recent completed)."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Herdesk//field service//ZH")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"工单 · {user}")
    since = timezone.now() - dt.timedelta(days=days_back)
    orders = (
        WorkOrder.objects.filter(engineers=user, scheduled_start__gte=since)
        .exclude(status=WorkOrderStatus.CANCELLED)
        .select_related("customer", "farm")
        .order_by("scheduled_start")
    )
    for wo in orders:
        ev = Event()
        ev.add("uid", f"{wo.number}@{host}")
        ev.add("summary", f"{wo.get_kind_display()} · {wo.customer.name} · {wo.number}")
        ev.add("dtstart", wo.scheduled_start)
        ev.add("dtend", wo.scheduled_end or wo.scheduled_start)
        ev.add("dtstamp", timezone.now())
        ev.add("location", " ".join(x for x in (wo.farm.name if wo.farm else "", wo.address) if x))
        ev.add("description", wo.content)
        ev.add("status", "CONFIRMED")
        cal.add_component(ev)
    return bytes(cal.to_ical())
