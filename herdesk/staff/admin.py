"""Staff in the Django admin, without unaudited switches (issue #12, SEC-2, S3 §7.4).

Superuser status, groups and per-user permissions are not editable here: a user's role is one
choice that goes through `staff.services.user_set_role` (audited, refuses raising one's own
privileges), profile edits through `user_update`, passwords through `user_password_set`, role
permissions through `group_permissions_set`. Superusers are created on the command line only
(`herdesk user create NAME --superuser`).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from herdesk.common.errors import DomainError

from . import services
from .models import ApiToken, Team, User
from .roles import ROLES
from .selectors import user_role

# The person changing a password in the admin (the form is built by Django without the request).
_password_actor: ContextVar[Any] = ContextVar("admin_password_actor", default=None)


class Refused(Exception):
    """A service refused an admin change; the admin shows the reason and saves nothing."""


class _RefusingAdmin(admin.ModelAdmin):
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            with transaction.atomic():
                return super().changeform_view(request, *args, **kwargs)
        except Refused as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(request.get_full_path())


class UserChangeForm(forms.ModelForm):
    role = forms.ChoiceField(label=_("role"), choices=[(k, v["label"]) for k, v in ROLES.items()])

    class Meta:
        model = User
        fields = services.USER_EDITABLE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["role"].initial = user_role(self.instance)


class UserCreationForm(forms.ModelForm):
    role = forms.ChoiceField(label=_("role"), choices=[(k, v["label"]) for k, v in ROLES.items()])
    password1 = forms.CharField(label=_("password"), widget=forms.PasswordInput, required=False)

    class Meta:
        model = User
        fields = ("username", "display_name", "email", "team")


class PasswordForm(AdminPasswordChangeForm):
    """Django's form (validators, "disable password login"), saved through user_password_set."""

    def save(self, commit: bool = True) -> Any:
        usable = self.cleaned_data.get("set_usable_password", True)
        services.user_password_set(
            user=self.user,
            password=self.cleaned_data["password1"] if usable else None,
            actor=_password_actor.get(),
        )
        return self.user


@admin.register(User)
class UserAdmin(_RefusingAdmin, BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = PasswordForm
    list_display = ("username", "display_name", "team", "is_active", "is_staff", "is_superuser")
    list_filter = ("team", "groups", "is_active")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Profile"), {"fields": ("first_name", "last_name", "display_name", "email", "team", "extension")}),
        (_("Access"), {"fields": ("role", "is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "password1", "role", "display_name", "email", "team")}),)
    readonly_fields = ("username", "password", "is_staff", "is_superuser", "last_login", "date_joined")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: tickets and the audit log keep naming the person

    def get_actions(self, request: HttpRequest) -> Any:
        return {}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            with transaction.atomic():
                if not change:
                    created = services.user_create(
                        username=form.cleaned_data["username"],
                        password=form.cleaned_data.get("password1") or None,
                        role=form.cleaned_data["role"],
                        team=form.cleaned_data.get("team"),
                        display_name=form.cleaned_data.get("display_name", ""),
                        email=form.cleaned_data.get("email", ""),
                        actor=request.user,
                    )
                    obj.pk = created.pk
                    obj.refresh_from_db()
                    return
                changes = {
                    f: form.cleaned_data[f] for f in form.changed_data if f in services.USER_EDITABLE_FIELDS
                }
                services.user_update(user=obj, actor=request.user, changes=changes)
                if "role" in form.changed_data:
                    services.user_set_role(user=obj, role=form.cleaned_data["role"], actor=request.user)
        except DomainError as exc:
            # Shown as an error; nothing was saved (the admin's transaction rolls back).
            raise Refused(exc.message) from exc
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # no many-to-many field is on the form: groups change through user_set_role only

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        token = _password_actor.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_actor.reset(token)


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ("permissions",)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(_RefusingAdmin):
    """Role groups: permissions change through group_permissions_set (audited, no self-escalation);
    names are the role codes of roles.py, so groups are neither added, renamed nor deleted here."""

    form = GroupForm
    list_display = ("name",)
    readonly_fields = ("name",)
    fields = ("name", "permissions")
    filter_horizontal = ("permissions",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass  # nothing but permissions is editable; they are saved in save_related

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        try:
            services.group_permissions_set(
                group=form.instance, permissions=form.cleaned_data["permissions"], actor=request.user
            )
        except DomainError as exc:
            raise Refused(exc.message) from exc


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "lead")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `herdesk token create`; here they are only listed and revoked
    (through token_revoke, audited). Clearing `revoked_at` would have revived a token unaudited."""

    list_display = (
        "prefix",
        "user",
        "name",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = (
        "prefix",
        "digest",
        "user",
        "name",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            services.token_revoke(token=token, actor=request.user)
