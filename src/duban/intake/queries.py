"""Reads of suggestions, always through the one scoping rule; the public look-up by code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from duban.core import figcache
from duban.core.dates import today
from duban.core.reminders import FIRST_FEW, ReminderLine, ReminderPart
from duban.core.validation import date_params, flag_param, parse_id, strip_nul, text_param
from duban.intake.models import Channel, Kind, Status, Suggestion, normalize_code
from duban.intake.privacy import mask_text
from duban.intake.search import text_condition
from duban.orgs.models import OrgUnit
from duban.orgs.scoping import scope, scope_key

OPEN = (Status.NEW, Status.ASSIGNED, Status.REOPENED, Status.VERIFYING)
# Handed to a unit and not answered (or a clue not verified) yet: what its reply limit
# (答复时限, 15 working days from submission, intake.services.reply_due) runs against.
AWAITING_UNIT = (Status.ASSIGNED, Status.REOPENED, Status.VERIFYING)
# Besides the workflow states, the inbox offers two views: everything still open, and the
# items turned into ledger problems.
STATUS_VIEWS = ("open", "transferred")


@dataclass
class SuggestionFilter:
    """The inbox's filters: one object parsed the same way for the page, the API and the
    export, so the three return the same items for the same parameters."""

    campaign: int | None = None
    status: str = ""  # a Status value, or one of STATUS_VIEWS
    channel: str = ""
    kind: str = ""
    unit: int | None = None  # a unit: its whole subtree
    area: int | None = None
    overdue: bool = False
    submitted_from: dt.date | None = None  # 提交时间, Asia/Shanghai days, both ends included
    submitted_to: dt.date | None = None
    q: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> tuple[SuggestionFilter, list[str]]:
        """From GET parameters (or any mapping); bad values are dropped and reported, never
        passed on to the database. `unit_id` / `campaign_id` are the API's older names."""
        f, errors = cls(), []
        for name in ("campaign", "unit", "area"):
            raw = params.get(name)
            if raw in (None, "") and name != "area":
                raw = params.get(f"{name}_id")
            try:
                setattr(f, name, parse_id(strip_nul(str(raw if raw is not None else ""))))
            except ValueError:
                errors.append(_("%(name)s 应为有效的编号（1 到 9223372036854775807 之间的整数）") % {"name": name})
        for name, choices, message in (
            ("status", [*Status.values, *STATUS_VIEWS], _("未知状态“%(v)s”")),
            ("channel", Channel.values, _("未知渠道“%(v)s”")),
            ("kind", Kind.values, _("未知类别“%(v)s”")),
        ):
            value = text_param(params, name, max_length=40)
            if value and value not in choices:
                errors.append(message % {"v": value})
                value = ""
            setattr(f, name, value)
        f.overdue = flag_param(params, "overdue")
        date_params(params, f, ("submitted_from", "submitted_to"), errors)
        f.q = text_param(params, "q")
        return f, errors

    def as_params(self) -> dict[str, Any]:
        """The filter as GET parameters (for the export link and the pager)."""
        out = {}
        for fl in fields(self):
            v = getattr(self, fl.name)
            if v not in (None, "", False):
                out[fl.name] = "1" if v is True else (v.isoformat() if isinstance(v, dt.date) else v)
        return out


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def apply_filter(qs: QuerySet[Suggestion], f: SuggestionFilter) -> QuerySet[Suggestion]:
    if f.campaign:
        qs = qs.filter(campaign_id=f.campaign)
    if f.status == "open":
        qs = qs.filter(status__in=OPEN)
    elif f.status == "transferred":
        qs = qs.filter(problem_id__isnull=False)
    elif f.status:
        qs = qs.filter(status=f.status)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.unit:
        path = OrgUnit.objects.filter(pk=f.unit).values_list("path", flat=True).first()
        qs = qs.filter(unit__path__subtree=path) if path else qs.none()
    if f.area:
        qs = qs.filter(focus_area_id=f.area)
    if f.overdue:
        qs = qs.filter(status__in=OPEN, due_date__lt=today())
    # Whole days in Asia/Shanghai, as a range on the indexed column (not `__date`, which
    # would convert every row).
    if f.submitted_from:
        qs = qs.filter(submitted_at__gte=_day_start(f.submitted_from))
    if f.submitted_to:
        qs = qs.filter(submitted_at__lt=_day_start(f.submitted_to + dt.timedelta(days=1)))
    if f.q:
        code = normalize_code(f.q)
        cond = text_condition(f.q)
        if len(code) == 12:
            cond |= Q(tracking_code=code)
        qs = qs.filter(cond)
    return qs


