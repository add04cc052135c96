"""Background work of the plan, run by `duban worker` on its schedule (plan/apps.py)."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_plans() -> str:
    """Every active campaign's lights, schedule and weighted progress for today (Asia/Shanghai):
    a deadline that came closer or passed overnight turns its item yellow or red."""
    from duban.plan.services import plans_refresh_all

    return f"{plans_refresh_all()} 项已更新"
