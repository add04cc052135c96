"""Writes of the triage side: train and register routers, predict, confirm routes, run hot issues.

Confirming or correcting a route goes through `intake.services.suggestion_route` (the one
writer of suggestions) and stores the decision as a TrainingExample: the office's own
routed history is what the next router learns from.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from duban.audit.services import audit_record
from duban.campaigns.models import Campaign, FocusArea
from duban.core.actors import actor_user
from duban.core.validation import max_length_of
from duban.intake import services as intake_services
from duban.intake.models import Status, Suggestion
from duban.orgs import permissions
from duban.orgs.matching import resolve_in
from duban.orgs.models import OrgUnit
from duban.triage import engine
from duban.triage.models import HotIssue, HotIssueRun, Prediction, RouterModel, Target, TrainingExample
from duban.triage.queries import may_analyse

MIN_EXAMPLES = 10
TOP_K = 3
HOT_KEEP = 50  # hot issues stored per run
HOT_MESSAGES_KEEP = 40  # messages stored per hot issue
MIN_HOT_SIZE = 2  # messages that make a hot issue (same as triage.hotissues.MIN_HOT_SIZE)


def suggestion_text(s: Suggestion) -> str:
    return f"{s.title}\n{s.body}"


def model_dir() -> Path:
    return Path(settings.DATA_DIR) / "models"


# ---------------------------------------------------------------------------- training


def train_model(
    *,
    actor,
    texts: Sequence[str],
    labels: Sequence[str],
    target: str = Target.LABEL,
    campaign: Campaign | None = None,
    source: str = "",
    path: str | Path | None = None,
    cv: int = 5,
    activate: bool = True,
    skip_checks: bool = False,
) -> RouterModel:
    """Train, save and register a router; the new one replaces the active one of its kind.
    A person trains a campaign's router as its office; a global one only the system."""
    require_analyst(actor, campaign, message="只有推进办可以训练分拣模型", skip_checks=skip_checks)
    if target not in Target.values:
        raise ValidationError(f"未知预测对象“{target}”")
    pairs = [(t.strip(), str(lab).strip()) for t, lab in zip(texts, labels, strict=True) if t and str(t).strip() and lab is not None and str(lab).strip()]
    if len(pairs) < MIN_EXAMPLES:
        raise ValidationError(f"训练样本太少（{len(pairs)} 条，至少 {MIN_EXAMPLES} 条）")
    if len({lab for _, lab in pairs}) < 2:
        raise ValidationError("训练样本至少需要两个类别")
    model = engine.train([t for t, _ in pairs], [lab for _, lab in pairs], cv=cv)
    info = engine.model_info(model)
    now = timezone.now()
    version = info["version"] or f"{now:%Y%m%d%H%M%S}"
    if path is None:
        prefix = f"c{campaign.pk}-" if campaign else ""
        path = model_dir() / f"{prefix}{target}-{now:%Y%m%d%H%M%S%f}.model"
    engine.save(model, path)
    with transaction.atomic():
        if activate:
            RouterModel.objects.filter(campaign=campaign, target=target, is_active=True).update(is_active=False)
        row = RouterModel.objects.create(
            campaign=campaign, target=target, version=version[:80], path=str(path), source=source[:200],
            labels=info["labels"][:500], metrics=_jsonable(info["metrics"]), n_train=info["n_train"] or len(pairs),
            trained_at=now, trained_by=_actor_name(actor), is_active=activate,
        )
        audit_record(
            actor=actor, verb="router.train", obj=row, unit=campaign.unit if campaign else None,
            changes={"target": [None, row.get_target_display()], "n_train": [None, row.n_train], "metrics": [None, row.metrics]},
            note=source,
        )
    if activate:
        refresh_predictions(campaign=campaign)
    return row


def _jsonable(value):
    import numbers

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return value


def _actor_name(actor) -> str:
    # Shown on the models page as 训练人: the person's name where the account has one.
    return actor.get_full_name() or actor.get_username()


