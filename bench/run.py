"""Run every benchmark (`make bench`): each bench_*.py in this folder, one after another.

`python bench/run.py [--only NAME] [--quick]`: --quick passes smaller sizes to the
benches that accept them. The RESULT lines of all benches are gathered at the end.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append", default=[], help="run only benches whose name contains this")
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = ap.parse_args()
    benches = sorted(HERE.glob("bench_*.py"))
    if args.only:
        benches = [b for b in benches if any(o in b.stem for o in args.only)]
    results: list[str] = []
    failed: list[str] = []
    for bench in benches:
        print(f"\n### {bench.name}", flush=True)
        cmd = [sys.executable, str(bench)] + (["--quick"] if args.quick else [])
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.startswith("RESULT"):
                results.append(f"{bench.stem}: {line.strip()[7:]}")
        if proc.wait() != 0:
            failed.append(bench.name)
        print(f"({bench.name}: {time.perf_counter() - t0:.0f} s)", flush=True)
    print("\n### summary")
    for line in results:
        print(line)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
