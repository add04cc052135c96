"""Background tasks that belong to no feature: a ping to check that a worker runs, and the
clean-up of old task results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task


@task()
def ping(note: str = "") -> str:
    """Answers with the time it ran: `duban worker` is alive when a queued ping comes back."""
    return f"pong {note} {timezone.localtime():%Y-%m-%d %H:%M:%S}".replace("  ", " ")


@task()
def call(path: str, **kwargs: Any) -> Any:
    """Run a plain service function by dotted path (``duban.…`` only), so a schedule can call
    e.g. ``duban.notify.services.deliver_due`` without the app writing a task of its own.
    Its return value must be JSON (or None)."""
    return resolve_callable(path)(**kwargs)


def resolve_callable(path: str) -> Callable[..., Any]:
    if not path.startswith("duban."):
        raise ValueError(f"only duban's own functions may be scheduled, not {path}")
    fn = import_string(path)
    if not callable(fn):
        raise TypeError(f"{path} is not callable")
    return fn


RESULT_DAYS = 30


@task()
def prune_results(days: int = RESULT_DAYS) -> int:
    """Delete finished task results (done or failed) older than `days`: the database queue
    keeps every result otherwise, a row per reminder and delivery for years. Waiting and
    running tasks are never touched. Returns how many rows went."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if days < 1:
        raise ValueError("days must be at least 1")
    cutoff = timezone.now() - dt.timedelta(days=days)
    done = (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)
    deleted, _ = DBTaskResult.objects.filter(status__in=done, finished_at__lt=cutoff).delete()
    return deleted
