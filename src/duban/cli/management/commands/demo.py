"""`duban demo [--scale district|city|province] [--port N] [--no-serve] [--fresh]`."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from duban.demo.people import DEMO_PASSWORD


def demo_accounts_text() -> str:
    from duban.orgs.models import Membership

    lines = [f"演示账号（密码均为 {DEMO_PASSWORD}）："]
    what = {"admin": "推进办，可管理", "leader": "领导，只读", "unit1": "联络员，只看本单位", "unit2": "联络员，只看本单位"}
    for username, text in what.items():
        m = Membership.objects.filter(user__username=username).select_related("unit", "user").first()
        who = f"{m.user.get_full_name()} · {m.unit.name}" if m else ""
        lines.append(f"  {username:<7} {who}（{text}）")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Migrate, load a realistic demo campaign, then serve it on 127.0.0.1."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=["district", "city", "province"], default="district")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true")
        parser.add_argument("--fresh", action="store_true", help="wipe the database first")
        parser.add_argument("--seed", type=int, default=20211109)

    def handle(self, *args, **opts):
        from duban.campaigns.models import Campaign

        if opts["scale"] == "province" and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            self.stderr.write("提示：省级规模（约 300 万条问题）建议使用 PostgreSQL（设置 DUBAN_DATABASE_URL）。")
        if opts["fresh"]:
            call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", interactive=False, verbosity=0)
        if Campaign.objects.exists():
            self.stdout.write("数据库中已有活动数据，跳过生成（--fresh 可重新生成）。")
        else:
            from duban.demo.build import build_demo

            started = time.perf_counter()
            self.stdout.write(f"正在生成演示数据（{opts['scale']}）…")
            ctx = build_demo(opts["scale"], seed=opts["seed"], log=self.stdout.write)
            for line in ctx.notes:
                self.stdout.write(f"  {line}")
            self.stdout.write(f"演示数据生成完毕，用时 {time.perf_counter() - started:.1f} 秒")
        self.stdout.write(demo_accounts_text())
        if opts["no_serve"]:
            return
        from duban.cli.management.commands.serve import run_until_stopped

        self.stdout.write(f"打开 http://127.0.0.1:{opts['port']}/ 登录（Ctrl+C 停止）")
        run_until_stopped(self, "127.0.0.1", opts["port"], 2, 4)
