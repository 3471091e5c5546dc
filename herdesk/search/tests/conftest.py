"""A few hundred synthetic tickets over three customers and several teams, plus hand-made tricky
ones, and an independent brute-force matcher to check the index against."""

from __future__ import annotations

import random
import unicodedata
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from herdesk.catalog.models import Product
from herdesk.search.services import search_index_bulk
from herdesk.search.synthetic import synthetic_ticket
from herdesk.staff.models import Team
from herdesk.tickets.models import Interaction, Ticket

# Tickets whose text a naive index gets wrong: word boundaries, case, width, punctuation, LIKE's
# wildcards, quotes and backslashes, an invisible character, internal notes.
TRICKY = [
    ("灌装机故障", "设备停机"),
    ("灌装机的电机故障", "不是灌装机本身"),
    ("灌装机 故障", "中间有空格"),
    ("报警 ＥＲＲ－１２３", "全角字符"),
    ("报警 Err-1234", "混合大小写，且更长"),
    ("报警 ERR-12 3", "拆开的代码"),
    ("报警 ERR_123", "下划线不是连字符"),
    ("纯度 100%_达标", "百分号和下划线"),
    ("客户说 'OK' 和 C:\\温度\\日志", "引号与反斜杠"),
    ("酸\u200b奶 胀袋", "零宽空格"),
    ("冷链车车厢漏风", "内部备注另记"),
    ("温度异常，冷链车已返厂", "顺序相反"),
]


def normalise_brute(s: str) -> str:
    """Written apart from herdesk.search.text on purpose: NFKC, casefold, no zero-width space."""
    return " ".join(unicodedata.normalize("NFKC", s).casefold().replace("\u200b", "").split())


def brute_force(tickets: Any, q: str) -> set[int]:
    """Ids of the given tickets in which every term of q occurs in some searchable field."""
    terms = normalise_brute(q).split()
    found = set()
    for t in tickets.select_related("customer", "product").prefetch_related("interactions"):
        product = f"{t.product.name} {t.product.model_number}" if t.product_id else ""
        fields = [t.number, t.subject, t.customer.name, product, t.description]
        fields += [i.body for i in t.interactions.all() if i.is_public]
        fields = [normalise_brute(f) for f in fields]
        if terms and all(any(term in f for f in fields) for term in terms):
            found.add(t.pk)
    return found


@pytest.fixture
def corpus(staff, customer, other_customer) -> dict[str, Any]:
    """300 synthetic tickets (rates boosted so every query has matches) + the TRICKY ones."""
    from herdesk.customers.services import customer_create

    loner = customer_create(name="王五", phone="13700002222")  # no organisation
    customers = [customer, other_customer, loner]
    teams = list(Team.objects.order_by("code"))
    products = {f"{p.name} {p.model_number}".strip(): p for p in Product.objects.all()}
    rng = random.Random(20261123)
    now = timezone.now()
    tickets, extras = [], []
    for i in range(300):
        s = synthetic_ticket(rng, boost=15)
        c = customers[i % 3]
        tickets.append(
            Ticket(
                number=f"FW-T-{i:05d}",
                subject=s.subject,
                description=s.description,
                channel="phone",
                problem_type="technical_support",
                customer=c,
                organisation_id=c.organisation_id,
                product=products.get(s.product),
                team=teams[i % len(teams)],
                assignee=staff["agent1"] if i % 7 == 0 else None,
                received_at=now - timedelta(minutes=i),
            )
        )
        extras.append(s)
    for j, (subject, description) in enumerate(TRICKY):
        c = customers[j % 3]
        tickets.append(
            Ticket(
                number=f"FW-X-{j:05d}",
                subject=subject,
                description=description,
                channel="email",
                problem_type="complaint",
                customer=c,
                organisation_id=c.organisation_id,
                team=teams[0],
                received_at=now,
            )
        )
        extras.append(None)
    Ticket.objects.bulk_create(tickets)
    interactions = []
    for t, s in zip(tickets, extras, strict=True):
        bodies = [(t.description, True)]
        if s is not None:
            bodies += [(r, True) for r in s.replies] + ([(s.note, False)] if s.note else [])
        elif "内部备注另记" in t.description:
            bodies.append(("温度异常（内部备注）", False))
        for k, (body, public) in enumerate(bodies):
            interactions.append(
                Interaction(
                    ticket=t,
                    kind="phone_call" if public else "internal_note",
                    direction="inbound" if public else "internal",
                    body=body,
                    is_public=public,
                    occurred_at=t.received_at + timedelta(seconds=k),
                )
            )
    Interaction.objects.bulk_create(interactions)
    search_index_bulk([t.pk for t in tickets])
    return {"tickets": tickets, "customers": customers, "loner": loner}
