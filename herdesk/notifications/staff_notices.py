"""Staff notifications: the ONE service that writes them (`notify`), the producers' one-liners
(assignment/transfer, mention, dispute, approval request) and the text each kind is shown with.

Every notification is written in the caller's transaction and pushed after commit to the user's
socket group (`notify-u-<user pk>`, consumers.NotificationConsumer), so a breach found by the sweep
shows up in the assignee's bell without a reload. Clock warnings, breaches and low scores arrive
through the outbox ('action' messages of the sweep and of follow_up_record), whose dispatcher
calls `notify` in the transaction that marks the message sent (exactly once).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from herdesk.policies.choices import ClockKind
from herdesk.realtime.publish import publish_after_commit
from herdesk.staff.models import User
from herdesk.tickets.choices import InteractionKind

from .choices import NotificationKind
from .models import Notification, NotificationSetting
from .selectors import unread_cache_key

K = NotificationKind


def user_group(user_id: int) -> str:
    """The channel-layer group of one staff member's notification sockets (every open page)."""
    return f"notify-u-{user_id}"


def _when(value: str) -> str:
    """An ISO instant as Asia/Shanghai local time ("2026-11-23 10:00"), "" when absent."""
    from datetime import datetime

    if not value:
        return ""
    try:
        return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value[:16]


def _clock_label(kind: str) -> str:
    try:
        return str(ClockKind(kind).label)
    except ValueError:
        return kind


def notification_text(kind: str, data: dict[str, Any]) -> str:
    """The text of a notification in the active language (pages, socket frames, API, digest)."""
    d = {k: v for k, v in (data or {}).items() if isinstance(v, str | int)}
    ticket = d.get("ticket", "")
    if kind == K.CLOCK_WARNING:
        return _("%(ticket)s: the %(clock)s clock is nearly due (due %(due)s).") % {
            "ticket": ticket,
            "clock": _clock_label(str(d.get("clock", ""))),
            "due": _when(str(d.get("due_at", ""))),
        }
    if kind == K.CLOCK_BREACH:
        return _("%(ticket)s: the %(clock)s clock is breached (was due %(due)s).") % {
            "ticket": ticket,
            "clock": _clock_label(str(d.get("clock", ""))),
            "due": _when(str(d.get("due_at", ""))),
        }
    if kind == K.ASSIGNMENT:
        return _("%(ticket)s was assigned to you by %(actor)s: %(subject)s") % {
            "ticket": ticket,
            "actor": d.get("actor", ""),
            "subject": d.get("subject", ""),
        }
    if kind == K.TRANSFER:
        return _("%(ticket)s was transferred to you by %(actor)s (%(reason)s): %(subject)s") % {
            "ticket": ticket,
            "actor": d.get("actor", ""),
            "reason": d.get("reason", "") or _("no reason given"),
            "subject": d.get("subject", ""),
        }
    if kind == K.MENTION:
        return _("%(actor)s mentioned you on %(ticket)s: %(excerpt)s") % {
            "ticket": ticket,
            "actor": d.get("actor", ""),
            "excerpt": d.get("excerpt", ""),
        }
    if kind == K.DISPUTE:
        return _("The customer disputes the resolution of %(ticket)s: %(reason)s") % {
            "ticket": ticket,
            "reason": d.get("reason", ""),
        }
    if kind == K.LOW_SCORE:
        return _("%(ticket)s: low satisfaction score or not fully solved; review it (复盘).") % {
            "ticket": ticket
        }
    if kind == K.APPROVAL:
        return _("Service policy %(policy)s v%(version)s awaits your approval.") % {
            "policy": d.get("policy", ""),
            "version": d.get("version", ""),
        }
    return str(d.get("text", "")) or str(ticket)


