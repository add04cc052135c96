"""Numbers the Chinese official way: 27万余条, 5.3万余条, 整改率92.4%, 221亿元."""

from __future__ import annotations

import math
from decimal import Decimal

WAN = 10_000
YI = 100_000_000


def _trim(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _floor_to(value: float, decimals: int) -> float:
    factor = 10**decimals
    return math.floor(value * factor + 1e-9) / factor


def cn_count(n: int | float | None, unit: str = "") -> str:
    """A count as a report prints it: 36 → "36", 53412 → "5.3万余", 270123 → "27万余".

    Below ten thousand the exact figure is given; above it the figure is floored to one
    decimal of 万 (or 亿) and "余" marks that there is more.
    """
    if n is None:
        return "—"
    n = int(n)
    if abs(n) < WAN:
        return f"{n}{unit}"
    base, word = (YI, "亿") if abs(n) >= YI else (WAN, "万")
    shown = _floor_to(n / base, 1)
    exact = math.isclose(shown * base, n)
    return f"{_trim(shown, 1)}{word}{'' if exact else '余'}{unit}"


def cn_money_wan(wan: int | float | Decimal | None) -> str:
    """Money held in 万元 as a report prints it: 2210000 → "221亿元", 5000 → "5000万元"."""
    if wan is None:
        return "—"
    wan = float(wan)
    if abs(wan) >= WAN:
        return f"{_trim(round(wan / WAN, 2), 2)}亿元"
    return f"{_trim(round(wan, 2), 2)}万元"


def en_money_wan(wan: int | float | Decimal | None) -> str:
    """The same money for the English UI: 2210000 万元 → "¥22.1 billion"."""
    if wan is None:
        return "—"
    yuan = float(wan) * WAN
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if abs(yuan) >= size:
            return f"¥{_trim(round(yuan / size, 2), 2)} {word}"
    return f"¥{yuan:,.0f}"


def cn_percent(rate: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.924 → "92.4%"."""
    if rate is None:
        return "—"
    return f"{_trim(round(rate * 100, decimals), decimals)}%"


def ratio(part: int | float, whole: int | float) -> float:
    """part / whole, 0.0 when there is no whole (an empty ledger has a rate of 0, not an error)."""
    return float(part) / float(whole) if whole else 0.0
