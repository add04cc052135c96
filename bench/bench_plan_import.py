"""Import a 任务分工表 of 5,000 items (8 aspects × 60 key tasks × 9–10 measures), all or nothing.

The file is laid out the way an office sends it: a merged title row, a 填报 line, the
header, a section row per aspect ("一、优化营商环境", merged across), each key task's cell
merged over its measures, several responsible units per cell with mixed separators, dates
as Excel dates and typed (2022年3月31日, 2022/6/30, "2022年6月底前").

Figure: `duban.plan.io.tasks_import` end to end (calamine read, the checks of every cell,
unit matching, the three levels built, the bulk insert of items and co-responsible units,
one audit row, `plan_refresh`: weighted progress, backward schedule, lights). Floor, same
run: python-calamine reading the same file plus a bare executemany (SQLite) / COPY
(PostgreSQL) of one row per item into an unindexed table. Target ≤ 2×.

    .venv/bin/python bench/bench_plan_import.py --db sqlite
    .venv/bin/python bench/bench_plan_import.py --db pg        # DUBAN_BENCH_PG, database duban_plan_bench
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, result, setup_django  # noqa: E402

PG_BASE = os.environ.get("DUBAN_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "duban_plan_bench"
NUMERALS = "一二三四五六七八九十"
ASPECTS = ["优化营商环境", "破解民生难题", "推动项目建设", "加强作风建设", "深化改革创新", "推进乡村振兴", "改善生态环境", "防范化解风险",
           "提升城市品质", "强化基层治理"]
TASK_WORDS = ["审批", "政务服务", "企业帮扶", "要素保障", "招商引资", "供暖", "供水", "老旧小区", "道路", "教育", "医疗", "养老",
              "就业", "社保", "信访", "安全生产", "环境整治", "河湖治理", "农村人居", "产业园区"]
TASK_VERBS = ["压缩", "优化", "推进", "完善", "强化", "规范", "提升", "整治"]
MEASURE_VERBS = ["制定", "建立", "推行", "开展", "落实", "实施", "组织", "完成", "健全", "推广"]
MEASURE_OBJECTS = ["工作方案", "台账管理", "一窗受理", "容缺办理", "专项检查", "督导调度", "考核办法", "信息平台", "培训宣讲",
                   "问题清单", "责任清单", "联席会议", "帮办代办", "限时办结", "月度通报"]
PROGRESS = ["已制定方案，正在推进", "已完成阶段任务", "正在组织实施", "", "已召开专题会议", "已完成80%"]


def setup(db: str) -> None:
    if db == "pg":
        import psycopg

        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
            conn.execute(f"CREATE DATABASE {PG_NAME}")
        os.environ["DUBAN_DATABASE_URL"] = f"{PG_BASE}/{PG_NAME}"
        setup_django()
    else:
        os.environ.pop("DUBAN_DATABASE_URL", None)
        setup_django(tempfile.mkdtemp(prefix="duban-bench-plan-"))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def world():
    """The district's org tree (洮北-shaped: 12 towns, 148 villages, 20 departments) and campaign."""
    from duban.demo import campaign as demo_campaign
    from duban.demo import orgs as demo_orgs
    from duban.demo.context import SCALES, DemoContext

    ctx = DemoContext(scale=SCALES["district"], rng=random.Random(7))
    demo_orgs.build(ctx)
    demo_campaign.build(ctx)
    return ctx.campaign


