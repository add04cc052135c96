"""The one place intake talks to the ledger: turn a suggestion into a problem, or join one.

Everything goes through `duban.ledger.services` (its `problem_create` and
`visible_problem`); intake never writes ledger tables. While the ledger app is absent the
functions say so (`ready()` is False) and the pages hide the buttons.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from duban.core.plugins import optional_import
from duban.intake import services
from duban.intake.models import Kind, Suggestion
from duban.intake.privacy import mask_text
from duban.orgs.models import Role

# suggestion kind → the ledger's 问题来源 value
SOURCE_OF_KIND = {Kind.SUGGESTION: "opinion", Kind.ISSUE: "opinion", Kind.ENTERPRISE: "enterprise", Kind.CLUE: "clue"}


def _ledger():
    return optional_import("duban.ledger.services")


def ready() -> bool:
    mod = _ledger()
    return mod is not None and hasattr(mod, "problem_create") and hasattr(mod, "visible_problem")


def problem_url(problem_id: int | None) -> str:
    if not problem_id:
        return ""
    try:
        return reverse("ledger:problem_detail", args=[problem_id])
    except NoReverseMatch:
        return ""


def visible_problem(user, problem_id: int):
    mod = _ledger()
    if mod is None or not hasattr(mod, "visible_problem"):
        return None
    return mod.visible_problem(user, problem_id)


@transaction.atomic
def to_problem(*, actor, suggestion: Suggestion, unit=None, focus_area=None, description: str = "", deadline: dt.date | None = None):
    """Register a new ledger problem from the suggestion and link the two; returns the problem."""
    mod = _ledger()
    if not ready():
        raise ValidationError("整改台账模块尚未启用，暂不能转为问题")
    # who may, before what is wrong with the input: a refusal must not read as a form error
    services.require_role(actor, suggestion.campaign.unit, Role.OFFICE, message="只有推进办可以转为问题")
    if suggestion.problem_id:
        raise ValidationError("该意见建议已关联问题")
    unit = unit or suggestion.unit
    focus_area = focus_area or suggestion.focus_area
    # The ledger is read by every unit of the subtree: the citizen's own numbers stay on the
    # suggestion, where only the office reads them.
    text = description.strip() or mask_text(f"{suggestion.title}：{suggestion.body}")
    problem = mod.problem_create(
        actor=actor,
        campaign=suggestion.campaign,
        description=text[:2000],
        unit=unit,
        focus_area=focus_area,
        source=SOURCE_OF_KIND.get(suggestion.kind, "opinion"),
        deadline=deadline,
        # The suggestion's id links the two; its tracking code stays with the submitter.
        extra={"意见建议编号": suggestion.pk},
    )
    services.suggestion_link_problem(actor=actor, suggestion=suggestion, problem_id=problem.pk, created=True, unit=unit)
    return problem


@transaction.atomic
def join_problem(*, actor, suggestion: Suggestion, problem_id: int):
    """Attach the suggestion to an existing problem the actor can see (same matter reported again)."""
    if not ready():
        raise ValidationError("整改台账模块尚未启用，暂不能并入问题")
    problem = visible_problem(actor, problem_id) if getattr(actor, "pk", None) else optional_import("duban.ledger.models").Problem.objects.filter(pk=problem_id).first()
    if problem is None:
        raise ValidationError(f"找不到问题 {problem_id} 或无权查看")
    if problem.campaign_id != suggestion.campaign_id:
        raise ValidationError("该问题不属于本活动")
    services.suggestion_link_problem(actor=actor, suggestion=suggestion, problem_id=problem.pk, created=False, unit=problem.unit)
    return problem
