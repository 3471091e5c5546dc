from django.apps import AppConfig


class Config(AppConfig):
    name = "herdesk.workspace"
    label = "workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
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
