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

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from duban.core import workcalendar
from duban.core.dates import today as local_today
from duban.orgs.models import OrgUnit
from duban.plan import queries
from duban.plan.models import Baseline, BaselineEntry, Dependency, Level, Light, Milestone, PlanItem, Status

GROUPS = ("aspect", "unit", "leader")
LATEST = -1
TITLE_CHARS = 60  # the y axis shows a short label; the tooltip carries the whole title

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
        from duban.orgs.scoping import visible_units

        group = params.get("group") or "aspect"
        light = params.get("light") or ""
        unit = None
        raw = (params.get("unit") or "").strip()
        if raw.isdigit():
            unit = visible_units(user).filter(pk=int(raw)).first()
        base = (params.get("baseline") or "").strip()
        number = (int(base) or None) if base.isdigit() and len(base) < 4 else LATEST
        return cls(group=group if group in GROUPS else "aspect", light=light if light in Light.values else "",
                   unit=unit, baseline=number)


def items_of(user, campaign, q: MapQuery) -> QuerySet:
    """The items the map shows: what the user sees, filtered by light and unit; aspects
    (方面) are headings, not rows."""
    f = queries.Filters(light=q.light, unit=q.unit)
    return queries.filtered(user, campaign, f).exclude(level=Level.ASPECT)


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def map_data(user, campaign, q: MapQuery, *, today: dt.date | None = None) -> dict[str, Any]:
    """{rows, links, lights, baseline, today, range, group, count} for the chart.

    `rows` is in display order: a group heading (kind "group", with the span of its
    items) followed by its items (kind "item")."""
    today = today or local_today()
    qs = items_of(user, campaign, q)
    ids = qs.order_by().values("id")
    items = list(qs.order_by().values_list(
        "id", "parent_id", "level", "position", "seq", "title", "lead_unit_id", "lead_unit__name", "leader_name",
        "start_date", "deadline", "latest_start", "slack_days", "critical", "started_on", "finished_on", "progress",
        "light", "status"))
    # The aspects and key tasks above the items: their order and titles (an aspect is a
    # heading of the plan; a liaison sees its title though not the aspect's own row).
    heads = {i: (p, pos, seq, title) for i, p, pos, seq, title in PlanItem.objects.filter(
        campaign=campaign, level__lt=Level.MEASURE).values_list("id", "parent_id", "position", "seq", "title")}
    stones: dict[int, list] = {}
    for item_id, title, due, done_on in Milestone.objects.filter(item__in=ids).order_by("due", "position", "id").values_list(
            "item_id", "title", "due", "done_on"):
        stones.setdefault(item_id, []).append({"title": title, "due": due.isoformat(), "done": done_on is not None,
                                               "done_on": _iso(done_on)})
    links = list(Dependency.objects.filter(successor__in=ids, predecessor__in=ids).values_list("predecessor_id", "successor_id"))
    baseline = None
    base: dict[int, tuple] = {}
    if q.baseline:
        chosen = Baseline.objects.filter(campaign=campaign)
        chosen = chosen.order_by("-number") if q.baseline == LATEST else chosen.filter(number=q.baseline)
        baseline = chosen.first()
        if baseline is not None:
            base = {i: (s, d) for i, s, d in BaselineEntry.objects.filter(baseline=baseline, item__in=ids).values_list(
                "item_id", "start_date", "deadline")}

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
    for (pk, parent_id, level, position, seq, title, unit_id, unit_name, leader_name, start, deadline, latest, slack,
         critical, started, finished, progress, light, status) in items:
        if q.group == "unit":
            gkey, glabel, gorder = unit_id, unit_name, (unit_name,)
        elif q.group == "leader":
            gkey, glabel, gorder = leader_name or "", leader_name or no_leader, (not leader_name, leader_name)
        else:
            a = aspect_of(pk, parent_id)
            gkey = a
            glabel = (f"{heads[a][2]} {heads[a][3]}".strip() if a in heads else _("（未分方面）"))
            gorder = (a is None, heads[a][1] if a in heads else 0, a or 0)
        plan_start = start or latest
        row = {
            "id": pk, "kind": "item", "seq": seq, "title": title, "label": (f"{seq} {title}".strip())[:TITLE_CHARS],
            "level": level, "unit": unit_name, "leader": leader_name, "start": _iso(plan_start),
            "start_is_latest": start is None and latest is not None, "deadline": _iso(deadline),
            "latest_start": _iso(latest), "slack": slack, "started": _iso(started), "finished": _iso(finished),
            "progress": progress, "light": light, "light_label": light_labels.get(light, ""),
            "status_label": status_labels.get(status, ""), "critical": critical,
            "late_start": bool(latest and latest < today and started is None and status != Status.DONE),
            "milestones": stones.get(pk, []), "baseline": None, "_key": tree_key(pk, parent_id, position),
        }
        if baseline is not None and pk in base:
            b_start, b_deadline = base[pk]
            days = None
            if b_deadline and deadline:
                memo_key = (b_deadline, deadline)
                if memo_key not in drift_memo:
                    drift_memo[memo_key] = cal.workdays_between(b_deadline, deadline)
                days = drift_memo[memo_key]
            row["baseline"] = {"start": _iso(b_start), "deadline": _iso(b_deadline), "days": days,
                               "text": queries.drift_text(days, baseline.number) if days is not None else ""}
        g = groups.setdefault(gkey, {"kind": "group", "key": gkey, "label": glabel, "_order": gorder, "items": []})
        g["items"].append(row)

    rows: list[dict] = []
    first: dt.date | None = None
    last: dt.date | None = None
    for g in sorted(groups.values(), key=lambda g: g["_order"]):
        members = sorted(g.pop("items"), key=lambda r: r["_key"])
        dates = [d for r in members for d in (r["start"], r["deadline"], r["started"], r["finished"]) if d]
        counts = dict.fromkeys(LIGHT_COLOURS, 0)
        for r in members:
            counts[r["light"]] = counts.get(r["light"], 0) + 1
        g.pop("_order")
        rows.append({**g, "key": str(g["key"]) if g["key"] is not None else "", "start": min(dates) if dates else None,
                     "deadline": max(dates) if dates else None, "count": len(members), "counts": counts})
        for r in members:
            r.pop("_key")
            rows.append(r)
        if dates:
            lo, hi = dt.date.fromisoformat(min(dates)), dt.date.fromisoformat(max(dates))
            first = lo if first is None or lo < first else first
            last = hi if last is None or hi > last else last
    for r in rows:
        if r["kind"] == "item":
            for d in [m["due"] for m in r["milestones"]] + ([r["baseline"]["start"], r["baseline"]["deadline"]] if r["baseline"] else []):
                if d:
                    day = dt.date.fromisoformat(d)
                    first = day if first is None or day < first else first
                    last = day if last is None or day > last else last
    first = min(first or today, today)
    last = max(last or today, today)
    return {
        "today": today.isoformat(),
        "group": q.group,
        "group_label": group_labels()[q.group],
        "count": len(items),
        "rows": rows,
        "links": [list(pair) for pair in links],
        "range": [(first - dt.timedelta(days=7)).isoformat(), (last + dt.timedelta(days=14)).isoformat()],
        "lights": [{"value": k, "label": light_labels[k], "color": c} for k, c in LIGHT_COLOURS.items()],
        "baseline": {"number": baseline.number, "name": baseline.name} if baseline else None,
    }
