"""The authentication backend: Django's ModelBackend, reading a signed-in user's context in fewer
queries.

Why: every staff page asks who the user is (the session's user), what they may do (permissions) and
which role and team they have (the sidebar). ModelBackend reads these in four queries (the user, the
team, the user's own permissions, the permissions of the user's groups) and `user_role` read the
groups a fifth time; on a queue page with a budget of 50 ms at 1,000,000 tickets (issue 4) each query
costs about a millisecond of Python. Here: the user with their team in one query, and the
permissions and the group names together in one more. The answers are the same as ModelBackend's
(superusers and inactive users take its path unchanged); they live on the user object, so they last
one request, as ModelBackend's caches do.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

from .models import User

GROUP_NAMES_ATTR = "_herdesk_group_names"


def _context_sql() -> str:
    """One statement: ("p", app_label, codename) per permission (own or through a group) and
    ("g", group name, "") per group, the groups in id order. Table names from the models' _meta so a
    swapped or renamed table stays right."""
    perm, ct, group = Permission._meta.db_table, ContentType._meta.db_table, Group._meta.db_table
    user_perms = User.user_permissions.through._meta.db_table
    user_groups = User.groups.through._meta.db_table
    group_perms = Group.permissions.through._meta.db_table
    return (
        f'SELECT \'p\', ct."app_label", p."codename", 0 FROM "{perm}" p '
        f'JOIN "{ct}" ct ON ct."id" = p."content_type_id" '
        f'WHERE p."id" IN (SELECT "permission_id" FROM "{user_perms}" WHERE "user_id" = %s) '
        f'OR p."id" IN (SELECT gp."permission_id" FROM "{group_perms}" gp '
        f'JOIN "{user_groups}" ug ON ug."group_id" = gp."group_id" WHERE ug."user_id" = %s) '
        f"UNION ALL "
        f'SELECT \'g\', g."name", \'\', g."id" FROM "{group}" g '
        f'JOIN "{user_groups}" ug ON ug."group_id" = g."id" WHERE ug."user_id" = %s'
    )


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        try:
            user = User._default_manager.select_related("team").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if (
            obj is not None
            or not getattr(user_obj, "is_active", False)
            or getattr(user_obj, "is_anonymous", True)
            or user_obj.is_superuser
        ):
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            load_user_context(user_obj)
        return user_obj._perm_cache  # type: ignore[no-any-return]


def load_user_context(user: Any) -> None:
    """Read the user's permissions and group names in one statement and keep them on the object
    (the same attribute ModelBackend caches permissions in)."""
    db = router.db_for_read(Permission)
    with connections[db].cursor() as cursor:
        cursor.execute(_context_sql(), [user.pk, user.pk, user.pk])
        rows = cursor.fetchall()
    perms = {f"{a}.{b}" for kind, a, b, _id in rows if kind == "p"}
    groups = [a for kind, a, _b, gid in sorted(rows, key=lambda r: r[3]) if kind == "g"]
    user._perm_cache = perms
    setattr(user, GROUP_NAMES_ATTR, groups)


def group_names(user: Any) -> list[str]:
    """The user's group names in id order, read with the permissions when they were read."""
    names = getattr(user, GROUP_NAMES_ATTR, None)
    if names is None:
        if not getattr(user, "pk", None):
            return []
        if getattr(user, "is_active", False) and not user.is_superuser:
            load_user_context(user)
            return list(getattr(user, GROUP_NAMES_ATTR))
        return list(user.groups.order_by("id").values_list("name", flat=True))
    return list(names)
