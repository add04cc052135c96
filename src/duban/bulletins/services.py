"""Writes of the bulletins app: recording one day's figures for every scope."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from duban.audit.services import audit_record
from duban.bulletins.models import FigureSnapshot, scope_of
from duban.bulletins.queries import snapshot_scopes

# headline(campaign=…, unit=…) → the figures `duban stats --json` prints for that scope. Passed
# in by the caller: the figures are gathered by the stats door (duban.stats), above this app.
Figures = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class SnapshotReport:
    taken_on: dt.date
    scopes: int
    replaced: int

    def __str__(self) -> str:
        again = f"（替换了当天原有的 {self.replaced} 份）" if self.replaced else ""
        return f"已记录 {self.taken_on:%Y-%m-%d} 的统计快照 {self.scopes} 份{again}"


def snapshots_take(*, on: dt.date, figures: Figures, actor: Any) -> SnapshotReport:
    """Record the figures of every scope (bulletins.queries.snapshot_scopes) under `on`.

    Taking a day again replaces that whole day. The figures are counted first and written in
    one short transaction, so readers see the old day or the new one, never a mix, and the
    database is not held for the minutes a province's count may take.
    """
    now = timezone.now()
    rows = []
    for campaign, unit in snapshot_scopes():
        # Stored as JSON text would print it (dates as strings…): the record reads back the same.
        data = json.loads(json.dumps(figures(campaign=campaign, unit=unit), ensure_ascii=False, default=str))
        rows.append(FigureSnapshot(taken_on=on, campaign=campaign, unit=unit, figures=data, taken_at=now,
                                   scope=scope_of(campaign.pk if campaign else None, unit.pk if unit else None)))
    with transaction.atomic():
        replaced, _ = FigureSnapshot.objects.filter(taken_on=on).delete()
        FigureSnapshot.objects.bulk_create(rows)
        audit_record(actor=actor, verb="snapshot.take", object_type="bulletins.figuresnapshot", object_id=on.isoformat(),
                     object_repr=f"{on:%Y-%m-%d} 统计快照", changes={"份数": [replaced, len(rows)]})
    return SnapshotReport(taken_on=on, scopes=len(rows), replaced=replaced)
