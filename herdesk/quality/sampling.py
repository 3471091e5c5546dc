"""The population of an inspection cycle and the reproducible draw (QA-1).

`population` lists every contact of the period in a fixed order (source, id). `draw_compute` turns
(the population, the plan parameters as stored on the draw, the seed) into the sample with one
`random.Random(seed)` — nothing else is random — so re-drawing with the same seed and parameters
gives the identical sample (`services.sample_verify` shows it on the draw's page).

Rules, in order: (1) a simple random sample of `percentage` % (rounded up), within each channel
when stratified; (2) every agent of the population with fewer than `per_agent_minimum` items gets
random extra items of their own; (3) each open re-check takes that agent's next N contacts after
the re-check was opened (the loop after a failed criterion, QA-4). Reviewers are assigned in turn,
never to their own contacts.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import F

from herdesk.chat.choices import ConversationStatus
from herdesk.chat.models import Conversation
from herdesk.mail.choices import EmailDirection
from herdesk.mail.models import EmailMessage
from herdesk.phone.choices import CallStatus
from herdesk.phone.models import CallRecord
from herdesk.tickets.choices import Status
from herdesk.tickets.models import Ticket

from .choices import Pick, Source


@dataclass(frozen=True)
class Candidate:
    source: str
    object_id: int
    ticket_id: int | None
    agent_id: int | None
    channel: str
    occurred_at: datetime


@dataclass(frozen=True)
class Picked:
    candidate: Candidate
    pick: str
    reviewer_id: int | None


def population(
    sources: Iterable[str], start: datetime, end: datetime, team_id: int | None = None
) -> list[Candidate]:
    """Every contact of [start, end) in the given sources, with an agent, in (source, id) order."""
    out: list[Candidate] = []
    srcs = set(sources)
    if Source.TICKET in srcs:
        qs = Ticket.objects.filter(status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end)
        if team_id:
            qs = qs.filter(team_id=team_id)
        for pk, assignee, fco, channel, at in qs.values_list(
            "pk", "assignee_id", "first_contact_owner_id", "channel", "closed_at"
        ).order_by("pk"):
            if assignee or fco:
                out.append(Candidate(Source.TICKET, pk, pk, assignee or fco, channel, at))  # type: ignore[arg-type]
    if Source.CALL in srcs:
        calls = CallRecord.objects.filter(
            status=CallStatus.COMPLETED, ended_at__gte=start, ended_at__lt=end, agent__isnull=False
        )
        if team_id:
            calls = calls.filter(agent__team_id=team_id)
        for pk, ticket_id, agent_id, at in calls.values_list(
            "pk", "ticket_id", "agent_id", "ended_at"
        ).order_by("pk"):
            out.append(Candidate(Source.CALL, pk, ticket_id, agent_id, "phone", at))  # type: ignore[arg-type]
    if Source.CHAT in srcs:
        chats = Conversation.objects.filter(
            status=ConversationStatus.CLOSED, closed_at__gte=start, closed_at__lt=end, agent__isnull=False
        )
        if team_id:
            chats = chats.filter(agent__team_id=team_id)
        for pk, ticket_id, agent_id, at in chats.values_list(
            "pk", "ticket_id", "agent_id", "closed_at"
        ).order_by("pk"):
            out.append(Candidate(Source.CHAT, pk, ticket_id, agent_id, "chat", at))  # type: ignore[arg-type]
    if Source.EMAIL in srcs:
        mails = EmailMessage.objects.filter(
            direction=EmailDirection.OUTBOUND,
            created_at__gte=start,
            created_at__lt=end,
            interaction__author__isnull=False,
        )
        if team_id:
            mails = mails.filter(interaction__author__team_id=team_id)
        for pk, ticket_id, agent_id, at in (
            mails.annotate(agent=F("interaction__author_id"))
            .values_list("pk", "ticket_id", "agent", "created_at")
            .order_by("pk")
        ):
            out.append(Candidate(Source.EMAIL, pk, ticket_id, agent_id, "email", at))
    return out


def _take(rng: random.Random, pool: list[Candidate], k: int) -> list[Candidate]:
    if k <= 0 or not pool:
        return []
    return rng.sample(pool, min(k, len(pool)))


def draw_compute(candidates: list[Candidate], params: dict[str, Any], seed: int) -> list[Picked]:
    """The sample for these candidates, parameters and seed (deterministic)."""
    rng = random.Random(seed)
    pct = Decimal(str(params.get("percentage", 0)))
    chosen: dict[tuple[str, int], str] = {}

    def size(n: int) -> int:
        return min(n, math.ceil(Decimal(n) * pct / 100)) if n else 0

    strata: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        strata[c.channel if params.get("stratify_by_channel") else ""].append(c)
    for key in sorted(strata):
        for c in _take(rng, strata[key], size(len(strata[key]))):
            chosen[(c.source, c.object_id)] = Pick.RANDOM

    minimum = int(params.get("per_agent_minimum", 0))
    by_agent: dict[int, list[Candidate]] = defaultdict(list)
    for c in candidates:
        if c.agent_id:
            by_agent[c.agent_id].append(c)
    for agent_id in sorted(by_agent):
        mine = by_agent[agent_id]
        have = sum(1 for c in mine if (c.source, c.object_id) in chosen)
        rest = [c for c in mine if (c.source, c.object_id) not in chosen]
        for c in _take(rng, rest, minimum - have):
            chosen[(c.source, c.object_id)] = Pick.MINIMUM

    for recheck in params.get("rechecks", []):
        since = datetime.fromisoformat(recheck["since"])
        mine = sorted(
            (c for c in by_agent.get(int(recheck["agent"]), []) if c.occurred_at >= since),
            key=lambda c: (c.occurred_at, c.source, c.object_id),
        )
        for c in mine[: int(recheck["count"])]:
            chosen[(c.source, c.object_id)] = Pick.RECHECK

    reviewers = sorted(int(r) for r in params.get("reviewers", []))
    out: list[Picked] = []
    turn = 0
    for c in candidates:  # population order: stable
        pick = chosen.get((c.source, c.object_id))
        if pick is None:
            continue
        reviewer = None
        for _i in range(len(reviewers)):
            r = reviewers[turn % len(reviewers)]
            turn += 1
            if r != c.agent_id:
                reviewer = r
                break
        out.append(Picked(c, pick, reviewer))
    return out
