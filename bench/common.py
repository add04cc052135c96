"""Shared helpers for the benchmarks: timing, percentiles and the one result line format.

Every benchmark prints its figure, the floor it is compared with (measured in the same
run, on the same machine) and the ratio, as one line starting with "RESULT".
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))


def setup_django(data_dir: str | None = None) -> None:
    """Configure Django for a bench (a throw-away data dir unless DUBAN_DATA_DIR is set)."""
    import tempfile

    os.environ.setdefault("DUBAN_DATA_DIR", data_dir or tempfile.mkdtemp(prefix="duban-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    import django

    django.setup()


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def p95(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def p95_ms(fn: Callable[[], object], repeat: int) -> float:
    """Call `fn` once to warm up, then `repeat` times; the p95 in milliseconds."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return p95(times) * 1000


def result(name: str, figure: float, unit: str, floor: float, floor_label: str, *, higher_is_better: bool = False, target: str = "") -> str:
    """Print and return the RESULT line: figure, floor, ratio (figure / floor)."""
    ratio = figure / floor if floor else float("inf")
    line = f"RESULT {name}: {figure:.3f} {unit} | floor ({floor_label}): {floor:.3f} {unit} | ratio {ratio:.2f}×"
    if target:
        line += f" | target {target}"
    print(line, flush=True)
    return line


def machine() -> str:
    import platform

    return f"{platform.node() or 'host'}: {os.cpu_count()} cores, Python {platform.python_version()}"
