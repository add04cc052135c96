"""Which Excel ledgers `duban import` / `duban export` know: DESIGN §5 names the kinds; each
app declares the ones it provides (``LedgerIO`` on its AppConfig, with its column layout)."""

from __future__ import annotations

from collections.abc import Callable

from duban.core.contributions import LedgerIO, contributions, resolve

# The kinds of DESIGN §5, provided or still to come (a kind no app declares yet is refused
# plainly, "尚未提供", rather than as an unknown word).
KINDS = ("units", "problems", "tasks", "projects", "suggestions", "activities", "publicity")


def kinds() -> list[str]:
    """What the commands accept: the contract's kinds and any other an app declares."""
    return sorted(set(KINDS) | {d.kind for d in contributions("ledgers")})


def declared(kind: str) -> LedgerIO | None:
    return next((d for d in contributions("ledgers") if d.kind == kind), None)


def importer(kind: str) -> Callable | None:
    """The declared importer of ``kind``; None while no installed app provides one."""
    d = declared(kind)
    return resolve(d.importer) if d is not None and d.importer else None


def exporter(kind: str) -> Callable | None:
    d = declared(kind)
    return resolve(d.exporter) if d is not None and d.exporter else None
