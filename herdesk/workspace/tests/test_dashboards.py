"""Role dashboards (#18, KPI-2): each opens for its role, reads the rollups in a pinned number of
queries, and every chart's link lists exactly the tickets the chart counts."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from herdesk.analytics.rollup import rollup_range
from herdesk.analytics.tests import test_kpis
from herdesk.analytics.tests.test_kpis import OCT_31, at
from herdesk.staff.models import User
from herdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db
october = test_kpis.october  # the hand-computed fixture month, shared
NUMBER = re.compile(r"[A-Z]{1,4}-?\d{6,}[-\d]*")


def _client(username: str) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(User.objects.get(username=username))
    return c


def _no_ticket_scan(queries) -> None:
    """The dashboard read the rollups, never the ticket table (KPI-2)."""
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if '"tickets_ticket"' in q], sql


def _chart(response, chart_id: str) -> dict:
    return next(c for c in response.context["charts"] if c["id"] == chart_id)


def _listed(client: Client, url: str, fixture: dict) -> set[str]:
    """Which of the fixture's tickets the queue page at `url` lists."""
    r = client.get(url)
    assert r.status_code == 200, url
    html = r.content.decode()
    return {k for k in ("t1", "t2", "t3", "t4") if fixture[k].number in html}


def test_management_dashboard_charts_drill_down_to_exactly_their_tickets(
    october, django_assert_max_num_queries
) -> None:
    c = _client("manager")
    with django_assert_max_num_queries(39) as queries:
        r = c.get("/dashboard/centre/", {"month": "2026-10"})
    assert r.status_code == 200
    _no_ticket_scan(queries)
    html = r.content.decode()
    assert 'id="kpi-centre"' in html and 'id="bottlenecks"' in html and "dashboard-data" in html
    # 12 months of contacts: October has T1, T3, T4 (T2 came in September).
    volume = _chart(r, "chart-volume-trend")
    i = volume["categories"].index("2026-10")
    assert volume["series"][0]["data"][i] == 3
    assert _listed(c, volume["links"][i], october) == {"t1", "t3", "t4"}
    assert _listed(c, volume["links"][i - 1], october) == {"t2"}
    # Complaints per month: T3 and T4.
    complaints = _chart(r, "chart-complaint-trend")
    assert complaints["series"][0]["data"][i] == 2
    assert _listed(c, complaints["links"][i], october) == {"t3", "t4"}
    # Top regions: Shandong (T3, T4) then Hohhot (T1).
    regions = _chart(r, "chart-top-regions")
    assert regions["categories"][:2] == ["山东 济南", "内蒙古 呼和浩特"]
    assert regions["series"][0]["data"][:2] == [2, 1]
    assert _listed(c, regions["links"][0], october) == {"t3", "t4"}
    assert _listed(c, regions["links"][1], october) == {"t1"}
    # Quality trend: the resolved tickets of October (T1, T2, T3).
    quality = _chart(r, "chart-quality-trend")
    assert quality["series"][1]["data"][i] == pytest.approx(2 / 3)  # follow-up rate
    assert _listed(c, quality["links"][i], october) == {"t1", "t2", "t3"}
    # Bad month: a clear 400.
    assert c.get("/dashboard/centre/", {"month": "2026-13"}).status_code == 400


def test_reports_page_filters_and_drill_down(october, django_assert_max_num_queries) -> None:
    c = _client("manager")
    milker = october["milker"]
    with django_assert_max_num_queries(41):
        r = c.get("/reports/", {"month": "2026-10", "product": milker.pk, "tier": "key_account"})
    assert r.status_code == 200
    assert 'data-kpi="received"' in r.content.decode()
    received = next(k for k in r.context["report"]["kpis"] if k["code"] == "received")
    assert received["value"] == 3
    channels = _chart(r, "chart-channel")
    wechat = channels["links"].index(next(u for u in channels["links"] if "channel=wechat" in u))
    assert _listed(c, channels["links"][wechat], october) == {"t3", "t4"}
    assert f"product={milker.pk}" in channels["links"][wechat]
    assert "tier=key_account" in r.context["filter_query"]
    r = c.get("/reports/", {"month": "2026-10", "region": "内蒙古", "tier": "nonsense", "product": "x"})
    assert r.status_code == 200
    assert next(k for k in r.context["report"]["kpis"] if k["code"] == "received")["value"] == 1


