"""Moved to herdesk.realtime.publish (shared by every channel); this path is kept for old imports."""

from herdesk.realtime.publish import log, publish_after_commit, send_now

__all__ = ["log", "publish_after_commit", "send_now"]
