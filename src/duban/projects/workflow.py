"""A project's stage (谋划 → 在谈 → 签约 → 开工 → 竣工投产) as ONE transition table on the
engine (duban.core.workflow): the board's moves, the API's stage moves and the page's
buttons all fire these, each audited once with a timeline entry.

Forward moves may skip stages (a project signed without a 在谈 phase): the lead side — the
project's unit or its 责任部门 — fires them; 开工 and 竣工投产 take the date it happened.
Moving back (a signing fell through) is the office's, with a reason.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from duban.core import workflow as engine
from duban.core.workflow import Context, Guard, Transition
from duban.orgs import permissions
from duban.orgs.models import Role
from duban.projects.models import STAGE_ORDER, Project, Stage

LEAD = "lead"
OFFICE = "office"
NONE: frozenset[str] = frozenset()
MAX_REASON = 2000


def _before(stage: str) -> frozenset[str]:
    return frozenset(STAGE_ORDER[: STAGE_ORDER.index(stage)])


def _date_not_future(ctx: Context) -> bool:
    return ctx.date is None or ctx.date <= timezone.localdate()


def _reason_short(ctx: Context) -> bool:
    return len(ctx.reason) <= MAX_REASON


NOT_FUTURE = Guard(_date_not_future, _("日期不能晚于今天"), "date")
REASON_SHORT = Guard(_reason_short, _("理由不能超过2000字"), "reason")


def _started(ctx: Context) -> None:
    ctx.obj.started_on = ctx.date
    ctx.note = f"{ctx.date:%Y-%m-%d}开工" + (f"：{ctx.reason}" if ctx.reason else "")


def _completed(ctx: Context) -> None:
    ctx.obj.finished_on = ctx.date
    ctx.obj.progress = 100
    ctx.note = f"{ctx.date:%Y-%m-%d}竣工投产" + (f"：{ctx.reason}" if ctx.reason else "")


def _back(ctx: Context) -> None:
    project = ctx.obj
    i = STAGE_ORDER.index(ctx.before_status)
    project.stage = STAGE_ORDER[i - 1]
    if project.stage != Stage.COMPLETED:
        project.finished_on = None
    if project.stage not in (Stage.STARTED, Stage.COMPLETED):
        project.started_on = None


# The buttons are verbs and the stages (the same Chinese words) are states: a context gives
# English both (Sign / Signed).
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("negotiate", _("转入在谈"), _before(Stage.NEGOTIATING), Stage.NEGOTIATING, LEAD, guards=(REASON_SHORT,), waits_in=NONE),
        Transition("sign", pgettext_lazy("项目阶段操作", "签约"), _before(Stage.SIGNED), Stage.SIGNED, LEAD, guards=(REASON_SHORT,), waits_in=NONE),
        Transition("start", pgettext_lazy("项目阶段操作", "开工"), _before(Stage.STARTED), Stage.STARTED, LEAD, needs_date=True,
                   guards=(REASON_SHORT, NOT_FUTURE), effects=(_started,), waits_in=NONE),
        Transition("complete", pgettext_lazy("项目阶段操作", "竣工投产"), frozenset({Stage.STARTED}), Stage.COMPLETED, LEAD, needs_date=True,
                   guards=(REASON_SHORT, NOT_FUTURE), effects=(_completed,), waits_in=NONE),
        Transition("step_back", _("退回上一阶段"), frozenset(STAGE_ORDER[1:]), None, OFFICE, needs_reason=True,
                   guards=(REASON_SHORT,), effects=(_back,), waits_in=NONE),
    ]
}

# The board's columns: which move brings a project into each stage.
MOVE_INTO = {Stage.NEGOTIATING: "negotiate", Stage.SIGNED: "sign", Stage.STARTED: "start", Stage.COMPLETED: "complete"}


def _record(ctx: Context, verb: str) -> None:
    from duban.projects import services

    services.transition_recorded(ctx, verb)


def _save(ctx: Context) -> None:
    from duban.projects import services

    services.transition_saved(ctx)


TABLE = engine.Table(
    model=Project,
    transitions=TRANSITIONS.values(),
    sides=[
        engine.Side(LEAD, _("项目所属单位或责任部门"), lambda user, p: permissions.may_change(user, p)),
        # The campaign's office, even when it also owns the project: a county 包保领导 sits at
        # the campaign's unit and so makes it an owner, which may_review refuses (nobody
        # reviews their own unit's work) — and the office could then step no project back.
        engine.Side(OFFICE, _("推进办"), lambda user, p: permissions.may_act_for(user, p.campaign.unit, Role.OFFICE)),
    ],
    audit=_record,
    save=_save,
    state_field="stage",
    lock=lambda p: Project.objects.select_for_update(of=("self",)).select_related("campaign", "campaign__unit", "unit").get(pk=p.pk),
    version=lambda p: p.version,
    verb_prefix="project",
    noun=_("项目"),
)


def available(user, project: Project) -> list[Transition]:
    return TABLE.available(user, project)


def move_for(project: Project, target: str) -> str | None:
    """The transition that brings `project` to stage `target` (the board's drop), or None."""
    if target == project.stage:
        return None
    if STAGE_ORDER.index(target) < STAGE_ORDER.index(project.stage):
        return "step_back" if STAGE_ORDER.index(target) == STAGE_ORDER.index(project.stage) - 1 else None
    return MOVE_INTO.get(target)
