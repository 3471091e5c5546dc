"""Every write of the customer portal (SEC-3, CLS-1, HND-3, INT-2, HND-6).

Sign-in without passwords (phone code or email link), requests submitted through the portal,
replies, option choice, confirmation or dispute of a resolution, and signed single-use links in
emails. Ticket changes go through `herdesk.tickets.services`; this module only adds the portal's
own rules (who may act, one-time codes and links) and the automatic acknowledgement.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from herdesk.attachments.services import attachment_add
from herdesk.audit.services import audit_record
from herdesk.common.errors import DomainError
from herdesk.common.pii import mask_email, mask_phone, normalise_email, normalise_phone
from herdesk.complaints.services import complaint_customer_answer
from herdesk.customers.models import Contact, Customer
from herdesk.customers.selectors import contact_primary
from herdesk.customers.services import email_index, phone_index
from herdesk.notifications import staff_notices
from herdesk.notifications.customer_notices import notice_preference_set
from herdesk.notifications.services import outbox_enqueue_many
from herdesk.sms.choices import SmsPurpose
from herdesk.sms.services import send_sms
from herdesk.staff.models import User
from herdesk.staff.services import user_create
from herdesk.tickets import services as tickets
from herdesk.tickets.choices import Channel, CloseReason, Direction, InteractionKind, ProblemType, Status
from herdesk.tickets.models import Interaction, Ticket
from herdesk.tickets.selectors import tickets_visible_to
from herdesk.triage.services import triage_ticket_received

from . import selectors
from .choices import ACTION_PURPOSES, TokenPurpose
from .errors import RateLimited
from .models import LoginCode, PortalToken

log = logging.getLogger(__name__)

# Phone codes (SEC-3): 6 digits, 5 minutes, 5 attempts; 1 per number per 60 s, 10 per 24 h.
CODE_TTL = timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5
CODE_INTERVAL = timedelta(seconds=60)
CODE_PER_DAY = 10
# One client (IP address) asking codes for many numbers is throttled too (SMS bombing, enumeration).
CODE_PER_CLIENT_HOUR = 30
# Email sign-in links: 15 minutes, single use; at most one per address per minute, 10 per day.
LOGIN_LINK_TTL = timedelta(minutes=15)
LOGIN_LINK_INTERVAL = timedelta(seconds=60)
LOGIN_LINK_PER_DAY = 10
# Action links in emails (choose an option, confirm a resolution) stay valid for a week.
ACTION_LINK_TTL = timedelta(days=7)
MAX_DESCRIPTION = 5000
MAX_REPLY = 5000
MAX_REASON = 1000
MAX_UPLOADS = 5


# --- helpers -------------------------------------------------------------------------------------


def _client_key(client_ip: str) -> str:
    return (
        salted_hmac("herdesk.portal.client", client_ip, algorithm="sha256").hexdigest()[:40]
        if client_ip
        else ""
    )


def _code_hash(salt: str, code: str) -> str:
    # Keyed (SECRET_KEY) and salted: a 6-digit code cannot be recovered from a database dump.
    return salted_hmac("herdesk.portal.login_code", f"{salt}:{code}", algorithm="sha256").hexdigest()


def _base_url(base_url: str | None) -> str:
    return (base_url if base_url is not None else getattr(settings, "HERDESK_PUBLIC_URL", "")).rstrip("/")


def _new_token(
    *,
    purpose: str,
    customer: Customer,
    contact: Contact | None,
    ticket: Ticket | None,
    ttl: timedelta,
    now: datetime,
) -> tuple[PortalToken, str]:
    secret = secrets.token_urlsafe(32)
    row = PortalToken.objects.create(
        purpose=purpose,
        token_hash=selectors.token_hash(secret),
        customer=customer,
        contact=contact,
        ticket=ticket,
        created_at=now,
        expires_at=now + ttl,
    )
    return row, selectors.token_sign(secret=secret, purpose=purpose)


def _token_consume(*, token: str, purpose: str, now: datetime) -> PortalToken:
    """Lock the link row (SELECT … FOR UPDATE), check it and mark it used. Two clicks at once:
    the second waits for the first and then sees it used."""
    digest = selectors.token_digest(token=token, purpose=purpose)
    row = PortalToken.objects.select_for_update().filter(token_hash=digest, purpose=purpose).first()
    row = selectors.token_check(row, now=now)
    row.used_at = now
    row.save(update_fields=["used_at"])
    return row


def _require_portal_user(user: Any) -> None:
    if not selectors.is_portal_user(user):
        raise PermissionDenied


def _own(user: Any, ticket: Ticket) -> Ticket:
    """Ticket.DoesNotExist unless `user` is a customer of the ticket's organisation (views: 404)."""
    _require_portal_user(user)
    return tickets_visible_to(user).get(pk=ticket.pk)


