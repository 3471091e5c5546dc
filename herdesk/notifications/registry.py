"""What the apps above the domain core plug into the notifications (each in its AppConfig.ready()).

The core records that a notice is due and composes it (customer_notices, staff_notices); the apps
above it say how it reaches the customer. Nothing here imports a channel or the portal: they
register themselves, as the channels register their inbound handlers (herdesk.inbound.registry)
and their outbox adapters (services.OUTBOX_ADAPTERS).

- Notice recipients: for channel "sms" or "wechat", the function that names whom a ticket's notice
  goes to ("contact:<pk>" or an openid; "" when nobody can be reached that way). Email needs no
  channel app (customers.selectors.contact_primary, in customer_notices).
- The action link: the portal's maker of signed single-use links (choose an option, confirm a
  resolution) put into a notice; without one, the notice points to the customer portal.

Entries are callables or dotted paths ("module.path:function"), imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

RecipientResolver = Callable[[Any], str]
ActionLinkMaker = Callable[..., str]  # (*, ticket, purpose) -> an absolute URL

_RECIPIENTS: dict[str, RecipientResolver | str] = {}
_ACTION_LINK: list[ActionLinkMaker | str] = []
_RATING_LINK: list[ActionLinkMaker | str] = []
_ESSENTIAL: set[str] = set()


def _load(entry: Any) -> Any:
    return import_string(entry.replace(":", ".")) if isinstance(entry, str) else entry


def notice_recipient_register(channel: str, resolver: RecipientResolver | str) -> None:
    """Register how a ticket's notice on `channel` finds its recipient (channel apps' ready())."""
    _RECIPIENTS[channel] = resolver


def notice_recipient(channel: str, ticket: Any) -> str:
    """The recipient of a ticket's notice on `channel`; "" when no app serves that channel."""
    entry = _RECIPIENTS.get(channel)
    if entry is None:
        return ""
    resolver = _RECIPIENTS[channel] = _load(entry)
    return str(resolver(ticket) or "")


def action_link_register(maker: ActionLinkMaker | str) -> None:
    """Register the maker of signed single-use action links (the portal's ready())."""
    _ACTION_LINK[:] = [maker]


def action_link(*, ticket: Any, purpose: str) -> str:
    """A signed single-use link for `purpose` (choices.ActionLinkPurpose); "" without a portal."""
    if not _ACTION_LINK:
        return ""
    maker = _ACTION_LINK[0] = _load(_ACTION_LINK[0])
    return str(maker(ticket=ticket, purpose=purpose))


def rating_link_register(maker: ActionLinkMaker | str) -> None:
    """Register the maker of the signed rating link put into the resolution notice (QA-2; the
    follow-up app's ready()): `maker(ticket=…)` returns an absolute URL, or "" when the customer is
    not to be asked (anti-fatigue, no follow-up owed)."""
    _RATING_LINK[:] = [maker]


def rating_link(*, ticket: Any) -> str:
    if not _RATING_LINK:
        return ""
    maker = _RATING_LINK[0] = _load(_RATING_LINK[0])
    return str(maker(ticket=ticket) or "")


def notice_essential_register(kind: str) -> None:
    """A notice kind of an app above the core that is sent even to a customer who opted out of
    non-essential notices (e.g. the solution of their complaint: CMP-1 communication)."""
    _ESSENTIAL.add(str(kind))


def notice_essential(kind: str, core: frozenset[str] | set[str]) -> bool:
    return kind in core or kind in _ESSENTIAL


def registered() -> dict[str, Any]:
    """What is registered (for the checks and the docs)."""
    return {
        "recipients": sorted(_RECIPIENTS),
        "action_link": bool(_ACTION_LINK),
        "rating_link": bool(_RATING_LINK),
        "essential": sorted(_ESSENTIAL),
    }
