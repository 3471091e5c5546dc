import logging

from django.apps import AppConfig


class QuietClientErrors(logging.Filter):
    """An ordinary 403 (PermissionDenied) or 404 is the user's mistake, not ours: log its one
    line ("Forbidden: /tickets/…") without the traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in (403, 404):
            record.exc_info = None
            record.exc_text = None
        return True


class Config(AppConfig):
    name = "herdesk.workspace"
    label = "workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        request_log = logging.getLogger("django.request")
        if not any(isinstance(f, QuietClientErrors) for f in request_log.filters):
            request_log.addFilter(QuietClientErrors())
        # The choice lists of the workspace forms (forms._values_choices) are kept between requests;
        # a change to their rows refreshes them (herdesk.common.reflists).
        from django.db.models.signals import post_delete, post_save

        from herdesk.catalog.models import Product
        from herdesk.common.reflists import reference_changed
        from herdesk.staff.models import Team, User
        from herdesk.tickets.models import Category

        for model in (Team, User, Product, Category):
            uid = f"reflists.{model.__name__}"
            post_save.connect(reference_changed, sender=model, dispatch_uid=f"{uid}.save")
            post_delete.connect(reference_changed, sender=model, dispatch_uid=f"{uid}.delete")
