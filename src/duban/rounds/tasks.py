"""Background work of report rounds, run by `duban worker` on its schedule (rounds/apps.py)."""

from __future__ import annotations

from django_tasks import task


@task()
def rounds_tick() -> str:
    """Open the rounds whose time has come, chase the units that have not submitted
    (escalating after the due time), lock the rounds past their grace time."""
    from duban.rounds.services import rounds_tick as tick

    r = tick()
    return f"开放{r['opened']}轮，催报{r['chased']}次，截止{r['locked']}轮"
