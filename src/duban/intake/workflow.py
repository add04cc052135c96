"""The suggestion workflow as ONE transition table on the engine (duban.core.workflow).

    待分拣 ──route──▶ 办理中 ──reply──▶ 已答复 ──rate / callback (满意、基本满意)──▶ 已办结
      ▲                 ▲                  │                                          │
      │                 └── 重新办理 ◀──rate / callback (不满意)───────────────────────┘
      └ the office may close (办结) any open item; routing again changes no status.

    Clues (举报线索) besides: received ──verify──▶ 核查中 ──conclude (result)──▶ 查结 (已办结)
                                               └──transfer (to where)──▶ 已转办

Sides: the office of the item's campaign (分拣、办结、转办、电话回访), the handling unit
(its liaison, or an office over it: 答复、核查、查结) and the citizen holding the tracking
code (评价). Every status change of a suggestion goes through `TABLE.fire`, called by
`services.py`; the effects below are the table's functions.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duban.core import workflow as engine
from duban.core.workflow import Condition, Context, Guard, Transition
from duban.intake.models import Callback, Kind, Rating, RatingSource, Status, Suggestion
from duban.orgs import permissions
from duban.orgs.models import Role
from duban.orgs.scoping import grants

OFFICE = "office"
HANDLER = "handler"
CITIZEN = "citizen"

ALL = frozenset(Status.values)
UNSORTED = frozenset({Status.NEW, Status.REOPENED})
SORTED = ALL - UNSORTED
NONE: frozenset[str] = frozenset()
MAX_TRANSFER_TO = 200
MAX_CALLBACK_NOTE = 1000
MAX_CALLER = 60

IS_CLUE = Condition(lambda s: s.kind == Kind.CLUE, _("只有举报线索需要核查、查结或转办"), q=Q(kind=Kind.CLUE))


# ------------------------------------------------------------------ effects (one function each)

def _routed(ctx: Context) -> None:
    s, d = ctx.obj, ctx.data
    if d.get("unit") is not None:
        s.unit, s.region_id = d["unit"], d["unit"].region_id
    if d.get("focus_area") is not None:
        s.focus_area = d["focus_area"]
    if d.get("label") is not None:
        s.label = d["label"].strip()[:60]
    s.routed_at = timezone.now()


def _linked(ctx: Context) -> None:
    s, d = ctx.obj, ctx.data
    s.problem_id = d["problem_id"]
    if d.get("unit") is not None:
        s.unit, s.region_id = d["unit"], d["unit"].region_id
    s.routed_at = s.routed_at or timezone.now()


def _answered(ctx: Context, text: str) -> None:
    s = ctx.obj
    s.reply = text
    s.replied_at = timezone.now()
    s.replied_by = ctx.actor if getattr(ctx.actor, "pk", None) is not None else None


def _replied(ctx: Context) -> None:
    _answered(ctx, ctx.data["text"])
    s = ctx.obj
    s.rating, s.rating_comment, s.rated_at, s.rating_source = "", "", None, ""
    ctx.note = "；".join(ctx.data.get("flags") or ())


def _rating_given(ctx: Context) -> None:
    """A rating, from the tracking page or a phone callback: the same fields, so the
    satisfaction figures count both alike; 不满意 reopens, the others close."""
    s, d = ctx.obj, ctx.data
    s.rating, s.rating_comment, s.rated_at, s.rating_source = d["rating"], d.get("comment", ""), d["at"], d["source"]
    if s.status == Status.REOPENED:
        s.reopen_count += 1
        s.closed_at = None
    elif s.closed_at is None:
        s.closed_at = d["at"]


def _callback_logged(ctx: Context) -> None:
    d = ctx.data
    Callback.objects.create(
        suggestion=ctx.obj, result=d["rating"], note=d.get("comment", ""), caller=d["caller"], called_at=d["at"],
        recorded_by=ctx.actor if getattr(ctx.actor, "pk", None) is not None else None,
    )
    ctx.note = f"{d['caller']}：{Rating(d['rating']).label}" + (f"；{d['comment']}" if d.get("comment") else "")


def _closed(ctx: Context) -> None:
    ctx.obj.closed_at = timezone.now()


def _concluded(ctx: Context) -> None:
    _answered(ctx, ctx.reason)  # the result of the check is what the submitter reads
    ctx.obj.closed_at = timezone.now()


def _transferred(ctx: Context) -> None:
    ctx.obj.transferred_to = ctx.data["to"]
    ctx.obj.closed_at = timezone.now()
    ctx.note = f"转办至{ctx.data['to']}" + (f"：{ctx.reason}" if ctx.reason else "")


# ------------------------------------------------------------------ guards

def _in_campaign(key: str):
    def test(ctx: Context) -> bool:
        unit = ctx.data.get(key)
        return unit is None or unit.path.startswith(ctx.obj.campaign.unit.path)

    return test


def _area_in_campaign(ctx: Context) -> bool:
    area = ctx.data.get("focus_area")
    return area is None or area.campaign_id == ctx.obj.campaign_id


def _reply_given(ctx: Context) -> bool:
    from duban.intake.services import MIN_REPLY

    return len(ctx.data.get("text", "")) >= MIN_REPLY


def _reply_short(ctx: Context) -> bool:
    from duban.intake.services import MAX_BODY

    return len(ctx.data.get("text", "")) <= MAX_BODY


def _rating_known(ctx: Context) -> bool:
    return ctx.data.get("rating") in Rating.values


def _len_ok(key: str, limit: int):
    return lambda ctx: len(ctx.data.get(key) or "") <= limit


ROUTE_GUARDS = (
    Guard(_in_campaign("unit"), _("办理单位不在本活动范围内"), "unit"),
    Guard(_area_in_campaign, _("聚焦领域不属于本活动"), "focus_area"),
)
REPLY_GUARDS = (Guard(_reply_given, _("答复内容不能为空"), "reply"), Guard(_reply_short, _("答复不能超过 5000 字"), "reply"))
RATING_GUARDS = (Guard(_rating_known, _("请选择满意、基本满意或不满意"), "rating"),)
CALLBACK_GUARDS = (
    *RATING_GUARDS,
    Guard(lambda ctx: bool(ctx.data.get("caller")), _("请填写回访人"), "caller"),
    Guard(_len_ok("caller", MAX_CALLER), _("回访人不能超过 60 字"), "caller"),
    Guard(_len_ok("comment", MAX_CALLBACK_NOTE), _("回访记录不能超过 1000 字"), "note"),
    Guard(lambda ctx: ctx.data.get("at") is not None and ctx.data["at"] <= timezone.now(), _("回访时间不能晚于现在"), "called_at"),
)
TRANSFER_GUARDS = (
    Guard(lambda ctx: bool(ctx.data.get("to")), _("转办需要填写转至哪个机关或单位"), "transferred_to"),
    Guard(_len_ok("to", MAX_TRANSFER_TO), _("转办单位不能超过 200 字"), "transferred_to"),
)

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("route", _("分拣交办"), UNSORTED, Status.ASSIGNED, OFFICE, guards=ROUTE_GUARDS, effects=(_routed,)),
        Transition("reroute", _("改派"), SORTED, None, OFFICE, guards=ROUTE_GUARDS, effects=(_routed,), verb="route", waits_in=NONE),
        Transition("link", _("关联整改问题"), UNSORTED, Status.ASSIGNED, OFFICE, effects=(_linked,), waits_in=NONE),
        Transition("relink", _("关联整改问题"), SORTED, None, OFFICE, effects=(_linked,), waits_in=NONE),
        Transition("reply", _("答复"), frozenset({Status.NEW, Status.ASSIGNED, Status.REPLIED, Status.REOPENED}), Status.REPLIED, HANDLER,
                   guards=REPLY_GUARDS, effects=(_replied,), waits_in=frozenset({Status.ASSIGNED, Status.REOPENED})),
        Transition("rate", _("评价"), frozenset({Status.REPLIED}), Status.CLOSED, CITIZEN, guards=RATING_GUARDS, effects=(_rating_given,)),
        Transition("rate_unsatisfied", _("不满意"), frozenset({Status.REPLIED}), Status.REOPENED, CITIZEN, guards=RATING_GUARDS,
                   effects=(_rating_given,), verb="rate"),
        Transition("callback", _("电话回访"), frozenset({Status.REPLIED, Status.CLOSED}), Status.CLOSED, OFFICE,
                   guards=CALLBACK_GUARDS, effects=(_callback_logged, _rating_given), waits_in=NONE, fields=("result", "note", "caller", "called_at")),
        Transition("callback_unsatisfied", _("回访不满意"), frozenset({Status.REPLIED, Status.CLOSED}), Status.REOPENED, OFFICE,
                   guards=CALLBACK_GUARDS, effects=(_callback_logged, _rating_given), verb="callback", waits_in=NONE,
                   fields=("result", "note", "caller", "called_at")),
        Transition("close", _("办结"), ALL - {Status.CLOSED, Status.TRANSFERRED}, Status.CLOSED, OFFICE, effects=(_closed,), waits_in=NONE),
        Transition("verify", _("开始核查"), frozenset({Status.NEW, Status.ASSIGNED, Status.REOPENED}), Status.VERIFYING, HANDLER,
                   conditions=(IS_CLUE,), waits_in=frozenset({Status.ASSIGNED, Status.REOPENED})),
        Transition("conclude", _("查结"), frozenset({Status.VERIFYING}), Status.CLOSED, HANDLER, needs_reason=True,
                   conditions=(IS_CLUE,), effects=(_concluded,)),
        Transition("transfer", _("转办"), frozenset({Status.NEW, Status.ASSIGNED, Status.VERIFYING, Status.REOPENED}), Status.TRANSFERRED,
                   OFFICE, conditions=(IS_CLUE,), guards=TRANSFER_GUARDS, effects=(_transferred,), waits_in=NONE, fields=("transferred_to",)),
    ]
}
# The steps the detail page offers as plain buttons (the others have their own forms).
BUTTONS = ("verify", "conclude", "transfer", "close")


# ------------------------------------------------------------------ sides

def is_office(user, s: Suggestion) -> bool:
    """The office of the item's campaign: sorts, closes, transfers, calls back."""
    return permissions.may_act_for(user, s.campaign.unit, Role.OFFICE)