def _contact_for(customer: Customer, contact: Contact | None) -> Contact | None:
    if contact is not None and contact.customer_id == customer.pk:
        return contact
    return contact_primary(customer=customer)


# --- accounts ------------------------------------------------------------------------------------


@transaction.atomic
def portal_user_for(*, customer: Customer) -> User:
    """The portal login of `customer`, created on first use (role `customer`, no password).

    Side effects: on creation, a User row and the audit entries of `user_create`. A concurrent first
    sign-in that loses the race on the unique username reads the winner's row.
    """
    user = User.objects.filter(customer=customer).order_by("id").first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            return user_create(
                username=f"portal-{customer.pk}",
                password=None,
                role="customer",
                customer=customer,
                display_name=customer.name,
            )
    except (IntegrityError, ValidationError):
        return User.objects.get(username=f"portal-{customer.pk}", customer=customer)


@dataclass(frozen=True)
class SignIn:
    """Result of checking a phone code: `user` when it matched, else a message for the form."""

    ok: bool
    user: User | None = None
    contact_id: int | None = None
    error: str = ""
    attempts_left: int | None = None


@transaction.atomic
def login_code_request(*, phone: str, client_ip: str = "", now: datetime | None = None) -> LoginCode:
    """Record a 6-digit code for `phone` and text it after commit if the number is a known contact.

    Unknown numbers get a row too (nothing is sent) so answers and limits are the same for both:
    nobody can learn from the portal which numbers are customers'. Raises ValidationError for a bad
    number and RateLimited (429) past 1 per number per 60 s, 10 per number per 24 h, or 30 per client
    per hour. The limits are read without a lock: two requests in the same instant may both pass,
    which costs one extra text at most. Audited (without the number in clear).
    """
    now = now or timezone.now()
    try:
        e164 = normalise_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages[0]})
    if not e164:
        raise ValidationError({"phone": _("This field is required.")})
    bidx = phone_index(e164)
    recent = list(
        LoginCode.objects.filter(phone_bidx=bidx, created_at__gt=now - timedelta(days=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:CODE_PER_DAY]
    )
    if recent and now - recent[0] < CODE_INTERVAL:
        wait = (recent[0] + CODE_INTERVAL - now).total_seconds()
        raise RateLimited(
            _("A code was sent a moment ago. Please wait %(n)d seconds before asking again.")
            % {"n": max(1, int(wait))},
            retry_after=int(wait) + 1,
        )
    if len(recent) >= CODE_PER_DAY:
        wait = (recent[-1] + timedelta(days=1) - now).total_seconds()
        raise RateLimited(
            _(
                "Too many codes were requested for this number today. Please try again later "
                "or sign in by email."
            ),
            retry_after=int(wait) + 1,
        )
    client = _client_key(client_ip)
    if (
        client
        and LoginCode.objects.filter(client_key=client, created_at__gt=now - timedelta(hours=1)).count()
        >= CODE_PER_CLIENT_HOUR
    ):
        raise RateLimited(
            _("Too many codes were requested from this device. Please try again in an hour."),
            retry_after=3600,
        )
    contact = (
        Contact.objects.filter(phone_bidx=bidx)
        .select_related("customer")
        .order_by("-is_primary", "id")
        .first()
    )
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    row = LoginCode.objects.create(
        phone_bidx=bidx,
        contact=contact,
        client_key=client,
        salt=salt,
        code_hash=_code_hash(salt, code),
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    if contact is not None:
        text = _(
            "Herdesk customer service: your verification code is %(code)s. It is valid for 5 minutes. "
            "Never share it with anyone."
        ) % {"code": code}
        transaction.on_commit(lambda: _send_code(e164, text))
    audit_record(
        actor=None,
        action="portal.login_code_request",
        object_type="contact",
        object_id=contact.pk if contact else "-",
        data={"phone": mask_phone(e164), "known": contact is not None, "code": row.pk},
    )
    return row


def _send_code(e164: str, text: str) -> None:
    try:
        send_sms(phone=e164, text=text, purpose=SmsPurpose.LOGIN_CODE)
    except Exception:  # the page already answered; the customer may ask again after 60 s
        log.exception("sign-in code to %s could not be sent", mask_phone(e164))


@transaction.atomic
def login_code_verify(*, phone: str, code: str, now: datetime | None = None) -> SignIn:
    """Check `code` against the latest code of `phone`; sign-in result or a message.

    Locks the code row (SELECT … FOR UPDATE) so parallel guesses are counted one by one. A wrong
    code counts an attempt (committed: the result is returned, not raised); after 5 the code is dead.
    Only the newest code of a number is valid. On success the code is used up and the customer's
    portal user is returned (created on first use). Raises ValidationError only for a malformed
    number. Audited: each failure and each sign-in.
    """
    now = now or timezone.now()
    try:
        e164 = normalise_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages[0]})
    code = "".join((code or "").split())
    latest = LoginCode.objects.filter(phone_bidx=phone_index(e164)).order_by("-created_at", "-id").first()
    row = LoginCode.objects.select_for_update().get(pk=latest.pk) if latest else None
    if row is None or row.used_at is not None:
        return SignIn(False, error=_("This code is not valid. Please request a new code."))
    if now >= row.expires_at:
        return SignIn(False, error=_("This code has expired. Please request a new code."))
    if row.attempts >= CODE_MAX_ATTEMPTS:
        return SignIn(False, error=_("Too many wrong attempts. Please request a new code."), attempts_left=0)
    if row.contact_id is None or not constant_time_compare(_code_hash(row.salt, code), row.code_hash):
        row.attempts += 1
        row.save(update_fields=["attempts"])
        left = CODE_MAX_ATTEMPTS - row.attempts
        audit_record(
            actor=None,
            action="portal.login_failed",
            object_type="contact",
            object_id=row.contact_id or "-",
            data={"method": "phone", "attempts": row.attempts},
        )
        if left <= 0:
            return SignIn(
                False, error=_("Too many wrong attempts. Please request a new code."), attempts_left=0
            )
        return SignIn(
            False, error=_("The code is not correct. %(n)d attempts left.") % {"n": left}, attempts_left=left
        )
    contact = Contact.objects.select_related("customer").get(pk=row.contact_id)
    user = portal_user_for(customer=contact.customer)
    if not user.is_active:
        return SignIn(False, error=_("This portal account is disabled. Please call customer service."))
    row.used_at = now
    row.save(update_fields=["used_at"])
    audit_record(
        actor=user,
        action="portal.login",
        object_type="customer",
        object_id=contact.customer_id,
        data={"method": "phone", "contact": contact.pk},
    )
    return SignIn(True, user=user, contact_id=contact.pk)


