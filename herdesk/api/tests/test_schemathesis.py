"""The whole OpenAPI document, property-tested with schemathesis for a staff and a customer token:
no server error, no status the document does not list, JSON bodies that match their schemas.

Bounded (a few examples per operation, no shrinking) so it takes a minute or two on 2 cores; it runs
in `make test` (marked slow, not e2e). A failure prints the reproducing request.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = [pytest.mark.slow]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
_TOKENS: dict[str, str] = {}


@pytest.fixture
def _keep_connection() -> Iterator[None]:
    """The raw WSGI app closes the database connection at the end of each request (Django's test
    Client switches that off; on PostgreSQL it would end the test's transaction). Same here."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db, staff, customer, _keep_connection) -> dict[str, str]:
    from herdesk.staff.models import ApiToken, User
    from herdesk.staff.services import token_create, user_create
    from herdesk.tickets.services import ticket_create

    agent = User.objects.get(username="agent1")
    for i in range(3):
        ticket_create(
            actor=agent,
            customer=customer,
            channel="phone",
            problem_type="product_inquiry",
            subject=f"酸奶 {i}",
        )
    portal = user_create(username="portal-st", password=None, role="customer", customer=customer)
    ApiToken.objects.all().delete()
    _TOKENS["staff"] = token_create(user=User.objects.get(username="cs_lead"))[1]
    _TOKENS["customer"] = token_create(user=portal)[1]
    return _TOKENS


# Loaded through the WSGI app at collection (the OpenAPI view needs no database); every call of the
# test goes through the same app, in the test's transaction.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
EXAMPLES = 8  # per operation and generation mode (valid and invalid input), for each token


def test_api_conforms_to_its_openapi(tokens: dict[str, str]) -> None:
    """One test over every operation, so the reference data is set up once (not per operation)."""
    from herdesk.staff.models import ApiToken

    seen: Counter[int] = Counter()
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                # A generated DELETE /tokens/{id} may revoke the test's own token: un-revoke first.
                ApiToken.objects.filter(revoked_at__isnull=False).update(revoked_at=None)
                for who in ("staff", "customer"):
                    r = case.call_and_validate(
                        headers={"Authorization": f"Bearer {tokens[who]}"}, checks=CHECKS
                    )
                    seen[r.status_code] += 1

            run()
    # the run reached the operations, not only the auth wall
    print(sorted(seen.items()))
    assert seen[200] + seen[201] > 50 and seen[422] > 50 and seen[404] > 10
