"""The home page's panels, as the apps declare them (``HomePanel`` on their AppConfig)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duban.core.contributions import HomePanel, contributions, resolve


@dataclass(frozen=True)
class ShownPanel:
    template: str
    data: dict[str, Any]  # what the panel's `context` added; the template also sees `stats`


def panels(*, user, campaign, figures: dict[str, Any], slot: str) -> list[ShownPanel]:
    """The panels of one slot ("figures" tiles or "cards"), by their declared order."""
    declared: list[HomePanel] = sorted((p for p in contributions("home_panels") if p.slot == slot), key=lambda p: p.order)
    out = []
    for panel in declared:
        extra = resolve(panel.context)(user=user, campaign=campaign, figures=figures) if panel.context else {}
        if extra is None:  # the panel has nothing to show this person
            continue
        out.append(ShownPanel(panel.template, extra))
    return out
