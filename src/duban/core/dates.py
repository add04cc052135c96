"""Dates as offices type them in Excel, and "today" in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

_PATTERNS = [
    re.compile(r"^\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*(?:[ T].*)?$"),
    re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?\s*(?:.*)?$"),
    re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$"),
]
_MONTH_ONLY = [
    re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(?:底|末)?\s*$"),
    re.compile(r"^\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*$"),
]
EXCEL_EPOCH = dt.date(1899, 12, 30)


class DateParseError(ValueError):
    pass


def today() -> dt.date:
    """Today's date in the configured zone (Asia/Shanghai), not the server's."""
    return timezone.localdate()


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def parse_date(value: object) -> dt.date | None:
    """Read a date the ways offices type it; None for an empty cell; DateParseError otherwise.

    Accepts 2022-03-31, 2022/3/31, 2022年3月31日, 2022.3.31, 20220331, Excel date cells and
    Excel serial numbers; "2022年3月" or "2022年3月底" mean the month's last day.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 <= value <= 80000:  # an Excel serial between 1954 and 2119
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise DateParseError(f"无法识别的日期“{value}”")
    text = str(value).strip()
    if not text:
        return None
    for pattern in _PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo, d = (int(x) for x in m.groups()[:3])
            try:
                return dt.date(y, mo, d)
            except ValueError as exc:
                raise DateParseError(f"日期不存在“{text}”") from exc
    for pattern in _MONTH_ONLY:
        m = pattern.match(text)
        if m:
            y, mo = int(m.group(1)), int(m.group(2))
            if 1 <= mo <= 12:
                return _month_end(y, mo)
    raise DateParseError(f"无法识别的日期“{text}”，请写成 2022-03-31、2022/3/31 或 2022年3月31日")