@transaction.atomic
def login_link_request(*, email: str, base_url: str | None = None, now: datetime | None = None) -> None:
    """Queue a single-use sign-in link (15 minutes) by email if `email` is a known contact.

    Always returns nothing, whatever happened, so the page cannot reveal which addresses are known.
    A known address is silently not sent a second link within 60 s or an eleventh within 24 h.
    Side effects: a PortalToken row, an outbox message (channel "email", recipient
    ``contact:<id>`` — the address stays encrypted; the email adapter decrypts it at send time),
    and an audit entry (masked address).
    """
    now = now or timezone.now()
    address = normalise_email(email)
    if not address or "@" not in address or len(address) > 254:
        raise ValidationError({"email": _("Enter a valid email address.")})
    contact = (
        Contact.objects.filter(email_bidx=email_index(address))
        .select_related("customer")
        .order_by("-is_primary", "id")
        .first()
    )
    sent = False
    if contact is not None:
        recent = list(
            PortalToken.objects.filter(
                purpose=TokenPurpose.LOGIN,
                contact__email_bidx=contact.email_bidx,
                created_at__gt=now - timedelta(days=1),
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:LOGIN_LINK_PER_DAY]
        )
        if not (recent and now - recent[0] < LOGIN_LINK_INTERVAL) and len(recent) < LOGIN_LINK_PER_DAY:
            row, token = _new_token(
                purpose=TokenPurpose.LOGIN,
                customer=contact.customer,
                contact=contact,
                ticket=None,
                ttl=LOGIN_LINK_TTL,
                now=now,
            )
            url = _base_url(base_url) + reverse("portal:login_link", args=[token])
            text = _(
                "Open this link within 15 minutes to sign in to the Herdesk customer service centre: "
                "%(url)s — it works once. If you did not ask for it, you can ignore this email."
            ) % {"url": url}
            outbox_enqueue_many(
                [
                    {
                        "dedupe_key": f"portal-login:{row.pk}",
                        "channel": "email",
                        "recipient": f"contact:{contact.pk}",
                        "template": "portal_login_link",
                        "payload": {
                            "subject": _("Your sign-in link"),
                            "text": text,
                            "url": url,
                            "expires_at": row.expires_at.isoformat(),
                        },
                    }
                ]
            )
            sent = True
    audit_record(
        actor=None,
        action="portal.login_link_request",
        object_type="contact",
        object_id=contact.pk if contact else "-",
        data={"email": mask_email(address), "known": contact is not None, "sent": sent},
    )