def suggestion_list(user, f: SuggestionFilter) -> QuerySet[Suggestion]:
    """The items `user` may see that pass `f`, newest first: the inbox, the API list and the
    export all read this."""
    qs = apply_filter(scope(user, Suggestion.objects.all()), f)
    return qs.select_related("unit", "focus_area", "campaign__unit").order_by("-submitted_at", "-id")


SEARCH_COUNT_CAP = 1000  # matches a text search counts before it says "more than"


def suggestion_count(user, f: SuggestionFilter, campaign, tabs: Mapping[str, Mapping[str, int]] | None = None) -> int:
    """How many rows `suggestion_list(user, f)` has. The inbox's landing views — the
    campaign's items, all or one tab of status, channel or type — are read from the tab
    counts (`counts_by`, exact: kept until the next write; `tabs`: those the page already
    read, by field), not by counting a province's 534,000 suggestions (30–50 ms a page)."""
    if campaign is not None and f.campaign == campaign.pk:
        chosen = {name for name in ("status", "channel", "kind") if getattr(f, name)}
        others = (f.unit, f.area, f.overdue, f.submitted_from, f.submitted_to, f.q)
        if len(chosen) <= 1 and not any(others) and f.status != "transferred":
            field = next(iter(chosen), "status")
            counts = (tabs or {}).get(field)
            if counts is None:
                counts = counts_by(user, field, campaign=campaign)
            if field == "status" and f.status == "open":
                return sum(counts.get(s, 0) for s in OPEN)
            value = getattr(f, field)
            return counts.get(value, 0) if value else sum(counts.values())
    qs = suggestion_list(user, f)
    if f.q:
        # Counting every match of a common word reads every one (路: 95,000 rows and 0.34 s at
        # a province): a search counts up to the cap, and the page says "匹配超过 1000 条" (as the ledger does).
        return qs.order_by()[: SEARCH_COUNT_CAP + 1].count()
    return qs.count()


class CountedPaginator(Paginator):
    """A paginator whose count comes from a function (`suggestion_count`)."""

    def __init__(self, object_list, per_page, count):
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count()


def suggestion_get(user, pk: int) -> Suggestion | None:
    return scope(user, Suggestion.objects.all()).select_related("unit", "focus_area", "campaign__unit", "place_unit", "replied_by").filter(pk=pk).first()


def by_code(code: str) -> Suggestion | None:
    """The public look-up: exactly the one item whose code was typed, or nothing."""
    code = normalize_code(code)
    if len(code) < 8:
        return None
    return Suggestion.objects.select_related("unit", "campaign").filter(tracking_code=code).first()


def public_steps(s: Suggestion) -> list[dict[str, Any]]:
    """What the submitter reads under 办理进度 (the tracking page and the public API): each
    step with its time; a clue's check (查结) or transfer (转办, to where) in its own words."""
    steps: list[dict[str, Any]] = [{"name": "提交", "at": s.submitted_at, "text": f"通过{s.get_channel_display()}提交"}]
    if s.routed_at:
        steps.append({"name": "交办", "at": s.routed_at, "text": f"已交{s.unit.name}办理"})
    if s.status == Status.VERIFYING:
        steps.append({"name": "核查", "at": None, "text": "线索正在核查中"})
    clue_done = s.kind == Kind.CLUE and s.status in (Status.CLOSED, Status.TRANSFERRED) and not s.rating
    if s.replied_at:
        steps.append({"name": "查结" if clue_done else "答复", "at": s.replied_at, "text": "已核查办结" if clue_done else "已答复"})
    if s.rated_at:
        how = "（电话回访）" if s.rating_source == "callback" else ""
        steps.append({"name": "评价", "at": s.rated_at, "text": f"{s.get_rating_display()}{how}"})
    if s.status == Status.REOPENED:
        steps.append({"name": "重新办理", "at": s.rated_at, "text": "您的不满意评价已转回推进办重新办理"})
    if s.status == Status.TRANSFERRED:
        steps.append({"name": "转办", "at": s.closed_at, "text": f"不属本地管辖，已转交{s.transferred_to}办理"})
    elif s.closed_at:
        steps.append({"name": "办结", "at": s.closed_at, "text": "已办结"})
    return steps


