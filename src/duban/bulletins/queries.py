"""Reads of the snapshots: which scopes are recorded each day, and one day's figures for a
scope — for a person only inside what they may see (orgs.scoping), else nothing (a 404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from duban.bulletins.models import FigureSnapshot, scope_of
from duban.campaigns.models import Campaign
from duban.orgs.models import OrgUnit
from duban.orgs.scoping import outer_grant_paths, scope, sees_everything


def snapshot_units() -> list[OrgUnit]:
    """The regions recorded besides the whole tree: the depth-1 units (counties of a city,
    towns of a district), and the top units themselves where there are several trees."""
    roots = list(OrgUnit.objects.filter(depth=0).order_by("path"))
    regions = list(OrgUnit.objects.filter(depth=1).order_by("path"))
    return (roots if len(roots) > 1 else []) + regions


def snapshot_scopes() -> list[tuple[Campaign | None, OrgUnit | None]]:
    """Every (campaign, unit) pair recorded each day: every campaign together (as `duban stats`
    prints without --campaign) and each running campaign, each for the whole tree and for each
    region of the campaign's own tree."""
    units = snapshot_units()
    out: list[tuple[Campaign | None, OrgUnit | None]] = [(None, None), *((None, u) for u in units)]
    for campaign in Campaign.objects.filter(is_active=True).select_related("unit").order_by("pk"):
        root = campaign.unit.path.split(".", 1)[0] + "."
        out += [(campaign, None), *((campaign, u) for u in units if u.path.startswith(root))]
    return out


def visible_snapshots(user) -> QuerySet[FigureSnapshot]:
    """`user=None` is the system (CLI, bulletins); a person sees the rows of units in scope,
    and the whole-tree rows only when they see everything."""
    qs = FigureSnapshot.objects.all()
    return qs if user is None else scope(user, qs)


def default_unit(user) -> OrgUnit | None | bool:
    """The scope a person's figures are recorded under: None (the whole tree) for those who
    see everything, their unit when it is one recorded region, else False (no snapshot
    matches what they see: several units, or a unit below the regions)."""
    if user is None or sees_everything(user):
        return None
    paths = outer_grant_paths(user)
    if len(paths) != 1:
        return False
    unit = OrgUnit.objects.filter(path=paths[0]).first()
    # A top unit here is one of several trees (the only tree's members see everything).
    return unit if unit is not None and unit.depth <= 1 else False


def snapshot_get(*, on: dt.date, user=None, campaign_id: int | None = None, unit_id: int | None = None) -> FigureSnapshot | None:
    return visible_snapshots(user).filter(taken_on=on, scope=scope_of(campaign_id, unit_id)).first()


def snapshot_figures(*, on: dt.date, user=None, campaign_id: int | None = None, unit_id: int | None = None) -> dict[str, Any] | None:
    """The figures recorded on `on` for the scope, exactly as they were printed then."""
    row = snapshot_get(on=on, user=user, campaign_id=campaign_id, unit_id=unit_id)
    return row.figures if row is not None else None


def snapshot_dates(*, user=None, campaign_id: int | None = None, unit_id: int | None = None, limit: int = 400) -> list[dt.date]:
    """The days recorded for a scope, newest first (for "no snapshot on that day" messages)."""
    qs = visible_snapshots(user).filter(scope=scope_of(campaign_id, unit_id)).order_by("-taken_on")
    return list(qs.values_list("taken_on", flat=True)[:limit])
