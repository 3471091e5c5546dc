"""Every URL × every role (and anonymous): the expected outcome in one table (issue #14).

The URL list is generated from the URL configuration, so a new URL without an entry in EXPECTED
fails this test: whoever adds a page decides, in one reviewed line, who may open it. The API
(/api/, bearer tokens and scopes: the API's own tests) and the admin site's generated pages (one
representative entry) are not enumerated.

Outcomes of a GET: ok (2xx), lg (redirect to a sign-in page), rd (redirect elsewhere), fb (403),
nf (404: not for you, or the sample object is not yours), me (405: a POST-only endpoint), bd (400),
un (401).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

ROLES = ["anon", "agent1", "tech1", "am1", "cs_lead", "qa1", "manager", "admin", "customer"]

# fmt: off
EXPECTED: dict[str, str] = {
    # route:              anon agent1 tech1 am1 cs_lead qa1 manager admin customer (in ROLES order)
    'i18n/setlang/': 'rd rd rd rd rd rd rd rd rd',
    'healthz': 'ok ok ok ok ok ok ok ok ok',
    'readyz': 'ok ok ok ok ok ok ok ok ok',
    'metrics': 'ok ok ok ok ok ok ok ok ok',
    'login/': 'ok ok ok ok ok ok ok ok ok',
    'login/2fa/': 'lg rd rd rd rd rd rd rd nf',
    'login/2fa/setup/': 'lg ok ok ok ok ok ok ok nf',
    'logout/': 'me me me me me me me me me',
    'channels/': 'lg ok ok ok ok ok ok ok fb',
    'channels/health': 'un ok ok ok ok ok ok ok fb',
    'channels/payloads/<int:pk>/raw': 'lg nf nf nf nf nf nf ok nf',
    'channels/payloads/<int:pk>/<str:action>': 'lg me me me me me me me me',
    'channels/mail/<int:pk>/': 'lg ok nf nf ok ok ok ok nf',
    'channels/mail/<int:pk>/original': 'lg ok nf nf ok ok ok ok nf',
    'channels/mail/attachments/<int:pk>': 'lg ok nf nf ok ok ok ok nf',
    'portal/': 'lg lg lg lg lg lg lg lg ok',
    'portal/login/': 'ok ok ok ok ok ok ok ok rd',
    'portal/login/phone/': 'me me me me me me me me me',
    'portal/login/phone/verify/': 'lg lg lg lg lg lg lg lg lg',
    'portal/login/phone/resend/': 'me me me me me me me me me',
    'portal/login/email/': 'me me me me me me me me me',
    'portal/login/email/sent/': 'ok ok ok ok ok ok ok ok ok',
    'portal/login/link/<str:token>/': 'bd bd bd bd bd bd bd bd bd',
    'portal/logout/': 'me me me me me me me me me',
    'portal/tickets/new/': 'lg lg lg lg lg lg lg lg ok',
    'portal/tickets/<str:number>/': 'lg lg lg lg lg lg lg lg ok',
    'portal/tickets/<str:number>/submitted/': 'lg lg lg lg lg lg lg lg ok',
    'portal/tickets/<str:number>/timeline/': 'lg lg lg lg lg lg lg lg ok',
    'portal/tickets/<str:number>/reply/': 'lg lg lg lg lg lg lg lg me',
    'portal/tickets/<str:number>/choose/': 'lg lg lg lg lg lg lg lg me',
    'portal/tickets/<str:number>/confirm/': 'lg lg lg lg lg lg lg lg me',
    'portal/tickets/<str:number>/dispute/': 'lg lg lg lg lg lg lg lg me',
    'portal/attachments/<int:pk>/': 'lg lg lg lg lg lg lg lg nf',
    'portal/link/choose/<str:token>/': 'bd bd bd bd bd bd bd bd bd',
    'portal/link/confirm/<str:token>/': 'bd bd bd bd bd bd bd bd bd',
    'portal/help/': 'ok ok ok ok ok ok ok ok ok',
    'portal/help/suggest/': 'ok ok ok ok ok ok ok ok ok',
    'portal/help/undeflect/': 'me me me me me me me me me',
    'portal/help/c/<slug:code>/': 'nf nf nf nf nf nf nf nf nf',
    'portal/help/a/<str:number>/': 'nf nf nf nf nf nf nf nf nf',
    'portal/help/a/<str:number>/vote/': 'me me me me me me me me me',
    'portal/help/a/<str:number>/deflect/': 'me me me me me me me me me',
    'portal/preferences/': 'lg lg lg lg lg lg lg lg ok',
    'kb/': 'lg ok ok ok ok ok fb ok rd',
    'kb/new/': 'lg ok ok ok ok fb fb fb rd',
    'kb/review/': 'lg ok ok ok ok ok fb ok rd',
    'kb/health/': 'lg fb fb fb ok ok fb fb rd',
    'kb/synonyms/': 'lg fb fb fb fb fb fb ok rd',
    'kb/attachments/<int:pk>/': 'lg nf nf nf nf nf fb nf rd',
    'kb/ticket/<str:number>/use/<str:article>/': 'lg me me me me me me me rd',
    'kb/ticket/<str:number>/solved/<str:article>/': 'lg me me me me me me me rd',
    'kb/ticket/<str:number>/propose/': 'lg me me me me me me me rd',
    'kb/<str:number>/': 'lg nf nf nf nf nf fb nf rd',
    'kb/<str:number>/v/<int:version>/': 'nf nf nf nf nf nf nf nf nf',
    'kb/<str:number>/edit/': 'lg nf nf nf nf fb fb fb rd',
    # emergencies (EMG-1, EMG-2): plan pages are covered with real plans in herdesk/emergency/tests
    'emergency/': 'lg ok ok ok ok ok ok ok rd',
    'emergency/banner/': 'ok ok ok ok ok ok ok ok ok',
    'emergency/declare/': 'lg me me me me me me me rd',
    'emergency/drills/new/': 'lg me me me me me me me rd',
    'emergency/plans/<slug:code>/': 'nf nf nf nf nf nf nf nf nf',
    'emergency/plans/<slug:code>/edit/': 'nf nf nf nf nf nf nf nf nf',
    'emergency/plans/<slug:code>/templates/<int:pk>/': 'nf nf nf nf nf nf nf nf nf',
    'emergency/<str:number>/': 'lg nf nf nf nf nf nf nf rd',
    'emergency/<str:number>/do/<slug:action>/': 'lg me me me me me me me rd',
    'kb/<str:number>/diff/': 'lg nf nf nf nf nf fb nf rd',
    'kb/<str:number>/attach/': 'lg me me me me me me me rd',
    'kb/<str:number>/do/<slug:action>/': 'lg me me me me me me me rd',
    'chat/console/': 'lg ok ok ok ok fb fb fb fb',
    'chat/widget-demo/': 'ok ok ok ok ok ok ok ok ok',
    'phone/cti/events': 'me me me me me me me me me',
    'phone/calls/<str:call_id>/link': 'lg me me me me me me me me',
    'wechat/callback': 'fb fb fb fb fb fb fb fb fb',
    'social/webhook': 'me me me me me me me me me',
    'notifications/': 'lg ok ok ok ok ok ok ok rd',
    'notifications/<int:pk>/open/': 'lg nf nf nf nf nf nf nf rd',
    'notifications/read/': 'lg me me me me me me me rd',
    'notifications/settings/': 'lg me me me me me me me rd',
    '': 'lg rd rd rd rd rd rd rd rd',
    'favicon.ico': 'rd rd rd rd rd rd rd rd rd',
    'queues/<slug:queue>/': 'lg ok ok ok ok ok ok ok rd',
    'queues/<slug:queue>/export.xlsx': 'lg ok ok ok ok ok ok ok rd',
    'queues-counts/': 'lg ok ok ok ok ok ok ok rd',
    'queues-bulk-reassign/': 'lg me me me me me me me rd',
    'views/save/': 'lg me me me me me me me rd',
    'views/<int:pk>/delete/': 'lg me me me me me me me rd',
    'go/': 'lg rd rd rd rd rd rd rd rd',
    'search/': 'lg ok ok ok ok ok ok ok rd',
    'search/export.xlsx': 'lg ok ok ok ok ok ok ok rd',
    'intake/': 'lg ok ok ok ok fb fb fb rd',
    'intake/lookup/': 'lg ok ok ok ok fb fb fb rd',
    'tickets/<str:number>/': 'lg ok nf nf ok ok ok ok rd',
    'tickets/<str:number>/route/': 'lg ok nf nf ok ok ok ok rd',
    'tickets/<str:number>/do/<slug:action>/': 'lg me me me me me me me rd',
    'tickets/<str:number>/onsite-visit/': 'lg ok nf nf ok fb fb fb rd',
    'attachments/<int:pk>/download/': 'lg nf nf nf nf nf nf nf rd',
    'customers/': 'lg ok ok ok ok ok ok ok rd',
    'customers/<int:pk>/': 'lg ok ok ok ok ok ok ok rd',
    'customers/<int:pk>/edit/': 'lg me me me me me me me rd',
    'contacts/<int:pk>/reveal/': 'lg me me me me me me me rd',
    'contacts/<int:pk>/dial/': 'lg me me me me me me me rd',
    'follow-up/': 'lg ok ok ok ok fb fb fb rd',
    'chat-waiting/': 'lg ok ok ok ok fb fb fb rd',
    'supervisor/': 'lg fb fb fb ok ok ok ok rd',
    'supervisor/compliance/': 'lg fb fb fb ok ok ok fb rd',
    'reports/': 'lg fb fb fb ok ok ok fb rd',
    'reports/<str:kind>/<str:label>.<str:fmt>': 'lg fb fb fb nf nf nf fb rd',
    'supervisor/triage/': 'lg fb fb fb ok ok ok fb rd',
    'reports/peaks/': 'lg fb fb fb ok ok ok fb rd',
    'dashboard/me/': 'lg ok ok ok ok fb fb fb rd',
    'dashboard/team/': 'lg fb fb fb ok ok ok ok rd',
    'dashboard/agents/<int:pk>/': 'lg fb fb fb ok ok ok ok rd',
    'dashboard/centre/': 'lg fb fb fb ok ok ok fb rd',
    'reports/archive/<int:pk>/': 'lg fb fb fb nf nf nf fb rd',
    'governance/policies/': 'lg fb fb fb ok ok ok ok rd',
    'governance/policies/draft/': 'lg me me me me me me me rd',
    'governance/policies/diff/': 'lg fb fb fb rd rd rd rd rd',
    'governance/policies/<int:pk>/': 'lg fb fb fb ok ok ok ok rd',
    'governance/policies/<int:pk>/clocks/': 'lg me me me me me me me rd',
    'governance/policies/<int:pk>/submit/': 'lg me me me me me me me rd',
    'governance/policies/<int:pk>/decide/': 'lg me me me me me me me rd',
    'governance/calendars/': 'lg fb fb fb fb fb rd rd rd',
    'governance/calendars/<slug:code>/': 'nf nf nf nf nf nf nf nf nf',
    'governance/calendars/<slug:code>/hours/': 'nf nf nf nf nf nf nf nf nf',
    'governance/calendars/<slug:code>/closures/': 'nf nf nf nf nf nf nf nf nf',
    'governance/calendars/<slug:code>/closures/remove/': 'nf nf nf nf nf nf nf nf nf',
    'governance/calendars/<slug:code>/holidays/': 'nf nf nf nf nf nf nf nf nf',
    # Supervision and agent scorecards (issue #17): reviewers = qa1 (and supervisors read); an agent
    # sees their own reviews and scorecard, a team lead the team's, supervisors/QA/management all.
    'quality/': 'lg ok ok ok ok ok ok ok rd',
    'quality/plans/': 'lg fb fb fb ok ok fb fb rd',
    'quality/plans/<int:pk>/': 'lg fb fb fb nf nf fb fb rd',
    'quality/plans/<int:pk>/draw/': 'lg me me me me me me me rd',
    'quality/plans/<int:pk>/recheck/': 'lg me me me me me me me rd',
    'quality/draws/<int:pk>/': 'lg fb fb fb nf nf fb fb rd',
    'quality/items/<int:pk>/review/': 'lg me me me me me me me rd',
    'quality/reviews/<int:pk>/': 'lg nf nf nf nf nf nf nf rd',
    'quality/reviews/<int:pk>/dispute/': 'lg me me me me me me me rd',
    'quality/reviews/<int:pk>/accept/': 'lg me me me me me me me rd',
    'quality/reviews/<int:pk>/decide/': 'lg me me me me me me me rd',
    'quality/scorecards/': 'lg fb fb fb fb ok fb fb rd',
    'quality/versions/<int:pk>/': 'lg fb fb fb fb ok fb fb rd',
    'quality/versions/<int:pk>/<slug:action>/': 'lg me me me me me me me rd',
    # Drafting scorecards (QA-3): the supervision group; a published version's pages are read-only.
    'quality/scorecards/new/': 'lg fb fb fb fb ok fb fb rd',
    'quality/versions/<int:pk>/sections/new/': 'lg fb fb fb fb ok fb fb rd',
    'quality/sections/<int:pk>/': 'lg fb fb fb fb ok fb fb rd',
    'quality/sections/<int:pk>/criteria/new/': 'lg fb fb fb fb ok fb fb rd',
    'quality/criteria/<int:pk>/': 'lg fb fb fb fb ok fb fb rd',
    'quality/calibration/': 'lg fb fb fb ok ok ok fb rd',
    'quality/calibration/<int:pk>/': 'lg nf nf nf nf nf nf nf rd',
    'quality/calibration/<int:pk>/close/': 'lg me me me me me me me rd',
    'quality/calibration/items/<int:pk>/': 'lg nf nf nf nf nf nf nf rd',
    'quality/agents/': 'lg ok ok ok ok ok ok ok rd',
    'quality/agents/<int:pk>/': 'lg ok nf nf ok ok ok nf rd',
    'quality/agents/<int:pk>/appraise/': 'lg me me me me me me me rd',
    'quality/agents/<int:pk>/export.xlsx': 'lg ok nf nf ok ok ok nf rd',
    'quality/weights/': 'lg fb fb fb ok ok ok fb rd',
    # field service (FLD-1..4): handlers see equipment and orders; engineers work them; cs_lead dispatches
    'field/': 'lg ok ok ok ok fb fb ok rd',
    'field/equipment/new/': 'lg fb fb fb ok fb fb ok rd',
    'field/equipment/import/': 'lg fb fb fb ok fb fb ok rd',
    'field/equipment/export.<str:fmt>': 'lg nf nf nf nf fb fb nf rd',
    'field/equipment/<int:pk>/': 'lg ok ok ok ok fb fb ok rd',
    'field/equipment/<int:pk>/label/': 'lg ok ok ok ok fb fb ok rd',
    'field/equipment/<int:pk>/edit/': 'lg fb fb fb ok fb fb ok rd',
    'field/equipment/<int:pk>/reading/': 'lg me me me me me me me rd',
    'field/equipment/<int:pk>/document/': 'lg me me me me me me me rd',
    'field/e/<str:code>/': 'nf nf nf nf nf nf nf nf nf',
    'field/ticket/<str:number>/equipment/': 'lg me me me me me me me rd',
    'field/ticket/<str:number>/work-order/': 'lg fb fb fb ok fb fb fb rd',
    'field/orders/': 'lg ok ok ok ok fb fb fb rd',
    'field/orders/<str:number>/': 'lg nf nf nf nf fb fb fb rd',
    'field/orders/<str:number>/schedule/': 'lg me me me me me me me rd',
    'field/orders/<str:number>/cancel/': 'lg me me me me me me me rd',
    'field/orders/<str:number>/report.pdf': 'lg nf nf nf nf fb fb fb rd',
    'field/my/': 'lg fb fb fb ok fb fb fb rd',
    'field/my/sw.js': 'ok ok ok ok ok ok ok ok ok',
    'field/my/<str:number>/': 'lg fb fb fb nf fb fb fb rd',
    'field/my/<str:number>/<slug:action>/': 'lg me me me me me me me rd',
    'field/board/': 'lg fb fb fb ok fb fb fb rd',
    'field/alerts/': 'lg fb fb fb ok fb fb fb rd',
    'field/plans/': 'lg fb fb fb ok fb fb fb rd',
    'field/ics/<str:token>.ics': 'nf nf nf nf nf nf nf nf nf',
    'admin/': 'lg lg lg lg lg lg lg ok lg',
    # Training (STF-2): own training for all staff; the curriculum, onboarding, sessions and mentors
    # for supervisor, qa and admin; grading for supervisor and qa; the monthly rule also for management.
    'training/': 'lg ok ok ok ok ok ok ok rd',
    'training/modules/': 'lg fb fb fb ok ok fb ok rd',
    'training/modules/<int:pk>/': 'lg nf nf nf ok ok nf ok rd',
    'training/modules/<int:pk>/do/<slug:action>/': 'lg me me me me me me me rd',
    'training/attachments/<int:pk>/': 'lg nf nf nf nf nf nf nf rd',
    'training/exams/<int:pk>/': 'lg fb fb fb ok ok fb ok rd',
    'training/exams/<int:pk>/edit/': 'lg fb fb fb ok ok fb ok rd',
    'training/exams/<int:pk>/take/': 'lg nf nf nf nf nf nf nf rd',
    'training/questions/<int:pk>/': 'lg fb fb fb ok ok fb ok rd',
    'training/attempts/<int:pk>/': 'lg nf nf nf nf nf nf nf rd',
    'training/grading/': 'lg fb fb fb ok ok fb fb rd',
    'training/onboarding/': 'lg fb fb fb ok ok fb ok rd',
    'training/onboarding/<int:pk>/': 'lg fb fb fb nf nf fb nf rd',
    'training/sessions/': 'lg fb fb fb ok ok ok ok rd',
    'training/sessions/<int:pk>/': 'lg fb fb fb nf nf fb nf rd',
    'training/mentors/': 'lg fb fb fb ok ok fb ok rd',
    'training/mentors/<int:pk>/': 'lg nf nf nf nf nf nf nf rd',
    # complaints (CMP-1..4): the supervision group and supervisors; handlers and account managers
    # see the complaints they own, handle or manage (the sample ticket is not a complaint: 404).
    'complaints/': 'lg ok ok ok ok ok ok fb rd',
    'complaints/analysis/': 'lg fb fb fb ok ok ok fb rd',
    'complaints/causes/': 'lg fb fb fb ok ok fb fb rd',
    'complaints/capa/<int:pk>/do/<slug:action>/': 'lg me me me me me me me rd',
    'complaints/<str:number>/': 'lg nf nf nf nf nf nf fb rd',
    'complaints/<str:number>/do/<slug:action>/': 'lg me me me me me me me rd',
    'complaints/<str:number>/rca/': 'lg me me me me me me me rd',
    'complaints/<str:number>/capa/': 'lg me me me me me me me rd',
    'complaints/<str:number>/8d.pdf': 'lg nf nf nf nf nf nf fb rd',
    # follow-up worklist, reviews (复盘), rate and the customer's survey link (CLS-2, issue #16)
    'followup/': 'lg ok ok ok ok fb fb fb rd',
    'followup/count/': 'lg ok ok ok ok fb fb fb rd',
    'followup/tasks/<int:pk>/': 'lg nf nf nf nf fb fb fb rd',
    'followup/tasks/<int:pk>/call/': 'lg me me me me me me me rd',
    'followup/tasks/<int:pk>/survey/': 'lg me me me me me me me rd',
    'followup/tasks/<int:pk>/unreachable/': 'lg me me me me me me me rd',
    'followup/reviews/': 'lg ok ok ok ok fb fb fb rd',
    'followup/reviews/<int:pk>/': 'lg nf nf nf nf fb fb fb rd',
    'followup/reviews/<int:pk>/decide/': 'lg me me me me me me me rd',
    'followup/reviews/<int:pk>/close/': 'lg me me me me me me me rd',
    'followup/reviews/<int:pk>/reopen/': 'lg me me me me me me me rd',
    'followup/reviews/<int:pk>/actions/<int:action>/done/': 'nf nf nf nf nf nf nf nf nf',
    'followup/rate/': 'lg fb fb fb ok ok ok fb rd',
    'followup/s/<str:token>/': 'bd bd bd bd bd bd bd bd bd',
    'followup/r/<str:token>/': 'bd bd bd bd bd bd bd bd bd',
    'followup/suggest/': 'ok ok ok ok ok ok ok ok ok',
    'followup/ticket/<str:number>/rate/': 'me me me me me me me me me',
}
# fmt: on


def _walk(patterns: list[Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            if route.startswith(("api/", "admin/")):
                continue
            out.extend(_walk(p.url_patterns, route))
        elif isinstance(p, URLPattern):
            out.append(route)
    return out


def routes() -> list[str]:
    return [*_walk(get_resolver().url_patterns), "admin/"]


def _outcome(response: Any) -> str:
    code = response.status_code
    if 200 <= code < 300:
        return "ok"
    if code in (301, 302, 303):
        where = response["Location"].split("?")[0]
        return "lg" if where in ("/login/", "/portal/login/", "/admin/login/") else "rd"
    return {400: "bd", 401: "un", 403: "fb", 404: "nf", 405: "me"}.get(code, str(code))


@pytest.fixture
def samples(staff, customer) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """One real object per URL parameter: a customer-service ticket of the demo customer, a
    quarantined payload, an email with an attachment."""
    from herdesk.inbound.models import InboundPayload
    from herdesk.inbound.services import payload_store
    from herdesk.mail.services import mailbox_create
    from herdesk.mail.tests.conftest import make_mail
    from herdesk.policies.models import PolicyVersion
    from herdesk.tickets.services import ticket_create

    ticket = ticket_create(
        actor=staff["agent1"], customer=customer, channel="phone", problem_type="suggestion", subject="建议"
    )
    stored = payload_store(channel="email", source="nobox", raw=b"From: x@y.cn\r\n\r\nhi", external_id="q")
    InboundPayload.objects.filter(pk=stored.payload.pk).update(state="quarantined")
    # An email of the customer-service team's queue, with an attachment.
    from herdesk.inbound.services import payload_process
    from herdesk.mail.models import EmailAttachment, EmailMessage
    from herdesk.mail.parsing import identity

    mailbox_create(code="support", address="support@herdesk.example.cn")
    raw = make_mail(attachments=[("a.txt", "text/plain", b"x")])
    mid, ck = identity(raw)
    mail = payload_store(channel="email", source="support", raw=raw, external_id=mid, content_key=ck)
    payload_process(payload_id=mail.payload.pk)
    email = EmailMessage.objects.get(payload_id=mail.payload.pk)
    from herdesk.quality.models import ScoreSection
    from herdesk.training import services as training

    section = ScoreSection.objects.filter(version_id=_first_scorecard_version()).first()
    module = training.module_create(actor=staff["admin"], code="url-table", title="URL table")
    exam = training.exam_create(
        actor=staff["admin"], module=module, title="URL table", kind="theory", pass_mark=50
    )
    question = training.question_add(
        actor=staff["admin"], exam=exam, kind="single", prompt="?", choices=[("a", True), ("b", False)]
    )
    from herdesk.field.services import equipment_create

    equipment = equipment_create(actor=staff["admin"], customer=customer, serial="URL-TABLE-1")
    per_route = {
        "field/equipment/<int:pk>/": str(equipment.pk),
        "field/equipment/<int:pk>/label/": str(equipment.pk),
        "field/equipment/<int:pk>/edit/": str(equipment.pk),
        "channels/mail/<int:pk>/": str(email.pk),
        "channels/mail/<int:pk>/original": str(email.pk),
        "channels/mail/attachments/<int:pk>": str(EmailAttachment.objects.get(email=email).pk),
        # Real objects, not the payload's id (which is only equal to theirs by chance on SQLite).
        "customers/<int:pk>/": str(customer.pk),
        "quality/agents/<int:pk>/": str(staff["agent1"].pk),
        "dashboard/agents/<int:pk>/": str(staff["agent1"].pk),
        "quality/agents/<int:pk>/export.xlsx": str(staff["agent1"].pk),
        # A shipped scorecard version (its id depends on the database's sequences).
        "quality/versions/<int:pk>/": str(_first_scorecard_version()),
        "quality/versions/<int:pk>/sections/new/": str(_first_scorecard_version()),
        "quality/sections/<int:pk>/": str(section.pk),
        "quality/sections/<int:pk>/criteria/new/": str(section.pk),
        "quality/criteria/<int:pk>/": str(section.criteria.first().pk),
        # An exam with a question of a module made here (training has no shipped data).
        "training/modules/<int:pk>/": str(module.pk),
        "training/exams/<int:pk>/": str(exam.pk),
        "training/exams/<int:pk>/edit/": str(exam.pk),
        "training/questions/<int:pk>/": str(question.pk),
        "governance/policies/<int:pk>/": str(
            PolicyVersion.objects.order_by("pk").values_list("pk", flat=True)[0]
        ),
    }
    return {
        "per_route": per_route,  # type: ignore[dict-item]
        "<str:number>": ticket.number,
        "<int:pk>": str(stored.payload.pk),
        "<slug:queue>": "all",
        "<slug:action>": "acknowledge",
        "<str:action>": "discard",
        "<str:token>": "not-a-token",
        "<str:call_id>": "no-call",
    }


def _url(route: str, samples: dict[str, Any]) -> str:
    path = "/" + route
    if route in samples["per_route"]:
        path = path.replace("<int:pk>", samples["per_route"][route])
    for key, value in samples.items():
        if key == "per_route":
            continue
        path = path.replace(key, value)
    return path


def _client(role: str, staff: dict[str, Any], customer: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if role == "customer":
        from herdesk.portal.services import portal_user_for

        client.force_login(portal_user_for(customer=customer))
    elif role != "anon":
        client.force_login(staff[role])
    return client


@pytest.mark.slow
@pytest.mark.django_db
def test_every_url_for_every_role(staff, customer, samples) -> None:
    clients = {role: _client(role, staff, customer) for role in ROLES}
    actual: dict[str, str] = {}
    for route in routes():
        url = _url(route, samples)
        actual[route] = " ".join(_outcome(clients[r].get(url)) for r in ROLES)
    missing = sorted(set(actual) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(actual))
    wrong = {r: (EXPECTED[r], a) for r, a in actual.items() if r in EXPECTED and EXPECTED[r] != a}
    table = "\n".join(f"    {r!r}: {a!r}," for r, a in actual.items())
    assert not missing and not stale and not wrong, (
        f"URLs without an entry: {missing}\nentries without a URL: {stale}\n"
        + "".join(f"{r}\n  expected {e}\n  actual   {a}\n" for r, (e, a) in wrong.items())
        + f"\nroles: {ROLES}\ncurrent table:\n{table}"
    )


def _first_scorecard_version() -> int:
    from herdesk.quality.models import ScorecardVersion

    return ScorecardVersion.objects.order_by("pk").values_list("pk", flat=True)[0]
