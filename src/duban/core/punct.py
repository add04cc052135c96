"""Punctuation between translated pieces: Chinese marks in Chinese, English ones in English.

A label and a value joined by "：", a figure followed by "（…）": written into a template
or an f-string, the mark stayed full-width on English pages ("Status：open").
"""

from __future__ import annotations

from django.utils.translation import get_language

ENGLISH = {"：": ": ", "（": " (", "）": ")", "，": ", ", "；": "; ", "、": ", ", "。": ". "}


def punct(mark: str) -> str:
    """`mark` as the active language writes it."""
    if (get_language() or "").startswith("zh"):
        return mark
    return "".join(ENGLISH.get(ch, ch) for ch in mark)