def is_handler(user, s: Suggestion) -> bool:
    """The unit handling the item (its liaison, or an office over it): answers and checks."""
    return permissions.may_change(user, s)


def _office_waiting(user) -> Q | None:
    if getattr(user, "is_superuser", False):
        return Q()
    paths = [g.path for g in grants(user) if g.role == Role.OFFICE]
    if not paths:
        return None
    cond = Q()
    for p in paths:
        cond |= Q(campaign__unit__path__subtree=p)
    return cond


def _handler_waiting(user) -> Q | None:
    """Items handed to the user's own unit or a unit right below it (as the ledger's to-do reads)."""
    return permissions.todo_units_q(user)


def _record(ctx: Context, verb: str) -> None:
    from duban.intake import services  # the trail: services own it

    services.transition_recorded(ctx, verb)


TABLE = engine.Table(
    model=Suggestion,
    transitions=TRANSITIONS.values(),
    sides=[
        engine.Side(OFFICE, _("推进办"), lambda user, s: is_office(user, s), _office_waiting),
        engine.Side(HANDLER, _("推进办或办理单位"), lambda user, s: is_handler(user, s), _handler_waiting),
        # The tracking code is the citizen's key: whoever reached the item by it may rate.
        engine.Side(CITIZEN, _("留言人"), lambda user, s: True, None),
    ],
    audit=_record,
    lock=lambda s: Suggestion.objects.select_for_update(of=("self",)).select_related("campaign__unit", "unit").get(pk=s.pk),
    version=engine.updated_at_version,
    verb_prefix="suggestion",
    noun=_("事项"),
)


def available(user, s: Suggestion) -> list[Transition]:
    return TABLE.available(user, s)


def waiting(user, queryset=None, *, sides=None):
    """Suggestions waiting for this user (to sort, answer, verify, conclude), on all of the
    user's sides or those named."""
    return TABLE.waiting(user, queryset, sides=sides)


def rating_step(rating: str, *, callback: bool) -> str:
    """Which transition a rating fires: 不满意 reopens, the others close."""
    unsatisfied = rating == Rating.UNSATISFIED
    if callback:
        return "callback_unsatisfied" if unsatisfied else "callback"
    return "rate_unsatisfied" if unsatisfied else "rate"


__all__ = ["BUTTONS", "TABLE", "TRANSITIONS", "RatingSource", "available", "is_handler", "is_office", "rating_step", "waiting"]