def require_analyst(actor, campaign: Campaign | None, *, message: str, skip_checks: bool = False) -> None:
    """PermissionDenied unless the actor is the office of the campaign's unit (`may_analyse`):
    the one check of routing, training and hot-issue runs, whoever calls."""
    permissions.require_any(actor, (may_analyse(actor, campaign),), message=message, skip_checks=skip_checks)


def training_data(campaign: Campaign, target: str) -> tuple[list[str], list[str], int]:
    """(texts, labels, n_corrections) from the campaign's routed history and the office's decisions.

    The last decision about a suggestion wins; suggestions routed without a recorded
    decision (imports, earlier data) count by their current values.
    """
    by_suggestion: dict[int, tuple[str, str]] = {}
    loose: list[tuple[str, str]] = []
    qs = Suggestion.objects.filter(campaign=campaign).exclude(status=Status.NEW).order_by()
    if target == Target.AREA:
        rows = qs.filter(focus_area__isnull=False).values_list("id", "title", "body", "focus_area__name")
    elif target == Target.UNIT:
        rows = qs.exclude(unit_id=campaign.unit_id).values_list("id", "title", "body", "unit_id")
    else:
        rows = qs.exclude(label="").values_list("id", "title", "body", "label")
    for sid, title, body, lab in rows.iterator(chunk_size=5000):
        by_suggestion[sid] = (f"{title}\n{body}", str(lab))
    corrections = 0
    for sid, text, lab, corrected in TrainingExample.objects.filter(campaign=campaign, target=target).order_by("created_at", "id").values_list("suggestion_id", "text", "label", "corrected"):
        corrections += int(corrected)
        if sid is None:
            loose.append((text, lab))
        else:
            by_suggestion[sid] = (text, lab)
    pairs = list(by_suggestion.values()) + loose
    return [t for t, _ in pairs], [lab for _, lab in pairs], corrections


def train_from_history(*, actor, campaign: Campaign, target: str, cv: int = 5, skip_checks: bool = False) -> RouterModel:
    require_analyst(actor, campaign, message="只有推进办可以训练分拣模型", skip_checks=skip_checks)
    texts, labels, corrections = training_data(campaign, target)
    return train_model(
        actor=actor, texts=texts, labels=labels, target=target, campaign=campaign, cv=cv,
        source=f"{campaign.name}：已分拣 {len(texts)} 条（含人工更正 {corrections} 条）", skip_checks=skip_checks,
    )


# ---------------------------------------------------------------------------- predicting


def active_models(campaign: Campaign | None) -> dict[str, RouterModel]:
    """The active router per target: the campaign's own, else a global one (campaign null)."""
    out: dict[str, RouterModel] = {}
    qs = RouterModel.objects.filter(is_active=True).order_by("-trained_at", "-id")
    for m in qs.filter(campaign__isnull=True):
        out.setdefault(m.target, m)
    if campaign is not None:
        own: dict[str, RouterModel] = {}
        for m in qs.filter(campaign=campaign):
            own.setdefault(m.target, m)
        out.update(own)
    return out


def _decode(target: str, campaign: Campaign, top: list[tuple[str, float]], areas: dict[str, int], units: dict[int, str]) -> list[dict]:
    out = []
    for label, conf in top:
        item = {"label": label, "confidence": round(conf, 4), "id": None, "name": label}
        if target == Target.AREA:
            item["id"] = areas.get(label)
            if item["id"] is None:
                continue
        elif target == Target.UNIT:
            uid = int(label) if str(label).isdigit() else None
            if uid is None or uid not in units:
                continue
            item["id"], item["name"] = uid, units[uid]
        out.append(item)
    return out


NEEDS_ROUTING = (Status.NEW, Status.REOPENED)


