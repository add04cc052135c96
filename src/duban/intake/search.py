"""The inbox's text search: the bigram index of core/textsearch.py over a suggestion's
title, body and place (`intake_suggestion.search_terms`, migration 0010)."""

from __future__ import annotations

from django.db.models import Q

from duban.core.textsearch import TextIndex, query_words

INDEX = TextIndex(table="intake_suggestion", name="intake_suggestion", unigrams=True)


def text_condition(q: str) -> Q:
    """Rows whose title, body or place hold every word of `q`."""
    from duban.intake.models import Suggestion

    words = query_words(q)
    if words:
        return INDEX.q_object(words, Suggestion.SEARCHED)
    either = Q(pk__in=[])  # no word (punctuation only): a plain substring match, rare
    for f in Suggestion.SEARCHED:
        either |= Q(**{f"{f}__icontains": q})
    return either
