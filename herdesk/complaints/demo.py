"""Demo complaints for `make run` (called by `herdesk.demo.services.demo_load`): the demo company's
complaint tickets get their records, and three of them are worked through the process (one in
containment, one waiting for the account manager's sign-off, one closed with a CAPA being checked)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from . import services as cs
from .choices import Stage
from .models import CauseCategory, Complaint


@transaction.atomic
def complaints_demo_ensure(users: dict[str, Any]) -> int:
    """Idempotent: does nothing once any complaint has moved past `received`."""
    cs.complaints_ensure_missing(limit=5000)
    if Complaint.objects.exclude(stage=Stage.RECEIVED).exists():
        return 0
    qa, tech = users["qa1"], users["tech1"]
    picked = list(
        Complaint.objects.filter(stage=Stage.RECEIVED).select_related("ticket").order_by("-received_at")[:3]
    )
    for i, c in enumerate(picked):
        c = cs.complaint_transition(
            complaint=c,
            action="assess",
            actor=qa,
            impact="high" if i == 1 else "medium",
            urgency="medium",
            severity="major" if i == 1 else "general",
            lots=[{"product": c.ticket.product_id, "batch": f"B26{11 + i}", "production_date": "2026-11-02"}],
        )
        c = cs.complaint_transition(complaint=c, action="assign", actor=qa, owner=qa)
        c = cs.complaint_transition(complaint=c, action="contain", actor=qa, text="停售并封存同批次库存")
        cs.rca_record(
            complaint=c,
            actor=qa,
            category=CauseCategory.objects.get(code="material-packaging"),
            whys=["包装密封不良", "封口温度偏低", "温控未纳入点检"],
            systemic=True,
        )
        capa = cs.capa_create(
            complaint=c,
            actor=qa,
            kind="corrective",
            description="封口机温控纳入每班点检",
            owner=tech,
            working_days=10,
        )
        if i == 0:
            continue
        c = cs.complaint_transition(
            complaint=c, action="solve", actor=qa, solution="整批退换并补偿", communication="电话告知客户"
        )
        if i == 1:
            continue
        if c.is_key_account:
            if c.account_manager is None:
                continue
            cs.complaint_am_sign_off(complaint=c, actor=c.account_manager)
        cs.capa_transition(capa=capa, action="start", actor=tech)
        cs.capa_transition(capa=capa, action="complete", actor=tech, evidence="点检表已更新")
        for action in ("execute", "verify", "confirm", "close"):
            c = cs.complaint_transition(complaint=c, action=action, actor=qa, text="已完成")
    return len(picked)
