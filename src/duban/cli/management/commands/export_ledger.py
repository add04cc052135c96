"""`duban export problems|tasks|projects|suggestions|units --out FILE.xlsx`: the import layout back."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from duban.cli.ledgers import exporter, kinds
from duban.core.contributions import contributions
from duban.core.xlsx import ExportTooLarge


class Command(BaseCommand):
    help = "Export a ledger to xlsx in the same column layout as the import."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=kinds(), help="、".join(f"{d.kind}（{d.layout}）" for d in contributions("ledgers") if d.exporter))
        parser.add_argument("--out", required=True)
        parser.add_argument("--campaign", type=int, default=None)

    def handle(self, *args, **opts):
        fn = exporter(opts["kind"])
        if fn is None:
            raise CommandError(f"导出“{opts['kind']}”尚未提供")
        try:
            n = fn(out=opts["out"], campaign_id=opts["campaign"])
        except ExportTooLarge as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已导出 {n} 行到 {opts['out']}")
