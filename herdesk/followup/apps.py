from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.followup"
    label = "followup"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The outbox kinds this app queues: the survey link on the customer's channel.
        from herdesk.notifications.kinds import outbox_kind_register
        from herdesk.notifications.registry import rating_link_register

        for channel in ("email", "sms", "wechat"):
            outbox_kind_register(channel=channel, template="survey", payload=("text",))
        # QA-2: the resolution notice carries a signed rating link (services.rating_link_make).
        rating_link_register("herdesk.followup.services:rating_link_make")

        # The report pack's follow-up section (#18): this app's rate, as its rate page shows it.
        from herdesk.analytics.sections import section_register

        from .selectors import follow_up_rate_section

        section_register("follow_up", follow_up_rate_section)
