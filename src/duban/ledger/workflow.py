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
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from duban.ledger.models import Problem, Status
from duban.orgs import permissions
from duban.orgs.models import Role
from duban.orgs.scoping import grants, is_office

RESPONSIBLE = "responsible"
SUPERVISOR = "supervisor"

# The ledger fields of a problem an editor may change: the office all, a liaison two.
EDITABLE = ("description", "focus_area", "source", "unit", "owner", "supervisor", "measures", "deadline", "kind")
LIAISON_EDITABLE = ("owner", "measures")


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # lazily translated: the button, the timeline and the trail say it
    sources: frozenset[str]
    target: str | None  # None: the status does not change (extension requests)
    side: str
    needs_reason: bool = False
    needs_evidence: bool = False
    needs_date: bool = False
    extension: str = ""  # "none": no pending extension required; "pending": one must be pending


OPEN_NOT_SUBMITTED = frozenset({Status.PENDING, Status.IN_PROGRESS, Status.RETURNED})

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("claim", _("认领"), frozenset({Status.PENDING}), Status.IN_PROGRESS, RESPONSIBLE),
        Transition("submit", _("申请销号"), frozenset({Status.IN_PROGRESS, Status.RETURNED}), Status.SUBMITTED, RESPONSIBLE, needs_evidence=True),
        Transition("sign_off", _("销号"), frozenset({Status.SUBMITTED}), Status.SIGNED_OFF, SUPERVISOR),
        Transition("return", _("退回"), frozenset({Status.SUBMITTED}), Status.RETURNED, SUPERVISOR, needs_reason=True),
        Transition("request_extension", _("申请延期"), OPEN_NOT_SUBMITTED, None, RESPONSIBLE, needs_reason=True, needs_date=True, extension="none"),
        Transition("approve_extension", _("同意延期"), OPEN_NOT_SUBMITTED, None, SUPERVISOR, extension="pending"),
        Transition("refuse_extension", _("不同意延期"), OPEN_NOT_SUBMITTED, None, SUPERVISOR, needs_reason=True, extension="pending"),
        Transition("reopen", _("重新整改"), frozenset({Status.SIGNED_OFF}), Status.IN_PROGRESS, SUPERVISOR, needs_reason=True),
    ]
}


class TransitionError(Exception):
    """An illegal transition, or one this user may not fire; the message is for people."""


class TransitionForbidden(TransitionError, PermissionDenied):
    """A legal transition fired by the wrong side (a unit signing off its own problem):
    not allowed for this user, so 403 — where an illegal transition is a 409."""


def get(name: str) -> Transition:
    try:
        return TRANSITIONS[name]
    except KeyError:
        raise TransitionError(f"未知的操作“{name}”") from None


def state_allows(problem: Problem, t: Transition) -> bool:
    if problem.status not in t.sources:
        return False
    if t.extension == "none" and problem.extension_to is not None:
        return False
    return not (t.extension == "pending" and problem.extension_to is None)


# Who is which side is the permission layer's answer (orgs.permissions): these names stay
# for the workflow's table and its callers.


def is_responsible(user, problem: Problem) -> bool:
    """The responsible side: office or liaison over the problem's unit."""
    return permissions.may_change(user, problem)


def is_supervisor(user, problem: Problem) -> bool:
    """Office over the supervising unit, and not a member of the responsible unit itself."""
    return permissions.may_review(user, problem)


def side_allows(user, problem: Problem, t: Transition) -> bool:
    return is_responsible(user, problem) if t.side == RESPONSIBLE else is_supervisor(user, problem)


def check(user, problem: Problem, name: str) -> Transition:
    """The transition, or TransitionError saying why it may not happen now."""
    t = get(name)
    if problem.status not in t.sources:
        raise TransitionError(f"“{problem.get_status_display()}”状态的问题不能{t.label}")
    if t.extension == "none" and problem.extension_to is not None:
        raise TransitionError("已有待审批的延期申请")
    if t.extension == "pending" and problem.extension_to is None:
        raise TransitionError("没有待审批的延期申请")
    if not side_allows(user, problem, t):
        who = "责任单位" if t.side == RESPONSIBLE else "督办单位（推进办），且不能是责任单位本身"
        raise TransitionForbidden(f"只有{who}可以{t.label}")
    return t


def may_change_signed_off(user, problem: Problem) -> bool:
    """A signed-off problem is closed for its unit: only the supervising side corrects it
    or adds notes; the unit asks for 重新整改 instead."""
    return problem.status != Status.SIGNED_OFF or is_supervisor(user, problem)


def editable_fields(user, problem: Problem) -> tuple[str, ...]:
    """The fields this user may change on this problem now (empty: none)."""
    return permissions.editable_fields(user, problem, office=EDITABLE, liaison=LIAISON_EDITABLE, closed=problem.status == Status.SIGNED_OFF)


def available(user, problem: Problem) -> list[Transition]:
    """The transitions this user may fire on this problem now (for buttons)."""
    return [t for t in TRANSITIONS.values() if state_allows(problem, t) and side_allows(user, problem, t)]


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
