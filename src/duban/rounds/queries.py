"""Reads of report rounds: a round's status (expected, submitted, on time, late, missing),
a unit's form with its prefill, punctuality by unit with the ranking, the round summary
(what changed since the last round), the `rounds` figures.

The office of the campaign's unit sees its rounds whole; a unit sees its own submissions
(the permission layer's scope over `Submission.unit`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from duban.core import figcache
from duban.orgs import permissions
from duban.orgs.models import OrgUnit
from duban.orgs.scoping import scope_key
from duban.rounds import items as round_items
from duban.rounds.models import Chase, Line, LineKind, Punctuality, Round, Submission, SubmissionStatus


def visible_rounds(user, campaign=None) -> QuerySet:
    """Rounds the user runs (office over the campaign's unit) or is asked in."""
    qs = Round.objects.all() if campaign is None else Round.objects.filter(campaign=campaign)
    mine = permissions.scope(user, Submission.objects.all()).values("round_id")
    return qs.filter(Q(pk__in=permissions.scope(user, Round.objects.all()).values("pk")) | Q(pk__in=mine))


def visible_submissions(user, rnd: Round | None = None) -> QuerySet:
    qs = Submission.objects.all() if rnd is None else Submission.objects.filter(round=rnd)
    return permissions.scope(user, qs)


def round_status(rnd: Round, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """DESIGN §5 `duban rounds status`: expected, submitted, on_time, late, missing (names)."""
    rows = dict(Submission.objects.filter(round=rnd).order_by().values_list("punctuality").annotate(n=Count("id")))
    counted = Submission.objects.filter(round=rnd, status=SubmissionStatus.SUBMITTED).count()
    missing = list(Submission.objects.filter(round=rnd).exclude(status=SubmissionStatus.SUBMITTED).order_by("unit__path")
                   .values_list("unit__name", flat=True))
    return {"expected": rnd.expected, "submitted": counted, "on_time": rows.get(Punctuality.ON_TIME, 0), "late": rows.get(Punctuality.LATE, 0),
            "missing": missing}


@dataclass
class FormLine:
    item: round_items.Item
    line: Line | None  # saved in this submission
    last: Line | None  # the unit's answer in its previous round (the prefill)


def form(submission: Submission) -> list[FormLine]:
    rnd, unit = submission.round, submission.unit
    saved = {(ln.kind, ln.object_id): ln for ln in submission.lines.all()}
    last = round_items.last_lines(rnd, unit)
    return [FormLine(i, saved.get((i.kind, i.object_id)), last.get((i.kind, i.object_id))) for i in round_items.items_of(rnd, unit)]


def last_due(campaign) -> str:
    """When the campaign's (or every campaign's) last round already due fell due: a key part
    of cached round figures, which change when a round falls due without any write."""
    rounds = Round.objects.all() if campaign is None else Round.objects.filter(campaign=campaign)
    due = rounds.filter(due_at__lte=timezone.now()).order_by("-due_at").values_list("due_at", flat=True).first()
    return due.isoformat() if due else ""


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def punctuality_by_unit(campaign, *, since: dt.date | None = None, until: dt.date | None = None, unit_ids=None) -> list[dict[str, Any]]:
    """Per unit over the campaign's locked or due rounds: expected, on time, late, missing and
    the on-time rate (on time ÷ expected), best first — the ranking bulletins read. Kept until
    the next write or the next round falling due (a city's year of weekly rounds is 570,000
    submissions to count: 0.23 s a read)."""
    # unit_ids: ids, or a subquery of them (its SQL names the scope it stands for)
    units = None if unit_ids is None else str(unit_ids.query) if hasattr(unit_ids, "query") else sorted(unit_ids)
    parts = (campaign.pk, since, until, units, last_due(campaign))
    return figcache.cached("rounds-punctuality", parts, lambda: _punctuality_by_unit(campaign, since, until, unit_ids))


def _punctuality_by_unit(campaign, since, until, unit_ids) -> list[dict[str, Any]]:
    now = timezone.now()
    qs = Submission.objects.filter(round__campaign=campaign, round__due_at__lte=now)
    # Whole Beijing days as a range on the column (not `__date`, which converts every row).
    if since:
        qs = qs.filter(round__due_at__gte=_day_start(since))
    if until:
        qs = qs.filter(round__due_at__lt=_day_start(until + dt.timedelta(days=1)))
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    rows = (qs.order_by().values("unit_id", "unit__name")
            .annotate(expected=Count("id"), on_time=Count("id", filter=Q(punctuality=Punctuality.ON_TIME)),
                      late=Count("id", filter=Q(punctuality=Punctuality.LATE)),
                      missing=Count("id", filter=Q(punctuality=Punctuality.MISSING))))
    out = [{"unit_id": r["unit_id"], "unit": r["unit__name"], "expected": r["expected"], "on_time": r["on_time"], "late": r["late"],
            "missing": r["missing"], "rate": r["on_time"] / r["expected"] if r["expected"] else 0.0} for r in rows]
    out.sort(key=lambda r: (-r["rate"], r["missing"], r["late"], r["unit"]))
    for i, r in enumerate(out, 1):
        r["rank"] = i
    return out


def punctuality_trend(campaign, *, unit: OrgUnit | None = None, limit: int = 26) -> list[dict[str, Any]]:
    """The on-time rate of each past round, oldest first (one unit's, or everyone's); kept as
    the ranking is."""
    parts = (campaign.pk, unit.pk if unit is not None else None, limit, last_due(campaign))
    return figcache.cached("rounds-trend", parts, lambda: _punctuality_trend(campaign, unit, limit))


def _punctuality_trend(campaign, unit, limit) -> list[dict[str, Any]]:
    now = timezone.now()
    qs = Submission.objects.filter(round__campaign=campaign, round__due_at__lte=now)
    if unit is not None:
        qs = qs.filter(unit=unit)
    rows = list(qs.order_by().values("round_id", "round__name", "round__due_at")
                .annotate(expected=Count("id"), on_time=Count("id", filter=Q(punctuality=Punctuality.ON_TIME)),
                          submitted=Count("id", filter=~Q(punctuality=Punctuality.MISSING)))
                .order_by("-round__due_at")[:limit])
    rows.reverse()
    return [{"round": r["round__name"], "due": timezone.localtime(r["round__due_at"]).date().isoformat(), "expected": r["expected"],
             "submitted": r["submitted"], "on_time": r["on_time"], "rate": r["on_time"] / r["expected"] if r["expected"] else 0.0} for r in rows]


def previous_round(rnd: Round) -> Round | None:
    qs = Round.objects.filter(campaign=rnd.campaign, due_at__lt=rnd.due_at)
    if rnd.cadence_id:
        qs = qs.filter(cadence_id=rnd.cadence_id)
    return qs.order_by("-due_at").first()


def summary(rnd: Round) -> dict[str, Any]:
    """The round's summary: who reported and who did not; what changed since the last round —
    progress moved per item, investment this period, new blockers, items newly overdue."""
    status = round_status(rnd)
    prev = previous_round(rnd)
    movement = figcache.cached("round-movement", (rnd.pk, prev.pk if prev is not None else None), lambda: _movement(rnd, prev))
    since = prev.due_at if prev is not None else rnd.opened_at
    from duban.ledger.models import OPEN_STATUSES, Problem
    from duban.projects.models import Blocker

    blockers = list(Blocker.objects.filter(project__campaign=rnd.campaign, created_at__gt=since, created_at__lte=rnd.due_at)
                    .select_related("project", "problem", "problem__unit").order_by("created_at"))
    due_day = timezone.localtime(rnd.due_at).date()
    since_day = timezone.localtime(since).date()
    newly_overdue = (Problem.objects.filter(campaign=rnd.campaign, status__in=OPEN_STATUSES, deadline__gte=since_day, deadline__lt=due_day)
                     .count())
    chases = list(Chase.objects.filter(round=rnd).exclude(units=0).order_by("at"))
    return {"status": status, "previous": prev, **movement, "blockers": blockers, "newly_overdue": newly_overdue, "chases": chases}


def _movement(rnd: Round, prev: Round | None) -> dict[str, Any]:
    """What the submitted lines say against the last round: progress moved per item (the 200
    largest moves) and the investment this period. Read from every line of both rounds (a
    city's round is ~20,000 lines, ~90 ms), so kept until the next write (core.figcache: the
    submissions are audited writes)."""
    lines = list(Line.objects.filter(submission__round=rnd, submission__status=SubmissionStatus.SUBMITTED)
                 .values_list("kind", "object_id", "progress", "invested_wan", "title", "submission__unit__name"))
    before: dict[tuple[str, int], int | None] = {}
    if prev is not None:
        before = {(k, o): p for k, o, p in Line.objects.filter(submission__round=prev).values_list("kind", "object_id", "progress")}
    moved = []
    for kind, object_id, progress, _inv, title, unit in lines:
        old = before.get((kind, object_id))
        if progress is not None and old is not None and progress != old:
            moved.append({"unit": unit, "title": title, "from": old, "to": progress, "kind": kind})
    moved.sort(key=lambda m: -(m["to"] - m["from"]))
    invested = sum((inv or Decimal(0) for kind, _o, _p, inv, _t, _u in lines if kind == LineKind.PROJECT), Decimal(0))
    return {"moved": moved[:200], "moved_count": len(moved), "invested_wan": float(invested), "lines": len(lines)}


def figures(*, user=None, campaign=None) -> dict[str, Any]:
    """The `rounds` section of the headline figures (DESIGN §5): rounds, expected and
    submitted answers, the on-time rate (on time ÷ expected) over rounds already due.

    Kept until the next write (core.figcache: audited writes of rounds.* bump the data
    version, and so do the lock and the bulk insert), keyed by the scope, the campaign and
    the last round already due — a round falling due changes the figures without a write.
    A province's rounds are 11,000 submissions each: counted live it was 0.2 s a read."""
    parts = (scope_key(user), campaign.pk if campaign is not None else None, last_due(campaign))
    return figcache.cached("rounds", parts, lambda: _figures_now(user, campaign))


def _figures_now(user, campaign) -> dict[str, Any]:
    qs = Submission.objects.all() if user is None else visible_submissions(user)
    rounds = Round.objects.all() if user is None else visible_rounds(user)
    if campaign is not None:
        qs, rounds = qs.filter(round__campaign=campaign), rounds.filter(campaign=campaign)
    due = qs.filter(round__due_at__lte=timezone.now())
    row = due.aggregate(expected=Count("id"), submitted=Count("id", filter=~Q(punctuality=Punctuality.MISSING)),
                        on_time=Count("id", filter=Q(punctuality=Punctuality.ON_TIME)))
    return {"total": rounds.count(), "expected": row["expected"], "submitted": row["submitted"], "on_time": row["on_time"],
            "on_time_rate": round(row["on_time"] / row["expected"], 3) if row["expected"] else 0.0,
            "open": rounds.filter(status="open").count()}


def investment_of(rnd: Round) -> Decimal:
    return Line.objects.filter(submission__round=rnd, kind=LineKind.PROJECT).aggregate(s=Sum("invested_wan"))["s"] or Decimal(0)


# ------------------------------------------------------------------ the pages


def runs_whole(user, rnd: Round) -> bool:
    """Whether the user sees the round whole (its office, or a leader over the campaign's
    unit): every unit's row, the summary, the chase log. A unit asked sees its own rows."""
    return permissions.scope(user, Round.objects.filter(pk=rnd.pk)).exists()


def with_counts(rounds: QuerySet) -> QuerySet:
    """Rounds with their submitted, on-time, late and missing counts (one query for a page)."""
    sub = "submissions"
    return rounds.annotate(
        n_submitted=Count(sub, filter=Q(submissions__status=SubmissionStatus.SUBMITTED)),
        n_on_time=Count(sub, filter=Q(submissions__punctuality=Punctuality.ON_TIME)),
        n_late=Count(sub, filter=Q(submissions__punctuality=Punctuality.LATE)),
        n_missing=Count(sub, filter=Q(submissions__punctuality=Punctuality.MISSING)),
        n_returned=Count(sub, filter=Q(submissions__status=SubmissionStatus.RETURNED)),
    )


def run_rounds(user, campaign) -> QuerySet:
    """The campaign's rounds the user sees whole, newest due first, with their counts."""
    return with_counts(permissions.scope(user, Round.objects.filter(campaign=campaign))).order_by("-due_at", "-id")


def own_unit_ids(user) -> list[int]:
    """The units the user answers for (liaison or office)."""
    from duban.orgs.models import Role
    from duban.orgs.scoping import grants

    return [g.unit_id for g in grants(user) if g.role in (Role.LIAISON, Role.OFFICE)]


WAITING = (SubmissionStatus.PENDING, SubmissionStatus.DRAFT, SubmissionStatus.RETURNED)


def waiting_submissions(user, campaign=None) -> QuerySet:
    """Submissions of open rounds that wait on this person: not yet submitted (or returned),
    of the units the person answers for (own units or the ones right below), due first."""
    from duban.rounds.models import RoundStatus

    cond = permissions.todo_units_q(user, "unit")
    if cond is None:
        return Submission.objects.none()
    # The units right below are the person's to chase in rounds others run (a town for its
    # villages); in the rounds the person runs, the round's page tracks them instead.
    runs = permissions.scope(user, Round.objects.all()).values("pk")
    cond &= ~Q(round__in=runs) | Q(unit__in=own_unit_ids(user))
    qs = (Submission.objects.filter(cond, round__status=RoundStatus.OPEN, round__lock_at__gt=timezone.now(), status__in=WAITING)
          .select_related("round", "unit"))
    if campaign is not None:
        qs = qs.filter(round__campaign=campaign)
    return qs.order_by("round__due_at", "unit__path", "id")


def my_submissions(user, campaign) -> QuerySet:
    """The submissions of the user's own units (and those right below), newest round first."""
    cond = permissions.todo_units_q(user, "unit")
    if cond is None:
        return Submission.objects.none()
    return (Submission.objects.filter(cond, round__campaign=campaign).select_related("round", "unit")
            .order_by("-round__due_at", "unit__path", "id"))


def round_rows(user, rnd: Round) -> QuerySet:
    """The round's submissions the user sees, in the tree's order."""
    return visible_submissions(user, rnd).select_related("unit", "submitted_by").order_by("unit__path", "id")


def submission_get(user, pk: int) -> Submission | None:
    return visible_submissions(user).select_related("round", "round__campaign", "round__campaign__unit", "unit").filter(pk=pk).first()


def summary_rows(rnd: Round):
    """The xlsx summary's rows: each expected unit with its status, and each submitted line."""
    subs = Submission.objects.filter(round=rnd).select_related("unit").order_by("unit__path", "id")
    lines = (Line.objects.filter(submission__round=rnd).exclude(submission__status__in=(SubmissionStatus.PENDING, SubmissionStatus.DRAFT))
             .select_related("submission__unit").order_by("submission__unit__path", "kind", "id"))
    return subs, lines


def home_card(*, user, campaign, figures: dict[str, Any] | None = None, **_rest: Any) -> dict[str, Any] | None:
    """The home page's card: the open rounds the person runs (their counts) and what waits on
    the person's units; none when there is neither."""
    if campaign is None:
        return None
    from duban.rounds.models import RoundStatus

    running = list(run_rounds(user, campaign).filter(status=RoundStatus.OPEN)[:3])
    waiting = list(waiting_submissions(user, campaign)[:5])
    if not running and not waiting:
        return None
    return {"running": running, "waiting": waiting, "campaign": campaign}
