from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from herdesk.staff.models import ApiToken, User
from herdesk.staff.services import SCOPES, token_create, token_revoke


class Command(BaseCommand):
    help = (
        "API tokens. `herdesk token create --user USERNAME [--scopes read,write] [--expires-days N]` "
        "prints a new token once; `token list [--user U]`; `token revoke PREFIX|ID`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        c = sub.add_parser("create", help="create a token (printed once; only its hash is stored)")
        c.add_argument("--user", required=True)
        c.add_argument("--name", default="cli")
        c.add_argument(
            "--scopes",
            default="read,write",
            help=f"comma-separated, of {','.join(SCOPES)} (admin: administrators)",
        )
        c.add_argument(
            "--expires-days", type=int, default=None, help="days until it expires (default: never)"
        )
        ls = sub.add_parser("list", help="list tokens (prefix, user, scopes, expiry, last use, revoked)")
        ls.add_argument("--user", default=None, help="only this user's tokens")
        ls.add_argument("--all", action="store_true", help="include revoked and expired tokens")
        rv = sub.add_parser("revoke", help="revoke a token by its id or its prefix (hdk_…)")
        rv.add_argument("token")

    def handle(self, *args: Any, **o: Any) -> None:
        getattr(self, f"_{o['action']}")(o)

    def _create(self, o: dict[str, Any]) -> None:
        user = User.objects.filter(username=o["user"]).first()
        if user is None:
            raise CommandError(f"unknown user {o['user']!r}", returncode=2)
        days = o["expires_days"]
        if days is not None and not 1 <= days <= 3650:
            raise CommandError("--expires-days must be between 1 and 3650", returncode=2)
        expires_at = timezone.now() + timedelta(days=days) if days else None
        scopes = [s.strip() for s in o["scopes"].split(",") if s.strip()]
        if set(scopes) - set(SCOPES):
            raise CommandError(
                f"unknown scope(s): {', '.join(sorted(set(scopes) - set(SCOPES)))}", returncode=2
            )
        try:
            _token, secret = token_create(user=user, name=o["name"], scopes=scopes, expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=2) from None
        self.stdout.write(secret)

    def _list(self, o: dict[str, Any]) -> None:
        qs = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
        if o["user"]:
            qs = qs.filter(user__username=o["user"])
        now = timezone.now()
        if not o["all"]:
            qs = qs.filter(revoked_at__isnull=True).exclude(expires_at__lte=now)
        self.stdout.write(
            f"{'id':>5}  {'prefix':<13} {'user':<14} {'scopes':<17} {'expires':<17} {'last used':<17} name"
        )

        def when(d: Any) -> str:
            return timezone.localtime(d).strftime("%Y-%m-%d %H:%M") if d else "-"

        for t in qs:
            state = (
                " (revoked)"
                if t.revoked_at
                else (" (expired)" if t.expires_at and t.expires_at <= now else "")
            )
            self.stdout.write(
                f"{t.pk:>5}  {t.prefix:<13} {t.user.username:<14} {t.scopes:<17} {when(t.expires_at):<17} "
                f"{when(t.last_used_at):<17} {t.name}{state}"
            )

    def _revoke(self, o: dict[str, Any]) -> None:
        ref = o["token"]
        qs = (
            ApiToken.objects.filter(pk=int(ref))
            if ref.isdigit() and len(ref) < 19
            else ApiToken.objects.filter(prefix=ref)
        )
        tokens = list(qs[:2])
        if len(tokens) != 1:
            raise CommandError(
                f"no single token {ref!r} (give its id or full 12-character prefix)", returncode=2
            )
        token_revoke(token=tokens[0])
        self.stdout.write(f"revoked {tokens[0].prefix}… of {tokens[0].user.username}")
