"""Background work of the notify app, run by `duban worker`."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_outbox() -> str:
    from duban.notify.services import outbox_deliver_due

    return str(outbox_deliver_due())
