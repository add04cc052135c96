"""A Redis-backed task queue: the production option for sites whose database should not carry
the queue. Selected with ``DUBAN_TASKS_REDIS_URL`` (e.g. ``redis://127.0.0.1:6379/1``).

Each task is a hash ``PREFIX:task:ID`` (path, arguments, status, times, result or error) and
its id goes on the list ``PREFIX:queue:NAME``. A worker takes an id with an atomic move to its
own ``PREFIX:running:WORKER`` list (BLMOVE), so two workers never take the same task, and a
task a crashed worker held stays visible there. Schedules stay in the database either way
(core/schedules.py): the worker checks them between tasks, as with the database backend.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskContext, TaskError, TaskResult, TaskResultStatus
from django_tasks.exceptions import TaskResultDoesNotExist
from django_tasks.utils import get_exception_traceback, get_random_id, normalize_json


def _time(raw: bytes | str | None) -> dt.datetime | None:
    if not raw:
        return None
    return dt.datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else raw)


class RedisBackend(BaseTaskBackend):
    supports_get_result = True
    supports_defer = False
    supports_priority = False

    def __init__(self, alias: str, params: dict) -> None:
        super().__init__(alias, params)
        self.url = self.options["URL"]
        self.prefix = self.options.get("PREFIX", "duban:tasks")
        # A finished task's hash is kept this long for `get_result`, then Redis drops it: the
        # queue must not grow without bound on a server that keeps running for years.
        self.result_ttl = int(self.options.get("RESULT_TTL", 7 * 24 * 3600))

    @cached_property
    def client(self):
        import redis

        return redis.Redis.from_url(self.url)

    def _key(self, rid: str) -> str:
        return f"{self.prefix}:task:{rid}"

    def queue_key(self, name: str) -> str:
        return f"{self.prefix}:queue:{name}"

    def running_key(self, worker_id: str) -> str:
        return f"{self.prefix}:running:{worker_id}"

    def enqueue(self, task: Task, args, kwargs) -> TaskResult:
        self.validate_task(task)
        rid = get_random_id()
        data = {
            "task_path": task.module_path, "queue": task.queue_name, "status": TaskResultStatus.READY.value,
            "args_kwargs": json.dumps(normalize_json({"args": list(args), "kwargs": kwargs}), ensure_ascii=False),
            "enqueued_at": timezone.now().isoformat(),
        }
        pipe = self.client.pipeline()
        pipe.hset(self._key(rid), mapping=data)
        pipe.lpush(self.queue_key(task.queue_name), rid)
        pipe.execute()
        return self._result(rid, {k.encode(): v.encode() for k, v in data.items()})

    def get_result(self, result_id: str) -> TaskResult:
        data = self.client.hgetall(self._key(result_id))
        if not data:
            raise TaskResultDoesNotExist(result_id)
        return self._result(result_id, data)

    def _result(self, rid: str, data: dict[bytes, bytes]) -> TaskResult:
        get = lambda k: (data.get(k.encode()) or b"").decode()  # noqa: E731
        args_kwargs = json.loads(get("args_kwargs") or "{}")
        status = TaskResultStatus(get("status"))
        errors = [TaskError(exception_class_path=get("exception_class_path"), traceback=get("traceback"))] if status == TaskResultStatus.FAILED else []
        result = TaskResult(
            task=import_string(get("task_path")), id=rid, status=status, enqueued_at=_time(get("enqueued_at")),
            started_at=_time(get("started_at")), finished_at=_time(get("finished_at")),
            last_attempted_at=_time(get("started_at")), args=args_kwargs.get("args", []), kwargs=args_kwargs.get("kwargs", {}),
            backend=self.alias, errors=errors, worker_ids=[w for w in get("worker_id").split(",") if w],
        )
        if status == TaskResultStatus.SUCCESSFUL:
            object.__setattr__(result, "_return_value", json.loads(get("return_value") or "null"))
        return result

    # --- the worker's side -------------------------------------------------------------

    def claim(self, queue_names: list[str], worker_id: str, timeout: float) -> str | None:
        """Move one queued id to this worker's running list, atomically; None after ``timeout``."""
        for name in queue_names:
            rid = self.client.lmove(self.queue_key(name), self.running_key(worker_id), "RIGHT", "LEFT")
            if rid is not None:
                return rid.decode()
        if timeout <= 0:
            return None
        rid = self.client.blmove(self.queue_key(queue_names[0]), self.running_key(worker_id), timeout, "RIGHT", "LEFT")
        return rid.decode() if rid is not None else None

    def run_claimed(self, rid: str, worker_id: str) -> TaskResultStatus:
        key = self._key(rid)
        self.client.hset(key, mapping={"status": TaskResultStatus.RUNNING.value, "started_at": timezone.now().isoformat(), "worker_id": worker_id})
        result = self.get_result(rid)
        try:
            task = result.task
            value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs) if task.takes_context else task.call(*result.args, **result.kwargs)
            self.client.hset(key, mapping={"status": TaskResultStatus.SUCCESSFUL.value, "finished_at": timezone.now().isoformat(),
                                           "return_value": json.dumps(normalize_json(value), ensure_ascii=False)})
            status = TaskResultStatus.SUCCESSFUL
        except Exception as exc:  # noqa: BLE001 - recorded on the task, as the database backend does
            self.client.hset(key, mapping={"status": TaskResultStatus.FAILED.value, "finished_at": timezone.now().isoformat(),
                                           "exception_class_path": f"{type(exc).__module__}.{type(exc).__qualname__}",
                                           "traceback": get_exception_traceback(exc)})
            status = TaskResultStatus.FAILED
        pipe = self.client.pipeline()
        pipe.expire(key, self.result_ttl)
        pipe.lrem(self.running_key(worker_id), 1, rid)
        pipe.execute()
        return status



class RedisWorker:
    """`duban worker` on the Redis backend: schedules from the database, tasks from Redis."""

    def __init__(self, *, backend: RedisBackend, queue_names: list[str], interval: float, batch: bool, max_tasks: int | None,
                 worker_id: str, clock: Callable[[], dt.datetime] = timezone.now, schedule_every: float = 5.0) -> None:
        self.backend, self.queue_names, self.interval, self.batch = backend, queue_names, interval, batch
        self.max_tasks, self.worker_id, self.clock, self.schedule_every = max_tasks, worker_id, clock, schedule_every
        self.running = True
        self._run_tasks = 0
        self._last_tick = float("-inf")

    def tick(self) -> None:
        from duban.core import schedules

        if time.monotonic() - self._last_tick < self.schedule_every:
            return
        self._last_tick = time.monotonic()
        schedules.schedules_tick(now=self.clock(), worker=self.worker_id)

    def configure_signals(self) -> None:
        def stop(signum: int, frame: Any) -> None:
            self.running = False

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

    def run(self) -> None:
        while self.running:
            self.tick()
            rid = self.backend.claim(self.queue_names, self.worker_id, 0 if self.batch else max(self.interval, 1))
            if rid is None:
                if self.batch:
                    return
                continue
            self.backend.run_claimed(rid, self.worker_id)
            self._run_tasks += 1
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
