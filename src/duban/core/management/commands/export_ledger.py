"""`duban export problems|tasks|projects|suggestions|units --out FILE.xlsx`: the import layout back."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from duban.core.plugins import optional_attr
from duban.core.xlsx import ExportTooLarge

EXPORTERS = {
    "units": "duban.orgs.io.units_export_cli",
    "problems": "duban.ledger.io.problems_export_cli",
    "suggestions": "duban.intake.io.suggestions_export_cli",
    "tasks": "duban.campaigns.io.tasks_export_cli",
    "projects": "duban.projects.io.projects_export_cli",
}


class Command(BaseCommand):
    help = "Export a ledger to xlsx in the same column layout as the import."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(EXPORTERS))
        parser.add_argument("--out", required=True)
        parser.add_argument("--campaign", type=int, default=None)

    def handle(self, *args, **opts):
        fn = optional_attr(EXPORTERS[opts["kind"]])
        if fn is None:
            raise CommandError(f"导出“{opts['kind']}”尚未提供")
        try:
            n = fn(out=opts["out"], campaign_id=opts["campaign"])
        except ExportTooLarge as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已导出 {n} 行到 {opts['out']}")
