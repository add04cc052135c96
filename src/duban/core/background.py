"""Background work: enqueue after commit, and the loop behind `duban worker`.

Tasks are django-tasks ``@task`` functions; the backend is the database (django-tasks-db) by
default, inline when ``DUBAN_TASKS_IMMEDIATE=1`` (tests, one-off scripts). The worker is
django-tasks-db's, with the schedules (core/schedules.py) checked between tasks.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections, connection, transaction
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks.base import Task
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from duban.core import schedules


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` once the surrounding transaction commits; a rollback queues nothing.

    The task then never sees data that is not there yet, and work asked for by a request
    that failed is never done."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))


def runs_inline() -> bool:
    """True when tasks run at once in the caller (DUBAN_TASKS_IMMEDIATE=1: tests, scripts)."""
    from django_tasks import task_backends
    from django_tasks.backends.immediate import ImmediateBackend

    return isinstance(task_backends["default"], ImmediateBackend)


def start(task: Task, *args: Any, **kwargs: Any) -> Any:
    """Start work asked for by a request: queued for the worker once the request's transaction
    commits (returns None), or, in inline mode, run now (returns its TaskResult)."""
    if runs_inline():
        return task.enqueue(*args, **kwargs)
    enqueue_on_commit(task, *args, **kwargs)
    return None


class ScheduleWorker(Worker):
    """django-tasks-db's worker, which also starts due schedules between tasks."""

    def __init__(self, *, clock: Callable[[], dt.datetime] = timezone.now, schedule_every: float = 5.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.schedule_every = schedule_every
        self._last_tick = float("-inf")

    def tick(self) -> None:
        if time.monotonic() - self._last_tick < self.schedule_every:
            return
        self._last_tick = time.monotonic()
        try:
            schedules.schedules_tick(now=self.clock(), worker=self.worker_id)
        except OperationalError as e:  # SQLite busy: another writer; try again next round
            if not is_locked_database_exception(e):
                raise

    def step(self) -> bool:
        """Start due schedules, then claim and run one queued task. True when one ran."""
        if not connection.in_atomic_block:  # (a test's transaction must not be closed under it)
            close_old_connections()
        self.tick()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        task_result = None
        try:
            with exclusive_transaction(tasks.db):
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)  # so no other worker runs it
        except OperationalError as e:
            if not is_locked_database_exception(e):
                raise
            task_result = None
        if task_result is not None:
            self.run_task(task_result)
            return True
        return False

    def run(self) -> None:
        while self.running:
            ran = self.step()
            if self.batch and not ran:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and not ran:
                time.sleep(self.interval)