def _push(rows: list[Notification]) -> None:
    """After commit, each new notification and its user's unread count reach the user's open pages."""

    if not rows:
        return
    _forget_counts([n.user_id for n in rows])
    # One query for all counts: the frame carries the bell's new number.
    counts = dict(
        Notification.objects.filter(user_id__in=[n.user_id for n in rows], read_at__isnull=True)
        .values("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )
    for n in rows:
        publish_after_commit(
            user_group(n.user_id),
            {
                "type": "notify.event",
                "notification": notification_out(n),
                "unread": counts.get(n.user_id, 0),
            },
        )


def _forget_counts(user_ids: list[int]) -> None:
    """The cached bell counts (selectors.unread_count) are dropped: at once, and again after commit
    (a page rendered meanwhile may have cached the count from before)."""
    from django.core.cache import cache
    from django.db import transaction

    keys = [unread_cache_key(u) for u in set(user_ids)]
    cache.delete_many(keys)  # now (this transaction's own reads) and again once others can see it
    transaction.on_commit(lambda: cache.delete_many(keys))


def notification_out(n: Notification) -> dict[str, Any]:
    """A notification as the socket frames and the API carry it (text rendered by the reader)."""
    return {
        "id": n.pk,
        "kind": n.kind,
        "data": n.data,
        "ticket": str((n.data or {}).get("ticket", "")),
        "created_at": n.created_at.isoformat() if n.created_at else timezone.now().isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }


def notify(
    *,
    users: Iterable[Any],
    kind: str,
    ticket: Any = None,
    ticket_id: int | None = None,
    data: dict[str, Any] | None = None,
    exclude: Any = None,
    key: str = "",
) -> list[Notification]:
    """Write one notification per distinct user (ids or User instances; None skipped; customers and
    `exclude` — the actor, who needs no notice of their own action — skipped) and push each after
    commit; with `key`, a user already told of that event (kind, ticket, key) is not told again.
    Runs in the caller's transaction. Returns the rows written."""

    ids = [getattr(u, "pk", u) for u in users]
    skip = getattr(exclude, "pk", exclude)
    wanted = [i for i in dict.fromkeys(ids) if i and i != skip]
    if not wanted:
        return []
    # Only active staff accounts: a portal login (customer) never gets a staff notification.
    wanted = list(
        User.objects.filter(pk__in=wanted, is_active=True, customer__isnull=True).values_list("pk", flat=True)
    )
    tid = ticket_id if ticket_id is not None else getattr(ticket, "pk", None)
    if key and wanted:
        # One notice per person and event: an assignee who also leads the team is told once of a
        # breach whose actions notify both.
        told = set(
            Notification.objects.filter(user_id__in=wanted, kind=kind, data__key=key)
            .filter(**({"ticket_id": tid} if tid is not None else {"ticket__isnull": True}))
            .values_list("user_id", flat=True)
        )
        wanted = [u for u in wanted if u not in told]
        if not wanted:
            return []
    payload = dict(data or {})
    if key:
        payload["key"] = key
    if ticket is not None and "ticket" not in payload:
        payload["ticket"] = ticket.number
    with translation.override("en"):
        text = notification_text(kind, payload)[:300]
    rows = Notification.objects.bulk_create(
        [Notification(user_id=u, ticket_id=tid, kind=kind, data=payload, text=text) for u in wanted]
    )
    _push(rows)
    return rows


# --- producers (each called with ONE line from its service) ----------------------------------------


def notify_assignment(*, ticket: Any, actor: Any, previous_assignee_id: int | None, reason: str = "") -> None:
    """tickets.services.ticket_assign (HND-2): the new assignee is told, as an assignment or as a
    transfer from someone else; a ticket sent to a team without an assignee tells the team lead."""
    target = ticket.assignee_id
    if target is None and ticket.team_id is not None:
        target = ticket.team.lead_id
    if target is None or target == previous_assignee_id:
        return
    kind = K.TRANSFER if previous_assignee_id else K.ASSIGNMENT
    notify(
        users=[target],
        kind=kind,
        ticket=ticket,
        exclude=actor,
        data={"actor": str(actor or ""), "reason": reason[:120], "subject": ticket.subject[:120]},
    )


# "@tech2" in a note, also inside Chinese text ("请@tech2看一下"); not an e-mail address (a@b.cn).
MENTION = re.compile(r"(?<![A-Za-z0-9._%+-])@([A-Za-z0-9_.+-]{2,150})")


def notify_mentions(*, interaction: Any, actor: Any) -> None:
    """tickets.services.interaction_add: colleagues named as @username in an internal note are told."""
    if "@" not in (interaction.body or ""):  # every channel's hot path: nothing more to do
        return

    if interaction.kind != InteractionKind.INTERNAL_NOTE:
        return
    names = {m.rstrip(".") for m in MENTION.findall(interaction.body)}
    if not names:
        return

    users = User.objects.filter(username__in=names, is_active=True, customer__isnull=True).values_list(
        "pk", flat=True
    )
    body = interaction.body.strip().replace("\n", " ")
    notify(
        users=users,
        kind=K.MENTION,
        ticket=interaction.ticket,
        exclude=actor,
        data={"actor": str(actor or ""), "excerpt": body[:120], "interaction": interaction.pk},
    )


def notify_dispute(*, ticket: Any, reason: str) -> None:
    """portal.services.portal_resolution_dispute (CLS-1): the assignee and the first-contact owner
    (首问负责制: they stay accountable and see the outcome, HND-2) are told the ticket reopened."""
    notify(
        users=[ticket.assignee_id, ticket.first_contact_owner_id],
        kind=K.DISPUTE,
        ticket=ticket,
        data={"reason": (reason or "")[:150]},
    )


def notify_approval_request(*, version: Any, actor: Any) -> None:
    """policies.services.version_submit (POL-2): everyone who may approve a policy is asked."""
    from django.contrib.auth.models import Permission

    perm = Permission.objects.filter(codename="approve_policy", content_type__app_label="policies").first()
    if perm is None:
        return
    approvers = User.objects.filter(
        Q(groups__permissions=perm) | Q(user_permissions=perm) | Q(is_superuser=True),
        is_active=True,
        customer__isnull=True,
    ).values_list("pk", flat=True)
    notify(
        users=list(approvers),
        kind=K.APPROVAL,
        exclude=actor,
        data={"policy": version.policy.code, "version": version.number, "policy_version": version.pk},
    )


def kind_for_action(payload: dict[str, Any]) -> str:
    """The kind of a clock action delivered by the outbox (sweep: warning/breach; follow-up: low score)."""
    incident = str(payload.get("kind") or payload.get("incident") or "")
    return {
        "warning": K.CLOCK_WARNING,
        "breach": K.CLOCK_BREACH,
        "low score": K.LOW_SCORE,
        "low_score": K.LOW_SCORE,
    }.get(incident, K.OTHER)


# --- the reader's writes ----------------------------------------------------------------------------


def notifications_mark_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (all unread ones when `ids` is None); others' ids are
    ignored. Pushes the new unread count to the user's open pages. Returns how many changed."""
    from django.db import transaction

    with transaction.atomic():
        qs = Notification.objects.filter(user=user, read_at__isnull=True)
        if ids is not None:
            qs = qs.filter(pk__in=[int(i) for i in ids])
        changed = qs.update(read_at=timezone.now())
        if changed:
            _forget_counts([user.pk])
            unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
            publish_after_commit(user_group(user.pk), {"type": "notify.count", "unread": unread})
    return changed


def notification_setting_update(*, user: Any, email_digest: bool) -> Any:
    """A staff member switches the e-mail digest of unread notifications on or off."""

    row, _created = NotificationSetting.objects.update_or_create(
        user=user, defaults={"email_digest": bool(email_digest)}
    )
    return row


# --- the e-mail digest (a periodic job: embedded scheduler or Celery beat) ----------------------------

DIGEST_INTERVAL_HOURS = 24
DIGEST_MAX_ITEMS = 50


def notification_digest_send(*, now: Any = None) -> int:
    """For each staff member who switched the digest on (NotificationSetting.email_digest) and has
    an e-mail address: when the last digest is at least a day old, queue one e-mail listing the
    notifications still unread that arrived since then (none: nothing is sent). Returns how many were
    queued. Safe to run often and concurrently: each user's row is locked and the outbox dedupe key
    names the user and the hour."""
    from datetime import timedelta

    from django.conf import settings
    from django.db import transaction

    # cycle: services delivers clock actions through notify (this module)
    from .services import outbox_enqueue_many

    now = now or timezone.now()
    hours = int(getattr(settings, "HERDESK_NOTIFICATION_DIGEST_HOURS", DIGEST_INTERVAL_HOURS))
    due_before = now - timedelta(hours=hours)
    candidates = list(
        NotificationSetting.objects.filter(email_digest=True, user__is_active=True)
        .filter(Q(digest_sent_at__isnull=True) | Q(digest_sent_at__lte=due_before))
        .exclude(user__email="")
        .values_list("pk", flat=True)
    )
    queued = 0
    for pk in candidates:
        with transaction.atomic():
            row = NotificationSetting.objects.select_for_update().select_related("user").filter(pk=pk).first()
            if row is None or (row.digest_sent_at is not None and row.digest_sent_at > due_before):
                continue  # another worker sent it meanwhile
            unread = Notification.objects.filter(user=row.user, read_at__isnull=True)
            if row.digest_sent_at is not None:
                unread = unread.filter(created_at__gt=row.digest_sent_at)
            items = list(unread.order_by("-id")[:DIGEST_MAX_ITEMS])
            row.digest_sent_at = now
            row.save(update_fields=["digest_sent_at"])
            if not items:
                continue

            def build(items: list[Notification] = items) -> str:
                lines = [_("Your unread notifications in Herdesk (%(n)d):") % {"n": len(items)}, ""]
                for n in items:
                    when = timezone.localtime(n.created_at).strftime("%m-%d %H:%M")
                    lines.append(f"- {when} {notification_text(n.kind, n.data or {})}")
                lines += [
                    "",
                    _("Open the notification list: %(url)s") % {"url": _site_url("/notifications/")},
                ]
                return "\n".join(lines)

            with translation.override(settings.LANGUAGE_CODE):
                text, subject = build(), _("Herdesk: %(n)d unread notifications") % {"n": len(items)}
            outbox_enqueue_many(
                [
                    {
                        "dedupe_key": f"digest:{row.user_id}:{now:%Y%m%d%H}",
                        "channel": "email",
                        "recipient": row.user.email,
                        "template": "digest",
                        "payload": {"subject": str(subject), "text": text, "automatic": True},
                    }
                ]
            )
            queued += 1
    return queued


def _site_url(path: str) -> str:
    from django.conf import settings

    return (getattr(settings, "HERDESK_PUBLIC_URL", "") or "").rstrip("/") + path
