from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_cached_banner() -> Any:
    """The banner cache (locmem in tests) must not outlive a rolled-back test."""
    from django.core.cache import cache

    from herdesk.emergency.services import BANNER_CACHE_KEY

    cache.delete(BANNER_CACHE_KEY)
    yield
    cache.delete(BANNER_CACHE_KEY)


@pytest.fixture
def plans(reference: Any) -> Any:
    """The seeded plans (the data migration; again here after a flushing transactional test)."""
    from herdesk.emergency.models import ContingencyPlan
    from herdesk.emergency.seed import plans_seed

    plans_seed()
    return {p.code: p for p in ContingencyPlan.objects.all()}


@pytest.fixture
def make_tickets(reference: Any) -> Any:
    """n tickets on one product in one region, each for its own customer (phone + email)."""
    from herdesk.catalog.models import Product
    from herdesk.customers.services import customer_create
    from herdesk.tickets.services import ticket_create

    def make(
        n: int,
        *,
        text: str = "批次号 B2026120701 酸奶胀包",
        region: str = "内蒙古 呼和浩特",
        product: str = "yogurt",
        channel: str = "phone",
        start: int = 0,
    ) -> list[Any]:
        prod = Product.objects.get(code=product)
        out = []
        for i in range(start, start + n):
            c = customer_create(
                name=f"客户{i}", region=region, phone=f"1390000{i:04d}", email=f"c{i}@example.cn"
            )
            out.append(
                ticket_create(
                    actor=None,
                    customer=c,
                    channel=channel,
                    problem_type="complaint",
                    subject=f"酸奶有问题 {i}",
                    description=text,
                    product=prod,
                    region=region,
                )
            )
        return out

    return make
