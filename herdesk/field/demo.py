"""Demo rows of field service (`make run`): equipment of the first farm customers, a van and a
warehouse with parts, a quarterly plan for the milking machines, and today's booked repair of
field1 (its phone page works from the first login). Idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from herdesk.catalog.models import Product
from herdesk.customers.models import Customer

from . import services
from .models import Equipment, MaintenancePlan, Part, Store, WorkOrder

PARTS = [
    ("P-LINER", "奶杯内衬", "个"),
    ("P-PULS", "脉动器膜片", "片"),
    ("P-FILTER", "真空泵滤芯", "个"),
    ("P-SEAL", "灌装阀密封圈", "个"),
    ("P-COMP", "冷藏罐压缩机继电器", "个"),
]
MODELS = ["milking-machine", "cooling-tank", "tmr-mixer", "filling-machine"]


def field_demo_ensure(users: dict[str, Any]) -> None:

    if Equipment.objects.exists():
        return
    admin, lead = users["admin"], users["cs_lead"]
    products = {p.code: p for p in Product.objects.filter(code__in=MODELS)}
    parts = [Part.objects.get_or_create(code=c, defaults={"name": n, "unit": u})[0] for c, n, u in PARTS]
    warehouse, _ = Store.objects.get_or_create(code="wh-hohhot", defaults={"name": "呼和浩特备件库"})
    for username in ("field1", "field2"):
        if username in users:
            van, _ = Store.objects.get_or_create(
                code=f"van-{username}",
                defaults={"name": f"{users[username]}的服务车", "kind": "van", "engineer": users[username]},
            )
            for part in parts:
                services.stock_adjust(actor=admin, store=van, part=part, delta=6, reason="demo")
    for part in parts:
        services.stock_adjust(actor=admin, store=warehouse, part=part, delta=50, reason="demo")
    today = timezone.localdate()
    farms = list(
        Customer.objects.filter(organisation__isnull=False).select_related("organisation").order_by("pk")[:8]
    )
    made = []
    for i, customer in enumerate(farms):
        code = MODELS[i % len(MODELS)]
        made.append(
            services.equipment_create(
                actor=admin,
                customer=customer,
                serial=f"{products[code].model_number or code}-{2024 + i % 3}{i:04d}"
                if code in products
                else f"EQ-{i:04d}",
                product=products.get(code),
                model=products[code].model_number if code in products else "",
                purchased_on=today - dt.timedelta(days=400 - i * 30),
                installed_on=today - dt.timedelta(days=390 - i * 30),
                barn=f"{i % 3 + 1} 号牛舍",
                address=getattr(customer, "address", "") or customer.region,
                meter_hours=300 + i * 170,
            )
        )
    if "milking-machine" in products and not MaintenancePlan.objects.exists():
        services.maintenance_plan_create(
            actor=lead, name="挤奶机季度保养", starts_on=today - dt.timedelta(days=365),
            product=products["milking-machine"], interval=3, frequency="MONTHLY", lead_days=21,
            checklist=["检查真空度", "更换奶杯内衬", "清洗脉动器"],
        )  # fmt: skip
        services.maintenance_generate()
    if made and "field1" in users and not WorkOrder.objects.filter(kind="repair").exists():
        wo = services.work_order_create(
            actor=lead, kind="repair", customer=made[0].customer, equipment=made[0],
            content="挤奶机脉动异常，上门检修", checklist=["检查真空度", "更换脉动器膜片", "试机"],
        )  # fmt: skip
        start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        services.work_order_schedule(
            actor=lead,
            work_order=wo,
            engineers=[users["field1"]],
            start=start,
            end=start + dt.timedelta(hours=2),
        )
