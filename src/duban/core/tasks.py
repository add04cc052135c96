"""Background tasks that belong to no feature: a ping to check that a worker runs."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task


@task()
def ping(note: str = "") -> str:
    """Answers with the time it ran: `duban worker` is alive when a queued ping comes back."""
    return f"pong {note} {timezone.localtime():%Y-%m-%d %H:%M:%S}".replace("  ", " ")
