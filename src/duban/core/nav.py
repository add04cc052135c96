"""The main menu, contributed by the apps: each AppConfig may list `nav` entries, and a
person sees an entry only when the rule that guards its page lets them in (the same
predicate the view checks), so the menu never offers a page that answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from django.apps import apps
from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    order: int
    # (user, campaign) → may this person open the page? None: everyone signed in.
    allowed: Callable | None = None
    # URL names that light this entry up (its own by default).
    active_for: tuple[str, ...] = field(default_factory=tuple)


@lru_cache(maxsize=1)
def _items() -> tuple[NavItem, ...]:
    found: list[NavItem] = []
    for config in apps.get_app_configs():
        entries = getattr(config, "nav", None)
        if callable(entries):
            entries = entries()
        found.extend(entries or ())
    return tuple(sorted(found, key=lambda item: item.order))


def menu(user, campaign, current: str) -> list[dict]:
    """[{url, label, on}] for `user`; `current` is the page's "namespace:name"."""
    out = []
    for item in _items():
        if item.allowed is not None and not item.allowed(user, campaign):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"url": url, "label": str(item.label), "on": False, "item": item})
    # One entry lights up: the page's own entry, else the one whose section it is in — the
    # most specific section when two hold the page ("plan:map" before "plan:").
    exact = [e for e in out if e["item"].url_name == current]

    def depth(e) -> int:
        return max((len(p) for p in e["item"].active_for if current.startswith(p)), default=0)

    sections = sorted((e for e in out if depth(e)), key=depth, reverse=True)
    lit = exact or sections[:1]
    for e in lit[:1]:
        e["on"] = True
    return out
