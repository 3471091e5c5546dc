"""Moved to herdesk.realtime.layers; this path is kept for old imports and settings."""

from herdesk.realtime.layers import InMemoryChannelLayer

__all__ = ["InMemoryChannelLayer"]
