"""Headline figures over HTTP (/api/stats) and for the command line (`duban stats --json`).

The figures themselves — DESIGN §5's contract and the sections the apps declare on their
AppConfig — are put together in `duban.dashboard.figures`; this door re-exports `headline`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_tasks import task
from ninja import Query, Router
from ninja.errors import HttpError

from duban.core.actors import WORKER
from duban.core.apischema import answers
from duban.core.dates import today
from duban.dashboard.figures import CONTRACT, headline

__all__ = ["CONTRACT", "headline", "router"]


def take_snapshot(on: dt.date | None = None, *, actor: Any):
    """Record today's figures for every campaign and region (duban.bulletins), replacing any
    taken earlier the same day; `duban stats snapshot` and the worker's 23:50 run."""
    from duban.bulletins.services import snapshots_take

    return snapshots_take(on=on or today(), figures=headline, actor=actor)


@task()
def take_snapshots() -> str:
    return str(take_snapshot(actor=WORKER))


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
