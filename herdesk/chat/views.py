"""Pages of live chat: the agent console, and a demo page showing the one-tag widget embed.
Thin: the console talks to the server over its WebSocket (consumers.AgentChatConsumer)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import select_template
from django.utils.translation import gettext as _

from herdesk.tickets.choices import ProblemType
from herdesk.workspace.views.common import _nav

from .selectors import can_chat


@login_required
def console(request: HttpRequest) -> HttpResponse:
    if not can_chat(request.user):
        raise PermissionDenied
    # The staff workspace's frame: the role's navigation, the search box and the user menu.
    from django.utils import timezone

    base = select_template(["workspace/layout.html", "base.html", "chat/standalone_base.html"]).template.name
    return render(
        request,
        "chat/console.html",
        {
            **_nav(request, timezone.now()),
            "active": "chat",
            "base_template": base,
            "problem_types": ProblemType.choices,
            "strings": _console_strings(),
        },
    )


def _console_strings() -> dict[str, str]:
    """Texts the console's script shows (gettext here, so one catalogue serves everything)."""
    return {
        "waiting": _("Waiting"),
        "active": _("With an agent"),
        "offline": _("Message taken (no agent)"),
        "closed": _("Closed"),
        "accept": _("Accept"),
        "you": _("You"),
        "customer": _("Customer"),
        "pending": _("sending…"),
        "reconnecting": _("Connection lost, reconnecting…"),
        "signed_out": _("You are not signed in as an agent. Sign in again."),
        "unverified": _("Phone number given in the chat (not verified)"),
        "phone_verified": _("Phone number verified by SMS code"),
        "portal": _("Signed in to the portal"),
        "name": _("Name"),
        "organisation": _("Organisation"),
        "tier": _("Tier"),
        "phone": _("Phone"),
        "identity": _("Identity"),
        "no_ticket": _("No ticket yet."),
        "ticket": _("Ticket"),
        "open_tickets": _("%(n)s open"),
        "new_message": _("New message"),
        "page": _("Page"),
        "new_ticket": _("New"),
        "chat": _("Web/app chat"),
    }


def widget_demo(request: HttpRequest) -> HttpResponse:
    """A page with nothing but the embed tag: what a website or app web view adds."""
    return render(request, "chat/widget_demo.html")
