"""`duban restore FILE.tar.gz [--force]`: put a `duban backup` archive back (stop serve and worker first)."""

from __future__ import annotations

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from duban.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup archive into the configured database and data dir (refuses a target holding data unless --force)."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--force", action="store_true", help="overwrite a database / data dir that already holds data")

    def handle(self, *args, **opts):
        try:
            manifest = restore(Path(opts["archive"]), force=opts["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        # A backup made by an older duban is brought up to this version's schema.
        call_command("migrate", interactive=False, verbosity=0)
        rows = sum(manifest["counts"].values())
        self.stdout.write(f"恢复完成：{manifest['created_at']} 的备份（duban {manifest['duban_version']}，{rows} 行），行数已核对")
