"""Complaints as a workflow: assessment, containment, root cause, CAPA with effectiveness checks
(CMP-1..4, issue #16)."""

from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.complaints"
    label = "complaints"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A ticket that is, or becomes, a complaint gets its complaint record after its transaction
        # commits (idempotent; the sweep is the backstop for rows written without either path):
        # creation through the tickets' explicit hook list (ADR 0004), a later change to a complaint
        # (triage, the admin) through post_save.
        from django.db.models.signals import post_save

        from herdesk.notifications.kinds import CUSTOMER_CHANNELS, outbox_kind_register
        from herdesk.notifications.registry import notice_essential_register
        from herdesk.tickets import hooks
        from herdesk.tickets.models import Ticket

        from .services.workflow import NOTICE_KINDS, SOLUTION_NOTICE, _ticket_saved, ticket_created_hook

        hooks.on_ticket_created(ticket_created_hook)
        post_save.connect(_ticket_saved, sender=Ticket, dispatch_uid="complaints.ticket_saved")
        # The complaint's own customer notices (the solution, the closure), each a declared kind.
        for kind in NOTICE_KINDS:
            for channel in CUSTOMER_CHANNELS:
                outbox_kind_register(
                    channel=channel, template=kind, payload=("text",), description=f"complaint notice: {kind}"
                )
        notice_essential_register(SOLUTION_NOTICE)
