"""The report filters as command-line options, shared by `herdesk kpi` and `herdesk report` (#18)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from herdesk.customers.choices import Tier
from herdesk.tickets.choices import Channel, ProblemType

from ..kpis import Filters


def add_filter_arguments(parser: Any) -> None:
    parser.add_argument("--team", type=int, help="team id")
    parser.add_argument("--channel", choices=Channel.values)
    parser.add_argument("--problem-type", dest="problem_type", choices=ProblemType.values)
    parser.add_argument("--region", help="region or its prefix, e.g. 内蒙古")
    parser.add_argument("--product", type=int, help="product (model) id")
    parser.add_argument("--tier", choices=Tier.values, help="customer tier")


def filters_from(opts: dict[str, Any]) -> Filters:
    region = (opts.get("region") or "").strip()
    if len(region) > 60:
        raise CommandError("--region: at most 60 characters / 地区最多 60 个字符", returncode=2)
    return Filters(
        team_id=opts.get("team"),
        channel=opts.get("channel") or None,
        problem_type=opts.get("problem_type") or None,
        region=region or None,
        product_id=opts.get("product"),
        tier=opts.get("tier") or None,
    )
