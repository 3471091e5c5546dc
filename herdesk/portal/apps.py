from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.portal"
    label = "portal"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        # Registration only: customer notices carry the portal's signed single-use action links
        # (choose an option, confirm a resolution; notifications.registry).
        from herdesk.notifications.registry import action_link_register

        action_link_register("herdesk.portal.services:portal_action_link_create")
        # The outbox kind of the e-mailed sign-in link (its acknowledgement is a customer notice).
        from herdesk.notifications.kinds import outbox_kind_register

        login_link = ("subject", "text", "url")
        outbox_kind_register(channel="email", template="portal_login_link", payload=login_link)
