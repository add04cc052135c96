"""`duban backup --out FILE.tar.gz`: the database (search index included) and the data folders in one archive."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from duban.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the data folders (uploads, evidence, models) into one .tar.gz archive."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="the archive to write, e.g. duban-2026-03-31.tar.gz")

    def handle(self, *args, **opts):
        try:
            result = backup(Path(opts["out"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        m = result.manifest
        rows = sum(m["counts"].values())
        files = sum(f["files"] for f in m["folders"].values())
        self.stdout.write(f"备份完成：{result.path}（{m['engine']}，{len(m['counts'])} 张表共 {rows} 行，{files} 个文件）")
        self.stdout.write(str(result.path))