@transaction.atomic
def login_link_consume(*, token: str, now: datetime | None = None) -> SignIn:
    """Use a sign-in link once: returns the customer's portal user (created on first use).

    Locks the link row; raises LinkError (invalid 400, expired/used 410) and DomainError (403) for a
    disabled account — then the link stays unused. Audited.
    """
    now = now or timezone.now()
    row = _token_consume(token=token, purpose=TokenPurpose.LOGIN, now=now)
    user = portal_user_for(customer=row.customer)
    if not user.is_active:
        raise DomainError(
            _("This portal account is disabled. Please call customer service."),
            code="account_disabled",
            status=403,
        )
    audit_record(
        actor=user,
        action="portal.login",
        object_type="customer",
        object_id=row.customer_id,
        data={"method": "email", "contact": row.contact_id},
    )
    return SignIn(True, user=user, contact_id=row.contact_id)


# --- requests ------------------------------------------------------------------------------------


def _subject_from(description: str) -> str:
    first = next((line.strip() for line in description.splitlines() if line.strip()), "")
    return first if len(first) <= 60 else first[:59] + "…"


@transaction.atomic
def portal_ticket_submit(
    *,
    user: Any,
    problem_type: str,
    description: str,
    product: Any = None,
    order_number: str = "",
    contact: Contact | None = None,
    submission_key: str | None = None,
    uploads: Sequence[Any] = (),
    now: datetime | None = None,
) -> Ticket:
    """A customer's request from the portal form becomes a ticket (channel "portal", INT-1).

    The subject is the description's first line. `submission_key` (one per rendered form) makes a
    double submit return the first ticket (ticket_create's idempotency). Then the automatic
    acknowledgement (INT-2) is queued — once per ticket — carrying the number and the expected
    times from the ticket's clocks; it is on the timeline as an automatic outbound interaction and
    therefore does not stop the first-response clock. Raises ValidationError keyed by field.
    """
    _require_portal_user(user)
    now = now or timezone.now()
    description = (description or "").strip()
    order_number = (order_number or "").strip()
    errors: dict[str, str] = {}
    if problem_type not in ProblemType.values:
        errors["problem_type"] = _("Choose what your request is about.")
    if not description:
        errors["description"] = _("Describe your problem or request.")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _("At most %(n)d characters (got %(got)d).") % {
            "n": MAX_DESCRIPTION,
            "got": len(description),
        }
    if len(order_number) > 40:
        errors["order_number"] = _("At most %(n)d characters (got %(got)d).") % {
            "n": 40,
            "got": len(order_number),
        }
    if errors:
        raise ValidationError(errors)
    customer = user.customer
    contact = _contact_for(customer, contact)
    fields = {
        "problem_type": problem_type,
        "description": description,
        "order_number": order_number,
        "product": getattr(product, "pk", None),
    }
    ticket = tickets.ticket_create(
        actor=user,
        customer=customer,
        channel=Channel.PORTAL,
        problem_type=problem_type,
        subject=_subject_from(description),
        description=description,
        product=product,
        order_number=order_number,
        contact=contact,
        idempotency_key=f"portal:{submission_key}"[:200] if submission_key else None,
        idempotency_fingerprint=tickets.request_fingerprint(fields) if submission_key else None,
        now=now,
    )
    if not ticket.interactions.filter(is_automatic=True, data__auto_ack=True).exists():
        # First time (not an idempotent replay): attach the files, then acknowledge.
        _attach(ticket=ticket, user=user, uploads=uploads, at=now)
        triage_ticket_received(ticket=ticket)
        _acknowledge(ticket=ticket, contact=contact, at=now)
    return ticket