def test_agent_dashboard_my_figures_and_drill_down(october, django_assert_max_num_queries) -> None:
    agent = User.objects.get(username="agent1")
    Ticket.objects.filter(pk__in=[october["t1"].pk, october["t3"].pk]).update(assignee=agent)
    rollup_range(dt.date(2026, 10, 1), OCT_31)
    c = _client("agent1")
    with time_machine.travel(at(12, 20), tick=False):
        with django_assert_max_num_queries(8) as queries:
            r = c.get("/dashboard/me/")
        assert r.status_code == 200
        _no_ticket_scan(queries)
        month = {row["code"]: row for row in r.context["month_rows"]}
        today = {row["code"]: row for row in r.context["today_rows"]}
        assert month["resolved"]["value"] == 2 and today["resolved"]["value"] == 1  # T3 today
        assert month["first_contact_resolution"]["value"] == pytest.approx(1 / 2)
        assert month["handling_time_avg"]["value"] == pytest.approx((480 + 300) / 2)
        assert month["first_contact_resolution"]["met"] is False  # 50 % against 70 %
        per_day = _chart(r, "chart-my-resolved")
        d10 = per_day["categories"].index("10-10")
        assert per_day["series"][0]["data"][d10] == 1
        assert _listed(c, per_day["links"][d10], october) == {"t1"}
        rates = _chart(r, "chart-my-rates")
        fcr = rates["categories"].index(month["first_contact_resolution"]["name"])
        assert _listed(c, rates["links"][fcr], october) == {"t1", "t3"}  # resolved by me in October
        # CSAT: my tickets with a follow-up recorded this month so far (T1 on the 12th; T3's is on
        # the 13th); first response: mine whose clock missed its original target (T3, met only
        # after renegotiation; T4 is not mine).
        csat = rates["categories"].index(month["csat"]["name"])
        assert _listed(c, rates["links"][csat], october) == {"t1"}
        first = rates["categories"].index(month["first_response_on_time"]["name"])
        assert _listed(c, rates["links"][first], october) == {"t3"}
        completeness = rates["categories"].index(month["record_completeness"]["name"])
        assert rates["links"][completeness] is None  # counts closures: no queue filter selects them
    assert _client("manager").get("/dashboard/me/").status_code == 403


def test_supervisor_dashboard_live_state_and_load_drill_down(october, django_assert_max_num_queries) -> None:
    agent = User.objects.get(username="agent1")
    Ticket.objects.filter(pk__in=[october["t3"].pk, october["t4"].pk]).update(assignee=agent)
    c = _client("cs_lead")
    with django_assert_max_num_queries(17):  # + the list of agents whose figures it links
        r = c.get("/dashboard/team/", {"team": "", "month": "2026-10"})
    assert r.status_code == 200
    load = _chart(r, "chart-agent-load")
    i = load["links"].index(next(u for u in load["links"] if f"assignee={agent.pk}" in u))
    assert load["series"][0]["data"][i] == 2  # T3 (resolved, still open) and T4
    assert _listed(c, load["links"][i], october) == {"t3", "t4"}
    queues = _chart(r, "chart-live-queues")
    assert all(link.startswith("/queues/") for link in queues["links"])
    month = {row["code"]: row for row in r.context["month_rows"]}
    assert month["received"]["value"] == 3
    types = _chart(r, "chart-team-types")
    complaint = types["categories"].index("投诉")
    assert _listed(c, types["links"][complaint], october) == {"t3", "t4"}
    assert c.get("/dashboard/team/", {"month": "bad"}).status_code == 400
    assert _client("agent1").get("/dashboard/team/").status_code == 403


WIDE_TABLES = ('"analytics_dailyticketstats"', '"analytics_dailyclockstats"')
NARROW_TABLES = ('"analytics_dailyticketstatsnarrow"', '"analytics_dailyclockstatsnarrow"')