def counts_by(user, field: str, *, campaign=None, qs: QuerySet | None = None) -> dict[str, int]:
    """Visible suggestions counted by `field` (kept until the next write, core.figcache:
    the inbox tabs count every suggestion of a city on each page)."""
    if qs is None:
        parts = (scope_key(user), campaign.pk if campaign is not None else None, field)
        return figcache.cached("suggestions_by", parts, lambda: _counts_by(user, field, campaign, None))
    return _counts_by(user, field, campaign, qs)


def _counts_by(user, field: str, campaign, qs: QuerySet | None) -> dict[str, int]:
    base = qs if qs is not None else scope(user, Suggestion.objects.all())
    if campaign is not None:
        base = base.filter(campaign=campaign)
    rows = base.order_by().values(field).annotate(n=Count("*"))  # COUNT(*): index-only
    return {r[field]: r["n"] for r in rows}


def channel_counts(user, *, campaign=None) -> list[tuple[str, str, int]]:
    """(value, label, count) for every channel, in the order of the choices."""
    counts = counts_by(user, "channel", campaign=campaign)
    return [(c.value, str(c.label), counts.get(c.value, 0)) for c in Channel]


def kind_counts(user, *, campaign=None) -> list[tuple[str, str, int]]:
    counts = counts_by(user, "kind", campaign=campaign)
    return [(c.value, str(c.label), counts.get(c.value, 0)) for c in Kind]


def status_counts(user, *, campaign=None) -> list[tuple[str, str, int]]:
    counts = counts_by(user, "status", campaign=campaign)
    return [(c.value, str(c.label), counts.get(c.value, 0)) for c in Status]


def todo_rows(user, *, by_due: bool) -> QuerySet[Suggestion]:
    """The user's visible suggestions as 我的待办 lists them: soonest reply deadline first
    (to answer), or oldest first (to sort); the workflow table's waiting query narrows them."""
    qs = scope(user, Suggestion.objects.select_related("unit"))
    return qs.order_by(F("due_date").asc(nulls_last=True), "id") if by_due else qs.order_by("submitted_at", "id")


# ------------------------------------------------------------------------------- reminders

def _grouped_parts(qs: QuerySet[Suggestion], *, heading: str, line_note, more_path) -> list[ReminderPart]:
    """One part per unit of `qs`: its count and its first few (ordered as `qs` is)."""
    counts = dict(qs.order_by().values_list("unit_id").annotate(n=Count("id")))
    if not counts:
        return []
    rank = Window(RowNumber(), partition_by=[F("unit_id")], order_by=[*qs.query.order_by])
    first = qs.annotate(rank=rank).filter(rank__lte=FIRST_FEW).values("pk", "unit_id", "title", "submitted_at", "due_date", "rank")
    lines: dict[int, list[ReminderLine]] = {}
    for r in sorted(first, key=lambda r: (r["unit_id"], r["rank"])):
        # A digest goes to group chats and mailboxes: phone and ID numbers in a title are masked.
        title = mask_text(" ".join(r["title"].split()))
        title = title if len(title) <= 30 else title[:30] + "…"
        lines.setdefault(r["unit_id"], []).append(ReminderLine(f"{title}（{line_note(r)}）", reverse("intake:detail", args=[r["pk"]])))
    return [ReminderPart(unit_id=u, heading=heading % {"n": n}, count=n, lines=lines.get(u, []), more_path=more_path(u))
            for u, n in counts.items()]


def late_reply_parts(on: dt.date) -> list[ReminderPart]:
    """Per handling unit: suggestions past their reply limit and still unanswered, most late first."""
    qs = Suggestion.objects.filter(status__in=AWAITING_UNIT, due_date__lt=on).order_by("due_date", "id")
    return _grouped_parts(
        qs, heading=str(_("意见建议超过答复时限未答复 %(n)s 条")),
        line_note=lambda r: _("时限 %(d)s，已超 %(n)s 天") % {"d": f"{r['due_date']:%m-%d}", "n": (on - r["due_date"]).days},
        more_path=lambda unit_id: f"{reverse('intake:inbox')}?overdue=1&unit={unit_id}",
    )


def unrouted_reminder_parts(on: dt.date) -> list[ReminderPart]:
    """Per unit holding them (the campaign's lead unit until routed): suggestions 待分拣, oldest first."""
    qs = Suggestion.objects.filter(status=Status.NEW).order_by("submitted_at", "id")
    return _grouped_parts(
        qs, heading=str(_("待分拣的意见建议 %(n)s 条")),
        line_note=lambda r: _("%(d)s 收到") % {"d": f"{timezone.localtime(r['submitted_at']):%m-%d}"},
        more_path=lambda unit_id: f"{reverse('intake:inbox')}?status={Status.NEW.value}",
    )
