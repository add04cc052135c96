"""Headline figures (`duban stats --json`, /api/stats): one section per domain.

Each section comes from its app's `queries.figures(user)`; apps not built yet report
zeros with the same keys, so the contract of DESIGN §5 holds from the first day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task
from ninja import Query, Router
from ninja.errors import HttpError

from duban.core.apischema import answers
from duban.core.dates import today
from duban.core.plugins import optional_import
from duban.orgs.scoping import UnitViewer

EMPTY: dict[str, dict[str, Any]] = {
    "problems": {"total": 0, "rectified": 0, "rate": 0.0, "overdue": 0, "by_area": {}},
    "suggestions": {"total": 0},
    "tasks": {"total": 0, "done": 0, "overdue": 0},
    "projects": {"total": 0, "started": 0, "investment_total_wan": 0},
}

# section → module whose figures(user, campaign) computes it, once that app exists.
SOURCES = {
    "problems": "duban.ledger.figures",
    "suggestions": "duban.intake.figures",
    "tasks": "duban.campaigns.figures",
    "projects": "duban.projects.figures",
}


def headline(user=None, campaign=None, *, brief: bool = False, unit=None) -> dict[str, Any]:
    """Every section's figures; `brief` (the home page): a module's `brief_figures` where it
    has one, the few keys a summary shows without the whole count behind the full set.

    `unit` (instead of a user): the figures of that unit's subtree as its members read them,
    for the dated snapshots of each region (bulletins)."""
    if unit is not None:
        if user is not None:
            raise ValueError("headline: give a user or a unit, not both")
        user = UnitViewer(unit)
    out: dict[str, Any] = {}
    for section, module_name in SOURCES.items():
        module = optional_import(module_name)
        if module is None:
            out[section] = dict(EMPTY[section])
            continue
        compute = getattr(module, "brief_figures", None) if brief else None
        out[section] = {**EMPTY[section], **(compute or module.figures)(user=user, campaign=campaign)}
    return out


def take_snapshot(on: dt.date | None = None, *, actor: Any = "系统"):
    """Record today's figures for every campaign and region (duban.bulletins), replacing any
    taken earlier the same day; `duban stats snapshot` and the worker's 23:50 run."""
    from duban.bulletins.services import snapshots_take

    return snapshots_take(on=on or today(), figures=headline, actor=actor)


@task()
def take_snapshots() -> str:
    return str(take_snapshot(actor="定时任务"))


def recorded(on: dt.date, *, campaign_id: int | None = None, unit_id: int | None = None, user=None) -> dict[str, Any] | None:
    """The figures recorded on `on` for that scope (`user=None`: the system), or None."""
    from duban.bulletins.queries import snapshot_figures

    return snapshot_figures(on=on, user=user, campaign_id=campaign_id, unit_id=unit_id)


def snapshot_missing(on: dt.date) -> str:
    """The Chinese sentence for a day with no snapshot, naming the latest day there is."""
    from duban.bulletins.queries import snapshot_dates

    days = snapshot_dates()
    latest = f"最近一次是 {days[0]:%Y-%m-%d}" if days else "还没有记录过任何快照"
    return f"没有 {on:%Y-%m-%d} 的统计快照（{latest}；快照由后台任务每天 23:50 记录，或运行 duban stats snapshot）"


router = Router(tags=["统计"])


@router.get("", response=answers({200: dict[str, dict[str, Any]]}, 404), summary="头条数据（与 duban stats --json 相同）")
def stats(
    request,
    date: dt.date | None = Query(None, description="某一天记录的快照（YYYY-MM-DD），不填为当前数据"),  # noqa: B008
    campaign: int | None = Query(None, ge=1, le=2**63 - 1, description="快照：某个活动（不填为全部活动）"),  # noqa: B008
    unit: int | None = Query(None, ge=1, le=2**63 - 1, description="快照：某个县区或乡镇一级单位（不填为您的范围）"),  # noqa: B008
):
    """Without `date`: the figures now, for what the user may see. With `date`: the figures
    as they were recorded that day, for the user's own scope or the region `unit`; a scope the
    user may not see answers 404, like a day with no snapshot."""
    if date is None:
        return headline(user=request.user)
    from duban.bulletins.queries import default_unit

    if unit is None:
        mine = default_unit(request.user)
        if mine is False:
            raise HttpError(404, "您的范围没有按日快照（快照按全部范围和县区、乡镇一级单位记录），请用 unit= 指定您所在的单位")
        unit = mine.pk if mine is not None else None
    figures = recorded(date, user=request.user, campaign_id=campaign, unit_id=unit)
    if figures is None:
        raise HttpError(404, f"没有 {date:%Y-%m-%d} 这一范围的统计快照")
    return figures
