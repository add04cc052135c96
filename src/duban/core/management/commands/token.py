"""`duban token create USERNAME`: print a new API token (last line of output)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from duban.orgs.services import token_create


class Command(BaseCommand):
    help = "Create an API token for a user: duban token create USERNAME [--label L]"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create"])
        parser.add_argument("username")
        parser.add_argument("--label", default="cli")

    def handle(self, *args, **opts):
        try:
            user = get_user_model().objects.get(username=opts["username"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"没有用户“{opts['username']}”") from exc
        token = token_create(actor="命令行", user=user, label=opts["label"])
        self.stdout.write(f"为 {user.username} 创建了 API 令牌（只显示这一次），用法：Authorization: Bearer <令牌>")
        self.stdout.write(token)
