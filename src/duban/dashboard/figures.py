"""The headline figures (`duban stats --json`, /api/stats, the home page): one section per domain.

The contract of DESIGN §5 is declared here, once: every section and the keys it always
has. An app fills its section by declaring a ``StatsSection`` on its AppConfig (see
core/contributions.py); a section no installed app declares yet (tasks, projects, rounds…)
reports the contract's zeros, so the keys hold from the first day.
"""

from __future__ import annotations

from typing import Any

from duban.core.contributions import contributions, resolve
from duban.orgs.scoping import UnitViewer

CONTRACT: dict[str, dict[str, Any]] = {
    "problems": {"total": 0, "rectified": 0, "rate": 0.0, "overdue": 0, "by_area": {}},
    "suggestions": {"total": 0},
    "tasks": {"total": 0, "done": 0, "overdue": 0, "red": 0, "yellow": 0},
    "projects": {"total": 0, "started": 0, "investment_total_wan": 0, "investment_done_wan": 0, "by_stage": {}},
    "rounds": {"total": 0, "expected": 0, "submitted": 0, "on_time_rate": 0.0},
    "activities": {"sessions": 0, "audience": 0},
    "publicity": {"total": 0, "by_level": {}},
}


def headline(user=None, campaign=None, *, brief: bool = False, unit=None) -> dict[str, Any]:
    """Every section's figures; `brief` (the home page): a section's `brief` computation where
    it declares one, the few keys a summary shows without the whole count behind the full set.

    `unit` (instead of a user): the figures of that unit's subtree as its members read them,
    for the dated snapshots of each region (bulletins)."""
    if unit is not None:
        if user is not None:
            raise ValueError("headline: give a user or a unit, not both")
        user = UnitViewer(unit)
    out: dict[str, Any] = {key: _zeros(key) for key in CONTRACT}
    for section in contributions("stats_sections"):
        compute = resolve(section.brief if brief and section.brief else section.figures)
        out[section.key] = {**_zeros(section.key), **compute(user=user, campaign=campaign)}
    return out


def _zeros(key: str) -> dict[str, Any]:
    # A fresh copy each time: callers may add to the nested dicts.
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in CONTRACT.get(key, {}).items()}
