"""`duban serve [--port N]`: gunicorn (gthread workers) serving the app and its static files."""

from __future__ import annotations

import os

from django.core.management import call_command
from django.core.management.base import BaseCommand


def serve(host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    from duban.wsgi import application

    class App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("timeout", 120)
            self.cfg.set("accesslog", os.environ.get("DUBAN_ACCESS_LOG") or None)

        def load(self):
            return application

    App().run()


class Command(BaseCommand):
    help = "Serve duban with gunicorn on 127.0.0.1 (migrates first)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("DUBAN_PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("DUBAN_HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("DUBAN_WORKERS", str((os.cpu_count() or 1) + 1))))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("DUBAN_THREADS", "4")))
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args, **opts):
        if not opts["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"duban 正在运行：http://{opts['host']}:{opts['port']}/  （Ctrl+C 停止）")
        serve(opts["host"], opts["port"], opts["workers"], opts["threads"])
