"""The hooks intake offers the apps that build on it (declared on intake's AppConfig).

Triage answers them today — routing hints, reply checks, the hot-issue page, learning from
each routing — by declaring ``HookImpl``s on its own AppConfig; intake never imports it (the
router builds on intake, never the reverse, DESIGN §4). With no implementation installed
each hook has a neutral answer and intake works alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from duban.core.contributions import hook_targets
from duban.intake.models import Suggestion


def predictions(user, suggestions: Sequence[Suggestion]) -> dict[int, dict[str, list[dict]]]:
    """Routing hints a page shows: {suggestion id: {target: [candidate…]}} (none without a router)."""
    out: dict[int, dict[str, list[dict]]] = {}
    for shown in hook_targets("intake.predictions"):
        for sid, pred in shown(user, suggestions).items():
            out.setdefault(sid, {}).update(pred)
    return out


def reply_flags(suggestion: Suggestion, text: str) -> list[dict]:
    """[{code, message}] a reviewer should look at in a reply (none without a checker)."""
    return [flag for check in hook_targets("intake.reply_flags") for flag in check(suggestion, text)]


def hot_issues_visible(user, campaign) -> bool:
    return any(visible(user, campaign) for visible in hook_targets("intake.hot_issues_visible"))
