"""The workspace search page behind the header box: tickets, knowledge articles and customers
(KB-2), each filtered by what the signed-in user may see (herdesk.search.unified)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from herdesk.search.unified import Everything, everything_search

from .views import _page, staff_required


@staff_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:200]
    status = 200
    try:
        found = everything_search(user=request.user, q=q)
    except ValidationError as exc:
        found, status = Everything(q), 400
        messages.error(request, " ".join(exc.messages))
    if found.jump:  # a ticket number the user may open: straight to it
        return redirect("workspace:ticket", number=found.jump)
    return _page(
        request, "workspace/search.html", {"found": found, "search_q": q, "active": "search"}, status
    )