def ensure_predictions(suggestions: Iterable[Suggestion]) -> int:
    """Compute and store the top three for suggestions that lack a current prediction.

    Runs when items arrive (intake's arrival hook), when a router is trained or
    registered, and in the demo build: pages only read the stored predictions.
    """
    by_campaign: dict[int, list[Suggestion]] = {}
    for s in suggestions:
        by_campaign.setdefault(s.campaign_id, []).append(s)
    made = 0
    for campaign_id, items in by_campaign.items():
        campaign = Campaign.objects.select_related("unit").get(pk=campaign_id)
        models = active_models(campaign)
        if not models:
            continue
        have = set(Prediction.objects.filter(suggestion__in=items).values_list("suggestion_id", "target", "model_id"))
        areas = dict(FocusArea.objects.filter(campaign=campaign).values_list("name", "id"))
        for target, rm in models.items():
            todo = [s for s in items if (s.pk, target, rm.pk) not in have]
            if not todo:
                continue
            try:
                model = engine.load(rm.path)
            except (OSError, ValueError, EOFError):
                continue
            tops = engine.predict_top(model, [suggestion_text(s) for s in todo], k=TOP_K + 2)
            units = {}
            if target == Target.UNIT:
                ids = {int(lab) for top in tops for lab, _ in top if str(lab).isdigit()}
                units = dict(OrgUnit.objects.filter(pk__in=ids, path__subtree=campaign.unit.path).values_list("id", "name"))
            with transaction.atomic():
                Prediction.objects.filter(suggestion__in=todo, target=target).delete()
                Prediction.objects.bulk_create([
                    Prediction(suggestion=s, target=target, model=rm, top=_decode(target, campaign, top, areas, units)[:TOP_K])
                    for s, top in zip(todo, tops, strict=True)
                ])
            made += len(todo)
    return made


def predict_arrived(suggestions: Sequence[Suggestion]) -> int:
    """intake's arrival hook: predict for the new items that wait for routing — in the
    background once the submission commits (inline when tasks run inline)."""
    from duban.core.background import runs_inline, start
    from duban.triage.tasks import predictions_make

    todo = [s for s in suggestions if s.pk is not None and s.status in NEEDS_ROUTING]
    if not todo:
        return 0
    if runs_inline():
        return ensure_predictions(todo)
    start(predictions_make, [s.pk for s in todo])
    return 0


def refresh_predictions(*, campaign: Campaign | None = None, batch: int = 1000) -> int:
    """Predict for every item waiting for routing (all campaigns when None) that lacks a
    prediction from the active routers: after a router is trained or registered."""
    qs = Suggestion.objects.filter(status__in=NEEDS_ROUTING).only("id", "campaign_id", "title", "body", "status").order_by("id")
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    made, last = 0, 0
    while True:
        chunk = list(qs.filter(id__gt=last)[:batch])
        if not chunk:
            return made
        made += ensure_predictions(chunk)
        last = chunk[-1].pk


# ---------------------------------------------------------------------------- routing decisions


@transaction.atomic
def route_confirm(
    *,
    actor,
    suggestion: Suggestion,
    unit: OrgUnit | None = None,
    focus_area: FocusArea | None = None,
    label: str | None = None,
    unit_text: str = "",
    skip_checks: bool = False,
) -> Suggestion:
    """The office's one-click confirm or correction; each decision becomes a training example
    (intake's routing calls :func:`route_learn` through its "intake.routed" hook).

    Who may comes first, before what is wrong with the input (a refusal must not read as a
    form error). `unit_text`: a typed unit name (the picker without its script), resolved
    among the campaign's units when `unit` is not given.
    """
    require_analyst(actor, suggestion.campaign, message="只有推进办可以分拣", skip_checks=skip_checks)
    if unit is None and unit_text:
        found = resolve_in(OrgUnit.objects.filter(path__subtree=suggestion.campaign.unit.path), unit_text[:241])
        if isinstance(found, str):
            raise ValidationError(found)
        unit = found
    if label is not None and len(label) > max_length_of(Suggestion, "label"):
        raise ValidationError(f"分类标签不能超过 {max_length_of(Suggestion, 'label')} 个字符")
    return intake_services.suggestion_route_confirm(actor=actor, suggestion=suggestion, unit=unit, focus_area=focus_area, label=label,
                                                    skip_checks=skip_checks)


