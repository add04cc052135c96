"""Background work of the project library, run by `duban worker` on its schedule (projects/apps.py)."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_projects() -> str:
    """Every campaign's project lights for today (Asia/Shanghai): a planned start month that
    arrived, a finish that came closer, a blocker past its limit turn a project yellow or red."""
    from duban.projects.services import projects_refresh_all

    return f"{projects_refresh_all()} 个项目灯色已更新"
