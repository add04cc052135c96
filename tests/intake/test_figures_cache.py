"""Cached suggestion figures (core.figcache) equal a straight recount after writes; the
reply time is summed in SQL and equals the Python sum it replaced."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from duban.intake import figures, queries, services
from duban.intake.models import Suggestion

pytestmark = pytest.mark.django_db


def python_reply_days(qs) -> float | None:
    """The old way: every replied suggestion's span in Python, negative spans as zero."""
    spans = [max(0.0, (r - s).total_seconds()) for s, r in qs.filter(replied_at__isnull=False).values_list("submitted_at", "replied_at")]
    return round(sum(spans) / len(spans) / 86400, 1) if spans else None


def assert_current(campaign, people):
    for user in people:
        shown = figures.figures(user=user, campaign=campaign)
        assert shown == figures._count(user, campaign), user
        assert figures.brief_figures(user=user, campaign=campaign) == {"total": shown["total"], "clues": shown["clues"]}  # the home page's
        for field in ("channel", "kind", "status"):
            assert queries.counts_by(user, field, campaign=campaign) == queries._counts_by(user, field, campaign, None)


def test_cached_suggestion_figures_follow_writes(campaign, tree, users, make_suggestion):
    people = [None, users["office"], users["liaison_a"], users["liaison_b"]]
    a = make_suggestion(tree["village_a1"])
    b = make_suggestion(tree["village_b1"], channel="hotline")
    assert_current(campaign, people)
    services.suggestion_reply(actor=users["office"], suggestion=a, text="已安排维修，三日内修复。")
    assert_current(campaign, people)
    assert figures.figures(user=None, campaign=campaign)["replied"] == 1
    services.suggestion_close(actor=users["office"], suggestion=b, note="重复")
    make_suggestion(tree["village_a2"], kind="issue")
    assert_current(campaign, people)
    assert figures.figures(user=None, campaign=campaign)["total"] == Suggestion.objects.count() == 3


def test_reply_days_in_sql_equal_the_python_sum(campaign, tree, users, make_suggestion):
    now = timezone.now()
    spans = [dt.timedelta(days=1, hours=3), dt.timedelta(days=6, minutes=7, microseconds=5), dt.timedelta(hours=-5), dt.timedelta(days=12, seconds=1)]
    for i, span in enumerate(spans):
        s = make_suggestion(tree["village_a1"], body=f"第{i}条：村里路灯坏了很久没人修，晚上出行很不方便。")
        Suggestion.objects.filter(pk=s.pk).update(submitted_at=now - dt.timedelta(days=20), replied_at=now - dt.timedelta(days=20) + span)
    make_suggestion(tree["village_b1"])  # not replied: not in the mean (and a write: the figures move on)
    got = figures.figures(user=None, campaign=campaign)
    assert got["replied"] == 4
    assert got["avg_reply_days"] == python_reply_days(Suggestion.objects.all()) == round((1.125 + 6 + 7 / 1440 + 0 + 12) / 4, 1)


def test_figure_pages_queries_are_pinned(campaign, tree, users, make_suggestion, client_for, django_assert_num_queries):
    make_suggestion(tree["village_a1"])
    c = client_for(users["office"])
    # session, user, grants, campaign, top units, one version + value per cached figure, shell,
    # unread messages (notify badge)
    # The inbox also reads the focus areas for its filter; its page count comes from the status
    # tab counts (no COUNT of the items).
    for url, n in {"/intake/channels/": 16, "/intake/": 16}.items():
        assert c.get(url).status_code == 200
        with django_assert_num_queries(n):
            assert c.get(url).status_code == 200