def route_learn(
    *,
    actor,
    suggestion: Suggestion,
    unit: OrgUnit | None = None,
    focus_area: FocusArea | None = None,
    label: str | None = None,
) -> None:
    """intake's "intake.routed" hook: each decision of a routing becomes a training example,
    marked corrected where it differs from the router's best guess."""
    s = suggestion
    preds = {p.target: p.top for p in Prediction.objects.filter(suggestion=s)}
    text = suggestion_text(s)
    examples = []
    decided = {
        Target.UNIT: str(unit.pk) if unit is not None else None,
        Target.AREA: focus_area.name if focus_area is not None else None,
        Target.LABEL: (label or "").strip() or None,
    }
    for target, value in decided.items():
        if value is None:
            continue
        top = preds.get(target) or []
        predicted = (str(top[0]["id"]) if target == Target.UNIT else top[0]["label"]) if top else ""
        examples.append(TrainingExample(
            campaign=s.campaign, suggestion=s, target=target, text=text, label=value, predicted=predicted,
            corrected=bool(predicted) and predicted != value, created_by=actor_user(actor),
        ))
    TrainingExample.objects.bulk_create(examples)


# ---------------------------------------------------------------------------- hot issues


_PLACE = re.compile(r"([A-Z]\d*[市区县]|[\u4e00-\u9fa5]{2,6}(?:镇|乡|街道|村|社区|小区|路|街))")


def places_in(text: str) -> list[str]:
    return list(dict.fromkeys(_PLACE.findall(text or "")))[:5]


@transaction.atomic
def run_hot_issues(*, actor, messages: Sequence[dict], source: str, campaign: Campaign | None = None, **kwargs) -> HotIssueRun:
    """Cluster `messages` (dicts: id, title, text, time, user, likes, dislikes, place) and store the top hot issues."""
    started = time.perf_counter()
    issues = engine.find_hot_issues(messages, **kwargs)
    seconds = time.perf_counter() - started
    by_id = {m["id"]: m for m in messages}
    # a hot issue is a matter several messages raise; the rest are single messages, counted apart
    hot = [r for r in issues if r["size"] >= MIN_HOT_SIZE]
    n_single = len(messages) - sum(r["size"] for r in hot)
    run = HotIssueRun.objects.create(campaign=campaign, source=source[:200], started_at=timezone.now(), seconds=round(seconds, 2), n_messages=len(messages), n_issues=len(hot), n_single=n_single)
    rows = []
    # biggest first, then the most recent (a reader counts messages; the engine's order)
    hot.sort(key=lambda r: (-r["size"], -(_aware(r["last"]).timestamp() if r["last"] else 0.0)))
    for rank, issue in enumerate(hot[:HOT_KEEP], start=1):
        members = [by_id[i] for i in issue["ids"] if i in by_id]
        members.sort(key=lambda m: (m.get("time") is None, m.get("time") or dt.datetime.min.replace(tzinfo=dt.UTC)))
        times = [m["time"] for m in members if m.get("time")]
        title = issue["title"] or (members[0].get("title") if members else "")
        places = issue["places"] or list(dict.fromkeys(p for m in members for p in ([m["place"]] if m.get("place") else places_in(m.get("title", "")))))[:5]
        rows.append(HotIssue(
            run=run, rank=rank, title=str(title)[:300], size=issue["size"] or len(members),
            users=issue["users"] or len({m.get("user") for m in members if m.get("user")}),
            support=issue["support"] or sum(int(m.get("likes") or 0) for m in members),
            score=round(issue["score"], 3), first_at=_aware(issue["first"] or (min(times) if times else None)),
            last_at=_aware(issue["last"] or (max(times) if times else None)), places=[str(p) for p in places][:8],
            keywords=[str(k) for k in issue["keywords"]][:10],
            messages=[{
                "id": str(m["id"]), "title": m.get("title", "")[:120], "time": _aware(m["time"]).isoformat() if m.get("time") else None,
                "user": str(m.get("user") or ""), "likes": int(m.get("likes") or 0), "excerpt": str(m.get("text", ""))[:160],
                "suggestion_id": m.get("suggestion_id"),
            } for m in members[:HOT_MESSAGES_KEEP]],
        ))
    HotIssue.objects.bulk_create(rows)
    audit_record(actor=actor, verb="hotissues.run", obj=run, unit=campaign.unit if campaign else None,
                 changes={"n_messages": [None, len(messages)], "n_issues": [None, len(issues)]}, note=source)
    return run


