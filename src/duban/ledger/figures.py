"""The `problems` section of `duban stats --json` (DESIGN §5): total, rectified, rate
(a fraction), overdue and by_area {area: {total, rectified, rate, overdue, on_time_rate}},
plus by_unit (per top-level region: the counties of a city, the cities of a province).

Users whose view is whole regions (the system, a city or county office or leader) read
the maintained tallies (a few thousand rows at province scale); a town's liaison reads
its small subtree directly from the ledger.
"""

from __future__ import annotations

from typing import Any

from duban.campaigns.models import FocusArea
from duban.core import figcache
from duban.core.dates import today
from duban.ledger import queries
from duban.ledger.tally import finish, tally_figures
from duban.orgs.models import OrgUnit
from duban.orgs.scoping import scope_key, scope_regions

SUMMED = ("total", "rectified", "overdue", "on_time", "with_deadline_done", "due_soon")


def tally_regions(user) -> list[int] | None | bool:
    """None: everything; a list: exactly these regions; False: not a union of regions."""
    regions = scope_regions(user)
    return regions if regions is None or regions is False else sorted(regions)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("total", "rectified", "rate", "overdue", "on_time_rate")}


def figures(*, user=None, campaign=None) -> dict[str, Any]:
    """Kept until the next write (core.figcache); `today` and the due-soon window are part
    of the key (overdue and due-soon move with the date)."""
    parts = (scope_key(user), campaign.pk if campaign is not None else None, today(), queries.due_soon_days())
    return figcache.cached("problems", parts, lambda: _figures(user, campaign))


def _figures(user, campaign) -> dict[str, Any]:
    regions = tally_regions(user)
    if regions is False:
        return _direct(user, campaign)
    data = tally_figures(
        campaign_ids=[campaign.pk] if campaign is not None else None, region_ids=regions, due_soon_days=queries.due_soon_days()
    )
    areas = dict(FocusArea.objects.filter(pk__in=list(data["by_area"])).values_list("id", "name"))
    positions = dict(FocusArea.objects.filter(pk__in=list(data["by_area"])).values_list("id", "position"))
    merged: dict[str, dict[str, Any]] = {}
    for area_id in sorted(data["by_area"], key=lambda a: (a == 0, positions.get(a, 0), a)):
        name = areas.get(area_id, "未分类")
        prev = merged.setdefault(name, dict.fromkeys(SUMMED, 0))  # one name in two campaigns: add up
        for k in SUMMED:
            prev[k] += data["by_area"][area_id][k]
    units = dict(OrgUnit.objects.filter(pk__in=list(data["by_region"])).values_list("id", "name"))
    head = data["total"]
    return {
        **{k: head[k] for k in ("total", "rectified", "rate", "overdue", "due_soon", "on_time_rate")},
        "by_area": {name: _public(finish(row)) for name, row in merged.items()},
        "by_unit": {units.get(rid, "未分配"): _public(row) for rid, row in sorted(data["by_region"].items(), key=lambda kv: -kv[1]["total"])},
    }


def _direct(user, campaign) -> dict[str, Any]:
    """Counted straight from the ledger: for views below region level (small subtrees)."""
    head = queries.totals(user, campaign=campaign)
    by_area: dict[str, Any] = {}
    for row in queries.rates(user, campaign=campaign, by="area"):
        prev = by_area.setdefault(row["label"], dict.fromkeys(SUMMED, 0))
        for k in ("total", "rectified", "overdue", "on_time", "with_deadline_done"):
            prev[k] += row[k]
    by_unit = {row["label"]: _public(row) for row in queries.rates(user, campaign=campaign, by="unit")}
    return {
        **{k: head[k] for k in ("total", "rectified", "rate", "overdue", "due_soon", "on_time_rate")},
        "by_area": {name: _public(finish(row)) for name, row in by_area.items()},
        "by_unit": by_unit,
    }


def home_areas(*, user, campaign, figures: dict[str, Any]) -> dict[str, Any] | None:
    """The home page's card: problems per focus area of the current campaign (none without one)."""
    if campaign is None:
        return None
    from duban.campaigns.queries import focus_areas

    by_area = figures["problems"].get("by_area", {})  # area name → {total, rectified, rate, …}, DESIGN §5
    return {"areas": [{"name": a.name, "count": by_area.get(a.name, {}).get("total", 0)} for a in focus_areas(campaign)]}
