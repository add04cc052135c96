"""Background work of the notify app, run by `duban worker`.

`notify_send` queues `deliver_outbox` when its transaction commits; a run that leaves rows
waiting (a retry later, a robot's next free minute) queues the next run for that moment, so
the plain worker delivers and retries with no schedule configured.
"""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_outbox() -> str:
    from duban.notify.services import outbox_deliver_due, outbox_next_due

    report = outbox_deliver_due()
    when = outbox_next_due()
    if when is not None:
        deliver_outbox.using(run_after=when).enqueue()
    return str(report)


@task()
def send_reminder(key: str) -> str:
    """A declared reminder (core/reminders.py) for today, Asia/Shanghai; its schedule
    ("remind-<key>", every working day 10:00 unless the office changed it) queues this."""
    from duban.core.actors import WORKER
    from duban.core.dates import today
    from duban.notify.services import reminder_send

    return str(reminder_send(key=key, on=today(), actor=WORKER))
