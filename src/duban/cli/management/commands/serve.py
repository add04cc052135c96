"""`duban serve [--port N]`: gunicorn (gthread workers) serving the app and its static files."""

from __future__ import annotations

import os

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class ServeFailed(Exception):
    """gunicorn could not start (most often: the port is taken)."""


def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run gunicorn until stopped. Returns on a clean stop (Ctrl+C, SIGTERM); raises
    ServeFailed when the server cannot start or dies."""
    from django.conf import settings
    from gunicorn.app.base import BaseApplication

    from duban.wsgi import application

    run_dir = settings.DATA_DIR / "run"
    run_dir.mkdir(mode=0o700, exist_ok=True)

    class App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread" if threads > 1 else "sync")
            self.cfg.set("timeout", 120)
            self.cfg.set("accesslog", os.environ.get("DUBAN_ACCESS_LOG") or None)
            # gunicorn ≥ 25 opens a control socket in ~/.gunicorn by default: keep it in the data dir.
            if "control_socket" in self.cfg.settings:
                self.cfg.set("control_socket", str(run_dir / "gunicorn.ctl"))

        def load(self):
            return application

    master = os.getpid()
    try:
        App().run()
    except SystemExit as exc:
        if os.getpid() != master:
            raise  # a forked worker leaving: its exit is gunicorn's business, not ours
        if exc.code not in (0, None):
            raise ServeFailed(str(exc.code)) from exc


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
        run_until_stopped(self, opts["host"], opts["port"], opts["workers"], opts["threads"])


def run_until_stopped(command: BaseCommand, host: str, port: int, workers: int, threads: int) -> None:
    """serve(), telling the person at the terminal how it ended; exit 0 on a clean stop."""
    try:
        serve(host, port, workers, threads)
    except ServeFailed as exc:
        raise CommandError(f"服务启动失败：{host}:{port} 可能已被占用，用 --port 换一个端口") from exc
    except KeyboardInterrupt:
        pass
    command.stdout.write("duban 已停止。")
