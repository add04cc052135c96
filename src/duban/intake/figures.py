"""The `suggestions` section of `duban stats --json` and of the home page."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from duban.core.numbers import ratio
from duban.intake.models import HANDLED, Channel, Kind, Rating, Status, Suggestion
from duban.orgs.scoping import scope


def figures(user=None, campaign=None) -> dict[str, Any]:
    """Totals by channel and kind, handled rate, mean reply days, satisfaction rate.

    `user=None` (the CLI) counts everything; otherwise only what the user may see.
    Rates are fractions (0.974), labels are the Chinese names.
    """
    qs = Suggestion.objects.all() if user is None else scope(user, Suggestion.objects.all())
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    qs = qs.order_by()
    agg = qs.aggregate(
        total=Count("id"),
        handled=Count("id", filter=Q(status__in=HANDLED)),
        closed=Count("id", filter=Q(status=Status.CLOSED)),
        open=Count("id", filter=Q(status__in=[Status.NEW, Status.ASSIGNED, Status.REOPENED])),
        new=Count("id", filter=Q(status=Status.NEW)),
        reopened=Count("id", filter=Q(reopen_count__gt=0)),
        transferred=Count("id", filter=Q(problem_id__isnull=False)),
        rated=Count("id", filter=~Q(rating="")),
        satisfied=Count("id", filter=Q(rating__in=[Rating.SATISFIED, Rating.BASIC])),
        fully_satisfied=Count("id", filter=Q(rating=Rating.SATISFIED)),
    )
    by_channel = {str(c.label): 0 for c in Channel}
    for row in qs.values("channel").annotate(n=Count("id")):
        by_channel[str(Channel(row["channel"]).label) if row["channel"] in Channel.values else row["channel"]] = row["n"]
    by_kind = {str(c.label): 0 for c in Kind}
    for row in qs.values("kind").annotate(n=Count("id")):
        by_kind[str(Kind(row["kind"]).label) if row["kind"] in Kind.values else row["kind"]] = row["n"]
    # Mean days from submission to reply, computed in Python over two columns: portable
    # across SQLite and PostgreSQL (duration arithmetic differs) and cheap at city scale.
    total_s, n_replied = 0.0, 0
    for sub, rep in qs.filter(replied_at__isnull=False).values_list("submitted_at", "replied_at").iterator(chunk_size=5000):
        total_s += max(0.0, (rep - sub).total_seconds())
        n_replied += 1
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
        "satisfaction_rate": round(ratio(agg["satisfied"], agg["rated"]), 4),
        "fully_satisfied_rate": round(ratio(agg["fully_satisfied"], agg["rated"]), 4),
    }