def _attach(*, ticket: Ticket, user: Any, uploads: Sequence[Any], at: datetime) -> list[Any]:
    """Store the customer's files through herdesk.attachments (its checks, storage and audit).

    The customer's own files are public: they see them on their ticket. A refused file raises
    ValidationError keyed "attachments" and the caller's whole transaction rolls back.
    """
    if len(uploads) > MAX_UPLOADS:
        raise ValidationError({"attachments": _("At most %(n)d files at a time.") % {"n": MAX_UPLOADS}})
    stored = []
    for upload in uploads:
        try:
            stored.append(attachment_add(ticket=ticket, actor=user, upload=upload, is_public=True, at=at))
        except ValidationError as exc:
            raise ValidationError({"attachments": exc.messages})
    return stored


def _acknowledge(*, ticket: Ticket, contact: Contact | None, at: datetime) -> Interaction:
    estimate = selectors.ticket_estimate(ticket=ticket)
    text = selectors.acknowledgement_text(ticket=ticket, estimate=estimate)
    via = ""
    if contact is not None:
        via = "email" if contact.email_bidx else ("sms" if contact.phone_bidx else "")
    kind = {"email": InteractionKind.EMAIL, "sms": InteractionKind.SMS}.get(via, InteractionKind.SYSTEM_EVENT)
    # is_automatic: INT-2 — the clock stops at the first *human* response, not at this message.
    interaction = tickets.interaction_add(
        ticket=ticket,
        actor=None,
        body=text,
        kind=kind,
        direction=Direction.OUTBOUND,
        channel=Channel.PORTAL,
        is_public=True,
        is_automatic=True,
        occurred_at=at,
        data={"auto_ack": True, "sent_via": via, **estimate.as_data()},
    )
    if via and contact is not None:
        portal_url = _base_url(None) + reverse("portal:ticket", args=[ticket.number])
        outbox_enqueue_many(
            [
                {
                    "dedupe_key": f"portal-ack:{ticket.pk}",
                    "channel": via,
                    "recipient": f"contact:{contact.pk}",
                    "template": "ticket_ack",
                    "ticket_id": ticket.pk,
                    "payload": {
                        "subject": _("We have received your request %(number)s") % {"number": ticket.number},
                        "text": text,
                        "ticket": ticket.number,
                        "portal_url": portal_url,
                        **estimate.as_data(),
                    },
                }
            ]
        )
    return interaction


@transaction.atomic
def portal_reply(
    *, user: Any, ticket: Ticket, body: str, uploads: Sequence[Any] = (), now: datetime | None = None
) -> Interaction:
    """The customer writes on their ticket (HND-6), with files if any; on a resolved ticket this
    reopens it (CLS-1). Locks the ticket (interaction_add).

    Raises Ticket.DoesNotExist (other organisation), DomainError (cancelled/merged), ValidationError.
    """
    ticket = _own(user, ticket)
    body = (body or "").strip()
    if not selectors.can_reply(ticket):
        raise DomainError(
            _("This request is closed for replies. Please submit a new request."), code="reply_not_allowed"
        )
    if len(body) > MAX_REPLY:
        raise ValidationError(
            {"body": _("At most %(n)d characters (got %(got)d).") % {"n": MAX_REPLY, "got": len(body)}}
        )
    now = now or timezone.now()
    interaction = tickets.interaction_add(
        ticket=ticket,
        actor=user,
        body=body,
        kind=InteractionKind.WEB_FORM,
        direction=Direction.INBOUND,
        channel=Channel.PORTAL,
        occurred_at=now,
    )
    # On a ticket closed too long ago the message opened a new linked ticket (CLS-1): files go there.
    _attach(ticket=interaction.ticket, user=user, uploads=uploads, at=now)
    return interaction


