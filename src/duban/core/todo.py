"""我的待办 gathered from the apps: each AppConfig may offer `todo(user)` sections (its own
items waiting for this person), so the to-do page lists problems, suggestions and what
comes next without the page's app knowing the others. `waiting_section` builds one from a
workflow table's "waiting for me" query (core.workflow), so what waits is what the table
lets this person do next.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.apps import apps
from django.core.paginator import Paginator

from duban.core.workflow import Table

PER_PAGE = 50  # rows a section shows at once; the rest are a page away (its count is shown)


@dataclass(frozen=True)
class TodoSection:
    title: str
    template: str  # renders `rows` (and `section`) as one card; `section.page` its pager
    rows: Any  # an unsliced queryset: `paged` shows one page of it and counts the whole
    order: int = 50
    key: str = ""  # names the section's page parameter (`<key>_page`)
    page: Any = None  # set by `paged`: the Page shown (count in `page.paginator.count`)
    page_param: str = ""


def sections(user, *, exclude: tuple[str, ...] = ()) -> list[TodoSection]:
    """The contributed sections for `user`, by order; `exclude`: app labels the caller shows itself."""
    found: list[TodoSection] = []
    for config in apps.get_app_configs():
        offer = getattr(config, "todo", None)
        if callable(offer) and config.label not in exclude:
            found.extend(offer(user) or ())
    return sorted(found, key=lambda s: s.order)



def paged(sections: list[TodoSection], params, *, per_page: int = PER_PAGE) -> list[TodoSection]:
    """Each section with one page of its rows: `rows` becomes that page's rows, `page` the
    Page (its paginator counts them all) and `page_param` the query parameter that turns it.
    A province office has tens of thousands of items waiting; the page shows 50 of each kind
    and says how many there are (rendering 200 rows of each took 0.3 s)."""
    out = []
    for i, s in enumerate(sections):
        param = f"{s.key or i}_page"
        number = params.get(param)
        if number in (None, "", "1"):
            # The first page as its rows and one more: most sections fit on it, and then
            # their count is the rows' (no COUNT query); a longer one is counted.
            first = list(s.rows[: per_page + 1])
            paginator = Paginator(first if len(first) <= per_page else s.rows, per_page)
            page = paginator._get_page(first[:per_page], 1, paginator)
        else:
            page = Paginator(s.rows, per_page).get_page(number)
        out.append(replace(s, rows=page.object_list, page=page, page_param=param))
    return out


def waiting_section(title: str, template: str, *, table: Table, user, queryset, sides=None, order: int = 50,
                    key: str = "") -> TodoSection | None:
    """A section of the objects in `queryset` (scoped to the user, in the order to show)
    that wait on one of the user's sides in `table` (all sides, or those named); None when
    the user is on none of those sides (nothing could ever wait on them there)."""
    if not any(table.sides[name].waiting and table.sides[name].waiting(user) is not None for name in (sides or table.sides)):
        return None
    return TodoSection(title, template, table.waiting(user, queryset, sides=sides), order=order, key=key)
