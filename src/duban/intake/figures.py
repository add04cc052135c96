"""The `suggestions` section of `duban stats --json` and of the home page.

Clues (举报线索) are counted as the seeds count them (洮北: 受理线索611条，查结595条，正在核查
16条，非管移送85条): `received` every clue, `closed` (查结) those concluded — checked here
or transferred to the authority they belong to, so received = closed + verifying + not yet
started — `transferred` (转办) the part of `closed` handed elsewhere, and `closed_rate`
(查结率) closed / received. Ratings given on a phone callback count in satisfaction exactly
as web ratings do (the same fields); `callbacks` says how many came by phone.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, FloatField, Func, Q, Sum

from duban.core import figcache
from duban.core.numbers import ratio
from duban.intake.models import (
    HANDLED,
    OPEN_STATUSES,
    Channel,
    Kind,
    Rating,
    RatingSource,
    Status,
    Suggestion,
)
from duban.orgs.scoping import scope, scope_key


def figures(user=None, campaign=None) -> dict[str, Any]:
    """Totals by channel and kind, handled rate, mean reply days, satisfaction rate.

    `user=None` (the CLI) counts everything; otherwise only what the user may see.
    Rates are fractions (0.974), labels are the Chinese names. Counted in one pass over the
    visible suggestions, and kept until the next write (core.figcache).
    """
    parts = (scope_key(user), campaign.pk if campaign is not None else None)
    return figcache.cached("suggestions", parts, lambda: _count(user, campaign))


def brief_figures(user=None, campaign=None) -> dict[str, Any]:
    """The total alone (the home page): counted from an index, not a read of every row."""
    qs = Suggestion.objects.all() if user is None else scope(user, Suggestion.objects.all())
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    parts = (scope_key(user), campaign.pk if campaign is not None else None)
    return figcache.cached("suggestions_total", parts, lambda: {"total": qs.order_by().count(), "clues": clue_figures(qs.order_by())})


CONCLUDED = (Status.CLOSED, Status.TRANSFERRED)


def _clue_aggregates() -> dict[str, Any]:
    clue = Q(kind=Kind.CLUE)
    return {
        "clue_received": Count("id", filter=clue),
        "clue_verifying": Count("id", filter=clue & Q(status=Status.VERIFYING)),
        "clue_closed": Count("id", filter=clue & Q(status__in=CONCLUDED)),
        "clue_transferred": Count("id", filter=clue & Q(status=Status.TRANSFERRED)),
    }


def _clues(agg: dict[str, Any]) -> dict[str, Any]:
    received, closed = agg["clue_received"], agg["clue_closed"]
    return {
        "received": received, "verifying": agg["clue_verifying"], "closed": closed, "transferred": agg["clue_transferred"],
        "pending": received - closed - agg["clue_verifying"], "closed_rate": round(ratio(closed, received), 4),
    }


def clue_figures(qs) -> dict[str, Any]:
    """The clue figures of the suggestions in `qs` (one aggregate)."""
    return _clues(qs.aggregate(**_clue_aggregates()))


def _count(user, campaign) -> dict[str, Any]:
    qs = Suggestion.objects.all() if user is None else scope(user, Suggestion.objects.all())
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    qs = qs.order_by()
    # One pass over the rows for every figure: conditional counts, and the reply time summed
    # in SQL (negative spans, a reply stamped before its submission, count as zero days).
    span = SecondsBetween("submitted_at", "replied_at")
    agg = qs.aggregate(
        total=Count("id"),
        handled=Count("id", filter=Q(status__in=HANDLED)),
        closed=Count("id", filter=Q(status=Status.CLOSED)),
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        new=Count("id", filter=Q(status=Status.NEW)),
        reopened=Count("id", filter=Q(reopen_count__gt=0)),
        transferred=Count("id", filter=Q(problem_id__isnull=False)),
        rated=Count("id", filter=~Q(rating="")),
        callbacks=Count("id", filter=Q(rating_source=RatingSource.CALLBACK)),
        satisfied=Count("id", filter=Q(rating__in=[Rating.SATISFIED, Rating.BASIC])),
        fully_satisfied=Count("id", filter=Q(rating=Rating.SATISFIED)),
        replied=Count("id", filter=Q(replied_at__isnull=False)),
        reply_time=Sum(span, filter=Q(replied_at__gt=F("submitted_at"))),
        **{f"channel_{c.value}": Count("id", filter=Q(channel=c.value)) for c in Channel},
        **{f"kind_{c.value}": Count("id", filter=Q(kind=c.value)) for c in Kind},
        **_clue_aggregates(),
    )
    by_channel = _counts(qs, "channel", Channel, agg)
    by_kind = _counts(qs, "kind", Kind, agg)
    n_replied = agg["replied"]
    total_s = float(agg["reply_time"] or 0.0)
    return {
        "total": agg["total"],
        "by_channel": by_channel,
        "by_kind": by_kind,
        "handled": agg["handled"],
        "handled_rate": round(ratio(agg["handled"], agg["total"]), 4),
        "closed": agg["closed"],
        "open": agg["open"],
        "new": agg["new"],
        "transferred": agg["transferred"],
        "reopened": agg["reopened"],
        "replied": n_replied,
        "avg_reply_days": round(total_s / n_replied / 86400, 1) if n_replied else None,
        "rated": agg["rated"],
        "callbacks": agg["callbacks"],
        "satisfaction_rate": round(ratio(agg["satisfied"], agg["rated"]), 4),
        "fully_satisfied_rate": round(ratio(agg["fully_satisfied"], agg["rated"]), 4),
        "clues": _clues(agg),
    }


class SecondsBetween(Func):
    """Seconds from one datetime column to another, natively on both databases (Django's
    portable duration arithmetic calls a Python function per row on SQLite: 3 s for a
    city's suggestions)."""

    output_field = FloatField()

    def __init__(self, start: str, end: str) -> None:
        super().__init__(F(end), F(start))

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday(", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - ", **extra)


def _counts(qs, field: str, choices, agg: dict[str, Any]) -> dict[str, int]:
    """Counts by label for every choice, from the aggregate; values outside the choices
    (never written by the app, but possible in old data) are counted by a GROUP BY."""
    out = {str(c.label): agg[f"{field}_{c.value}"] for c in choices}
    if sum(out.values()) != agg["total"]:
        for row in qs.values(field).annotate(n=Count("id")):
            if row[field] not in choices.values:
                out[row[field]] = row["n"]
    return out