def _public_event(ticket: Ticket, user: Any, body: str, at: datetime, **data: Any) -> None:
    # Direction "internal" with is_public: shown on the customer's timeline, never counted as a
    # response (first-response clock) nor as a customer message (which would reopen the ticket).
    tickets.interaction_add(
        ticket=ticket,
        actor=user,
        body=body,
        kind=InteractionKind.SYSTEM_EVENT,
        direction=Direction.INTERNAL,
        channel=Channel.PORTAL,
        is_public=True,
        occurred_at=at,
        data=data,
    )


@transaction.atomic
def portal_option_choose(*, user: Any, ticket: Ticket, position: int, now: datetime | None = None) -> Ticket:
    """The customer chooses one of the offered solution options (HND-3). Locks the ticket through
    `solution_option_choose`; raises ValidationError when no option with that number is on offer."""
    now = now or timezone.now()
    ticket = _own(user, ticket)
    ticket = tickets.solution_option_choose(ticket=ticket, actor=user, position=position, at=now)
    option = ticket.options.get(position=position)
    _public_event(
        ticket,
        user,
        _("Chose option %(n)d: %(summary)s") % {"n": position, "summary": option.summary},
        now,
        option=position,
    )
    return ticket


@transaction.atomic
def portal_resolution_confirm(*, user: Any, ticket: Ticket, now: datetime | None = None) -> Ticket:
    """The customer confirms the resolution: the ticket closes with reason customer_confirmed (CLS-1),
    which stops its clocks and starts record finalisation. DomainError unless it is resolved."""
    now = now or timezone.now()
    ticket = _own(user, ticket)
    if ticket.status != Status.RESOLVED:
        raise DomainError(_("Only a resolved request can be confirmed."), code="not_resolved")
    ticket = tickets.ticket_close(ticket=ticket, actor=user, reason=CloseReason.CUSTOMER_CONFIRMED, at=now)
    _public_event(ticket, user, _("Confirmed that the problem is solved."), now, confirmed=True)
    # CMP-1 "customer confirmation": a complaint's own workflow moves too (audited there).
    complaint_customer_answer(ticket=ticket, actor=user, accepted=True, at=now)
    return ticket


@transaction.atomic
def portal_resolution_dispute(
    *, user: Any, ticket: Ticket, reason: str, now: datetime | None = None
) -> Ticket:
    """The customer disagrees with the resolution (CLS-1): the ticket reopens with the reason, which is
    also on the customer's timeline. Reopening cancels the follow-up clock and starts a new
    resolution clock cycle (clocks REOPENED). DomainError unless resolved; ValidationError without reason.
    """
    now = now or timezone.now()
    ticket = _own(user, ticket)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Tell us what is still wrong.")})
    if len(reason) > MAX_REASON:
        raise ValidationError(
            {"reason": _("At most %(n)d characters (got %(got)d).") % {"n": MAX_REASON, "got": len(reason)}}
        )
    if ticket.status != Status.RESOLVED:
        raise DomainError(_("Only a resolved request can be disputed."), code="not_resolved")
    ticket = tickets.ticket_reopen(ticket=ticket, actor=user, reason=reason, at=now)
    # After the reopen the ticket is in progress, so this message does not reopen it a second time.
    tickets.interaction_add(
        ticket=ticket,
        actor=user,
        body=reason,
        kind=InteractionKind.WEB_FORM,
        direction=Direction.INBOUND,
        channel=Channel.PORTAL,
        occurred_at=now,
        data={"dispute": True},
    )
    staff_notices.notify_dispute(ticket=ticket, reason=reason)
    complaint_customer_answer(ticket=ticket, actor=user, accepted=False, note=reason, at=now)
    return ticket


