"""我的待办 gathered from the apps: each AppConfig may offer `todo(user)` sections (its own
items waiting for this person), so the to-do page lists problems, suggestions and what
comes next without the page's app knowing the others. `waiting_section` builds one from a
workflow table's "waiting for me" query (core.workflow), so what waits is what the table
lets this person do next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps

from duban.core.workflow import Table


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



def waiting_section(title: str, template: str, *, table: Table, user, queryset, sides=None, order: int = 50,
                    limit: int = 200) -> TodoSection | None:
    """A section of the objects in `queryset` (scoped to the user, in the order to show)
    that wait on one of the user's sides in `table` (all sides, or those named); None when
    the user is on none of those sides (nothing could ever wait on them there)."""
    if not any(table.sides[name].waiting and table.sides[name].waiting(user) is not None for name in (sides or table.sides)):
        return None
    return TodoSection(title, template, table.waiting(user, queryset, sides=sides)[:limit], order=order)
