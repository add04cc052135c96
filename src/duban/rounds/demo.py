"""The demo's report rounds (调度报送).

A standing cadence 每周例行调度 (every Friday 17:00, opened four working days before, 48
hours' grace), and a year of its weekly rounds already run, with realistic patterns: most
units report on time, some slip now and then, a few are chronically late, one or two often
miss the round altogether; reminders logged at each point (opening, halfway, a day before,
the unit's head at the due time, the 分管领导 a working day later). Then this week's round
is open: about half the units have reported through the service (their lines written to
the items), a few hold drafts, the rest are pending.

District: every unit answering for an open task or problem, a line per item in every
submission. City (临汾, 11,160 units): the same cadence over its responsible units, a
quarter of weekly rounds inserted in bulk (lines in the latest one: the prefill of the open
round), and this week's round opened, nobody having reported yet.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from duban.core.actors import WORKER, actor_name
from duban.demo.context import DemoContext
from duban.orgs.models import OrgUnit
from duban.rounds import items as round_items
from duban.rounds import services
from duban.rounds.models import (
    Cadence,
    Chase,
    ChaseLevel,
    Kind,
    Line,
    LineKind,
    Punctuality,
    Round,
    RoundStatus,
    Rule,
    Scope,
    Submission,
    SubmissionStatus,
)

CADENCE = "每周例行调度"
# (on time, late, missing) chances per week, by the unit's habit.
HABITS = {
    "steady": (0.97, 0.02, 0.01),
    "mostly": (0.82, 0.13, 0.05),
    "late": (0.30, 0.62, 0.08),  # chronically late: reports, but after the deadline
    "missing": (0.40, 0.15, 0.45),  # often does not report at all
}
DONE = ["按计划推进，完成本周工作量", "召开专题推进会，研究解决具体问题", "完成现场核查，形成整改台账", "对接上级部门，争取政策支持",
        "组织人员入户走访，收集意见", "完成阶段性任务，资料已归档", "协调相关单位联合推进", "开展督导检查，督促落实到位"]
PROBLEMS = ["", "", "", "资金尚未到位", "涉及多部门协调，进度偏慢", "天气原因施工受影响"]
NEXT = ["继续按计划推进", "下周完成验收准备", "加强协调，加快进度", "跟踪问效，巩固成果"]


def build(ctx: DemoContext) -> None:
    rng = random.Random(f"rounds-{ctx.scale.name}")  # its own stream: the other builders' choices stay as they were
    admin = ctx.users.get("admin")
    cadence = services.cadence_save(actor=ctx.actor, skip_checks=True, campaign=ctx.campaign, name=CADENCE, kind=Kind.ROUTINE,
                                    rule=Rule.WEEKLY, weekday=4, due_time=dt.time(17, 0), open_workdays=4, grace_hours=48,
                                    scope=Scope.RESPONSIBLE)
    current = cadence.next_due_at
    # This week's round, opened by the cadence as the worker would (its opening time may be a
    # few days ahead of the build when the demo is built at a weekend).
    opened = services.cadences_open_due(now=max(timezone.now(), current - dt.timedelta(minutes=1)))
    rnd = next((r for r in opened if r.cadence_id == cadence.pk), None)
    if rnd is None:
        ctx.notes.append("调度报送：本活动没有在办的事项，未发起调度")
        return
    unit_ids = list(Submission.objects.filter(round=rnd).values_list("unit_id", flat=True))
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=unit_ids)}
    habits = _habits(ctx, rng, unit_ids)
    district = ctx.scale.name == "district"
    weeks = 51 if district else 12  # with this week's: a year of rounds in the district, a quarter in the city
    items = {u: round_items.items_of(rnd, units[u]) for u in unit_ids} if district else _city_items(rnd, unit_ids)
    past = [_past_round(rng, cadence, rnd, current - dt.timedelta(weeks=k), habits, items, age=k, lines=district or k == 1)
            for k in range(weeks, 0, -1)]
    with transaction.atomic():
        n = services.rounds_bulk_insert(actor=ctx.actor, skip_checks=True, campaign=ctx.campaign, past=past, note="演示数据（历史调度）")
    if district and admin is not None:
        _answer_open_round(rng, rnd, units, habits, admin)
    done = Submission.objects.filter(round=rnd, status=SubmissionStatus.SUBMITTED).count()
    ctx.notes.append(f"调度报送：{CADENCE}，历史 {weeks} 轮（{n} 份报送），本周一轮截止 {timezone.localtime(rnd.due_at):%m-%d %H:%M}，"
                     f"应报 {rnd.expected}、已报 {done}")
    ctx.extra["rounds_open"] = rnd


def _habits(ctx: DemoContext, rng: random.Random, unit_ids: Sequence[int]) -> dict[int, str]:
    """Most units steady; a quarter slip now and then; 3 chronically late; 2 often missing
    (in the city, the same shares of thousands). The demo liaisons' towns: unit1's steady,
    unit2's slipping."""
    ids = sorted(unit_ids)
    rng.shuffle(ids)
    n = len(ids)
    late, missing = (3, 2) if n < 200 else (n * 3 // 100, n * 2 // 100)
    out = {}
    for i, u in enumerate(ids):
        out[u] = "late" if i < late else "missing" if i < late + missing else "mostly" if i < late + missing + n // 4 else "steady"
    towns = [t.pk for t in ctx.towns[:2]]
    if len(towns) == 2:
        if towns[0] in out:
            out[towns[0]] = "steady"
        if towns[1] in out:
            out[towns[1]] = "mostly"
    return out


def _city_items(rnd: Round, unit_ids: Sequence[int]) -> dict[int, list[round_items.Item]]:
    """The city's units' open problems, read in one pass (items_of per unit would be 11,000
    rounds of queries); tasks and projects are the counties' and towns', a line each."""
    from duban.ledger.models import OPEN_STATUSES, Problem
    from duban.plan.models import PlanItem, Status, headings_q

    out: dict[int, list[round_items.Item]] = {u: [] for u in unit_ids}
    tasks = (PlanItem.objects.filter(campaign=rnd.campaign, lead_unit_id__in=unit_ids).exclude(status=Status.DONE).exclude(headings_q())
             .values_list("pk", "lead_unit_id", "seq", "title", "progress"))
    for pk, unit, seq, title, progress in tasks:
        out[unit].append(round_items.Item(LineKind.TASK, pk, f"{seq} {title}".strip()[:300], "", None, progress, True))
    problems = (Problem.objects.filter(campaign=rnd.campaign, status__in=OPEN_STATUSES).order_by("unit_id", "id")
                .values_list("pk", "unit_id", "seq", "description"))
    for pk, unit, seq, text in problems:
        if unit in out and len(out[unit]) < 6:  # a village's first few open problems: the form stays a form
            out[unit].append(round_items.Item(LineKind.PROBLEM, pk, f"{seq}. {text[:120]}", "", None, None, True))
    return out


def _past_round(rng: random.Random, cadence: Cadence, current: Round, due: dt.datetime, habits: dict[int, str],
                items: dict[int, list[round_items.Item]], *, age: int, lines: bool) -> services.PastRound:
    """One week's round `age` weeks before this one: who answered when, what they said, who was chased."""
    local = timezone.localtime(due)
    opened = local.replace(hour=9, minute=0) - dt.timedelta(days=4)
    lock = due + dt.timedelta(hours=cadence.grace_hours)
    # Last week's round is still taking late answers when the demo is built at the weekend.
    status = RoundStatus.LOCKED if lock <= timezone.now() else RoundStatus.OPEN
    rnd = Round(cadence=cadence, name=f"{cadence.name}（{local:%m月%d日}）", kind=cadence.kind, scope=cadence.scope, opened_at=opened,
                due_at=due, lock_at=lock, status=status, opened_by_name=actor_name(WORKER), expected=len(habits))
    subs: list[tuple[Submission, list[Line]]] = []
    when: list[dt.datetime | None] = []
    weeks_total = 52
    for unit_id in sorted(habits):
        p_on, p_late, _ = HABITS[habits[unit_id]]
        r = rng.random()
        if r < p_on:
            at = due - dt.timedelta(hours=rng.triangular(0.2, 80, 6))  # most on Thursday and Friday
            punctuality = Punctuality.ON_TIME
        elif r < p_on + p_late:
            at = due + dt.timedelta(hours=rng.triangular(0.3, 46, 3))
            punctuality = Punctuality.LATE
        else:
            at, punctuality = None, Punctuality.MISSING
        when.append(at)
        status = SubmissionStatus.SUBMITTED if at else (SubmissionStatus.DRAFT if rng.random() < 0.3 else SubmissionStatus.PENDING)
        sub = Submission(unit_id=unit_id, status=status, submitted_at=at, punctuality=punctuality, updated_at=at or opened,
                         summary="本周各项工作按计划推进。" if at else "", chase_level=_chase_level(at, due))
        ls = []
        if lines and at is not None:
            for item in items.get(unit_id, []):
                unchanged = rng.random() < 0.15
                progress = None
                if item.progress is not None and item.lead:
                    progress = max(0, min(100, round(item.progress * (weeks_total - age) / weeks_total)))
                ls.append(Line(kind=item.kind, object_id=item.object_id, title=item.title[:300], progress=progress, unchanged=unchanged,
                               done="" if unchanged else rng.choice(DONE), problems="" if unchanged else rng.choice(PROBLEMS),
                               next_steps="" if unchanged else rng.choice(NEXT)))
        subs.append((sub, ls))
    return services.PastRound(round=rnd, submissions=subs, chases=_chases(rnd, when))


def _chase_level(at: dt.datetime | None, due: dt.datetime) -> int:
    if at is not None and at <= due:
        return 0 if at <= due - dt.timedelta(days=1) else ChaseLevel.LIAISON
    if at is not None and at <= due + dt.timedelta(hours=65):
        return ChaseLevel.HEAD
    return ChaseLevel.LEADER


def _chases(rnd: Round, when: list[dt.datetime | None]) -> list[Chase]:
    """The reminders the worker sent: each point to the units not yet answered by then."""
    due, opened = rnd.due_at, rnd.opened_at
    points = [("opening", ChaseLevel.LIAISON, opened + dt.timedelta(minutes=5)),
              ("halfway", ChaseLevel.LIAISON, opened + (due - opened) / 2),
              ("day_before", ChaseLevel.LIAISON, due - dt.timedelta(days=1)),
              ("overdue", ChaseLevel.HEAD, due + dt.timedelta(minutes=5)),
              # a working day after the Friday deadline: Monday 10:00, past the 48 hours' grace
              ("escalated", ChaseLevel.LEADER, due + dt.timedelta(hours=65))]
    out = []
    for point, level, at in points:
        waiting = sum(1 for w in when if w is None or w > at)
        if at <= timezone.now() and (waiting or point == "opening"):
            out.append(Chase(point=point, level=level, units=waiting, at=at, actor_name=actor_name(WORKER)))
    return out


def _answer_open_round(rng: random.Random, rnd: Round, units: dict[int, OrgUnit], habits: dict[int, str], admin) -> None:
    """This week so far: steady units have mostly reported (through the service, so their
    items' timelines carry the report), some hold a draft, the habitual laggards nothing."""
    for sub in Submission.objects.filter(round=rnd).select_related("unit").order_by("unit__path"):
        habit = habits.get(sub.unit_id, "steady")
        r = rng.random()
        submit = habit == "steady" and r < 0.6 or habit == "mostly" and r < 0.3
        draft = not submit and habit != "missing" and r < 0.75
        if not (submit or draft):
            continue
        lines = [services.LineInput(kind=i.kind, object_id=i.object_id, done=rng.choice(DONE), problems=rng.choice(PROBLEMS),
                                    next_steps=rng.choice(NEXT),
                                    progress=min(100, (i.progress or 0) + rng.choice([0, 5, 10])) if i.progress is not None and i.lead else None)
                 for i in round_items.items_of(rnd, units[sub.unit_id])]
        if draft:
            lines = lines[: max(1, len(lines) // 2)]
        try:
            services.submission_save(actor=admin, submission=sub, lines=lines, summary="本周各项工作按计划推进。", submit=submit)
        except ValidationError:  # a task whose % comes from its measures: report the work, not a %
            lines = [dataclasses.replace(ln, progress=None) if ln.kind == LineKind.TASK else ln for ln in lines]
            services.submission_save(actor=admin, submission=sub, lines=lines, summary="本周各项工作按计划推进。", submit=submit)