# --- signed links in emails ----------------------------------------------------------------------


@transaction.atomic
def portal_action_link_create(
    *,
    ticket: Ticket,
    purpose: str,
    base_url: str | None = None,
    ttl: timedelta = ACTION_LINK_TTL,
    now: datetime | None = None,
) -> str:
    """A signed single-use URL that lets the ticket's customer choose an option (choose_option) or
    confirm/dispute the resolution (confirm_resolution) from an email, without signing in.

    Absolute when `base_url` or the setting HERDESK_PUBLIC_URL is set, else a path. Side effects:
    a PortalToken row (only the secret's SHA-256) and an audit entry.
    """
    if purpose not in ACTION_PURPOSES:
        raise ValidationError(
            {
                "purpose": _("“%(value)s” is not one of: %(choices)s.")
                % {"value": str(purpose)[:40], "choices": ", ".join(ACTION_PURPOSES)}
            }
        )
    now = now or timezone.now()
    row, token = _new_token(
        purpose=purpose, customer=ticket.customer, contact=ticket.contact, ticket=ticket, ttl=ttl, now=now
    )
    name = "portal:link_choose" if purpose == TokenPurpose.CHOOSE_OPTION else "portal:link_confirm"
    audit_record(
        actor=None,
        action="portal.action_link_create",
        object_type="ticket",
        object_id=ticket.number,
        data={"purpose": purpose, "link": row.pk, "expires_at": row.expires_at.isoformat()},
    )
    return _base_url(base_url) + reverse(name, args=[token])


def _link_actor(row: PortalToken, purpose: str) -> tuple[User, Ticket]:
    assert row.ticket_id is not None
    ticket = Ticket.objects.select_related("customer").get(pk=row.ticket_id)
    user = portal_user_for(customer=ticket.customer)
    audit_record(
        actor=user,
        action="portal.action_link_used",
        object_type="ticket",
        object_id=ticket.number,
        data={"purpose": purpose, "link": row.pk},
    )
    return user, ticket


@transaction.atomic
def link_option_choose(*, token: str, position: int, now: datetime | None = None) -> Ticket:
    """Use a choose_option link once. If the choice is refused (no such option, already chosen) the
    whole transaction rolls back and the link stays usable. Raises LinkError / ValidationError."""
    now = now or timezone.now()
    row = _token_consume(token=token, purpose=TokenPurpose.CHOOSE_OPTION, now=now)
    user, ticket = _link_actor(row, TokenPurpose.CHOOSE_OPTION)
    return portal_option_choose(user=user, ticket=ticket, position=position, now=now)


@transaction.atomic
def link_resolution_confirm(*, token: str, now: datetime | None = None) -> Ticket:
    now = now or timezone.now()
    row = _token_consume(token=token, purpose=TokenPurpose.CONFIRM_RESOLUTION, now=now)
    user, ticket = _link_actor(row, TokenPurpose.CONFIRM_RESOLUTION)
    return portal_resolution_confirm(user=user, ticket=ticket, now=now)


@transaction.atomic
def link_resolution_dispute(*, token: str, reason: str, now: datetime | None = None) -> Ticket:
    now = now or timezone.now()
    row = _token_consume(token=token, purpose=TokenPurpose.CONFIRM_RESOLUTION, now=now)
    user, ticket = _link_actor(row, TokenPurpose.CONFIRM_RESOLUTION)
    return portal_resolution_dispute(user=user, ticket=ticket, reason=reason, now=now)


# --- notice preferences ----------------------------------------------------------------------------


@transaction.atomic
def portal_notice_preference_update(*, user: Any, channel: str, opt_out_non_essential: bool) -> Any:
    """The signed-in customer chooses how they are told about their requests (email, SMS, WeChat,
    portal only, or automatic) and may opt out of the non-essential notices. Audited."""

    _require_portal_user(user)
    return notice_preference_set(
        customer=user.customer, actor=user, channel=channel, opt_out_non_essential=opt_out_non_essential
    )
