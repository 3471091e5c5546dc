"""The queue page's fast widget rendering (rendering.py, value-based choices in forms.py) writes the
same HTML as Django's templates with model-instance choices."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django import forms as djforms
from django.forms.renderers import DjangoTemplates
from django.utils import translation

from herdesk.tickets.models import Category
from herdesk.workspace import forms
from herdesk.workspace.rendering import FastWidgetRenderer
from herdesk.workspace.templatetags.workspace_tags import bs

pytestmark = pytest.mark.django_db


def _reference(form: djforms.Form) -> djforms.Form:
    """The same form rendered the stock way: Django's templates, choices from model instances."""
    form.renderer = DjangoTemplates()
    for field in form.fields.values():
        if isinstance(field, djforms.ModelChoiceField):
            del field._choices  # back to ModelChoiceIterator (label_from_instance)
            field.widget.choices = field.choices
    return form


def _html(form: djforms.Form) -> list[str]:
    return [str(bs(f)) for f in form]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "data",
    [None, {"channel": "phone", "region": '内蒙古 "<x>"', "priority": "bogus"}],
)
def test_queue_forms_render_exactly_like_django(staff, lang, data) -> None:
    from herdesk.staff.models import Team

    team = Team.objects.order_by("id")[1]
    if data:  # ids differ between databases (PostgreSQL sequences are not reset between tests)
        data = {**data, "team": str(team.pk), "assignee": str(staff["tech2"].pk)}
    parent = Category.objects.order_by("id").first()
    Category.objects.create(parent=parent, problem_type=parent.problem_type, code="sub-x", name="子类 <b>")
    with translation.override(lang):
        for make in (
            lambda: forms.QueueFilterForm(data, supervisor=True),
            lambda: forms.QueueFilterForm(data, supervisor=False),
            lambda: forms.BulkReassignForm(data),
            lambda: forms.SavedViewForm(initial={"queue": "mine"}),
        ):
            fast = make()
            assert isinstance(fast.renderer, FastWidgetRenderer)
            html = _html(fast)
            assert html == _html(_reference(make()))
            assert any("<option" in h for h in html) or isinstance(fast, forms.SavedViewForm)
    if data:
        html = "".join(_html(forms.QueueFilterForm(data, supervisor=True)))
        assert f'value="{team.pk}" selected' in html and f'value="{staff["tech2"].pk}" selected' in html


def test_other_templates_fall_back_to_django() -> None:
    class F(djforms.Form):
        default_renderer = FastWidgetRenderer()
        pick = djforms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=djforms.RadioSelect)
        many = djforms.MultipleChoiceField(choices=[("a", "A")], widget=djforms.CheckboxSelectMultiple)
        on = djforms.BooleanField(required=False)
        note = djforms.CharField(widget=djforms.Textarea, initial="<i>x</i>")

    class Ref(F):
        default_renderer = DjangoTemplates()

    assert [str(f) for f in F()] == [str(f) for f in Ref()]


# The templates the `queue_rows` tag replaced (partials/queue_rows.html's loop with
# partials/queue_cells.html inlined), kept as the reference markup.
REFERENCE_ROWS = (Path(__file__).parent / "queue_rows_reference.html").read_text()


def _squash(html: str) -> str:
    """Whitespace between tags and runs of blanks do not change the page."""
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_queue_rows_tag_writes_the_reference_markup(login, make_ticket, staff, other_customer, lang) -> None:
    from django.template import Context, Template
    from django.test import RequestFactory
    from django.utils import timezone

    from herdesk.clocks.services import clock_sweep
    from herdesk.workspace import selectors
    from herdesk.workspace.templatetags.workspace_tags import queue_rows

    old = timezone.now() - timedelta(minutes=50)
    make_ticket(team="tech-support", assignee="tech2", received_at=old)
    make_ticket(team="tech-support", assignee="", cust=other_customer, channel="email", priority="urgent")
    make_ticket(subject="主题 <b>" + "很长" * 30 + "</b>")
    make_ticket(received_at=old)
    clock_sweep()
    boss = staff["cs_lead"]
    request = RequestFactory().get("/queues/all/")
    request.user = boss
    now = timezone.now()
    with translation.override(lang):
        for queue in ("all", "unassigned", "soon", "breached"):
            if queue in selectors.CLOCK_QUEUES:
                page = selectors.queue_clocks(user=boss, queue=queue, now=now)
            else:
                page = selectors.queue_tickets(user=boss, queue=queue)
            assert page.rows, queue
            for can_reassign in (True, False):
                ctx = {"page": page, "now": now, "can_reassign": can_reassign, "request": request}
                reference = Template(REFERENCE_ROWS).render(Context(ctx))
                assert _squash(str(queue_rows(page, now, can_reassign))) == _squash(reference), queue


def test_fast_select_writes_django_markup_and_falls_back_for_groups() -> None:
    """FastSelect's own path (flat choices, a lazy list, a selected value, markup to escape) writes
    what Django's templates write; option groups go through Django's path."""
    from herdesk.workspace.rendering import FastSelect

    flat: list[tuple[Any, str]] = [("", "—"), (1, 'A & "B"'), (2, "<c>"), (None, "none")]
    grouped: list[Any] = [("g <1>", [(1, "one"), (2, "two")]), (3, "three")]
    lazy = lambda: list(flat)  # noqa: E731 (a lazy choice list, as forms._values_choices gives)
    cases: list[tuple[Any, Any]] = [(flat, 2), (flat, "1"), (lazy, 2), (grouped, 2), (flat, None)]
    for choices, value in cases:
        fast = FastSelect(attrs={"class": "form-select"}, choices=choices)
        ref = djforms.Select(attrs={"class": "form-select"}, choices=choices)
        html = fast.render("x", value, {"id": "id_x"}, renderer=FastWidgetRenderer())
        assert html == ref.render("x", value, {"id": "id_x"}, renderer=DjangoTemplates())
        if value == 2 and choices is not grouped:
            assert '<option value="2" selected>&lt;c&gt;</option>' in html
    # The fast path is taken: Django's option dicts are never built for flat choices.
    fast = FastSelect(choices=flat)
    fast.optgroups = None  # type: ignore[assignment,method-assign]
    assert "selected" in fast.render("x", 1, renderer=FastWidgetRenderer())
