"""`duban import units|problems|tasks|projects|suggestions FILE.xlsx`: all or nothing.

The command runs as the system (the administrator who has the shell): no person's scope
applies, but a problem's status still changes only by the workflow's steps unless
`--office-override` is given (then audited as an override).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from duban.audit.services import user_action
from duban.cli.ledgers import importer, kinds
from duban.core.actors import CLI
from duban.core.contributions import contributions
from duban.core.xlsx import ImportRejected, write_errors


class Command(BaseCommand):
    help = "Import a ledger from xlsx. Writes nothing and exits non-zero on any error."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=kinds(), help="、".join(f"{d.kind}（{d.layout}）" for d in contributions("ledgers")))
        parser.add_argument("file")
        parser.add_argument("--campaign", type=int, default=None, help="campaign id (default: the active one)")
        parser.add_argument("--errors-out", default=None, help="also write the error report to this xlsx")
        parser.add_argument("--apply", action="store_true", help="re-import: apply changes to matched rows")
        parser.add_argument(
            "--office-override", action="store_true",
            help="problems: allow status changes outside the workflow (推进办更正), audited as overrides",
        )

    def handle(self, *args, **opts):
        fn = importer(opts["kind"])
        if fn is None:
            raise CommandError(f"导入“{opts['kind']}”尚未提供")
        try:
            with user_action():
                if opts["kind"] == "units":
                    result = fn(actor=CLI, source=opts["file"], skip_checks=True)  # the shell's administrator
                else:
                    extra = {"override": True} if opts["office_override"] and opts["kind"] == "problems" else {}
                    result = fn(actor=CLI, source=opts["file"], campaign_id=opts["campaign"], apply=opts["apply"], stdout=self.stdout,
                                skip_checks=True, **extra)
        except ImportRejected as exc:
            for e in exc.errors:
                self.stderr.write(str(e))
            if opts["errors_out"]:
                write_errors(opts["errors_out"], exc.errors)
            raise CommandError(f"导入失败：{len(exc.errors)} 处错误，未写入任何数据") from exc
        for row in getattr(result, "skipped", []):  # title, 填报, note… rows, each with why
            self.stdout.write(str(row))
        summary = result.summary() if hasattr(result, "summary") else f"导入完成：新建 {result.created} 条（共 {result.rows} 行）"
        self.stdout.write(summary)
