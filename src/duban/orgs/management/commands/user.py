"""`duban user add USERNAME --unit UNIT --role office|leader|liaison|viewer [--password P]`,
`duban user list [--unit UNIT]`, `duban user password USERNAME [--password P]` (DESIGN §5)."""

from __future__ import annotations

import getpass
import secrets
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from duban.audit.services import user_action
from duban.core.actors import CLI
from duban.orgs.cli import unit_arg
from duban.orgs.models import Membership, Role
from duban.orgs.services import member_add, user_set_password

CLI_ACTOR = CLI
ROLE_HELP = "、".join(f"{value}（{label}）" for value, label in Role.choices)


class Command(BaseCommand):
    help = "人员：add 添加人员到单位，list 列出，password 重设密码"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="add|list|password|unlock")
        add = sub.add_parser("add", help="添加人员（已有账号则加入该单位或改变角色）")
        add.add_argument("username")
        add.add_argument("--unit", required=True, help="单位：名称、“上级单位/单位名称”或编号")
        add.add_argument("--role", required=True, choices=Role.values, help=ROLE_HELP)
        add.add_argument("--password", help="初始密码（不给则生成一个并打印）")
        add.add_argument("--name", default="", help="姓名")
        add.add_argument("--title", default="", help="职务")
        lst = sub.add_parser("list", help="列出人员及其单位和角色")
        lst.add_argument("--unit", help="只列这个单位（含下级）")
        pw = sub.add_parser("password", help="重设密码")
        pw.add_argument("username")
        pw.add_argument("--password", help="新密码（不给则在终端输入，或生成一个并打印）")
        unlock = sub.add_parser("unlock", help="解除因多次输错密码造成的登录锁定")
        unlock.add_argument("username")

    def handle(self, *args, **opts):
        {"add": self._add, "list": self._list, "password": self._reset, "unlock": self._unlock}[opts["action"]](opts)

    def _new_password(self, opts, user=None) -> tuple[str, bool]:
        """The password to set and whether it was generated (and so must be printed once)."""
        if opts.get("password"):
            password, generated = opts["password"], False
        elif sys.stdin.isatty():
            password, generated = getpass.getpass("密码："), False
            if password != getpass.getpass("再输一次："):
                raise CommandError("两次输入的密码不一致")
        else:
            password, generated = secrets.token_urlsafe(12), True
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("密码不合要求：" + "；".join(exc.messages)) from exc
        return password, generated

    def _add(self, opts) -> None:
        unit = unit_arg(opts["unit"])
        exists = get_user_model().objects.filter(username=opts["username"]).exists()
        password, generated = ("", False) if exists else self._new_password(opts)
        try:
            with user_action():
                m = member_add(actor=CLI_ACTOR, unit=unit, username=opts["username"], role=opts["role"],
                               full_name=opts["name"], password=password, title=opts["title"])
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        what = "已加入" if exists else "已建立账号并加入"
        self.stdout.write(f"{m.user.username} {what} {unit.name}，角色：{Role(m.role).label}")
        if generated:
            self.stdout.write(f"初始密码（只显示这一次，请转交本人并提醒修改）：{password}")

    def _list(self, opts) -> None:
        rows = Membership.objects.select_related("user", "unit").order_by("unit__path", "user__username")
        if opts["unit"]:
            rows = rows.filter(unit__path__subtree=unit_arg(opts["unit"]).path)
        if not rows:
            self.stdout.write("没有人员。用 duban user add 用户名 --unit 单位 --role 角色 添加。")
            return
        for m in rows:
            name = m.user.get_full_name() or ""
            state = "" if m.user.is_active else "（已停用）"
            self.stdout.write(f"{m.user.username:<16}{name:<8}{Role(m.role).label:<6}{m.unit.name}{state}")

    def _unlock(self, opts) -> None:
        from axes.utils import reset

        if not get_user_model().objects.filter(username=opts["username"]).exists():
            raise CommandError(f"没有用户“{opts['username']}”")
        cleared = reset(username=opts["username"])
        self.stdout.write(f"已解除 {opts['username']} 的登录锁定（清除 {cleared} 条失败记录）")

    def _reset(self, opts) -> None:
        user = get_user_model().objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"没有用户“{opts['username']}”")
        password, generated = self._new_password(opts, user)
        with user_action():
            user_set_password(actor=CLI_ACTOR, user=user, password=password)
        self.stdout.write(f"已重设 {user.username} 的密码")
        if generated:
            self.stdout.write(f"新密码（只显示这一次）：{password}")
