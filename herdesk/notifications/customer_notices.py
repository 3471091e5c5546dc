"""Customer notices: what a customer is told about their own request, on their own channel.

Each notice is ONE public outbound timeline entry (the customer's portal always shows it; the staff
timeline shows its delivery status) and, unless the portal is the only way, ONE outbox message on the
channel chosen by `notice_route`: the customer's preference, else the ticket's own channel (email,
WeChat; SMS for the hotline), else the primary contact's email, phone (SMS) or WeChat. The outbox
adapters (mail/sms/wechat `outbound.py`) send it after commit and record the delivery on the entry
(`tickets.services.interaction_delivery_record`).

Producers call one function each, inside their transaction:
- acknowledgement (INT-2)       wechat.ingest.handle (new WeChat ticket)   → notice_acknowledgement
- new expected time (HND-5)     clocks.services.clock_renegotiate          → notice_renegotiation
- options offered (HND-3)       tickets.services.solution_options_offer    → notice_options (+ choose link)
- resolution (CLS-1)            tickets.services.ticket_resolve            → notice_resolution (+ link)
- closing                       tickets.services.ticket_close              → notice_closing
Email and portal acknowledgements stay with their channels (mail.services.acknowledge,
portal.services._acknowledge); handlers' progress updates go through the channel services the
handler chooses (email_reply_send, sms_progress_send, wechat_reply_send).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from herdesk.audit.services import audit_record
from herdesk.customers.selectors import contact_primary
from herdesk.tickets.choices import Channel, Direction, InteractionKind
from herdesk.tickets.models import Interaction

from . import registry
from .acknowledgement import acknowledgement_estimate, acknowledgement_text
from .choices import ESSENTIAL_NOTICES, ActionLinkPurpose, NoticeChannel, NoticeKind
from .models import CustomerNoticePreference
from .services import outbox_enqueue_many

log = logging.getLogger(__name__)

SMS_MAX = 490  # herdesk.sms.services.MAX_TEXT
WECHAT_MAX = 2000  # herdesk.wechat.services.MAX_TEXT

_QUIET: ContextVar[bool] = ContextVar("customer_notices_quiet", default=False)


@contextmanager
def quiet() -> Iterator[None]:
    """No customer notices inside the block: a step that already told the customer itself (answer
    from a saved reply and close: the answer is the message; no "resolved" or "closed" after it)."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


@dataclass(frozen=True)
class Route:
    via: str  # "email", "sms", "wechat" or "portal" (nothing sent; the portal shows it)
    recipient: str = ""  # "contact:<pk>" (email, SMS: the address stays in the encrypted row) or an openid
    reason: str = ""  # why this route (shown to staff on the entry)


def preference_for(customer_id: int) -> CustomerNoticePreference | None:
    return CustomerNoticePreference.objects.filter(customer_id=customer_id).first()


def _ticket_channel(ticket: Any) -> str:
    return {
        Channel.EMAIL: NoticeChannel.EMAIL,
        Channel.EMAIL_OTHER: NoticeChannel.EMAIL,
        Channel.WECHAT: NoticeChannel.WECHAT,
        Channel.PHONE: NoticeChannel.SMS,  # a hotline caller is told by text message
    }.get(ticket.channel, "")


def _recipient(ticket: Any, via: str) -> str:
    if via == NoticeChannel.EMAIL:
        c = ticket.contact if ticket.contact is not None and ticket.contact.email_bidx else None
        c = c or contact_primary(customer=ticket.customer, reachable_by="email")
        return f"contact:{c.pk}" if c is not None else ""
    if via in (NoticeChannel.SMS, NoticeChannel.WECHAT):
        # The channel app names the recipient (registered in its AppConfig.ready(): sms, wechat).
        return registry.notice_recipient(via, ticket)
    return ""


def _primary_order(ticket: Any) -> list[str]:
    """The primary contact's own ways first (email, then phone, then WeChat)."""

    c = contact_primary(customer=ticket.customer)
    if c is None:
        return []
    return [
        v
        for v, ok in (
            (NoticeChannel.EMAIL, c.email_bidx),
            (NoticeChannel.SMS, c.phone_bidx),
            (NoticeChannel.WECHAT, c.wechat_openid),
        )
        if ok
    ]


