"""The automatic acknowledgement (INT-2): its text and the times it promises, one implementation for
every channel (email, WeChat, SMS), the portal's confirmation page and message, and the customer
notice of a new request (customer_notices.notice_acknowledgement). It lives here, below the
channels, so the notice composition reaches it without an upward import; herdesk.inbound.selectors
and herdesk.portal.selectors re-export it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from herdesk.calendars.engine import parse_duration
from herdesk.clocks.models import Clock, ClockState
from herdesk.policies.choices import ClockKind


def target_text(target: str) -> str:
    """ "30m" → "30 minutes", "2h" → "2 hours", "3wd" → "3 working days" (active language)."""
    try:
        d = parse_duration(target)
    except ValueError:
        return target
    if d.working_days:
        return ngettext("%(n)d working day", "%(n)d working days", d.working_days) % {"n": d.working_days}
    hours, rest = divmod(d.seconds, 3600)
    minutes = rest // 60
    parts = []
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes or not parts:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


def local_text(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""


@dataclass(frozen=True)
class Estimate:
    """What we promise: first response and resolution, from the ticket's own clocks (POL-1: the
    numbers come from the policy version, never from a channel)."""

    response_target: str = ""
    response_due: datetime | None = None
    resolution_target: str = ""
    resolution_due: datetime | None = None

    @property
    def response_text(self) -> str:
        return target_text(self.response_target) if self.response_target else ""

    @property
    def resolution_text(self) -> str:
        return target_text(self.resolution_target) if self.resolution_target else ""

    def as_data(self) -> dict[str, str]:
        return {
            "response_target": self.response_target,
            "response_due": self.response_due.isoformat() if self.response_due else "",
            "resolution_target": self.resolution_target,
            "resolution_due": self.resolution_due.isoformat() if self.resolution_due else "",
        }


def acknowledgement_estimate(*, ticket: Any, clocks: list[Any] | None = None) -> Estimate:
    """The latest non-cancelled first-response and resolution clocks of the ticket. `clocks`: all
    the clocks the ticket has, when the caller has just started them (a new ticket): no query."""
    kinds = (ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION)
    if clocks is None:
        clocks = list(
            Clock.objects.filter(ticket=ticket, kind__in=kinds)
            .exclude(state=ClockState.CANCELLED)
            .order_by("kind", "cycle")
        )
    latest: dict[str, Any] = {}
    for clock in sorted(
        (c for c in clocks if c.kind in kinds and c.state != ClockState.CANCELLED),
        key=lambda c: (c.kind, c.cycle),
    ):
        latest[clock.kind] = clock
    fr, res = latest.get(ClockKind.FIRST_RESPONSE), latest.get(ClockKind.RESOLUTION)
    # A response is promised only while its clock runs: once answered, or ended at resolution
    # (clocks._close_outstanding, also when it had breached), nothing is promised any more (#13).
    fr = fr if fr is not None and fr.stopped_at is None else None
    return Estimate(
        response_target=fr.target if fr else "",
        response_due=fr.due_at if fr else None,
        resolution_target=res.target if res else "",
        resolution_due=res.due_at if res else None,
    )


def acknowledgement_text(*, ticket: Any, estimate: Estimate | None = None) -> str:
    """INT-2: the acknowledgement names the ticket number and the expected handling times. The
    portal's confirmation shows the same text."""
    estimate = estimate or acknowledgement_estimate(ticket=ticket)
    if estimate.response_due and estimate.resolution_due:
        return _(
            "We have received your request. Ticket number: %(number)s. We will respond within "
            "%(response)s (by %(response_due)s) and expect to give you a solution or progress by "
            "%(resolution_due)s."
        ) % {
            "number": ticket.number,
            "response": estimate.response_text,
            "response_due": local_text(estimate.response_due),
            "resolution_due": local_text(estimate.resolution_due),
        }
    if estimate.response_due:
        return _(
            "We have received your request. Ticket number: %(number)s. We will respond within "
            "%(response)s (by %(response_due)s)."
        ) % {
            "number": ticket.number,
            "response": estimate.response_text,
            "response_due": local_text(estimate.response_due),
        }
    return _(
        "We have received your request. Ticket number: %(number)s. We will contact you as soon as possible."
    ) % {"number": ticket.number}
