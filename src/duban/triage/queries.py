"""Reads of the triage side: predictions for the inbox, reply flags, hot issues, router figures."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from duban.intake.models import Suggestion
from duban.intake.privacy import contact_shown, mask_if_phone, mask_text, may_see_contacts
from duban.intake.services import REPLY_DAYS
from duban.orgs import permissions
from duban.orgs.models import Role
from duban.orgs.scoping import scope
from duban.triage import engine
from duban.triage.models import HotIssue, HotIssueRun, Prediction, RouterModel, TrainingExample


def predictions_for(user, suggestions) -> dict[int, dict[str, list[dict]]]:
    """{suggestion id: {"area": [...], "label": [...], "unit": [...]}} for items the user sees.

    Only reads: predictions are stored when items arrive and when a router is trained
    (`services.ensure_predictions`), never while a page is shown.
    """
    ids = [s.pk for s in suggestions if s is not None]
    if not ids:
        return {}
    visible = scope(user, Suggestion.objects.filter(pk__in=ids)).values("pk")
    out: dict[int, dict[str, list[dict]]] = {}
    for p in Prediction.objects.filter(suggestion_id__in=visible):
        out.setdefault(p.suggestion_id, {})[p.target] = p.top
    return out


def predictions_shown(user, suggestions) -> dict[int, dict[str, list[dict]]]:
    """`predictions_for` as a page offers them: noise left out, confidence in words."""
    return {sid: {target: shown_candidates(top) for target, top in pred.items()}
            for sid, pred in predictions_for(user, suggestions).items()}


# A confidence reads as 高/中/低, not as a percentage an office would over-read; an
# alternative the router gives under NOISE_BELOW is noise ("0%") and is not offered.
HIGH_FROM, MEDIUM_FROM, NOISE_BELOW = 0.7, 0.4, 0.05
LEVELS = {"high": pgettext_lazy("置信度", "高"), "medium": pgettext_lazy("置信度", "中"), "low": pgettext_lazy("置信度", "低")}


def confidence_level(confidence: float) -> str:
    return "high" if confidence >= HIGH_FROM else "medium" if confidence >= MEDIUM_FROM else "low"


def shown_candidates(top: list[dict]) -> list[dict]:
    """The router's candidates as offered on a page: the best always, the others only when
    they are not noise; each with its confidence in words (`level`, `level_label`)."""
    shown = [c for i, c in enumerate(top) if i == 0 or (c.get("confidence") or 0) >= NOISE_BELOW]
    out = []
    for c in shown:
        level = confidence_level(c.get("confidence") or 0)
        out.append({**c, "level": level, "level_label": LEVELS[level]})
    return out


def reply_flags(suggestion: Suggestion, text: str) -> list[dict]:
    return engine.check_reply(
        message=f"{suggestion.title}\n{suggestion.body}", reply=text, asked_at=suggestion.submitted_at,
        replied_at=timezone.now(), due_days=REPLY_DAYS,
    )


def models_for(user, campaign=None):
    qs = RouterModel.objects.filter(Q(campaign__isnull=True) | Q(pk__in=scope(user, RouterModel.objects.filter(campaign__isnull=False)).values("pk")))
    if campaign is not None:
        qs = qs.filter(Q(campaign=campaign) | Q(campaign__isnull=True))
    return qs.select_related("campaign")


def may_read_analysis(user, campaign) -> bool:
    """What the router and the hot-issue finder read across units (predictions, model
    scores, hot issues): the office and leaders of the campaign's lead unit."""
    if getattr(user, "is_superuser", False):
        return True
    return campaign is not None and permissions.may_act_for(user, campaign.unit, Role.OFFICE, Role.LEADER)


def may_see_models(user, campaign) -> bool:
    """The routers' versions and scores (`may_read_analysis`)."""
    return may_read_analysis(user, campaign)


def may_see_hot(user, campaign) -> bool:
    """Hot issues read across units (`may_read_analysis`)."""
    return may_read_analysis(user, campaign)


def may_analyse(user, campaign) -> bool:
    """Running the hot-issue analysis, training a router or routing an item: the office of
    the campaign's unit. The services refuse by this rule, the views that queue work ask it
    before queuing, and the pages offer their buttons by it."""
    return campaign is not None and permissions.may_act_for(user, campaign.unit, Role.OFFICE)


def hot_runs(user, campaign=None):
    qs = HotIssueRun.objects.all()
    if not getattr(user, "is_superuser", False):
        qs = qs.filter(Q(campaign__isnull=True) | Q(pk__in=scope(user, HotIssueRun.objects.filter(campaign__isnull=False)).values("pk")))
    if campaign is not None:
        qs = qs.filter(Q(campaign=campaign) | Q(campaign__isnull=True))
    return qs


def hot_issues(user, run: HotIssueRun, *, campaign=None, limit: int = 30, with_messages: int = 1) -> list[HotIssue]:
    """The run's top issues; the first `with_messages` with their messages as this user may
    see them (`shown_messages`), the others with `messages_shown = False`: a page lists 30
    issues and opens the first, and an issue's messages (up to 40) are fetched when it is
    opened (rendering all 1,200 took 0.2–0.5 s)."""
    issues = list(run.issues.order_by("rank")[:limit])
    shown_messages(user, issues[:with_messages], campaign=campaign)
    for h in issues[with_messages:]:
        h.messages_shown = False
    return issues


def hot_issue_get(user, pk: int, *, campaign=None) -> HotIssue | None:
    """One hot issue of a run this user may see, with its messages shown (`shown_messages`)."""
    runs = hot_runs(user, campaign)
    h = HotIssue.objects.select_related("run").filter(pk=pk, run__in=runs.values("pk")).first()
    if h is not None:
        shown_messages(user, [h], campaign=campaign)
    return h


def shown_messages(user, issues: list[HotIssue], *, campaign=None) -> None:
    """Each issue's messages as this user may see them, in place (for display only: never saved).

    A message from a suggestion shows that suggestion's contact (in full for the office,
    masked for everyone else); a label from a file is masked when it is a phone number.
    """
    if not issues:
        return
    run = issues[0].run
    full = may_see_contacts(user, run.campaign if run.campaign_id else campaign)
    ids = {m["suggestion_id"] for h in issues for m in h.messages if m.get("suggestion_id")}
    contacts = {pk: (name, phone) for pk, name, phone in Suggestion.objects.filter(pk__in=ids).values_list("id", "contact_name", "contact_phone")}
    for h in issues:
        shown = []
        for m in h.messages:
            m = dict(m)
            sid = m.get("suggestion_id")
            if sid:
                name, phone = contact_shown(*contacts.get(sid, ("", "")), full=full)
                m["user"] = " ".join(x for x in (name, phone) if x)
            elif not full:
                m["user"] = mask_if_phone(m.get("user", ""))
            if not full:
                m["title"], m["excerpt"] = mask_text(m.get("title", "")), mask_text(m.get("excerpt", ""))
            shown.append(m)
        h.messages = shown  # for display only: never saved
        h.messages_shown = True


def router_figures(campaign) -> dict:
    """How often the office took the router's first choice (per target)."""
    rows = TrainingExample.objects.filter(campaign=campaign).exclude(predicted="").values("target").annotate(
        n=Count("id"), corrected=Count("id", filter=Q(corrected=True))
    )
    return {r["target"]: {"decisions": r["n"], "corrected": r["corrected"], "top1_rate": round(1 - r["corrected"] / r["n"], 4) if r["n"] else None} for r in rows}
