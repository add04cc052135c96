"""挂图作战: the data of the battle map, one read of the items the user sees.

The chart (templates/plan/map.html, static/duban/plan-map.js) draws one row per item,
grouped by aspect (方面), lead unit (牵头单位) or leader (分管领导): its planned bar,
actual start/finish, progress, light, milestones, the chosen baseline's bar under it,
finish-to-start links and the critical chain. Built with a fixed number of queries
whatever the number of items (the map of a city plan has thousands): items, the level-1/2
ancestors that order and name the groups, milestones, links, baseline entries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from duban.core import workcalendar
from duban.core.dates import today as local_today
from duban.orgs.models import OrgUnit
from duban.plan import queries
from duban.plan.models import (
    Baseline,
    BaselineEntry,
    Dependency,
    Level,
    Light,
    Milestone,
    PlanItem,
    Status,
    headings_q,
)

GROUPS = ("aspect", "unit", "leader")
LATEST = -1

# Okabe–Ito colours: told apart with any colour vision; the label of the light is also
# written on the bar and in the tooltip, so colour is never the only sign.
LIGHT_COLOURS = {
    Light.RED: "#D55E00",
    Light.YELLOW: "#E69F00",
    Light.GREEN: "#009E73",
    Light.DONE: "#0072B2",
    Light.NONE: "#999999",
}


def group_labels() -> dict[str, str]:
    return {"aspect": _("按方面"), "unit": _("按牵头单位"), "leader": _("按分管领导")}


@dataclass
class MapQuery:
    group: str = "aspect"
    light: str = ""
    unit: OrgUnit | None = None
    baseline: int | None = LATEST  # a baseline's number; None: none shown; LATEST: the last frozen

    @classmethod
    def from_params(cls, params, user, campaign) -> MapQuery:
        """Read the page's parameters; what does not parse is left at its default."""
        from duban.core.validation import id_or_none
        from duban.orgs.scoping import visible_units

        group = params.get("group") or "aspect"
        light = params.get("light") or ""
        unit_id = id_or_none(params.get("unit"))
        unit = visible_units(user).filter(pk=unit_id).first() if unit_id is not None else None
        base = (params.get("baseline") or "").strip()
        # "0" asks for no baseline; a number the campaign's baselines may hold, else the latest
        number = None if base == "0" else (id_or_none(base) if len(base) < 4 else None) or LATEST
        return cls(group=group if group in GROUPS else "aspect", light=light if light in Light.values else "",
                   unit=unit, baseline=number)


def items_of(user, campaign, q: MapQuery) -> QuerySet:
    """The items the map shows: what the user sees, filtered by light and unit; aspects
    (方面) are headings, not rows."""
    f = queries.Filters(light=q.light, unit=q.unit)
    return queries.filtered(user, campaign, f).exclude(headings_q())


DATES = ("start_date", "deadline", "latest_start", "started_on", "finished_on")
# An item row of the map's JSON: a list in this order (group headings are objects).
FIELDS = ("id", "seq", "title", "level", "unit", "leader", "start", "start_is_latest", "deadline", "latest_start", "slack",
          "started", "finished", "progress", "light", "status", "critical", "late_start", "milestones", "baseline")


