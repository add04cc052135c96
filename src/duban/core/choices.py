"""Reading a choice from what an office typed in a spreadsheet cell."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

C = TypeVar("C", bound=Enum)


def choice_from_label(choices: type[C], text: str | None, aliases: Mapping[str, C] | None = None) -> C | None:
    """The member whose value or label is `text`, else the one `aliases` maps it to, else None."""
    text = (text or "").strip()
    for choice in choices:
        if text in (choice.value, str(choice.label)):  # type: ignore[attr-defined]
            return choice
    return (aliases or {}).get(text)