def notice_route(*, ticket: Any, kind: str, exclude: tuple[str, ...] = ()) -> Route:
    """Where a notice goes. The customer's preference wins; "portal only", or an opt-out of
    non-essential notices for a notice that is not essential, sends nothing (the portal shows it).
    `exclude`: channels already tried in vain (notice_fallback)."""
    pref = preference_for(ticket.customer_id)
    if pref is not None and pref.channel == NoticeChannel.PORTAL:
        return Route("portal", reason="preference")
    if (
        pref is not None
        and pref.opt_out_non_essential
        and not registry.notice_essential(kind, ESSENTIAL_NOTICES)
    ):
        return Route("portal", reason="opted_out")
    order: list[str] = []
    if pref is not None and pref.channel:
        order.append(pref.channel)
    order += [_ticket_channel(ticket), *_primary_order(ticket)]
    order += [NoticeChannel.EMAIL, NoticeChannel.SMS, NoticeChannel.WECHAT]
    for via in dict.fromkeys(v for v in order if v and v not in exclude):
        recipient = _recipient(ticket, via)
        if recipient:
            return Route(via, recipient, reason="preference" if pref and via == pref.channel else "")
    return Route("portal", reason="no_address")


def _in_customer_language(build: Callable[[], str], *, bilingual: bool) -> str:
    """Written in the site language (Chinese first); email adds the English text below."""
    with translation.override(settings.LANGUAGE_CODE):
        text = build()
    if bilingual and not settings.LANGUAGE_CODE.startswith("en"):
        with translation.override("en"):
            english = build()
        if english != text:
            text = f"{text}\n\n-----\n\n{english}"
    return str(text)


