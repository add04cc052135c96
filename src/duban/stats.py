"""Headline figures over HTTP (/api/stats) and for the command line (`duban stats --json`).

The figures themselves — DESIGN §5's contract and the sections the apps declare on their
AppConfig — are put together in `duban.dashboard.figures`; this door re-exports `headline`.
"""

from __future__ import annotations

from typing import Any

from ninja import Router

from duban.core.apischema import answers
from duban.dashboard.figures import CONTRACT, headline

__all__ = ["CONTRACT", "headline", "router"]

router = Router(tags=["统计"])


@router.get("", response=answers({200: dict[str, dict[str, Any]]}), summary="头条数据（与 duban stats --json 相同）")
def stats(request):
    return headline(user=request.user)
