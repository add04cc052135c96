"""The 整改 workflow as ONE transition table.

    待认领 ──claim──▶ 整改中 ──submit (with evidence)──▶ 申请销号 ──sign_off──▶ 已销号
                        ▲                                  │                    │
                        └────────── 已退回 ◀──return (reason)┘                    │
                        ▲  (resubmit from 已退回)                                  │
                        └──────────────────────────── reopen (reason) ◀──────────┘
    申请延期 (request_extension) on any open, not yet submitted problem, then
    approve_extension (moves the deadline) or refuse_extension (reason): status unchanged.

`side` says who may fire a transition:
* "responsible": the responsible unit (liaison or office role over the problem's unit);
* "supervisor": the supervising unit (office role over the problem's supervising unit,
  default the campaign's unit) — and never a member of the responsible unit itself.
Anything not in the table is an illegal transition and raises `TransitionError`; a legal one
fired by the wrong side raises `TransitionForbidden` (also a PermissionDenied: HTTP 403).

The table is declared on the one engine (`duban.core.workflow`): buttons, checks, the API's
allowed transitions and firing come from it; the effects below are its functions, and
`services.problem_transition` only loads the problem and fires.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from duban.core import workflow as engine
from duban.core.dates import today
from duban.core.workflow import Condition, Context, Guard, Transition, TransitionError, TransitionForbidden  # noqa: F401 - re-exported: the ledger's public names
from duban.ledger.models import Problem, Status
from duban.orgs import permissions
from duban.orgs.models import Role
from duban.orgs.scoping import grants, is_office

RESPONSIBLE = "responsible"
SUPERVISOR = "supervisor"

# The ledger fields of a problem an editor may change: the office all, a liaison two.
EDITABLE = ("description", "focus_area", "source", "unit", "owner", "supervisor", "measures", "deadline", "kind")
LIAISON_EDITABLE = ("owner", "measures")

OPEN_NOT_SUBMITTED = frozenset({Status.PENDING, Status.IN_PROGRESS, Status.RETURNED})

NO_PENDING_EXTENSION = Condition(lambda p: p.extension_to is None, _("已有待审批的延期申请"), q=Q(extension_to__isnull=True))
PENDING_EXTENSION = Condition(lambda p: p.extension_to is not None, _("没有待审批的延期申请"), q=Q(extension_to__isnull=False))


# ------------------------------------------------------------------ effects (one function each)

def _signed_off(ctx: Context) -> None:
    ctx.obj.completed_on = today()
    ctx.obj.return_reason = ""


def _returned(ctx: Context) -> None:
    ctx.obj.return_reason = ctx.reason


def _reopened(ctx: Context) -> None:
    ctx.obj.completed_on = None


def _extension_requested(ctx: Context) -> None:
    ctx.obj.extension_to, ctx.obj.extension_reason = ctx.date, ctx.reason
    ctx.note = f"申请延期至 {ctx.date:%Y-%m-%d}：{ctx.reason}"


def _extension_approved(ctx: Context) -> None:
    p = ctx.obj
    ctx.note = f"同意延期至 {p.extension_to:%Y-%m-%d}" + (f"：{ctx.reason}" if ctx.reason else "")
    p.deadline, p.extension_to, p.extension_reason = p.extension_to, None, ""


def _extension_refused(ctx: Context) -> None:
    ctx.obj.extension_to, ctx.obj.extension_reason = None, ""


def _date_given(ctx: Context) -> bool:
    return ctx.date is not None


def _date_after_deadline(ctx: Context) -> bool:
    return ctx.date is None or ctx.obj.deadline is None or ctx.date > ctx.obj.deadline


EXTENSION_DATE = (
    Guard(_date_given, _("请填写申请延期到的日期"), "date"),
    Guard(_date_after_deadline, _("延期日期应晚于当前整改时限"), "date"),
)

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("claim", _("认领"), frozenset({Status.PENDING}), Status.IN_PROGRESS, RESPONSIBLE),
        Transition("submit", _("申请销号"), frozenset({Status.IN_PROGRESS, Status.RETURNED}), Status.SUBMITTED, RESPONSIBLE, needs_evidence=True),
        Transition("sign_off", _("销号"), frozenset({Status.SUBMITTED}), Status.SIGNED_OFF, SUPERVISOR, effects=(_signed_off,)),
        Transition("return", _("退回"), frozenset({Status.SUBMITTED}), Status.RETURNED, SUPERVISOR, needs_reason=True, effects=(_returned,)),
        Transition("request_extension", _("申请延期"), OPEN_NOT_SUBMITTED, None, RESPONSIBLE, needs_reason=True, needs_date=True,
                   conditions=(NO_PENDING_EXTENSION,), guards=EXTENSION_DATE, effects=(_extension_requested,), waits_in=frozenset()),
        Transition("approve_extension", _("同意延期"), OPEN_NOT_SUBMITTED, None, SUPERVISOR,
                   conditions=(PENDING_EXTENSION,), effects=(_extension_approved,)),
        Transition("refuse_extension", _("不同意延期"), OPEN_NOT_SUBMITTED, None, SUPERVISOR, needs_reason=True,
                   conditions=(PENDING_EXTENSION,), effects=(_extension_refused,)),
        Transition("reopen", _("重新整改"), frozenset({Status.SIGNED_OFF}), Status.IN_PROGRESS, SUPERVISOR, needs_reason=True,
                   effects=(_reopened,), waits_in=frozenset()),
    ]
}


# Who is which side is the permission layer's answer (orgs.permissions): these names stay
# for the workflow's table and its callers.


def is_responsible(user, problem: Problem) -> bool:
    """The responsible side: office or liaison over the problem's unit."""
    return permissions.may_change(user, problem)


