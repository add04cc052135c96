"""What the product's commands share when they read their arguments: a unit named the
way spreadsheets name it, a date typed the way offices type it, a list split on 、，,."""

from __future__ import annotations

import datetime as dt
import re

from django.core.management.base import CommandError

from duban.core.dates import DateParseError, parse_date

LIST_SEPARATORS = re.compile(r"[、，,；;]")


def split_list(text: str | None) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(text or "") if part.strip()]


def date_arg(text: str | None, what: str) -> dt.date | None:
    try:
        return parse_date(text) if text else None
    except DateParseError as exc:
        raise CommandError(f"{what}“{text}”不是日期（可写 2026-03-31、2026/3/31 或 2026年3月31日）") from exc
