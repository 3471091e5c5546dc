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


def registered() -> dict[str, Any]:
    """What is registered (for the checks and the docs)."""
    return {"recipients": sorted(_RECIPIENTS), "action_link": bool(_ACTION_LINK)}
