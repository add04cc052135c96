"""Maintained roll-ups of the ledger (ProblemTally) and the headline figures read from them.

Every service that changes a problem's campaign, region, focus area, status, deadline or
completion date calls `tally_shift(old_key, new_key)` (or `tally_apply` with many deltas)
inside its own transaction; bulk loads add their rows' keys in one pass. No signals: the
calls are explicit, so a write path that forgets them is caught by the consistency tests.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, Sum

from duban.core import figcache, workcalendar
from duban.core.dates import today
from duban.core.numbers import ratio
from duban.ledger.models import Problem, ProblemTally, Status

OPEN, ON_TIME, LATE, DONE_NO_DEADLINE = 0, 1, 2, 3
DONE_STATES = (ON_TIME, LATE, DONE_NO_DEADLINE)
NO_DATE = dt.date(9999, 12, 31)
Key = tuple[int, int, int, int, dt.date]


def key_for(*, campaign_id: int, region_id: int | None, focus_area_id: int | None, status: str, deadline: dt.date | None, completed_on: dt.date | None) -> Key:
    if status == Status.SIGNED_OFF:
        if deadline is None:
            state = DONE_NO_DEADLINE
        else:
            # no 完成时间 (old data; imports now require it): not on time — the page says so too
            state = ON_TIME if completed_on is not None and completed_on <= deadline else LATE
        return (campaign_id, region_id or 0, focus_area_id or 0, state, NO_DATE)
    return (campaign_id, region_id or 0, focus_area_id or 0, OPEN, deadline or NO_DATE)


def key_of(problem: Any) -> Key:
    """The tally key of a Problem (or any object with the same fields, e.g. NewProblem)."""
    return key_for(
        campaign_id=problem.campaign_id, region_id=problem.region_id, focus_area_id=problem.focus_area_id,
        status=problem.status, deadline=problem.deadline, completed_on=problem.completed_on,
    )


def _upsert_sql() -> str:
    t = ProblemTally._meta.db_table
    return (
        f"INSERT INTO {t} (campaign_id, region_id, area_id, state, deadline, n) VALUES (%s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT (campaign_id, region_id, area_id, state, deadline) DO UPDATE SET n = {t}.n + excluded.n"
    )


def tally_apply(deltas: Counter[Key] | dict[Key, int]) -> None:
    """Add each delta to its key's count (one upsert per changed key)."""
    rows = [(*k, n) for k, n in deltas.items() if n]
    if not rows:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("tally changes must run inside the writing transaction")
    with connection.cursor() as cur:
        cur.executemany(_upsert_sql(), sorted(rows))  # a fixed order avoids lock-order deadlocks
    figcache.bump()  # the unaudited paths (re-import updates, rebuilds) change figures too


def tally_shift(old: Key | None, new: Key | None) -> None:
    """A problem moved from key `old` to key `new` (None: it did not exist / no longer does)."""
    if old == new:
        return
    deltas: Counter[Key] = Counter()
    if old is not None:
        deltas[old] -= 1
    if new is not None:
        deltas[new] += 1
    tally_apply(deltas)


def tally_add_rows(rows: Iterable[Any], campaign_id: int) -> None:
    """Count freshly bulk-inserted rows (NewProblem objects of one campaign)."""
    deltas: Counter[Key] = Counter()
    for r in rows:
        deltas[key_for(campaign_id=campaign_id, region_id=r.region_id, focus_area_id=r.focus_area_id, status=r.status, deadline=r.deadline, completed_on=r.completed_on)] += 1
    tally_apply(deltas)


@transaction.atomic
def tally_rebuild(campaign_ids: Iterable[int] | None = None) -> int:
    """Recount from the ledger itself (after a unit moves region, or to repair); returns rows."""
    qs = ProblemTally.objects.all()
    problems = Problem.objects.all()
    if campaign_ids is not None:
        ids = list(campaign_ids)
        qs, problems = qs.filter(campaign_id__in=ids), problems.filter(campaign_id__in=ids)
    qs.delete()
    figcache.bump()
    deltas: Counter[Key] = Counter()
    fields = ("campaign_id", "region_id", "focus_area_id", "status", "deadline", "completed_on")
    grouped = problems.order_by().values(*fields).annotate(c=Sum(1))
    for row in grouped.iterator(chunk_size=10_000):
        c = row.pop("c")
        deltas[key_for(**row)] += c
    tally_apply(deltas)
    return len(deltas)


def tally_figures(*, campaign_ids: list[int] | None = None, region_ids: list[int] | None = None, on: dt.date | None = None, due_soon_days: int = 5) -> dict[str, Any]:
    """Totals and per-area / per-region rows from the tallies, in the figures' shape.

    ``due_soon_days`` counts working days on the calendar (core/workcalendar.py)."""
    on = on or today()
    soon = workcalendar.add_workdays(on, due_soon_days)
    qs = ProblemTally.objects.all()
    if campaign_ids is not None:
        qs = qs.filter(campaign_id__in=campaign_ids)
    if region_ids is not None:
        qs = qs.filter(region_id__in=region_ids)
    agg = {
        "total": Sum("n"),
        "rectified": Sum("n", filter=Q(state__in=DONE_STATES)),
        "on_time": Sum("n", filter=Q(state=ON_TIME)),
        "with_deadline_done": Sum("n", filter=Q(state__in=(ON_TIME, LATE))),
        "overdue": Sum("n", filter=Q(state=OPEN, deadline__lt=on)),
        "due_soon": Sum("n", filter=Q(state=OPEN, deadline__gte=on, deadline__lte=soon)),
    }
    by_area = {r["area_id"]: finish(r) for r in qs.order_by().values("area_id").annotate(**agg)}
    by_region = {r["region_id"]: finish(r) for r in qs.order_by().values("region_id").annotate(**agg)}
    keys = ("total", "rectified", "on_time", "with_deadline_done", "overdue", "due_soon")
    total = finish({k: sum(r[k] for r in by_area.values()) for k in keys})
    return {"total": total, "by_area": by_area, "by_region": by_region}


def finish(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: int(row.get(k) or 0) for k in ("total", "rectified", "overdue", "on_time", "with_deadline_done", "due_soon")}
    out["rate"] = round(ratio(out["rectified"], out["total"]), 4)
    out["on_time_rate"] = round(ratio(out["on_time"], out["with_deadline_done"]), 4)
    return out


def on_units_moved(unit_ids) -> None:
    """orgs calls this after units changed region: recount the campaigns they have problems in."""
    campaigns = set(Problem.objects.filter(unit_id__in=unit_ids).values_list("campaign_id", flat=True).distinct())
    if campaigns:
        tally_rebuild(campaigns)