def expand(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of `map_data` as objects (what the chart's script makes of them): an item's
    milestones as {title, due, done}, its baseline as {start, deadline, days, text}."""
    out = []
    for r in data["rows"]:
        if isinstance(r, dict):
            out.append(r)
            continue
        item = dict(zip(data["fields"], r, strict=True))
        item["kind"] = "item"
        item["milestones"] = [{"due": due, "done": done, "title": title} for due, done, title in item["milestones"]]
        b = item["baseline"]
        item["baseline"] = dict(zip(("start", "deadline", "days", "text"), b, strict=True)) if b else None
        out.append(item)
    return out


def _text(field: str) -> Cast:
    """A date column as its ISO text ('2030-06-30'), as SQLite stores it and PostgreSQL casts it."""
    return Cast(field, CharField(max_length=10))


def map_data(user, campaign, q: MapQuery, *, today: dt.date | None = None) -> dict[str, Any]:
    """{rows, links, lights, statuses, baseline, today, range, group, count} for the chart.

    `rows` is in display order: a group heading (an object, kind "group", with the span
    of its items) followed by its items (lists in FIELDS' order; `expand` makes objects)."""
    today = today or local_today()
    today_iso = today.isoformat()
    qs = items_of(user, campaign, q)
    ids = qs.order_by().values("id")
    # Dates come out as ISO text (what the JSON carries): no parsing into dates and back
    # for the 25,000 dates of a 5,000-item plan.
    items = list(qs.order_by().annotate(**{f"iso_{f}": _text(f) for f in DATES}).values_list(
        "id", "parent_id", "level", "position", "seq", "title", "lead_unit_id", "lead_unit__name", "leader_name",
        *(f"iso_{f}" for f in DATES), "slack_days", "critical", "progress", "light", "status"))
    # The aspects and key tasks above the items: their order and titles (an aspect is a
    # heading of the plan; a liaison sees its title though not the aspect's own row).
    heads = {i: (p, pos, seq, title) for i, p, pos, seq, title in PlanItem.objects.filter(
        campaign=campaign, level__lt=Level.MEASURE).values_list("id", "parent_id", "position", "seq", "title")}
    stones: dict[int, list] = {}
    for item_id, title, due, done_on in (Milestone.objects.filter(item__in=ids).order_by("due", "position", "id")
                                         .annotate(iso_due=_text("due"), iso_done=_text("done_on"))
                                         .values_list("item_id", "title", "iso_due", "iso_done")):
        stones.setdefault(item_id, []).append([due, done_on is not None, title])
    # Links between two shown items. One IN, the other end checked here: SQLite plans the
    # two INs as a probe of every (predecessor, successor) pair, seconds at 5,000 items.
    shown = {row[0] for row in items}
    links = [(a, b) for a, b in Dependency.objects.filter(successor__in=ids).values_list("predecessor_id", "successor_id")
             if a in shown]
    baseline = None
    base: dict[int, tuple] = {}
    if q.baseline:
        chosen = Baseline.objects.filter(campaign=campaign)
        chosen = chosen.order_by("-number") if q.baseline == LATEST else chosen.filter(number=q.baseline)
        baseline = chosen.first()
        if baseline is not None:
            base = {i: (s, d) for i, s, d in BaselineEntry.objects.filter(baseline=baseline, item__in=ids)
                    .annotate(iso_start=_text("start_date"), iso_deadline=_text("deadline"))
                    .values_list("item_id", "iso_start", "iso_deadline")}

    def tree_key(item_id: int, parent_id: int | None, position: int) -> tuple:
        key = [position, item_id]
        seen = 0
        while parent_id is not None and parent_id in heads and seen < 3:
            p, pos, _seq, _title = heads[parent_id]
            key[:0] = [pos, parent_id]
            parent_id, seen = p, seen + 1
        return tuple(key)

    def aspect_of(item_id: int, parent_id: int | None) -> int | None:
        node, seen = parent_id, 0
        while node is not None and node in heads and heads[node][0] is not None and seen < 3:
            node, seen = heads[node][0], seen + 1
        return node

    cal = workcalendar.calendar()
    drift_memo: dict[tuple, int] = {}
    light_labels = {k: str(v) for k, v in Light.choices}
    status_labels = {k: str(v) for k, v in Status.choices}
    no_leader = _("未定分管领导")
    groups: dict[Any, dict] = {}
    for (pk, parent_id, level, position, seq, title, unit_id, unit_name, leader_name, start, deadline, latest, started,
         finished, slack, critical, progress, light, status) in items:
        if q.group == "unit":
            gkey, glabel, gorder = unit_id, unit_name, (unit_name,)
        elif q.group == "leader":
            gkey, glabel, gorder = leader_name or "", leader_name or no_leader, (not leader_name, leader_name)
        else:
            a = aspect_of(pk, parent_id)
            gkey = a
            glabel = (f"{heads[a][2]} {heads[a][3]}".strip() if a in heads else _("（未分方面）"))
            gorder = (a is None, heads[a][1] if a in heads else 0, a or 0)
        plan_start = start or latest  # no planned start: drawn from its latest start (倒排工期)
        b_row = None
        if baseline is not None and pk in base:
            b_start, b_deadline = base[pk]
            days = None
            if b_deadline and deadline:
                memo_key = (b_deadline, deadline)
                if memo_key not in drift_memo:
                    drift_memo[memo_key] = 0 if b_deadline == deadline else cal.workdays_between(
                        dt.date.fromisoformat(b_deadline), dt.date.fromisoformat(deadline))
                days = drift_memo[memo_key]
            b_row = [b_start, b_deadline, days, queries.drift_text(days, baseline.number) if days is not None else ""]
        # One list per item in FIELDS' order (the labels of lights and statuses are in
        # `lights` and `statuses`): a third of the JSON of a dict per item, built faster.
        row = [pk, seq, title, level, unit_name, leader_name, plan_start, start is None and latest is not None, deadline,
               latest, slack, started, finished, progress, light, status, critical,
               bool(latest and latest < today_iso and started is None and status != Status.DONE), stones.get(pk, []), b_row]
        g = groups.get(gkey)
        if g is None:
            g = groups[gkey] = {"kind": "group", "key": gkey, "label": glabel, "_order": gorder, "items": []}
        g["items"].append((tree_key(pk, parent_id, position), row))

    rows: list = []
    spans: list[str] = [today_iso]  # ISO dates compare as text
    for g in sorted(groups.values(), key=lambda g: g["_order"]):
        members = [r for _k, r in sorted(g.pop("items"), key=lambda kr: kr[0])]
        dates = [d for r in members for d in (r[6], r[8], r[11], r[12]) if d]
        counts = dict.fromkeys(LIGHT_COLOURS, 0)
        for r in members:
            counts[r[14]] = counts.get(r[14], 0) + 1
            spans += [m[0] for m in r[18]]
            if r[19]:
                spans += [d for d in r[19][:2] if d]
        g.pop("_order")
        rows.append({**g, "key": str(g["key"]) if g["key"] is not None else "", "start": min(dates) if dates else None,
                     "deadline": max(dates) if dates else None, "count": len(members), "counts": counts})
        rows.extend(members)
        spans += [min(dates), max(dates)] if dates else []
    first, last = dt.date.fromisoformat(min(spans)), dt.date.fromisoformat(max(spans))
    return {
        "today": today.isoformat(),
        "group": q.group,
        "group_label": group_labels()[q.group],
        "count": len(items),
        "fields": FIELDS,
        "rows": rows,
        "links": [list(pair) for pair in links],
        "range": [(first - dt.timedelta(days=7)).isoformat(), (last + dt.timedelta(days=14)).isoformat()],
        "lights": [{"value": k, "label": light_labels[k], "color": c} for k, c in LIGHT_COLOURS.items()],
        "statuses": status_labels,
        "baseline": {"number": baseline.number, "name": baseline.name} if baseline else None,
    }
