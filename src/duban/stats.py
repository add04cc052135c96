"""Headline figures (`duban stats --json`, /api/stats): one section per domain.

Each section comes from its app's `queries.figures(user)`; apps not built yet report
zeros with the same keys, so the contract of DESIGN §5 holds from the first day.
"""

from __future__ import annotations

from typing import Any

from ninja import Router

from duban.core.apischema import answers
from duban.core.plugins import optional_import

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


def headline(user=None, campaign=None, *, brief: bool = False) -> dict[str, Any]:
    """Every section's figures; `brief` (the home page): a module's `brief_figures` where it
    has one, the few keys a summary shows without the whole count behind the full set."""
    out: dict[str, Any] = {}
    for section, module_name in SOURCES.items():
        module = optional_import(module_name)
        if module is None:
            out[section] = dict(EMPTY[section])
            continue
        compute = getattr(module, "brief_figures", None) if brief else None
        out[section] = {**EMPTY[section], **(compute or module.figures)(user=user, campaign=campaign)}
    return out


router = Router(tags=["统计"])


@router.get("", response=answers({200: dict[str, dict[str, Any]]}), summary="头条数据（与 duban stats --json 相同）")
def stats(request):
    return headline(user=request.user)
