"""The plan item's workflow as ONE transition table on the engine (duban.core.workflow).

    待签收 ──签收──▶ 办理中 ──申请办结 (evidence)──▶ 申请办结 ──办结──▶ 已办结
                      ▲                                │                  │
                      └──────── 已退回 ◀──退回 (reason)─┘     重新办理 ◀────┘
    申请延期 (date, reason) while open; the office 同意 (the deadline moves, the first one is
    kept as 原定时限) or 不同意 (reason).

Sides: the lead unit (牵头单位: its liaison, or an office over it — it answers for the item)
and the office of the campaign's unit (推进办: it signs off, returns and decides extensions;
never for its own unit's item). The co-responsible units report progress and evidence
(services.item_report) but move no step.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duban.core import workflow as engine
from duban.core.workflow import Condition, Context, Guard, Transition
from duban.orgs import permissions
from duban.plan.models import PlanItem, Status, headings_q

LEAD = "lead"
OFFICE = "office"

OPEN = frozenset({Status.PENDING, Status.IN_PROGRESS, Status.RETURNED})
NONE: frozenset[str] = frozenset()
MAX_REASON = 2000

NO_PENDING_EXTENSION = Condition(lambda i: i.extension_to is None, _("已有延期申请在等待推进办决定"), q=Q(extension_to__isnull=True))
PENDING_EXTENSION = Condition(lambda i: i.extension_to is not None, _("没有待决定的延期申请"), q=Q(extension_to__isnull=False))


def _today():
    return timezone.localdate()


def _accepted(ctx: Context) -> None:
    ctx.obj.started_on = ctx.obj.started_on or _today()


def _submitted(ctx: Context) -> None:
    ctx.obj.return_reason = ""


def _finished(ctx: Context) -> None:
    item = ctx.obj
    item.finished_on = _today()
    item.progress = 100
    item.extension_to, item.extension_reason = None, ""


def _returned(ctx: Context) -> None:
    ctx.obj.return_reason = ctx.reason


def _reopened(ctx: Context) -> None:
    ctx.obj.finished_on = None
    ctx.obj.return_reason = ctx.reason


def _extension_requested(ctx: Context) -> None:
    ctx.obj.extension_to, ctx.obj.extension_reason = ctx.date, ctx.reason
    ctx.note = f"申请延期至{ctx.date:%Y-%m-%d}：{ctx.reason}"


def _extension_approved(ctx: Context) -> None:
    item = ctx.obj
    ctx.note = f"同意延期至{item.extension_to:%Y-%m-%d}" + (f"：{ctx.reason}" if ctx.reason else "")
    item.original_deadline = item.original_deadline or item.deadline
    item.deadline = item.extension_to
    item.extension_to, item.extension_reason = None, ""


def _extension_refused(ctx: Context) -> None:
    ctx.obj.extension_to, ctx.obj.extension_reason = None, ""


def _later_than_deadline(ctx: Context) -> bool:
    d, item = ctx.date, ctx.obj
    return d is None or item.deadline is None or d > item.deadline


def _reason_short(ctx: Context) -> bool:
    return len(ctx.reason) <= MAX_REASON


REASON_SHORT = Guard(_reason_short, _("理由不能超过2000字"), "reason")

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("accept", _("签收"), frozenset({Status.PENDING}), Status.IN_PROGRESS, LEAD, effects=(_accepted,), guards=(REASON_SHORT,)),
        Transition("submit", _("申请办结"), frozenset({Status.IN_PROGRESS, Status.RETURNED}), Status.SUBMITTED, LEAD,
                   needs_evidence=True, guards=(REASON_SHORT,), effects=(_submitted,)),
        Transition("finish", _("办结"), frozenset({Status.SUBMITTED}), Status.DONE, OFFICE, guards=(REASON_SHORT,), effects=(_finished,)),
        Transition("return", _("退回"), frozenset({Status.SUBMITTED}), Status.RETURNED, OFFICE, needs_reason=True,
                   guards=(REASON_SHORT,), effects=(_returned,)),
        Transition("request_extension", _("申请延期"), OPEN, None, LEAD, needs_reason=True, needs_date=True,
                   conditions=(NO_PENDING_EXTENSION,), guards=(REASON_SHORT, Guard(_later_than_deadline, _("延期日期须晚于现完成时限"), "date")),
                   effects=(_extension_requested,), waits_in=NONE),
        Transition("approve_extension", _("同意延期"), OPEN, None, OFFICE, conditions=(PENDING_EXTENSION,),
                   guards=(REASON_SHORT,), effects=(_extension_approved,)),
        Transition("refuse_extension", _("不同意延期"), OPEN, None, OFFICE, needs_reason=True, conditions=(PENDING_EXTENSION,),
                   guards=(REASON_SHORT,), effects=(_extension_refused,)),
        Transition("reopen", _("重新办理"), frozenset({Status.DONE}), Status.IN_PROGRESS, OFFICE, needs_reason=True,
                   guards=(REASON_SHORT,), effects=(_reopened,), waits_in=NONE),
    ]
}


# An aspect (方面) over work items is a heading, chased through them: it waits on nobody
# (the figures, reminders and map leave it out too).
WORK_ITEMS = ~headings_q()


def _lead_waiting(user):
    q = permissions.todo_units_q(user, "lead_unit")
    return q & WORK_ITEMS if q is not None else None


def _office_waiting(user):
    q = permissions.reviewing_q(user, PlanItem)
    return q & WORK_ITEMS if q is not None else None


def _record(ctx: Context, verb: str) -> None:
    from duban.plan import services

    services.transition_recorded(ctx, verb)


def _save(ctx: Context) -> None:
    from duban.plan import services

    services.transition_saved(ctx)


TABLE = engine.Table(
    model=PlanItem,
    transitions=TRANSITIONS.values(),
    sides=[
        engine.Side(LEAD, _("牵头单位"), lambda user, i: permissions.may_change(user, i), _lead_waiting),
        engine.Side(OFFICE, _("推进办（且不能是牵头或责任单位本身）"), lambda user, i: permissions.may_review(user, i), _office_waiting),
    ],
    audit=_record,
    save=_save,
    lock=lambda i: PlanItem.objects.select_for_update(of=("self",)).select_related("campaign", "campaign__unit", "lead_unit").get(pk=i.pk),
    version=lambda i: i.version,
    evidence_present=lambda i: i.evidence.exists(),
    verb_prefix="planitem",
    noun=_("督办事项"),
)


def available(user, item: PlanItem) -> list[Transition]:
    return TABLE.available(user, item)


def waiting(user, queryset=None):
    return TABLE.waiting(user, queryset)
