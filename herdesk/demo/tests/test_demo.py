"""The demo company (`make run`): believable tickets per product family, a trained triage model (#13, #15)."""

import pytest

from herdesk.demo.services import demo_load
from herdesk.tickets.models import Ticket
from herdesk.triage.models import TriageModel
from herdesk.triage.services import suggest_text

pytestmark = pytest.mark.django_db


def test_demo_tickets_fit_their_product_and_the_starter_model_is_trained() -> None:
    demo_load(customers=8, tickets=60, seed=7)
    tickets = list(Ticket.objects.select_related("product"))
    assert len(tickets) == 60
    for t in tickets:
        if t.problem_type in {"technical_support", "after_sales"}:
            assert t.product.kind == "equipment", (t.subject, t.product.name)
        if t.product.kind == "equipment":
            assert "乳糖" not in t.subject and "营养成分" not in t.subject, t.subject
        assert "客户来电/来信反映" not in t.description  # the customer's words, not an agent's note
    assert TriageModel.objects.filter(active=True).count() == 1
    # The classifier agrees with most of the demo's own labels (it learnt from the starter set).
    agree = sum(
        suggest_text(subject=t.subject, description=t.description).problem_type == t.problem_type
        for t in tickets
    )
    assert agree / len(tickets) >= 0.8