def _rollup_reads(client: Client, path: str, params: dict) -> tuple[list[str], list[str]]:
    """The page's reads of the wide and of the narrow rollup tables (#18)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        r = client.get(path, params)
    assert r.status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    return [q for q in sql if any(t in q for t in WIDE_TABLES)], [
        q for q in sql if any(t in q for t in NARROW_TABLES)
    ]


def test_unfiltered_dashboards_read_the_narrow_rollup(october) -> None:
    """Every KPI, trend and channel/type/team figure of the unfiltered pages sums the narrow rollup;
    the wide one is read only for what needs region, product or tier (#18)."""
    wide, narrow = _rollup_reads(_client("manager"), "/dashboard/centre/", {"month": "2026-10"})
    assert all(any(t in q for q in narrow) for t in NARROW_TABLES)
    # The one wide read of the management dashboard: the top regions.
    assert len(wide) == 1 and '"analytics_dailyticketstats"."region"' in wide[0], wide
    wide, narrow = _rollup_reads(_client("cs_lead"), "/dashboard/team/", {"team": "", "month": "2026-10"})
    assert wide == [] and narrow
    # The reports page: the region, product and tier breakdowns and the region suggestions only.
    wide, narrow = _rollup_reads(_client("manager"), "/reports/", {"month": "2026-10"})
    assert narrow and len(wide) == 4, wide
    assert not [q for q in wide if not any(f'"analytics_dailyticketstats"."{c}"' in q
                                           for c in ("region", "product_id", "tier"))]  # fmt: skip
    # With a region filter every figure comes from the wide rollup.
    wide, narrow = _rollup_reads(_client("manager"), "/reports/", {"month": "2026-10", "region": "山东"})
    assert wide and narrow == []


def test_every_kpi_row_of_the_reports_page_drills_down_to_its_tickets(october) -> None:
    """A clock rate lists the tickets whose clock of that kind, started in the period, missed its
    original target; satisfaction the tickets rated in the period (#18)."""
    c = _client("manager")
    r = c.get("/reports/", {"kind": "month", "month": "2026-10"})
    rows = {row["code"]: row for row in r.context["report"]["kpis"]}
    expected = {
        "first_response_on_time": {"t3", "t4"},  # T3 met after renegotiation, T4 breached
        "resolution_on_time": {"t1"},
        "resolution_on_time_general": {"t1"},
        "resolution_on_time_simple": set(),  # T3 met its 15 minutes
        "csat": {"t1", "t3"},
        "csat_average": {"t1", "t3"},
        "received": {"t1", "t3", "t4"},
    }
    for code, tickets in expected.items():
        assert _listed(c, rows[code]["drill"], october) == tickets, code
        assert rows[code]["drill"] in r.content.decode().replace("&amp;", "&")
    assert rows["first_response_on_time_primary"]["drill"] is None  # a group of channels
    # The drill-only filters show on the queue page that a link opened, and nowhere else.
    assert 'name="clock_missed"' in c.get(rows["resolution_on_time"]["drill"]).content.decode()
    assert 'name="clock_missed"' not in c.get("/queues/all/").content.decode()


def test_a_supervisor_reads_each_agents_figures_and_their_tickets(october) -> None:
    """KPI-2 per agent: the team dashboard lists its agents; each one's page shows the figures the
    agent sees on their own dashboard, and its links open that assignee's tickets in "all"."""
    agent = User.objects.get(username="agent1")
    Ticket.objects.filter(pk__in=[october["t1"].pk, october["t3"].pk]).update(assignee=agent)
    rollup_range(dt.date(2026, 10, 1), OCT_31)
    lead = _client("cs_lead")
    with time_machine.travel(at(12, 20), tick=False):
        team = lead.get("/dashboard/team/").content.decode()
        assert f'href="/dashboard/agents/{agent.pk}/"' in team
        own = _client("agent1").get("/dashboard/me/")
        seen = lead.get(f"/dashboard/agents/{agent.pk}/")
        assert seen.status_code == 200 and 'id="agent-figures-intro"' in seen.content.decode()
        values = {r["code"]: r["value"] for r in seen.context["month_rows"]}
        assert values == {r["code"]: r["value"] for r in own.context["month_rows"]}
        rates = _chart(seen, "chart-my-rates")
        names = {r["code"]: r["name"] for r in seen.context["month_rows"]}
        fcr = rates["categories"].index(names["first_contact_resolution"])
        link = rates["links"][fcr]
        assert link.startswith("/queues/all/") and f"assignee={agent.pk}" in link
        assert _listed(lead, rates["links"][fcr], october) == {"t1", "t3"}
        per_day = _chart(seen, "chart-my-resolved")
        assert _listed(lead, per_day["links"][per_day["categories"].index("10-10")], october) == {"t1"}
    assert _client("agent1").get(f"/dashboard/agents/{agent.pk}/").status_code == 403
    customer = october["t1"].customer
    portal = User.objects.create_user(username="p-fig", password="x-portal-pass", customer=customer)
    assert lead.get(f"/dashboard/agents/{portal.pk}/").status_code == 404
