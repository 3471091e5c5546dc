"""Moved to herdesk.realtime.sockets (shared by every channel); this path is kept for old imports."""

from herdesk.realtime.sockets import BURST, MAX_FRAME_CHARS, RATE, JsonSocket, error_frame, validation_errors

__all__ = ["BURST", "MAX_FRAME_CHARS", "RATE", "JsonSocket", "error_frame", "validation_errors"]
