"""The one place intake talks to the ledger: turn a suggestion into a problem, or join one.

Everything goes through `duban.ledger.services` (its `problem_create` and
`visible_problem`); intake never writes ledger tables. Intake links to the ledger, the
ledger knows nothing of intake (DESIGN §4). Where the ledger app is not installed the
functions say so (`ready()` is False) and the pages hide the buttons.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from duban.intake import services
from duban.intake.models import Kind, Suggestion
from duban.intake.privacy import mask_text
from duban.orgs import permissions
from duban.orgs.models import Role

# suggestion kind → the ledger's 问题来源 value
SOURCE_OF_KIND = {Kind.SUGGESTION: "opinion", Kind.ISSUE: "opinion", Kind.ENTERPRISE: "enterprise", Kind.CLUE: "clue"}


def ready() -> bool:
    return apps.is_installed("duban.ledger")


def problem_url(problem_id: int | None) -> str:
    if not problem_id:
        return ""
    try:
        return reverse("ledger:problem_detail", args=[problem_id])
    except NoReverseMatch:
        return ""


def visible_problem(user, problem_id: int):
    if not ready():
        return None
    from duban.ledger.services import visible_problem as ledger_visible_problem

    return ledger_visible_problem(user, problem_id)


@transaction.atomic
def to_problem(
    *, actor, suggestion: Suggestion, unit=None, focus_area=None, description: str = "", deadline: dt.date | None = None,
    skip_checks: bool = False,
):
    """Register a new ledger problem from the suggestion and link the two; returns the problem."""
    if not ready():
        raise ValidationError("整改台账模块尚未启用，暂不能转为问题")
    from duban.ledger.services import problem_create
    # who may, before what is wrong with the input: a refusal must not read as a form error
    permissions.require_for_unit(actor, suggestion.campaign.unit, Role.OFFICE, message="只有推进办可以转为问题", skip_checks=skip_checks)
    if suggestion.problem_id:
        raise ValidationError("该意见建议已关联问题")
    unit = unit or suggestion.unit
    focus_area = focus_area or suggestion.focus_area
    # The ledger is read by every unit of the subtree: the citizen's own numbers stay on the
    # suggestion, where only the office reads them.
    text = description.strip() or mask_text(f"{suggestion.title}：{suggestion.body}")
    problem = problem_create(
        actor=actor,
        campaign=suggestion.campaign,
        description=text[:2000],
        unit=unit,
        focus_area=focus_area,
        source=SOURCE_OF_KIND.get(suggestion.kind, "opinion"),
        deadline=deadline,
        # The suggestion's id links the two; its tracking code stays with the submitter.
        extra={"意见建议编号": suggestion.pk},
        skip_checks=skip_checks,
    )
    services.suggestion_link_problem(actor=actor, suggestion=suggestion, problem_id=problem.pk, created=True, unit=unit, skip_checks=skip_checks)
    return problem


@transaction.atomic
def join_problem(*, actor, suggestion: Suggestion, problem_id: int, skip_checks: bool = False):
    """Attach the suggestion to an existing problem the actor can see (same matter reported again)."""
    if not ready():
        raise ValidationError("整改台账模块尚未启用，暂不能并入问题")
    from duban.ledger.models import Problem

    if permissions.checked(actor, skip_checks):
        problem = visible_problem(actor, problem_id)
    else:
        problem = Problem.objects.filter(pk=problem_id).first()
    if problem is None:
        raise ValidationError(f"找不到问题 {problem_id} 或无权查看")
    if problem.campaign_id != suggestion.campaign_id:
        raise ValidationError("该问题不属于本活动")
    services.suggestion_link_problem(actor=actor, suggestion=suggestion, problem_id=problem.pk, created=False, unit=problem.unit,
                                     skip_checks=skip_checks)
    return problem
