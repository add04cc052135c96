"""The district demo's report rounds: the weekly cadence, a year of Friday rounds with the
late and missing patterns an office knows (most on time, a few chronically late, one or two
often missing), lines in every submission, reminders logged, this week's round open."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from duban.rounds import queries
from duban.rounds.models import (
    Cadence,
    Chase,
    ChaseLevel,
    Line,
    Punctuality,
    Round,
    RoundStatus,
    Submission,
    SubmissionStatus,
)

pytestmark = pytest.mark.django_db


def test_a_year_of_friday_rounds_of_the_weekly_cadence(district_demo):
    cadence = Cadence.objects.get(campaign=district_demo.campaign, name="每周例行调度")
    assert cadence.active and cadence.next_due_at > timezone.now()
    rounds = list(Round.objects.filter(cadence=cadence).order_by("due_at"))
    assert len(rounds) == 52
    dues = [timezone.localtime(r.due_at) for r in rounds]
    assert all(d.weekday() == 4 and (d.hour, d.minute) == (17, 0) for d in dues)
    assert all(b - a == dt.timedelta(weeks=1) for a, b in zip(dues, dues[1:], strict=False))
    open_rounds = [r for r in rounds if r.status == RoundStatus.OPEN]
    assert rounds[-1].due_at > timezone.now() and rounds[-1] in open_rounds and len(open_rounds) <= 2  # last week's in its grace at weekends
    expected = {r.expected for r in rounds}
    assert len(expected) == 1 and 30 <= expected.pop() <= 80  # every unit answering for an open task or problem
    assert Submission.objects.filter(round__cadence=cadence).count() == 52 * rounds[0].expected


def test_punctuality_patterns(district_demo):
    ranking = queries.punctuality_by_unit(district_demo.campaign)
    assert len(ranking) == Round.objects.filter(campaign=district_demo.campaign).first().expected
    assert all(r["expected"] in (50, 51) for r in ranking)  # the past rounds (last week's may still be in its grace)
    steady = [r for r in ranking if r["rate"] >= 0.9]
    late = [r for r in ranking if r["late"] >= r["expected"] * 0.4]
    missing = [r for r in ranking if r["missing"] >= r["expected"] * 0.3]
    assert len(steady) >= len(ranking) // 2
    assert len(late) == 3 and len(missing) == 2
    assert {r["rank"] for r in late + missing} <= {r["rank"] for r in ranking[-8:]}  # at the bottom of the ranking
    figures = queries.figures(campaign=district_demo.campaign)
    assert 0.7 <= figures["on_time_rate"] <= 0.92
    assert figures["total"] == 52 and figures["open"] >= 1
    trend = queries.punctuality_trend(district_demo.campaign, limit=60)
    assert len(trend) in (50, 51) and all(0.5 <= t["rate"] <= 1 for t in trend)


def test_submissions_carry_lines_and_chases_are_logged(district_demo):
    past = Round.objects.filter(campaign=district_demo.campaign, due_at__lt=timezone.now()).order_by("due_at")
    rnd = past.last()
    subs = Submission.objects.filter(round=rnd)
    answered = subs.exclude(punctuality=Punctuality.MISSING)
    assert answered.filter(status=SubmissionStatus.SUBMITTED).count() == answered.count() > 0
    assert not subs.filter(punctuality=Punctuality.MISSING, status=SubmissionStatus.SUBMITTED).exists()
    per_sub = Counter(Line.objects.filter(submission__round=rnd).values_list("submission_id", flat=True))
    assert set(per_sub) == set(answered.values_list("pk", flat=True))  # every answer has its lines, the unanswered none
    late = answered.filter(punctuality=Punctuality.LATE)
    assert all(s.submitted_at > rnd.due_at and s.submitted_at <= rnd.lock_at for s in late)
    assert all(s.submitted_at <= rnd.due_at for s in answered.filter(punctuality=Punctuality.ON_TIME))
    chases = {c.point: c for c in Chase.objects.filter(round=rnd)}
    assert chases["opening"].units == rnd.expected
    waiting_at_due = subs.filter(punctuality__in=[Punctuality.LATE, Punctuality.MISSING]).count()
    assert chases["overdue"].level == ChaseLevel.HEAD and chases["overdue"].units == waiting_at_due
    # The summary compares with last week: progress moved on some lead tasks.
    summary = queries.summary(past.filter(status=RoundStatus.LOCKED).last())
    assert summary["previous"] is not None and summary["lines"] > 0


def test_this_weeks_round_is_half_answered_through_the_services(district_demo):
    rnd = district_demo.extra["rounds_open"]
    status = queries.round_status(rnd)
    assert 0 < status["submitted"] < status["expected"] and len(status["missing"]) == status["expected"] - status["submitted"]
    states = Counter(Submission.objects.filter(round=rnd).values_list("status", flat=True))
    assert states[SubmissionStatus.DRAFT] > 0 and states[SubmissionStatus.PENDING] > 0
    applied = Line.objects.filter(submission__round=rnd, submission__status=SubmissionStatus.SUBMITTED)
    assert applied.exists() and not applied.filter(applied=False, unchanged=False).exists()
    from duban.plan.models import ItemEvent

    task_ids = applied.filter(kind="task").values_list("object_id", flat=True)
    assert ItemEvent.objects.filter(item_id__in=task_ids, note__startswith=f"【{rnd.name}】").exists()
    # The prefill: a unit's form shows its answer of the last round.
    sub = Submission.objects.filter(round=rnd, status=SubmissionStatus.PENDING, unit__round_submissions__punctuality=Punctuality.ON_TIME).first()
    assert any(f.last is not None for f in queries.form(sub))


def test_api_lists_the_demo_rounds(district_demo, client_for):
    admin = district_demo.users["admin"]
    page = client_for(admin).get("/api/rounds?limit=5").json()
    assert page["count"] == 52 and page["items"][0]["status"] == "open"
    unit1 = client_for(district_demo.users["unit1"])
    assert unit1.get("/api/rounds").json()["count"] == 52
    ranking = unit1.get("/api/rounds/punctuality").json()
    assert ranking["count"] >= 1 and {r["unit"] for r in ranking["items"]} <= {u.name for u in district_demo.towns[:1]} | {
        u.name for u in district_demo.villages}