def plan_file(path: Path, campaign, aspects: int, tasks: int, measures: int) -> int:
    """Write the file; return how many items it describes (aspects + tasks + measures)."""
    import xlsxwriter

    from duban.orgs.models import OrgUnit

    rng = random.Random(42)
    units = list(OrgUnit.objects.filter(path__startswith=campaign.unit.path, depth__in=(campaign.unit.depth + 1,))
                 .order_by("id").values_list("name", flat=True))
    seps = ["、", "，", ",", "、"]
    header = ["序号", "方面", "重点任务", "具体措施", "牵头单位", "责任单位", "完成时限", "进展情况"]
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("任务分工")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, 7, "洮北区解放思想大讨论活动任务分工表")
    ws.write(1, 0, "填报单位：区推进办")
    ws.write_row(2, 0, header)
    r, seq, items = 3, 0, 0
    # 9.4 measures on average: that share of the tasks gets one more than the rest
    more = round((measures - int(measures)) * tasks * aspects)
    per_task = [int(measures) + (1 if i < more else 0) for i in range(tasks * aspects)]
    t_index = 0
    for a in range(aspects):
        ws.merge_range(r, 0, r, 7, f"{NUMERALS[a % 10]}、{ASPECTS[a % len(ASPECTS)]}{'' if a < len(ASPECTS) else a}")
        r += 1
        items += 1
        for t in range(tasks):
            n = per_task[t_index]
            t_index += 1
            task = f"{TASK_VERBS[t % len(TASK_VERBS)]}{TASK_WORDS[(t + a) % len(TASK_WORDS)]}工作（第{t + 1}项）"
            if n > 1:
                ws.merge_range(r, 2, r + n - 1, 2, task)
            else:
                ws.write(r, 2, task)
            items += 1
            for m in range(n):
                seq += 1
                lead = units[rng.randrange(len(units))]
                co = rng.sample(units, rng.randrange(0, 4))
                ws.write_row(r, 0, [seq])
                ws.write(r, 3, f"{MEASURE_VERBS[m % len(MEASURE_VERBS)]}{MEASURE_OBJECTS[(m + t) % len(MEASURE_OBJECTS)]}（{m + 1}）")
                ws.write(r, 4, lead)
                ws.write(r, 5, rng.choice(seps).join(co))
                deadline = dt.date(2022, 1, 31) + dt.timedelta(days=rng.randrange(330))
                form = seq % 4
                if form == 0:
                    ws.write_datetime(r, 6, dt.datetime.combine(deadline, dt.time()), date)
                elif form == 1:
                    ws.write(r, 6, f"{deadline.year}年{deadline.month}月{deadline.day}日")
                elif form == 2:
                    ws.write(r, 6, f"{deadline.year}/{deadline.month}/{deadline.day}")
                else:
                    ws.write(r, 6, f"{deadline.year}年{deadline.month}月底前")
                ws.write(r, 7, PROGRESS[seq % len(PROGRESS)])
                r += 1
                items += 1
    ws.write(r + 1, 0, "注：责任单位有多个的，用顿号分隔。")
    wb.close()
    return items


def floor(path: Path, db: str) -> float:
    """calamine read of the same file + a bare insert of one row per data row."""
    import python_calamine
    from django.db import connection, transaction

    t0 = time.perf_counter()
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[3:]
    rows = [[str(c) if c not in (None, "") else None for c in r[:8]] for r in rows]
    cols = "seq text, aspect text, task text, measure text, lead text, co text, deadline text, note text"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_bare")
        cur.execute(f"CREATE TABLE bench_bare ({cols})")
        if db == "pg":
            with cur.cursor.copy("COPY bench_bare FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)
        else:
            cur.executemany("INSERT INTO bench_bare VALUES (%s,%s,%s,%s,%s,%s,%s,%s)", rows)
        cur.execute("DROP TABLE bench_bare")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    ap.add_argument("--aspects", type=int, default=8)
    ap.add_argument("--tasks", type=int, default=60, help="key tasks per aspect")
    ap.add_argument("--measures", type=float, default=9.4, help="measures per key task, on average")
    ap.add_argument("--repeat", type=int, default=3, help="imports timed (each into an empty plan); the best is reported")
    ap.add_argument("--quick", action="store_true", help="1 aspect × 10 tasks × 5 measures, once")
    a = ap.parse_args()
    if a.quick:
        a.aspects, a.tasks, a.measures, a.repeat = 1, 10, 5, 1
    setup(a.db)
    print(machine(), flush=True)
    campaign = world()
    from duban.core.actors import SystemActor
    from duban.orgs.models import Assignment
    from duban.plan import io
    from duban.plan.models import PlanItem

    path = Path(tempfile.mkdtemp(prefix="duban-bench-plan-file-")) / "plan.xlsx"
    items = plan_file(path, campaign, a.aspects, a.tasks, a.measures)
    print(f"(file: {items} items, {path.stat().st_size / 1024:.0f} KB)", flush=True)
    floors, figures = [], []
    for _ in range(a.repeat):
        floors.append(floor(path, a.db))
        PlanItem.objects.filter(campaign=campaign).delete()
        Assignment.objects.all().delete()
        t0 = time.perf_counter()
        plan = io.tasks_import(actor=SystemActor("bench"), skip_checks=True, source=path, campaign=campaign)
        figures.append(time.perf_counter() - t0)
        assert plan.applied and PlanItem.objects.filter(campaign=campaign).count() == items, plan.summary()
    print(plan.summary(), flush=True)
    print("runs (import / floor, s): " + ", ".join(f"{f:.2f}/{b:.2f}" for f, b in zip(figures, floors, strict=True)), flush=True)
    result(f"plan import {items} items ({a.db})", min(figures), "s", min(floors),
           "calamine read + bare " + ("COPY" if a.db == "pg" else "executemany"), target="≤ 2×")


if __name__ == "__main__":
    main()
