"""The benchmarks are not run by the suite (they take minutes to hours), so a rename in the
product can break them unseen — as when demo names moved to duban.demo.people. This reads
every `from duban… import name` in bench/ and checks the name still exists."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _imports() -> list[tuple[str, int, str, str]]:
    found = []
    for path in sorted(BENCH.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("duban"):
                found += [(path.name, node.lineno, node.module, a.name) for a in node.names if a.name != "*"]
    return found


@pytest.mark.parametrize(("file", "line", "module", "name"), _imports(), ids=lambda v: str(v))
def test_bench_imports_exist(file, line, module, name):
    mod = importlib.import_module(module)
    if hasattr(mod, name):
        return
    importlib.import_module(f"{module}.{name}")  # a submodule ("from duban.demo import orgs")
