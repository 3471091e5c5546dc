"""The value types of the inbound API (see docs/architecture/channels.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Sender:
    """Who wrote: the customer and the contact the message came from."""

    customer: Any
    contact: Any = None
    created: bool = False


@dataclass
class InboundMessage:
    """A channel's message in the one shape `inbound_route` understands."""

    channel: str  # ticket channel: email, email_other, chat, wechat, phone, social, portal
    interaction_kind: str  # tickets.choices.InteractionKind
    sender: Sender
    body: str
    subject: str = ""
    received_at: datetime | None = None
    external_id: str = ""
    problem_type: str = ""
    # Auto-replies, bulk and list mail: recorded on a threaded ticket as an internal entry that
    # neither counts as the customer's reply nor reopens the ticket.
    automatic: bool = False
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Routed:
    ticket: Any
    interaction: Any
    created: bool
    # Candidate tickets the sender was not allowed to write to (numbers), for the record.
    refused: list[str] = field(default_factory=list)
    # The clocks a new ticket started (for its acknowledgement, without reading them back).
    clocks: list[Any] = field(default_factory=list)


@dataclass
class HandlerResult:
    outcome: str  # choices.Outcome
    ticket: Any = None
    interaction: Any = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class StoreResult:
    payload: Any
    created: bool  # a new row was written (False: byte-identical redelivery)
    duplicate: bool  # recognised as a message already stored


@dataclass
class ProcessResult:
    payload_id: int
    state: str
    outcome: str = ""
    ticket_number: str = ""
    reason_code: str = ""
    reason: str = ""
