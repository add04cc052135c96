"""`duban token create|list|revoke`: API tokens from the command line (the server's admin).

    duban token create USERNAME [--days N] [--name NOTE]   prints the token on the last line
    duban token list [USERNAME]                             id, user, name, dates, state; never the secret
    duban token revoke ID | --user USERNAME                 revoke one token or all of a person's
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from duban.core.actors import CLI
from duban.orgs import queries
from duban.orgs.models import TOKEN_DEFAULT_DAYS, ApiToken
from duban.orgs.services import token_create, token_revoke, tokens_revoke_for_user

ACTOR = CLI


def _user(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"没有用户“{username}”")
    return user


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class Command(BaseCommand):
    help = "API tokens: duban token create USERNAME [--days N] [--name NOTE] | list [USERNAME] | revoke ID|--user USERNAME"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token and print it once (last line)")
        create.add_argument("username")
        create.add_argument("--days", type=int, default=TOKEN_DEFAULT_DAYS, help=f"valid for N days (default {TOKEN_DEFAULT_DAYS})")
        create.add_argument("--name", "--label", dest="name", default="cli", help="a note saying what the token is for")
        listing = sub.add_parser("list", help="list tokens (all, or one user's)")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="revoke a token by id, or all tokens of a user")
        revoke.add_argument("id", nargs="?", type=int)
        revoke.add_argument("--user", dest="revoke_user")

    def handle(self, *args, **opts):
        getattr(self, f"_{opts['action']}")(opts)

    def _create(self, opts):
        user = _user(opts["username"])
        try:
            token = token_create(actor=ACTOR, user=user, label=opts["name"], days=opts["days"])
        except ValidationError as exc:
            raise CommandError("；".join(m for msgs in exc.message_dict.values() for m in msgs)) from exc
        row = ApiToken.objects.get(digest=ApiToken.digest_of(token))
        self.stdout.write(
            f"为 {user.username} 创建了 API 令牌（编号 {row.pk}，{_when(row.expires_at)} 到期，只显示这一次），"
            "用法：Authorization: Bearer <令牌>"
        )
        self.stdout.write(token)

    def _list(self, opts):
        rows = queries.token_list(user=_user(opts["username"]) if opts["username"] else None)
        header = ("编号", "用户", "名称", "创建时间", "最后使用", "到期时间", "状态")
        lines = [header] + [
            (str(t.pk), t.user.username, t.label or "—", _when(t.created_at), _when(t.last_used_at), _when(t.expires_at), t.state)
            for t in rows
        ]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        for line in lines:
            self.stdout.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if len(lines) == 1:
            self.stdout.write("（没有令牌）")

    def _revoke(self, opts):
        if (opts["id"] is None) == (opts["revoke_user"] is None):
            raise CommandError("请给出令牌编号，或用 --user 用户名 吊销该用户的全部令牌（二选一）")
        if opts["revoke_user"] is not None:
            user = _user(opts["revoke_user"])
            n = tokens_revoke_for_user(actor=ACTOR, user=user)
            self.stdout.write(f"已吊销 {user.username} 的 {n} 个令牌")
            return
        row = ApiToken.objects.filter(pk=opts["id"]).select_related("user").first()
        if row is None:
            raise CommandError(f"没有编号为 {opts['id']} 的令牌")
        if token_revoke(actor=ACTOR, token=row):
            self.stdout.write(f"已吊销令牌 {row.pk}（{row.user.username}，{row.label or '无名称'}）")
        else:
            self.stdout.write(f"令牌 {row.pk} 早已吊销")
