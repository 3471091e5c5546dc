"""Moved to herdesk.triage.rules (one triage module for every channel, the API and the pages)."""

from herdesk.triage.rules import *  # noqa: F403
from herdesk.triage.rules import BY_TYPE, RouteSuggestion, suggest_route  # noqa: F401
