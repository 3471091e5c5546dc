"""Complaints as a workflow: assessment, containment, root cause, CAPA with effectiveness checks
(CMP-1..4, issue #16)."""

from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.complaints"
    label = "complaints"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A ticket that is, or becomes, a complaint gets its complaint record after its transaction
        # commits (idempotent; the sweep is the backstop for rows written without signals).
        from django.db.models.signals import post_save

        from herdesk.tickets.models import Ticket
        from herdesk.tickets.signals import ticket_created

        from .services import _ticket_saved

        post_save.connect(_ticket_saved, sender=Ticket, dispatch_uid="complaints.ticket_saved")
        ticket_created.connect(_ticket_saved, sender=Ticket, dispatch_uid="complaints.ticket_created")
