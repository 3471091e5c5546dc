"""`herdesk demo load`: the demo company, idempotent (a second run changes nothing).

Every row is written through the same services the product uses, so the demo exercises the real
code paths: encrypted contacts, audit entries, policy versions, clocks.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from herdesk.calendars.services import builtin_holidays_load, demo_calendars_ensure
from herdesk.catalog.models import Product
from herdesk.catalog.services import product_ensure
from herdesk.complaints.services import causes_ensure
from herdesk.customers.choices import Lifecycle, OrgKind, Tier
from herdesk.customers.models import Customer
from herdesk.customers.services import customer_create, organisation_create
from herdesk.emergency.services import plans_ensure
from herdesk.policies.services import templates_install
from herdesk.quality.services import scorecard_templates_ensure
from herdesk.staff.models import Team, User
from herdesk.staff.services import roles_sync, team_ensure, token_create, user_create
from herdesk.tickets import services as ts
from herdesk.tickets.choices import Channel, Complexity, ProblemType, Status
from herdesk.tickets.models import Category, Ticket
from herdesk.triage.models import TriageModel
from herdesk.triage.services import triage_train

from . import data

Progress = Callable[[int], None]


def reference_data_ensure() -> None:
    """Teams, roles, catalogue, categories, calendars and policies: what any installation needs."""
    roles_sync()
    for code, name, name_en in data.TEAMS:
        team_ensure(code=code, name=name, name_en=name_en)
    for code, name, name_en, kind, model in data.PRODUCTS:
        product_ensure(code=code, name=name, name_en=name_en, kind=kind, model_number=model)
    for ptype, code, name, name_en in data.CATEGORIES:
        Category.objects.update_or_create(
            code=code, defaults={"problem_type": ptype, "name": name, "name_en": name_en}
        )
    builtin_holidays_load()
    demo_calendars_ensure()
    plans_ensure()  # the contingency plans of seed 001 §7 (EMG-1), as the data migration loads them
    causes_ensure()  # the complaint cause taxonomy (CMP-3), as its data migration loads it
    templates_install(active_code="seed-000")

    scorecard_templates_ensure()  # the supervision group's scorecards (issue #17)


def _staff() -> dict[str, User]:
    users = {}
    teams = {t.code: t for t in Team.objects.all()}
    for username, name, role, team_code, lead in data.STAFF:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                username=username,
                password=data.DEMO_PASSWORD,
                role=role,
                team=teams.get(team_code) if team_code else None,
                display_name=name,
                email=f"{username}@herdesk.example",
            )
        if lead and team_code:
            Team.objects.filter(code=team_code).update(lead=user)
        users[username] = user
    return users


def _person_name(rng: random.Random) -> str:
    return rng.choice(data.SURNAMES) + rng.choice(data.GIVEN)


def _customers(rng: random.Random, users: dict[str, User], count: int, progress: Progress) -> list[Customer]:
    existing = list(Customer.objects.order_by("id"))
    if len(existing) >= count:
        return existing
    customers = existing
    am = users["am1"]
    for i in range(len(existing), count):
        region = rng.choice(data.REGIONS)
        phone = f"+86 13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        if i == 0:
            phone = "+86 138 1234 8000"  # the documented demo caller (README)
        kind = rng.random()
        if kind < 0.35:  # a farm or distributor with a contact person
            key = rng.random() < 0.3
            org = organisation_create(
                name=region.split()[-1]
                + rng.choice(data.FARM_WORDS)
                + rng.choice(["牧场", "乳业经销部", "合作社"]),
                kind=rng.choice([OrgKind.FARM, OrgKind.DISTRIBUTOR]),
                region=region,
                tier=Tier.KEY_ACCOUNT if key else Tier.REGULAR,
                account_manager=am if key else None,
                lifecycle_stage=rng.choice(Lifecycle.values),
            )
            c = customer_create(
                name=_person_name(rng),
                kind="organisation",
                organisation=org,
                phone=phone,
                email=f"farm{i}@example.cn",
                address=f"{region}市郊{rng.randint(1, 99)}号",
                lifecycle_stage=org.lifecycle_stage,
            )
        else:
            c = customer_create(
                name=_person_name(rng),
                region=region,
                phone=phone,
                email=f"user{i}@example.cn" if rng.random() < 0.6 else "",
                address=f"{region}幸福路{rng.randint(1, 300)}号{rng.randint(1, 30)}栋",
                lifecycle_stage=rng.choice(Lifecycle.values),
            )
        customers.append(c)
        progress(1)
    return customers


ROUTE = {  # S1 §三(一)3 routing: which team handles which problem type
    ProblemType.TECHNICAL_SUPPORT: "tech-support",
    ProblemType.AFTER_SALES: "after-sales",
    ProblemType.ORDER_INQUIRY: "sales-orders",
    ProblemType.COMPLAINT: "account-managers",
    ProblemType.PRODUCT_INQUIRY: "customer-service",
    ProblemType.SUGGESTION: "customer-service",
}


def _history_ticket(
    rng: random.Random,
    i: int,
    customer: Customer,
    users: dict[str, User],
    teams: dict[str, Team],
    products: list[Product],
    now: datetime,
) -> None:
    """One historical ticket with a realistic timeline; the outcome depends on its age."""
    # Most history is older; about one ticket in eight arrived in the last day and a half, so the
    # queues have open work in every state.
    recent = rng.random() < 0.12
    received = now - (
        timedelta(hours=rng.uniform(0.05, 36)) if recent else timedelta(days=rng.uniform(1.5, 90))
    )
    ptype = rng.choices(list(data.SUBJECTS), weights=[25, 25, 15, 20, 8, 7])[0]
    order = f"DD{rng.randint(100000, 999999)}"
    product, subject, description = data.request_for(rng, ptype, products, order)
    channel = rng.choices(Channel.values, weights=[40, 15, 20, 10, 10, 3, 2])[0]
    agent = users[rng.choice(["agent1", "agent2"])]
    complexity = rng.choices(Complexity.values, weights=[35, 45, 20])[0]
    ticket = ts.ticket_create(
        actor=agent,
        customer=customer,
        channel=channel,
        problem_type=ptype,
        subject=subject,
        description=description,
        received_at=received,
        product=product,
        complexity=complexity,
        complaint_severity=("major" if ptype == "complaint" and rng.random() < 0.3 else ""),
        order_number=order if ptype == "order_inquiry" else "",
        now=now,
    )
    age_h = (now - received).total_seconds() / 3600
    t = received + timedelta(minutes=rng.randint(1, 4))
    if age_h < 0.1:
        return
    team = teams[ROUTE[ProblemType(ptype)]]
    ts.ticket_triage(ticket=ticket, actor=agent, team=team, at=t)
    ts.interaction_add(
        ticket=ticket,
        actor=agent,
        kind="phone_call" if channel == "phone" else "email",
        direction="outbound",
        body="您好，已收到您的问题，我们会在承诺时限内处理。",
        occurred_at=t + timedelta(minutes=rng.randint(1, 40)),
    )
    handler = team.lead or agent
    t += timedelta(minutes=rng.randint(1, 10))
    ts.ticket_assign(
        ticket=ticket,
        actor=agent,
        assignee=handler,
        team=team,
        reason="按问题类型分派",
        requirement="请按服务规定时限处理",
        expected_response_minutes=15,
        at=t,
    )
    if age_h < 1 and rng.random() < 0.5:
        return
    t += timedelta(minutes=rng.randint(2, 25))
    ts.ticket_acknowledge(ticket=ticket, actor=handler, at=t)
    t += timedelta(minutes=rng.randint(5, 70))
    ts.solution_options_offer(
        ticket=ticket,
        actor=handler,
        at=t,
        options=[
            {
                "summary": s,
                "check_accuracy": True,
                "check_feasibility": True,
                "check_acceptance": True,
                "check_safety": True,
            }
            for s in ["远程指导处理", "安排工程师上门"][: rng.randint(1, 2)]
        ],
    )
    if age_h < 6 and rng.random() < 0.6:
        return
    t += timedelta(minutes=rng.randint(10, 60 * (30 if complexity == "complex" else 5)))
    ts.ticket_resolve(
        ticket=ticket,
        actor=handler,
        at=t,
        summary="问题已处理，请确认。",
        verification_method=rng.choice(["remote_demo", "onsite_check", "customer_confirmation"]),
    )
    if age_h > 48 or rng.random() < 0.5:
        t += timedelta(hours=rng.randint(1, 40))
        if t < now:
            # CLS-1: "customer confirmed" with the handler's phone confirmation note and its time.
            ts.ticket_close(
                ticket=ticket, actor=handler, evidence="客户电话确认问题已解决。", confirmed_at=t, at=t
            )
            if t + timedelta(hours=20) < now and rng.random() < 0.9:
                ts.record_finalize(ticket=ticket, actor=handler, at=t + timedelta(hours=rng.randint(1, 30)))
    # CLS-2: most tickets get their satisfaction call within three working days.
    fu_at = t + timedelta(hours=rng.randint(2, 90))
    if fu_at < now and rng.random() < 0.9:
        score = rng.choices([5, 4, 3, 2, 1], weights=[55, 28, 10, 5, 2])[0]
        ts.follow_up_record(
            ticket=ticket,
            actor=agent,
            method=rng.choice(["phone", "phone", "email", "sms"]),
            fully_solved=score >= 3,
            score=score,
            at=fu_at,
            comments="" if score >= 4 else "希望响应再快一些",
        )


def demo_load(
    *, customers: int = 200, tickets: int = 1000, seed: int = 2026, progress: Progress | None = None
) -> dict[str, Any]:
    """Load the demo company. Idempotent: existing staff, customers and tickets are kept."""
    progress = progress or (lambda n: None)
    rng = random.Random(seed)
    with transaction.atomic():
        reference_data_ensure()
        users = _staff()
    with transaction.atomic():
        cust = _customers(rng, users, customers, progress)
    existing = Ticket.objects.count()
    teams = {t.code: t for t in Team.objects.select_related("lead")}
    products = list(Product.objects.all())
    now = timezone.now()
    # Commit in chunks: one SQLite commit per ticket would dominate the load time.
    for chunk in range(existing, tickets, 50):
        with transaction.atomic():
            for i in range(chunk, min(chunk + 50, tickets)):
                _history_ticket(rng, i, rng.choice(cust), users, teams, products, now)
                progress(1)
    # INT-6: a fresh installation suggests from the first ticket on — train the starter model (plus
    # the demo history) once, at the first load.
    if not TriageModel.objects.exists():
        triage_train()
    # The knowledge base: categories, reviewers, synonyms and published articles (KB-1).
    from herdesk.kb.demo import kb_demo_ensure

    kb_demo_ensure(users)
    # Training (STF-2): the onboarding curriculum with exams, sessions, a mentor and a trainee.
    from herdesk.training.demo import training_demo_ensure

    training_demo_ensure(users, password=data.DEMO_PASSWORD)
    # Complaints (CMP-1..4): records for the complaint tickets, three worked through the process.
    from herdesk.complaints.demo import complaints_demo_ensure

    complaints_demo_ensure(users)
    # The supervision group: reviewers, a weekly inspection plan with last week's sample (issue #17).
    from herdesk.quality.demo import quality_demo_ensure

    quality_demo_ensure(users, data.DEMO_PASSWORD)
    # Field service: equipment, parts and stores, a maintenance plan, field1's booked repair (FLD-1..3).
    from herdesk.field.demo import field_demo_ensure

    field_demo_ensure(users)
    # The demo customer login (portal/API) for the documented caller.
    first = cust[0]
    if not User.objects.filter(username="customer1").exists():
        user_create(
            username="customer1",
            password=data.DEMO_PASSWORD,
            role="customer",
            customer=first,
            display_name=first.name,
        )
    return {
        "staff": len(users),
        "customers": len(cust),
        "tickets": Ticket.objects.count(),
        "open": Ticket.objects.exclude(status__in=[Status.CLOSED, Status.CANCELLED]).count(),
    }


def demo_token(username: str = "agent1") -> str:
    return token_create(user=User.objects.get(username=username), name="make run")[1]
