"""DESIGN §4's dependency rules, read from the imports (module-level and inside functions).

Dependencies run one way: the doors (URLs, API, CLI, the shell context) → feature apps →
campaigns → orgs → audit → core. `core` imports no app; `orgs` and `audit` know no feature;
the router (triage) builds on intake, never the reverse; the ledger knows neither intake
nor triage. Demo builders may use `duban.demo.context` and `duban.demo.people` (what the
builders share).

What apps contribute to the doors (figures, API routers, importers, demo builders, home
panels, hooks) they declare on their AppConfig (duban.core.contributions), so no door or
lower layer has to import a feature to find it.

`KNOWN` lists the imports that break a rule, each with where it goes: it is empty and stays
so (an entry that no longer occurs fails too, so it is removed when fixed).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "duban"

# app → the apps it may import (besides itself)
DOORS = {"urls", "api", "cli", "context", "wsgi", "asgi", "settings", "config", "stats"}
FEATURES = {"ledger", "intake", "triage", "plan", "projects", "rounds", "bulletins", "dashboard", "notify"}
BASE = {"campaigns", "orgs", "audit", "core", "demo.context"}
MAY_IMPORT: dict[str, set[str]] = {
    "core": set(),
    # the trail records and filters by the owning unit: audit and orgs are one base layer,
    # neither knows a feature (as the platform issue reads DESIGN §4)
    "audit": {"orgs", "core"},
    "orgs": {"audit", "core"},
    "campaigns": {"orgs", "audit", "core"},
    "ledger": BASE,
    # DESIGN §4: "the ledger knows neither intake nor triage — they link to it" (intake/ledger_link.py).
    "intake": BASE | {"ledger"},
    "triage": BASE | {"intake"},
    "plan": BASE | {"ledger"},
    "projects": BASE | {"ledger", "plan"},
    # a round asks about tasks, problems and projects, and chases through the one notification module
    "rounds": BASE | {"ledger", "plan", "projects", "intake", "notify"},
    "bulletins": BASE | FEATURES - {"bulletins", "dashboard"},
    "dashboard": BASE | FEATURES - {"dashboard"},  # home pages: assembles what the features declare
    "notify": {"orgs", "audit", "core"},
    "office": {"orgs", "audit", "core"},  # the office's settings pages over core's calendar and schedules
    "demo": BASE | {"demo"},
}

# (importing file, imported app): why it is still here
KNOWN: dict[tuple[str, str], str] = {}


def _app_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2:
        return "duban"
    if parts[1] == "demo" and len(parts) > 2 and parts[2] in ("context", "people"):
        return "demo.context"  # what every app's demo builder shares: the context, the people
    return parts[1]


def imports() -> list[tuple[str, str, str]]:
    """(file relative to src/duban, its app, the app it imports) for every duban import."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if "migrations" in rel.parts:
            continue
        app = rel.parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("duban."):
                targets = [node.module]
                if node.module == "duban.demo":  # "from duban.demo import context"
                    targets = [f"duban.demo.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("duban.")]
            else:
                continue
            found += [(rel.as_posix(), app, _app_of(t)) for t in targets]
    return found


def broken() -> set[tuple[str, str]]:
    out = set()
    for rel, app, target in imports():
        if app in DOORS or target == app or (app == "demo" and target.startswith("demo")):
            continue
        allowed = MAY_IMPORT.get(app)
        assert allowed is not None, f"{rel}: app “{app}” has no rule in tests/test_dependency_rules.py MAY_IMPORT"
        if target not in allowed:
            out.add((rel, target))
    return out


def test_imports_follow_the_layers():
    new = sorted(broken() - set(KNOWN))
    assert not new, "imports against DESIGN §4's layers:\n" + "\n".join(f"  {f} imports duban.{t}" for f, t in new)


def test_known_exceptions_are_still_real():
    fixed = sorted(set(KNOWN) - broken())
    assert not fixed, f"fixed — remove from KNOWN: {fixed}"
