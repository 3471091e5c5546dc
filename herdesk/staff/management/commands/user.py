from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from herdesk.staff.models import Team, User
from herdesk.staff.roles import ROLES
from herdesk.staff.services import roles_sync, superuser_create, totp_reset, user_create


class Command(BaseCommand):
    help = (
        "Staff users. `herdesk user create USERNAME --role ROLE [--team CODE] [--password P]`; "
        "`herdesk user create USERNAME --superuser --password P`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        c = sub.add_parser("create", help="create a user with one role")
        c.add_argument("username")
        c.add_argument("--role", choices=sorted(ROLES), help="required unless --superuser")
        c.add_argument(
            "--superuser",
            action="store_true",
            help="a superuser (all permissions); only here or createsuperuser, never in the admin",
        )
        c.add_argument("--team", help="team code, e.g. tech-support")
        c.add_argument("--password", help="omit to create a user without a password (token/API only)")
        c.add_argument("--name", default="", help="display name")
        r = sub.add_parser("2fa-reset", help="remove a user's two-factor devices (lost phone); audited")
        r.add_argument("username")
        code = sub.add_parser(
            "otp-code", help="current code of a demo user's pre-enrolled device (demo only)"
        )
        code.add_argument("username")
        sub.add_parser(
            "sync-roles", help="make the role groups match staff/roles.py (after an upgrade; audited)"
        )

    def handle(self, *args: Any, **o: Any) -> None:
        if o["action"] in ("2fa-reset", "otp-code"):
            return self._two_factor(o)
        if o["action"] == "sync-roles":
            counts = roles_sync()
            self.stdout.write(", ".join(f"{role}: {n}" for role, n in counts.items()))
            return
        if o.get("superuser"):
            self._superuser(o)
            return
        if not o.get("role"):
            raise CommandError("--role is required (or --superuser)", returncode=2)
        team = None
        if o.get("team"):
            team = Team.objects.filter(code=o["team"]).first()
            if team is None:
                raise CommandError(f"unknown team {o['team']!r}", returncode=2)
        try:
            user = user_create(
                username=o["username"],
                password=o.get("password"),
                role=o["role"],
                team=team,
                display_name=o.get("name", ""),
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()), returncode=2
            )
        self.stdout.write(f"created {user.username} ({o['role']})")

    def _superuser(self, o: dict[str, Any]) -> None:
        if not o.get("password"):
            raise CommandError("a superuser needs --password", returncode=2)
        try:
            user = superuser_create(username=o["username"], password=o["password"])
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()), returncode=2
            )
        self.stdout.write(f"created superuser {user.username}")

    def _two_factor(self, o: dict[str, Any]) -> None:
        from django_otp.oath import totp
        from django_otp.plugins.otp_totp.models import TOTPDevice

        user = User.objects.filter(username=o["username"]).first()
        if user is None:
            raise CommandError(f"unknown user {o['username']!r}", returncode=2)
        if o["action"] == "2fa-reset":
            count = totp_reset(actor="cli", user=user)
            self.stdout.write(
                f"{user.username}: {count} two-factor device(s) removed; the next sign-in enrols anew"
            )
            return
        # Only the devices `herdesk demo load` created: a person's own authenticator stays theirs.
        device = TOTPDevice.objects.filter(user=user, name="demo", confirmed=True).first()
        if device is None:
            raise CommandError(f"{user.username} has no demo two-factor device", returncode=2)
        self.stdout.write(
            f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"
        )
