"""Celery task for the chat sweep (beat entry "chat-sweep" in settings). The embedded scheduler
calls `herdesk.chat.services.chat_sweep` directly."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="herdesk.chat_sweep", ignore_result=True)
def chat_sweep() -> int:
    from .services import chat_sweep as sweep

    return sweep()