def is_supervisor(user, problem: Problem) -> bool:
    """Office over the supervising unit, and not a member of the responsible unit itself."""
    return permissions.may_review(user, problem)


def _responsible_waiting(user):
    """Problems of the user's own units (or a unit right below them), as 我的待办 reads."""
    return permissions.todo_units_q(user)


def _supervisor_waiting(user):
    """Problems the user's office supervises (its subtree), never its own unit's."""
    return permissions.reviewing_q(user, Problem)


def _record(ctx: Context, verb: str) -> None:
    from duban.ledger import services  # the timeline and the trail: services own both

    services.transition_recorded(ctx, verb)


def _save(ctx: Context) -> None:
    from duban.ledger import services

    services.transition_saved(ctx)


TABLE = engine.Table(
    model=Problem,
    transitions=TRANSITIONS.values(),
    sides=[
        # Late-bound: the permission layer may rewire the predicates; the table asks them by name.
        engine.Side(RESPONSIBLE, _("责任单位"), lambda user, p: is_responsible(user, p), _responsible_waiting),
        engine.Side(SUPERVISOR, _("督办单位（推进办），且不能是责任单位本身"), lambda user, p: is_supervisor(user, p), _supervisor_waiting),
    ],
    audit=_record,
    save=_save,
    lock=lambda p: Problem.objects.select_for_update(of=("self",)).select_related("campaign", "campaign__unit", "unit", "supervisor").get(pk=p.pk),
    version=lambda p: p.version,
    evidence_present=lambda p: p.evidence.exists(),
    verb_prefix="problem",
    noun=_("问题"),
)


def get(name: str) -> Transition:
    return TABLE.get(name)


def state_allows(problem: Problem, t: Transition) -> bool:
    return TABLE.state_allows(problem, t)


def side_allows(user, problem: Problem, t: Transition) -> bool:
    return is_responsible(user, problem) if t.side == RESPONSIBLE else is_supervisor(user, problem)


def check(user, problem: Problem, name: str) -> Transition:
    """The transition, or TransitionError saying why it may not happen now."""
    return TABLE.check(user, problem, name)


def may_change_signed_off(user, problem: Problem) -> bool:
    """A signed-off problem is closed for its unit: only the supervising side corrects it
    or adds notes; the unit asks for 重新整改 instead."""
    return problem.status != Status.SIGNED_OFF or is_supervisor(user, problem)


def editable_fields(user, problem: Problem) -> tuple[str, ...]:
    """The fields this user may change on this problem now (empty: none)."""
    return permissions.editable_fields(user, problem, office=EDITABLE, liaison=LIAISON_EDITABLE, closed=problem.status == Status.SIGNED_OFF)


def available(user, problem: Problem) -> list[Transition]:
    """The transitions this user may fire on this problem now (for buttons)."""
    return TABLE.available(user, problem)


def waiting(user, queryset=None):
    """Problems waiting for this user: in a state where one of the user's sides may act."""
    return TABLE.waiting(user, queryset)


# --- who may start an action at all: one predicate each, used by the service or view that
# refuses it, by the page that offers the button and by the menu, so nothing is offered
# that then answers 403.

def may_create_problem(user) -> bool:
    """登记问题: an office or a liaison (problem_create then requires the chosen unit to be
    theirs); a leader reads only."""
    if getattr(user, "is_superuser", False):
        return True
    return any(g.role in (Role.OFFICE, Role.LIAISON) for g in grants(user))


def may_import_problems(user) -> bool:
    """导入台账: the campaign office only (a liaison registers problems one by one)."""
    return is_office(user)
