"""Import a 项目库 of 1,031 projects (临汾's count, in its three pools), all or nothing.

The file is laid out the way an office sends it: a merged title row, a 填报 line, the
DESIGN §5 header plus 项目库 and 建设性质, money typed as numbers, "1,200", "3000万元" and
"2.5亿", dates as Excel dates and typed (2026年3月1日, 2026/9/1), 是/否, a 责任部门 on most rows.

Figure: `duban.projects.io.projects_import` end to end (calamine read, the checks of every
cell and services.validate on every row, unit matching, the bulk insert of projects, their
owner assignments and timeline entries, lights derived, one audit row). Floor, same run:
python-calamine reading the same file plus a bare executemany (SQLite) / COPY (PostgreSQL)
of one row per project into an unindexed table. Target ≤ 2×.

    .venv/bin/python bench/bench_project_import.py --db sqlite
    .venv/bin/python bench/bench_project_import.py --db pg        # DUBAN_BENCH_PG, database projects_io_bench
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
from bench_plan_import import world  # noqa: E402 - the same district and campaign
from common import machine, result, setup_django  # noqa: E402

PG_BASE = os.environ.get("DUBAN_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "projects_io_bench"
POOLS = ["招商引资项目库", "在谈跟进项目库", "储备签约开工项目库"]
INDUSTRIES = ["新材料", "装备制造", "现代物流", "文旅康养", "新能源", "农产品加工", "城市更新", "水利", "交通", "数字经济"]
WORDS = ["年产", "智能", "绿色", "循环", "现代", "综合", "生态", "高端"]
THINGS = ["乙醇生产线", "物流园", "产业园", "光伏电站", "冷链仓储", "污水处理厂", "康养小镇", "装配式建筑基地", "数据中心", "农贸市场"]
STAGES = ["谋划", "在谈", "签约", "开工", "竣工投产"]
LEADERS = [f"{s}{g}" for s in "王李张刘陈杨赵黄" for g in ("建国", "志强")]


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
        setup_django(tempfile.mkdtemp(prefix="duban-bench-projects-"))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


HEADER = ["序号", "项目名称", "建设单位", "所属单位", "行业", "项目阶段", "总投资（万元）", "年度计划投资（万元）", "已完成投资（万元）",
          "是否三早", "包保领导", "责任部门", "项目秘书", "计划开工", "计划竣工", "项目库", "建设性质"]


def project_file(path: Path, campaign, n: int) -> None:
    import xlsxwriter

    from duban.orgs.models import OrgUnit, UnitKind

    rng = random.Random(42)
    below = OrgUnit.objects.filter(path__startswith=campaign.unit.path, depth=campaign.unit.depth + 1)
    towns = list(below.exclude(kind=UnitKind.DEPARTMENT).order_by("id").values_list("name", flat=True))
    departments = list(below.filter(kind=UnitKind.DEPARTMENT).order_by("id").values_list("name", flat=True))
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("项目库")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, len(HEADER) - 1, "2026年重点项目调度表")
    ws.write(1, 0, "填报单位：发改局")
    ws.write_row(2, 0, HEADER)
    for i in range(n):
        r = 3 + i
        total = rng.choice([800, 1500, 3000, 5000, 12000, 25000, 60000])
        money = [total, f"{total:,}", f"{total}万元", f"{total / 10000:g}亿"][i % 4]
        start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(330))
        ws.write_row(r, 0, [i + 1, f"{WORDS[i % len(WORDS)]}{THINGS[(i // 8) % len(THINGS)]}（{i + 1}号）", f"某某{THINGS[i % len(THINGS)][:2]}公司",
                            towns[rng.randrange(len(towns))], INDUSTRIES[i % len(INDUSTRIES)], STAGES[rng.randrange(len(STAGES))], money,
                            round(total * 0.3), round(total * rng.random() * 0.2), "是" if i % 7 == 0 else "否", LEADERS[i % len(LEADERS)],
                            departments[i % len(departments)] if i % 5 else "", f"秘书{i % 40}"])
        if i % 2:
            ws.write_datetime(r, 13, dt.datetime.combine(start, dt.time()), date)
        else:
            ws.write(r, 13, f"{start.year}年{start.month}月{start.day}日")
        finish = start + dt.timedelta(days=400 + rng.randrange(400))
        ws.write(r, 14, f"{finish.year}/{finish.month}/{finish.day}")
        ws.write(r, 15, POOLS[i % 3])
        ws.write(r, 16, "续建" if i % 4 == 0 else "新建")
    wb.close()


def floor(path: Path, db: str) -> float:
    """calamine read of the same file + a bare insert of one row per project."""
    import python_calamine
    from django.db import connection, transaction

    t0 = time.perf_counter()
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[3:]
    width = len(HEADER)
    rows = [[str(c) if c not in (None, "") else None for c in r[:width]] + [None] * (width - len(r)) for r in rows]
    cols = ", ".join(f"c{i} text" for i in range(width))
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_bare")
        cur.execute(f"CREATE TABLE bench_bare ({cols})")
        if db == "pg":
            with cur.cursor.copy("COPY bench_bare FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)
        else:
            cur.executemany(f"INSERT INTO bench_bare VALUES ({', '.join(['%s'] * width)})", rows)  # noqa: S608
        cur.execute("DROP TABLE bench_bare")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    ap.add_argument("--projects", type=int, default=1031)
    ap.add_argument("--repeat", type=int, default=3, help="imports timed (each into an empty library); the best is reported")
    ap.add_argument("--quick", action="store_true", help="100 projects, once")
    a = ap.parse_args()
    if a.quick:
        a.projects, a.repeat = 100, 1
    setup(a.db)
    print(machine(), flush=True)
    campaign = world()
    from duban.core.actors import SystemActor
    from duban.orgs.models import Assignment
    from duban.projects import io
    from duban.projects.models import Pool, Project, ProjectEvent

    path = Path(tempfile.mkdtemp(prefix="duban-bench-projects-file-")) / "projects.xlsx"
    project_file(path, campaign, a.projects)
    print(f"(file: {a.projects} projects, {path.stat().st_size / 1024:.0f} KB)", flush=True)
    floors, figures = [], []
    for _ in range(a.repeat):
        floors.append(floor(path, a.db))
        ProjectEvent.objects.all().delete()
        Project.objects.filter(campaign=campaign).delete()
        Pool.objects.filter(campaign=campaign).delete()
        Assignment.objects.filter(content_type__model="project").delete()
        t0 = time.perf_counter()
        plan = io.projects_import(actor=SystemActor("bench"), skip_checks=True, source=path, campaign=campaign)
        figures.append(time.perf_counter() - t0)
        assert plan.applied and Project.objects.filter(campaign=campaign).count() == a.projects, plan.summary()
    print(plan.summary(), flush=True)
    print("runs (import / floor, s): " + ", ".join(f"{f:.3f}/{b:.3f}" for f, b in zip(figures, floors, strict=True)), flush=True)
    result(f"project import {a.projects} projects ({a.db})", min(figures), "s", min(floors),
           "calamine read + bare " + ("COPY" if a.db == "pg" else "executemany"), target="≤ 2×")


if __name__ == "__main__":
    main()
