"""Demo build time: `duban demo --scale city --no-serve` on SQLite (target ≤ 120 s on this
2-core machine), against a floor measured in the same run: inserting the same number of
bare problem and suggestion rows with one executemany each into a fresh SQLite table.

    python bench/bench_demo.py [--scale city|district|province] [--quick]

With DUBAN_DATABASE_URL set, the build runs on that PostgreSQL database (it is flushed).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, machine, result


def floor_seconds(problems: int, suggestions: int) -> float:
    path = Path(tempfile.mkdtemp(prefix="duban-bench-floor-")) / "floor.sqlite3"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, seq INT, description TEXT, unit_id INT, status TEXT, deadline TEXT)")
    con.execute("CREATE TABLE s (id INTEGER PRIMARY KEY, title TEXT, body TEXT, unit_id INT, status TEXT, created TEXT)")
    t0 = time.perf_counter()
    with con:
        con.executemany("INSERT INTO p (seq, description, unit_id, status, deadline) VALUES (?, ?, ?, ?, ?)",
                        ((i, f"第{i}个问题：冬季供暖温度不达标，群众投诉较多", i % 11000, "signed_off", "2022-03-31") for i in range(problems)))
        con.executemany("INSERT INTO s (title, body, unit_id, status, created) VALUES (?, ?, ?, ?, ?)",
                        ((f"建议{i}", "小区门口道路坑洼，雨天积水，希望尽快修复。", i % 11000, "closed", "2022-01-01") for i in range(suggestions)))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="city", choices=["district", "city", "province"])
    ap.add_argument("--quick", action="store_true", help="district scale")
    args = ap.parse_args()
    scale = "district" if args.quick else args.scale
    data_dir = tempfile.mkdtemp(prefix="duban-bench-demo-")
    env = {**os.environ, "DUBAN_DATA_DIR": data_dir, "PYTHONWARNINGS": "ignore"}
    duban = [sys.executable, "-m", "duban.cli"]
    engine = "postgresql" if env.get("DUBAN_DATABASE_URL") else "sqlite"
    t0 = time.perf_counter()
    out = subprocess.run([*duban, "demo", "--scale", scale, "--no-serve", "--fresh"], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    build = time.perf_counter() - t0
    print(out.stdout)
    stats = json.loads(subprocess.run([*duban, "stats", "--json"], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    p, s = stats["problems"], stats["suggestions"]
    print(f"machine: {machine()}; database: {engine}; problems {p['total']} (rate {p['rate']}), suggestions {s['total']}")
    floor = floor_seconds(p["total"], s["total"])
    target = {"city": "≤ 120 s on SQLite", "district": "seconds", "province": "recorded (PostgreSQL)"}[scale]
    result(f"demo_build_{scale}_{engine}", build, "s", floor, "bare executemany of the same problem and suggestion rows", target=target)


if __name__ == "__main__":
    main()
