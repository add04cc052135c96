"""Demo triage: routers trained from the demo's own routed history (unit, focus area, topic
label), and hot issues found in the real TipDM messages when the shared data is present
(otherwise in the demo's suggestions)."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from pathlib import Path

from django.core.exceptions import ValidationError

from duban.demo.context import DemoContext
from duban.triage import services
from duban.triage.models import Target


def shared_data_dir() -> Path:
    env = os.environ.get("DUBAN_SHARED_DATA")
    if env:
        return Path(env)
    # <repo>/src/duban/triage/demo.py → <repo>/../shared/data
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


def build(ctx: DemoContext) -> None:
    campaign = ctx.campaign
    # Train on a sample at the big scales: a few thousand routed items teach the router as
    # much as fifty thousand template-built ones, in a fraction of the time.
    limit = 1000 if ctx.scale.name != "district" else None
    trained = []
    for target in (Target.UNIT, Target.AREA, Target.LABEL):
        started = time.perf_counter()
        texts, labels, _ = services.training_data(campaign, target)
        if limit and len(texts) > limit:
            idx = random.Random(7).sample(range(len(texts)), limit)
            texts, labels = [texts[i] for i in idx], [labels[i] for i in idx]
        source = f"演示数据：已分拣的意见建议 {len(texts)} 条"
        try:
            # per-unit classes are tiny at the big scales: cross-validate only where it means something
            cv = 0 if (limit and target == Target.UNIT) else 3
            m = services.train_model(actor=ctx.actor, skip_checks=True, texts=texts, labels=labels, target=target, campaign=campaign, cv=cv, source=source)
        except ValidationError:
            continue
        except ValueError:  # too few examples per class for cross-validation: train without it
            m = services.train_model(actor=ctx.actor, skip_checks=True, texts=texts, labels=labels, target=target, campaign=campaign, cv=0, source=source)
        f1 = m.metrics.get("macro_f1")
        trained.append(f"{m.get_target_display()} {len(m.labels)} 类" + (f"（交叉验证 macro-F1 {f1:.2f}）" if isinstance(f1, (int, float)) else "") + f" {time.perf_counter() - started:.1f}s")
    if trained:
        ctx.notes.append("分拣模型：" + "；".join(trained))
    hot_csv = shared_data_dir() / "tipdm2020" / "hot_messages.csv"
    runs = []
    try:
        # the real TipDM messages when the shared data is there, then the demo's own
        # suggestions (the latest run, shown first on the hot-issue page)
        if hot_csv.exists():
            runs.append(services.hot_from_csv(actor=ctx.actor, skip_checks=True, path=hot_csv))
        # the big scales look at the last 30 days (what an office would run daily): the
        # whole history would double the demo's build time
        since = None if ctx.scale.name == "district" else ctx.today - dt.timedelta(days=30)
        runs.append(services.hot_from_suggestions(actor=ctx.actor, skip_checks=True, campaign=campaign, since=since))
    except Exception as exc:  # noqa: BLE001 - hot issues are a nicety of the demo, never its failure
        ctx.notes.append(f"热点问题：未生成（{exc}）")
    for run in runs:
        top = run.issues.order_by("rank").first()
        ctx.notes.append(
            f"热点问题：{run.source}：{run.n_issues} 个热点问题、{run.n_single} 条单条留言（{run.seconds} 秒）"
            + (f"，第一位：{top.title}（{top.size} 条）" if top else "")
        )
