from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from herdesk.staff.models import User
from herdesk.staff.services import token_create


class Command(BaseCommand):
    help = "API tokens. `herdesk token create --user USERNAME` prints a new token once."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        c = sub.add_parser("create", help="create a token (printed once; only its hash is stored)")
        c.add_argument("--user", required=True)
        c.add_argument("--name", default="cli")

    def handle(self, *args: Any, **o: Any) -> None:
        user = User.objects.filter(username=o["user"]).first()
        if user is None:
            raise CommandError(f"unknown user {o['user']!r}", returncode=2)
        _token, secret = token_create(user=user, name=o["name"])
        self.stdout.write(secret)
