"""`duban remind run [KEY…] [--dry-run] [--date D]`: send the reminders now (the worker sends
them on their schedules); `duban remind list`: the reminders the apps declare."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from duban.core import schedules
from duban.core.actors import CLI
from duban.core.cli_args import date_arg
from duban.core.dates import today
from duban.core.models import Schedule
from duban.core.reminders import declared_reminders
from duban.notify.services import reminder_send


class Command(BaseCommand):
    help = "提醒：run 立即发送（整改到期、意见建议超期未答复、推进办待办汇总）；list 列出各提醒及其发送时间"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="run|list")
        run = sub.add_parser("run", help="立即发送提醒（同一天每个单位只发一次，再运行不会重复发送）")
        run.add_argument("keys", nargs="*", metavar="KEY", help="只发这些提醒（默认全部；duban remind list 列出）")
        run.add_argument("--dry-run", action="store_true", help="只显示将发给哪些单位、发什么，不发送")
        run.add_argument("--date", default=None, help="按哪一天计算（默认今天），如 2026-12-07")
        sub.add_parser("list", help="列出各提醒、发送时间和上次运行")

    def handle(self, *args, **opts) -> None:
        known = declared_reminders()
        if opts["action"] == "list":
            rows = {s.key: s for s in Schedule.objects.filter(key__in=[f"remind-{k}" for k in known])}
            for key, r in known.items():
                s = rows.get(f"remind-{key}")
                when = (schedules.describe(s) + ("" if s.enabled else "（已停用）")) if s else "尚未登记（duban worker 启动时登记）"
                self.stdout.write(f"{key:<16} {r.name}  {when}")
            return
        keys = opts["keys"] or list(known)
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise CommandError(f"没有名为“{'、'.join(unknown)}”的提醒（有：{'、'.join(known)}）")
        on = date_arg(opts["date"], "--date") or today()
        for key in keys:
            report = reminder_send(key=key, on=on, actor=CLI, dry_run=opts["dry_run"])
            if opts["dry_run"]:
                self.stdout.write(f"{report.name}（{on:%Y-%m-%d}，试运行，未发送）：{len(report.previews)} 个单位")
                for c in report.previews:
                    self.stdout.write(f"\n== {c.subject}\n{c.body}")
                self.stdout.write("")
            else:
                self.stdout.write(str(report))
