"""Maintained roll-ups of the ledger (ProblemTally, ProblemSourceTally) and the headline
figures read from them.

Every service that changes a problem's campaign, region, focus area, source, kind, status,
deadline or completion date calls `tally_shift(old_key, new_key)` (or `tally_apply` with
many deltas) inside its own transaction; bulk loads add their rows' keys in one pass. A key
carries both tables' columns; `tally_apply` writes each table its part. No signals: the
calls are explicit, so a write path that forgets them is caught by the consistency tests.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, DateField, F, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from duban.core import figcache, workcalendar
from duban.core.dates import today
from duban.core.numbers import ratio
from duban.ledger.models import Problem, ProblemSourceTally, ProblemStatusTally, ProblemTally, Status

OPEN, ON_TIME, LATE, DONE_NO_DEADLINE = 0, 1, 2, 3
DONE_STATES = (ON_TIME, LATE, DONE_NO_DEADLINE)
NO_DATE = dt.date(9999, 12, 31)
# (campaign, region, area, state, deadline) of ProblemTally, then source, kind, month and
# status of ProblemSourceTally (which shares campaign, region, state and deadline).
Key = tuple[int, int, int, int, dt.date, str, str, dt.date, str]
TALLY_COLUMNS = ("campaign_id", "region_id", "area_id", "state", "deadline")
SOURCE_COLUMNS = ("campaign_id", "source", "kind", "region_id", "month", "status", "state", "deadline")
STATUS_COLUMNS = ("campaign_id", "region_id", "area_id", "status")  # ProblemStatusTally


@functools.lru_cache(maxsize=4096)  # a bulk load stamps its rows with one time
def month_of(created_at: dt.datetime | None) -> dt.date:
    """The first day of the registration month in Asia/Shanghai (the rates' 登记月份)."""
    if created_at is None:
        return NO_DATE
    local = created_at.astimezone(_zone()) if timezone.is_aware(created_at) else created_at
    return local.date().replace(day=1)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)  # the installation's zone, whatever a request activated


def key_for(
    *, campaign_id: int, region_id: int | None, focus_area_id: int | None, status: str, deadline: dt.date | None,
    completed_on: dt.date | None, source: str = "", kind: str = "", created_at: dt.datetime | None = None,
) -> Key:
    month = month_of(created_at)
    if status == Status.SIGNED_OFF:
        if deadline is None:
            state = DONE_NO_DEADLINE
        else:
            # no 完成时间 (old data; imports now require it): not on time — the page says so too
            state = ON_TIME if completed_on is not None and completed_on <= deadline else LATE
        return (campaign_id, region_id or 0, focus_area_id or 0, state, NO_DATE, source, kind, month, status)
    return (campaign_id, region_id or 0, focus_area_id or 0, OPEN, deadline or NO_DATE, source, kind, month, status)


def key_of(problem: Any, *, created_at: dt.datetime | None = None) -> Key:
    """The tally key of a Problem (or any object with the same fields, e.g. NewProblem;
    `created_at` stands in where the object has none yet)."""
    return key_for(
        campaign_id=problem.campaign_id, region_id=problem.region_id, focus_area_id=problem.focus_area_id,
        status=problem.status, deadline=problem.deadline, completed_on=problem.completed_on,
        source=problem.source, kind=problem.kind, created_at=problem.created_at or created_at,
    )


def _upsert_sql(model, columns: tuple[str, ...]) -> str:
    t = model._meta.db_table
    cols = ", ".join(columns)
    return (
        f"INSERT INTO {t} ({cols}, n) VALUES ({', '.join(['%s'] * (len(columns) + 1))}) "
        f"ON CONFLICT ({cols}) DO UPDATE SET n = {t}.n + excluded.n"
    )


def _source_part(k: Key) -> tuple:
    campaign, region, _area, state, deadline, source, kind, month, status = k
    return (campaign, source, kind, region, month, status, state, deadline)  # SOURCE_COLUMNS order


def _status_part(k: Key) -> tuple:
    campaign, region, area, _state, _deadline, _source, _kind, _month, status = k
    return (campaign, region, area, status)  # STATUS_COLUMNS order


def tally_apply(deltas: Counter[Key] | dict[Key, int]) -> None:
    """Add each delta to its key's count in the three tables (one upsert per changed row)."""
    main: Counter = Counter()
    by_source: Counter = Counter()
    by_status: Counter = Counter()
    for k, n in deltas.items():
        if n:
            main[k[:5]] += n
            by_source[_source_part(k)] += n
            by_status[_status_part(k)] += n
    main_rows = [(*k, n) for k, n in main.items() if n]
    source_rows = [(*k, n) for k, n in by_source.items() if n]
    status_rows = [(*k, n) for k, n in by_status.items() if n]
    if not main_rows and not source_rows and not status_rows:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("tally changes must run inside the writing transaction")
    with connection.cursor() as cur:  # a fixed order avoids lock-order deadlocks
        if main_rows:
            cur.executemany(_upsert_sql(ProblemTally, TALLY_COLUMNS), sorted(main_rows))
        if source_rows:
            cur.executemany(_upsert_sql(ProblemSourceTally, SOURCE_COLUMNS), sorted(source_rows))
        if status_rows:
            cur.executemany(_upsert_sql(ProblemStatusTally, STATUS_COLUMNS), sorted(status_rows))
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


