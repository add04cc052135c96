"""`duban worker`: run queued background tasks and the schedules."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend


class Command(BaseCommand):
    help = "运行后台任务与定时任务（每周五 17:00、每个工作日 10:00 之类）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--queue", default="default", help="要处理的队列，逗号分隔；* 表示全部")
        parser.add_argument("--interval", type=float, default=1.0, help="队列为空时，每隔几秒查看一次")
        parser.add_argument("--batch", action="store_true", help="处理完已排队的任务（和已到时间的定时任务）后退出")
        parser.add_argument("--max-tasks", type=int, default=None, help="运行这么多个任务后退出")
        parser.add_argument("--worker-id", default="", help="进程标识（默认随机），多个进程须各不相同")
        parser.add_argument("--no-schedules", action="store_true", help="只处理队列，不启动定时任务")

    def handle(self, *args, **opts) -> None:
        from duban.core import schedules
        from duban.core.background import ScheduleWorker
        from duban.core.redis_tasks import RedisBackend, RedisWorker

        backend = task_backends["default"]
        if not isinstance(backend, DatabaseBackend | RedisBackend):
            raise CommandError(
                f"后台任务设置为 {settings.TASKS['default']['BACKEND']}，不需要 duban worker（任务会立即运行）"
            )
        logging.getLogger("duban.schedules").setLevel(logging.INFO)
        n = schedules.schedules_sync()
        worker_id = opts["worker_id"] or get_random_string(32)
        if isinstance(backend, RedisBackend):
            worker = RedisWorker(backend=backend, queue_names=opts["queue"].split(","), interval=opts["interval"],
                                 batch=opts["batch"], max_tasks=opts["max_tasks"], worker_id=worker_id,
                                 schedule_every=0.0 if opts["batch"] else 5.0)
        else:
            worker = ScheduleWorker(
                queue_names=opts["queue"].split(","),
                interval=opts["interval"],
                batch=opts["batch"],
                backend_name="default",
                startup_delay=False,
                max_tasks=opts["max_tasks"],
                worker_id=worker_id,
                excluded_queue_names=[],
                schedule_every=0.0 if opts["batch"] else 5.0,
            )
        if opts["no_schedules"]:
            worker.tick = lambda: None  # type: ignore[method-assign]
        self.stdout.write(f"duban worker {worker.worker_id}：{n} 个定时任务已登记，开始处理队列 {opts['queue']}")
        worker.configure_signals()
        worker.run()
        self.stdout.write(f"duban worker：共运行 {worker._run_tasks} 个任务")
