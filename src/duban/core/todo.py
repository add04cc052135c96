"""我的待办 gathered from the apps: each AppConfig may offer `todo(user)` sections (its own
items waiting for this person), so the to-do page lists problems, suggestions and what
comes next without the page's app knowing the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class TodoSection:
    title: str
    template: str  # renders `rows` (and `section`) as one card
    rows: Any
    order: int = 50


def sections(user, *, exclude: tuple[str, ...] = ()) -> list[TodoSection]:
    """The contributed sections for `user`, by order; `exclude`: app labels the caller shows itself."""
    found: list[TodoSection] = []
    for config in apps.get_app_configs():
        offer = getattr(config, "todo", None)
        if callable(offer) and config.label not in exclude:
            found.extend(offer(user) or ())
    return sorted(found, key=lambda s: s.order)
