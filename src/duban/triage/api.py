"""Triage endpoints (/api/triage): predictions, classify, router models, hot issues, reply check."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from duban.campaigns.queries import campaigns_for, current_campaign
from duban.core.apischema import answers
from duban.core.background import start
from duban.core.validation import Id, Text
from duban.intake import queries as intake_queries
from duban.triage import engine, queries, services, tasks
from duban.triage.models import HotIssueRun, RouterModel, Target

router = Router(tags=["分拣与热点"])


def _campaign(request, campaign_id: Id | None):
    c = campaigns_for(request.user).filter(pk=campaign_id).first() if campaign_id else current_campaign(request.user)
    if c is None:
        raise HttpError(404, "未找到活动或无权查看")
    return c


class Choice(Schema):
    label: str
    name: str
    id: int | None = None
    confidence: float


class PredictionsOut(Schema):
    suggestion_id: int
    unit: list[Choice] = []
    area: list[Choice] = []
    label: list[Choice] = []


@router.get("/predictions/{suggestion_id}", response=answers({200: PredictionsOut}, 403, 404), summary="路由器对一条意见建议的前三建议（推进办）")
def predictions(request, suggestion_id: Id):
    s = intake_queries.suggestion_get(request.user, suggestion_id)
    if s is None:
        raise HttpError(404, "未找到该意见建议或无权查看")
    if not queries.may_read_analysis(request.user, s.campaign):
        raise HttpError(403, "仅推进办可见分拣建议")
    p = queries.predictions_for(request.user, [s]).get(s.pk, {})
    return {"suggestion_id": s.pk, **p}


class ClassifyIn(Schema):
    texts: list[Text()] = Field(..., max_length=5000)
    target: Target = Target.LABEL
    campaign_id: Id | None = None
    k: int = 3


class ClassifyOut(Schema):
    model_version: str
    items: list[list[Choice]]


@router.post("/classify", response=answers({200: ClassifyOut}, 404, body=True), summary="用启用的模型给任意文本分类（每条返回前 k 个及置信度）")
def classify(request, payload: ClassifyIn):
    campaign = _campaign(request, payload.campaign_id)
    rm = services.active_models(campaign).get(payload.target)
    if rm is None:
        raise HttpError(404, "该预测对象还没有启用的模型")
    model = engine.load(rm.path)
    tops = engine.predict_top(model, payload.texts, k=max(1, min(payload.k, 10)))
    return {"model_version": rm.version, "items": [[{"label": lab, "name": lab, "confidence": round(c, 4)} for lab, c in top] for top in tops]}


class ModelOut(Schema):
    id: int
    target: str
    target_label: str
    version: str
    source: str
    labels: list[str]
    metrics: dict
    n_train: int
    trained_at: dt.datetime
    trained_by: str
    is_active: bool
    campaign_id: int | None

    @staticmethod
    def resolve_target_label(obj) -> str:
        return obj.get_target_display()


@router.get("/models", response=answers({200: list[ModelOut]}, 403, 404), summary="分拣模型（版本与交叉验证指标；推进办和领导）")
def list_models(request, campaign_id: Id | None = None):
    campaign = _campaign(request, campaign_id)
    if not queries.may_see_models(request.user, campaign):
        raise HttpError(403, "分拣模型仅推进办和领导可见")
    return list(queries.models_for(request.user, campaign)[:100])


class TrainIn(Schema):
    target: Target = Target.AREA
    campaign_id: Id | None = None


class QueuedOut(Schema):
    status: str = Field(description="queued：已交给后台任务（duban worker），完成后在列表中可见")
    detail: str


def _started(result, *, queued: str):
    """A task started for a request: 202 while it waits for the worker; when it ran inline
    (DUBAN_TASKS_IMMEDIATE, the tests), its outcome."""
    if result is None:
        return Status(202, {"status": "queued", "detail": queued})
    if result.status != "SUCCESSFUL":
        raise HttpError(500, "后台任务没有完成，请到“后台任务”页查看原因")
    return result.return_value


@router.post("/models/train", response=answers({201: ModelOut, 202: QueuedOut}, 403, 404, body=True),
             summary="用本活动已分拣的历史（含人工更正）重新训练（推进办）；由后台任务完成，排队时答 202")
def train(request, payload: TrainIn):
    campaign = _campaign(request, payload.campaign_id)
    if not queries.may_analyse(request.user, campaign):
        raise HttpError(403, "只有推进办可以训练分拣模型")
    # Training takes seconds to minutes: the worker does it, as for the page.
    done = _started(start(tasks.router_train, campaign.pk, payload.target, request.user.pk), queued="模型训练已在后台开始")
    if isinstance(done, Status):
        return done
    if "error" in done:
        raise HttpError(422, done["error"])
    return Status(201, RouterModel.objects.get(pk=done["model"]))


class HotMessage(Schema):
    id: str
    title: str
    time: str | None
    user: str
    likes: int
    excerpt: str
    suggestion_id: int | None = None


class HotIssueOut(Schema):
    rank: int
    title: str
    size: int
    users: int
    support: int
    score: float
    first_at: dt.datetime | None
    last_at: dt.datetime | None
    places: list[str]
    keywords: list[str]
    messages: list[HotMessage]


class HotRunOut(Schema):
    id: int
    source: str
    started_at: dt.datetime
    seconds: float
    n_messages: int
    n_issues: int
    issues: list[HotIssueOut]

    @staticmethod
    def resolve_issues(obj, context) -> list:
        request = context["request"]  # contacts masked but for the office
        return queries.hot_issues(request.user, obj, campaign=current_campaign(request.user), with_messages=30)


def _hot_run(request, run_id: int | None) -> HotIssueRun:
    campaign = current_campaign(request.user)
    if not queries.may_see_hot(request.user, campaign):
        raise HttpError(403, "热点问题仅推进办和领导可见")
    runs = queries.hot_runs(request.user, campaign)
    run = runs.filter(pk=run_id).first() if run_id else runs.first()
    if run is None:
        raise HttpError(404, "还没有热点分析")
    return run


@router.get("/hot", response=answers({200: HotRunOut}, 403, 404), summary="最新的热点问题（前 30 个及其留言）")
def hot_latest(request):
    return _hot_run(request, None)


# Before "/hot/{run_id}": ninja matches routes in the order they are added, and a POST
# to /hot/run would otherwise meet the GET-only /hot/{run_id} and answer 405.
@router.post("/hot/run", response=answers({201: HotRunOut, 202: QueuedOut}, 403),
             summary="对本活动的意见建议运行热点分析（推进办）；由后台任务完成，排队时答 202")
def hot_run_now(request):
    campaign = current_campaign(request.user)
    if campaign is None or not queries.may_analyse(request.user, campaign):
        raise HttpError(403, "只有推进办可以运行热点分析")
    done = _started(start(tasks.hot_issues_run, campaign.pk, request.user.pk), queued="热点分析已在后台开始")
    if isinstance(done, Status):
        return done
    return Status(201, HotIssueRun.objects.get(pk=done))


@router.get("/hot/{run_id}", response=answers({200: HotRunOut}, 403, 404), summary="某次热点分析的结果")
def hot_run(request, run_id: Id):
    return _hot_run(request, run_id)


class ReplyCheckIn(Schema):
    suggestion_id: Id
    text: Text()


class Flag(Schema):
    code: str
    message: str


@router.post("/reply-check", response=answers({200: list[Flag]}, 404, body=True), summary="答复检查：过短、答非所问、超期")
def reply_check(request, payload: ReplyCheckIn):
    s = intake_queries.suggestion_get(request.user, payload.suggestion_id)
    if s is None:
        raise HttpError(404, "未找到该意见建议或无权查看")
    return queries.reply_flags(s, payload.text)