def tally_add_rows(rows: Iterable[Any], campaign_id: int, *, created_at: dt.datetime) -> None:
    """Count freshly bulk-inserted rows (NewProblem objects of one campaign); `created_at`
    is the time written for rows that carry none."""
    deltas: Counter[Key] = Counter()
    for r in rows:
        deltas[key_for(campaign_id=campaign_id, region_id=r.region_id, focus_area_id=r.focus_area_id, status=r.status, deadline=r.deadline,
                       completed_on=r.completed_on, source=r.source, kind=r.kind, created_at=r.created_at or created_at)] += 1
    tally_apply(deltas)


@transaction.atomic
def tally_rebuild(campaign_ids: Iterable[int] | None = None) -> int:
    """Recount from the ledger itself (after a unit moves region, or to repair); returns rows."""
    qs = ProblemTally.objects.all()
    by_source = ProblemSourceTally.objects.all()
    by_status = ProblemStatusTally.objects.all()
    problems = Problem.objects.all()
    if campaign_ids is not None:
        ids = list(campaign_ids)
        qs, by_source, problems = qs.filter(campaign_id__in=ids), by_source.filter(campaign_id__in=ids), problems.filter(campaign_id__in=ids)
        by_status = by_status.filter(campaign_id__in=ids)
    qs.delete()
    by_source.delete()
    by_status.delete()
    figcache.bump()
    # Grouped in SQL by the keys' own values (state, open deadline, month), so the groups
    # stay few at millions of rows; the rows are then keyed exactly as key_for does.
    grouped = problems.order_by().annotate(
        st=_state_sql(), dl=Case(When(status=Status.SIGNED_OFF, then=Value(NO_DATE)), default=F("deadline"), output_field=DateField()),
        m=TruncMonth("created_at", output_field=DateField(), tzinfo=_zone()),
    ).values("campaign_id", "region_id", "focus_area_id", "source", "kind", "status", "st", "dl", "m").annotate(c=Sum(1))
    deltas: Counter[Key] = Counter()
    for r in grouped.iterator(chunk_size=10_000):
        m = r["m"].date() if isinstance(r["m"], dt.datetime) else r["m"]
        key = (r["campaign_id"], r["region_id"] or 0, r["focus_area_id"] or 0, r["st"], r["dl"] or NO_DATE, r["source"], r["kind"], m or NO_DATE, r["status"])
        deltas[key] += r["c"]
    tally_apply(deltas)
    return len(deltas)


def _state_sql() -> Case:
    """key_for's state as a SQL expression."""
    return Case(
        When(~Q(status=Status.SIGNED_OFF), then=Value(OPEN)),
        When(deadline__isnull=True, then=Value(DONE_NO_DEADLINE)),
        When(completed_on__lte=F("deadline"), then=Value(ON_TIME)),
        default=Value(LATE),
    )


def tally_figures(*, campaign_ids: list[int] | None = None, region_ids: list[int] | None = None, on: dt.date | None = None, due_soon_days: int = 5) -> dict[str, Any]:
    """Totals and per-area / per-region rows from the tallies, in the figures' shape.

    ``due_soon_days`` counts working days on the calendar (core/workcalendar.py)."""
    on = on or today()
    qs = _narrowed(ProblemTally.objects.all(), campaign_ids, region_ids)
    agg = _aggregates(on, workcalendar.add_workdays(on, due_soon_days))
    by_area = {r["area_id"]: finish(r) for r in qs.order_by().values("area_id").annotate(**agg)}
    by_region = {r["region_id"]: finish(r) for r in qs.order_by().values("region_id").annotate(**agg)}
    keys = ("total", "rectified", "on_time", "with_deadline_done", "overdue", "due_soon")
    total = finish({k: sum(r[k] for r in by_area.values()) for k in keys})
    return {"total": total, "by_area": by_area, "by_region": by_region}


def source_figures(by: str, *, campaign_ids: list[int] | None = None, region_ids: list[int] | None = None, on: dt.date | None = None) -> dict[Any, dict[str, Any]]:
    """Figures by 问题来源 (`by="source"`: {source: figures}) or by registration month
    (`by="month"`: {first day of the month: figures}) from ProblemSourceTally."""
    if by not in ("source", "month"):
        raise ValueError(f"unknown grouping {by!r}")
    on = on or today()
    qs = _narrowed(ProblemSourceTally.objects.all(), campaign_ids, region_ids)
    return {r[by]: finish(r) for r in qs.order_by().values(by).annotate(**_aggregates(on, on))}


def _narrowed(qs, campaign_ids: list[int] | None, region_ids: list[int] | None):
    if campaign_ids is not None:
        qs = qs.filter(campaign_id__in=campaign_ids)
    if region_ids is not None:
        qs = qs.filter(region_id__in=region_ids)
    return qs


def _aggregates(on: dt.date, soon: dt.date) -> dict[str, Sum]:
    return {
        "total": Sum("n"),
        "rectified": Sum("n", filter=Q(state__in=DONE_STATES)),
        "on_time": Sum("n", filter=Q(state=ON_TIME)),
        "with_deadline_done": Sum("n", filter=Q(state__in=(ON_TIME, LATE))),
        "overdue": Sum("n", filter=Q(state=OPEN, deadline__lt=on)),
        "due_soon": Sum("n", filter=Q(state=OPEN, deadline__gte=on, deadline__lte=soon)),
    }


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