def _aware(value):
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def poster_key(s: Suggestion) -> str:
    """Who posted, for counting distinct posters: a salted hash, never the phone itself
    (pages show the contact from the suggestion, masked but for the office)."""
    if s.source_hash:
        return s.source_hash
    digits = "".join(ch for ch in s.contact_phone if ch.isdigit())
    return "p" + hashlib.sha256(f"{settings.SECRET_KEY}:{digits}".encode()).hexdigest()[:15] if digits else ""


def suggestion_messages(campaign: Campaign, since: dt.date | None = None) -> list[dict]:
    qs = Suggestion.objects.filter(campaign=campaign).select_related("place_unit")
    if since:
        qs = qs.filter(submitted_at__date__gte=since)
    out = []
    for s in qs.order_by("submitted_at").iterator(chunk_size=5000):
        out.append({
            "id": s.pk, "suggestion_id": s.pk, "title": s.title, "text": s.body, "time": s.submitted_at,
            "user": poster_key(s), "likes": 0, "dislikes": 0,
            "place": s.place_unit.name if s.place_unit_id else s.place,
        })
    return out


def hot_from_suggestions(*, actor, campaign: Campaign, since: dt.date | None = None, skip_checks: bool = False) -> HotIssueRun:
    require_analyst(actor, campaign, message="只有推进办可以运行热点分析", skip_checks=skip_checks)
    messages = suggestion_messages(campaign, since)
    return run_hot_issues(actor=actor, messages=messages, source=f"{campaign.name} 意见建议（{len(messages)} 条）", campaign=campaign)


def read_messages_csv(path: str | Path, limit: int | None = None) -> list[dict]:
    """Messages from a csv in the TipDM layout (留言编号, 留言用户, 留言主题, 留言时间, 留言详情, 反对数, 点赞数)."""
    from duban.intake.io import parse_when

    out = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            if limit and i >= limit:
                break
            try:
                when = parse_when(row.get("留言时间") or row.get("提交时间"))
            except ValueError:
                when = None
            title = (row.get("留言主题") or "").strip()
            out.append({
                "id": (row.get("留言编号") or str(i + 1)).strip(), "title": title, "text": re.sub(r"\s+", " ", row.get("留言详情") or "").strip(),
                "time": when, "user": (row.get("留言用户") or "").strip(), "likes": _int(row.get("点赞数")), "dislikes": _int(row.get("反对数")),
                "place": "",
            })
    return out


def _int(v) -> int:
    try:
        return int(float(v or 0))
    except ValueError:
        return 0


def hot_from_csv(*, actor, path: str | Path, campaign: Campaign | None = None, limit: int | None = None, skip_checks: bool = False) -> HotIssueRun:
    require_analyst(actor, campaign, message="只有推进办可以运行热点分析", skip_checks=skip_checks)
    messages = read_messages_csv(path, limit)
    return run_hot_issues(actor=actor, messages=messages, source=f"{Path(path).name}（{len(messages)} 条）", campaign=campaign)