def _local(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _deliver(
    *,
    ticket: Any,
    kind: str,
    build: Callable[[str], str],
    subject: Callable[[], str],
    entry: Any = None,
    at: datetime | None = None,
    template: str = "",
    link_purpose: str = "",
) -> Any:
    """The notice's timeline entry (created, or the producer's own public entry) and its outbox row.

    `build(link)` returns the text; `link` is "" on the timeline (a signed link is a bearer secret:
    staff never see it) and, with `link_purpose`, a signed single-use portal link in the message
    itself (registry.action_link: the portal's maker; made only when a message is sent)."""
    # cycle: tickets.services (lifecycle) calls the notices
    from herdesk.tickets.services import interaction_add

    if _QUIET.get():
        return entry
    at = at or timezone.now()
    route = notice_route(ticket=ticket, kind=kind)
    notice = {"kind": kind, "via": route.via, **({"reason": route.reason} if route.reason else {})}
    data: dict[str, Any] = {"customer_notice": notice}
    if route.via != "portal":
        data["delivery"] = {"status": "queued", "at": at.isoformat()}
    if entry is None:
        body = _in_customer_language(lambda: build(""), bilingual=False)
        entry = interaction_add(
            ticket=ticket,
            actor=None,
            body=body[:20000],
            kind={
                "email": InteractionKind.EMAIL,
                "sms": InteractionKind.SMS,
                "wechat": InteractionKind.WECHAT,
            }.get(route.via, InteractionKind.SYSTEM_EVENT),
            direction=Direction.OUTBOUND,
            channel=ticket.channel,
            is_public=True,
            is_automatic=True,  # INT-2: a notice is no human response
            occurred_at=at,
            data=data,
            savepoint=False,
        )
    else:
        entry.data = {**(entry.data or {}), **data}
        Interaction.objects.filter(pk=entry.pk).update(data=entry.data)
    if route.via == "portal":
        return entry
    email = route.via == NoticeChannel.EMAIL
    link = _action_link(ticket, link_purpose) if link_purpose else ""
    text = _in_customer_language(lambda: build(link), bilingual=email)
    limit = SMS_MAX if route.via == NoticeChannel.SMS else WECHAT_MAX if not email else 100_000
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    payload: dict[str, Any] = {
        "text": text,
        "interaction": entry.pk,
        "ticket": ticket.number,
        "notice": kind,
        "automatic": True,
    }
    with translation.override(settings.LANGUAGE_CODE):
        payload["subject"] = str(subject())
    if email:  # the short text, should the e-mail fail for good and SMS or WeChat take over
        short = _in_customer_language(lambda: build(link), bilingual=False)
        payload["text_short"] = short[: SMS_MAX - 1] + "…" if len(short) > SMS_MAX else short
    outbox_enqueue_many(
        [
            {
                "dedupe_key": f"notice:{kind}:{entry.pk}",
                "channel": route.via,
                "recipient": route.recipient,
                "template": template or kind,
                "ticket_id": ticket.pk,
                "payload": payload,
            }
        ]
    )
    return entry


def notice_fallback(message: Any) -> str:
    """A notice its channel finally failed to deliver (the outbox gave up: a bounced address, a
    WeChat follower outside the 48-hour window, a number that cannot take texts) goes by the next
    channel of `notice_route`; its timeline entry says so. Called by the outbox dispatcher in the
    transaction that records the failure. Returns the new channel ("" when none is left: the portal
    still shows the notice)."""
    # cycle: tickets.services (lifecycle) calls the notices
    from herdesk.tickets.services import interaction_delivery_record

    p = dict(message.payload or {})
    ticket = message.ticket
    if ticket is None or not p.get("notice") or not p.get("interaction"):
        return ""
    tried = (*p.get("tried", []), message.channel)
    route = notice_route(ticket=ticket, kind=p["notice"], exclude=tried)
    if route.via == "portal":
        return ""
    if route.via != NoticeChannel.EMAIL:
        p["text"] = p.get("text_short") or p.get("text", "")
        limit = SMS_MAX if route.via == NoticeChannel.SMS else WECHAT_MAX
        if len(p["text"]) > limit:
            p["text"] = p["text"][: limit - 1] + "…"
    p["tried"] = list(tried)
    outbox_enqueue_many(
        [
            {
                "dedupe_key": f"notice:{p['notice']}:{p['interaction']}:{route.via}",
                "channel": route.via,
                "recipient": route.recipient,
                "template": message.template,
                "ticket_id": ticket.pk,
                "payload": p,
            }
        ]
    )
    entry = Interaction.objects.select_for_update().filter(pk=p["interaction"]).first()
    if entry is not None:
        notice = {
            **(entry.data or {}).get("customer_notice", {}),
            "via": route.via,
            "fallback_from": list(tried),
        }
        Interaction.objects.filter(pk=entry.pk).update(data={**(entry.data or {}), "customer_notice": notice})
    interaction_delivery_record(
        interaction_id=p["interaction"], status="queued", fallback_from=message.channel
    )
    return route.via


def preferred_progress_kind(ticket: Any) -> str:
    """HND-6: the interaction kind a handler's progress update should go by when the customer chose
    a channel (email, SMS, WeChat) and can be reached on it; "" otherwise (the workspace then offers
    the ticket's own channel). Used as the progress form's default."""

    pref = preference_for(ticket.customer_id)
    if pref is None or pref.channel not in (NoticeChannel.EMAIL, NoticeChannel.SMS, NoticeChannel.WECHAT):
        return ""
    if not _recipient(ticket, pref.channel):
        return ""
    return {
        NoticeChannel.EMAIL: InteractionKind.EMAIL,
        NoticeChannel.SMS: InteractionKind.SMS,
        NoticeChannel.WECHAT: InteractionKind.WECHAT,
    }[NoticeChannel(pref.channel)]


def _action_link(ticket: Any, purpose: str) -> str:
    # The portal's signed links (registered by the portal's AppConfig.ready()).
    return registry.action_link(ticket=ticket, purpose=purpose)


# --- the notices ------------------------------------------------------------------------------------


def notice_acknowledgement(*, ticket: Any, at: datetime | None = None) -> Any:
    """INT-2: a new request (WeChat) is acknowledged with its number and the expected times."""
    estimate = acknowledgement_estimate(ticket=ticket)
    return _deliver(
        ticket=ticket,
        kind=NoticeKind.ACKNOWLEDGEMENT,
        build=lambda _links: acknowledgement_text(ticket=ticket, estimate=estimate),
        subject=lambda: _("We have received your request %(number)s") % {"number": ticket.number},
        at=at,
        template="ticket_ack",
    )


def notice_renegotiation(*, ticket: Any, reason: str, new_due_at: datetime, entry: Any = None) -> Any:
    """HND-5: the customer is told beforehand, with the reason and the new expected time."""
    return _deliver(
        ticket=ticket,
        kind=NoticeKind.RENEGOTIATION,
        build=lambda _links: (
            _("About your request %(number)s: we need more time (%(reason)s). New expected time: %(when)s.")
            % {"number": ticket.number, "reason": reason, "when": _local(new_due_at)}
        ),
        subject=lambda: _("New expected time for your request %(number)s") % {"number": ticket.number},
        entry=entry,
    )


def notice_options(*, ticket: Any, options: list[Any], entry: Any = None) -> Any:
    """HND-3: the options offered, with a signed single-use link to choose one (portal: its page)."""

    def build(link: str) -> str:
        lines = [_("For your request %(number)s we propose:") % {"number": ticket.number}]
        for o in options:
            extra = [x for x in (o.time_needed, o.extra_cost) if x]
            lines.append(f"{o.position}. {o.summary}" + (f" ({'; '.join(extra)})" if extra else ""))
        if link:
            lines.append(_("Choose the option you prefer here: %(url)s") % {"url": link})
        else:
            lines.append(_("Choose the option you prefer in the customer portal."))
        return "\n".join(lines)

    return _deliver(
        ticket=ticket,
        kind=NoticeKind.OPTIONS,
        build=build,
        subject=lambda: _("Solution options for your request %(number)s") % {"number": ticket.number},
        entry=entry,
        link_purpose=ActionLinkPurpose.CHOOSE_OPTION,
    )


def notice_resolution(*, ticket: Any, summary: str = "", entry: Any = None) -> Any:
    """CLS-1: the customer is told and asked to verify; one signed link confirms or disputes. QA-2:
    a second signed link rates the service (registry.rating_link: the follow-up app's rating link,
    made once and only when a message is sent: `link` is "" on the timeline, links being secrets)."""
    made: list[str] = []

    def rating() -> str:
        if not made:
            made.append(registry.rating_link(ticket=ticket))
        return made[0]

    def build(link: str) -> str:
        lines = [_("Your request %(number)s has been resolved.") % {"number": ticket.number}]
        if summary:
            lines.append(summary)
        if link:
            lines.append(_("Please confirm that the problem is solved: %(url)s") % {"url": link})
            lines.append(_("If it is not solved, tell us here: %(url)s") % {"url": f"{link}#dispute"})
            rate = rating()
            if rate:
                lines.append(_("How did we do? Rate our service (1 minute): %(url)s") % {"url": rate})
        else:
            lines.append(
                _(
                    "Please confirm in the customer portal that the problem is solved, or tell us "
                    "what is still wrong."
                )
            )
        return "\n".join(lines)

    return _deliver(
        ticket=ticket,
        kind=NoticeKind.RESOLUTION,
        build=build,
        subject=lambda: _("Your request %(number)s is resolved: please confirm") % {"number": ticket.number},
        entry=entry,
        link_purpose=ActionLinkPurpose.CONFIRM_RESOLUTION,
    )


def notice_send(
    *,
    ticket: Any,
    kind: str,
    build: Callable[[], str],
    subject: Callable[[], str],
    at: datetime | None = None,
) -> Any:
    """A notice of an app above the core (e.g. complaints' "complaint_solution"), on the customer's
    channel by the same route, timeline entry, languages and fallback as the core's notices. `kind`
    is also the outbox template: the app declares it for email, SMS and WeChat in its ready()
    (`kinds.outbox_kind_register`), and an essential one with `registry.notice_essential_register`."""
    return _deliver(ticket=ticket, kind=kind, build=lambda _link: build(), subject=subject, at=at)


def notice_closing(*, ticket: Any, actor: Any = None) -> Any:
    """The request is closed (not sent when the customer closed it themselves by confirming)."""
    if getattr(actor, "customer_id", None):
        return None
    return _deliver(
        ticket=ticket,
        kind=NoticeKind.CLOSING,
        build=lambda _links: (
            _(
                "Your request %(number)s is now closed. Thank you for your patience; if anything is "
                "still wrong, simply reply."
            )
            % {"number": ticket.number}
        ),
        subject=lambda: _("Your request %(number)s is closed") % {"number": ticket.number},
    )


def notice_preference_set(*, customer: Any, actor: Any, channel: str, opt_out_non_essential: bool) -> Any:
    """The customer's notice preference (portal page, or staff on their behalf); audited."""
    from django.core.exceptions import ValidationError

    if channel not in NoticeChannel.values:
        raise ValidationError(
            {
                "channel": _("“%(value)s” is not one of: %(choices)s.")
                % {
                    "value": str(channel)[:20],
                    "choices": ", ".join(v or "auto" for v in NoticeChannel.values),
                }
            }
        )
    row, _created = CustomerNoticePreference.objects.update_or_create(
        customer=customer,
        defaults={"channel": channel, "opt_out_non_essential": bool(opt_out_non_essential)},
    )
    audit_record(
        actor=actor,
        action="customer.notice_preference",
        object_type="customer",
        object_id=customer.pk,
        data={"channel": channel, "opt_out_non_essential": bool(opt_out_non_essential)},
    )
    return row
