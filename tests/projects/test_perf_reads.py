"""The project lists at scale (issue 12 item 9): exact query counts of the board, the red
list, the library and a project's page that do not grow with the projects; the board's
columns as the per-stage order says; the cached figures exact after each kind of write."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from duban.projects import queries, services
from duban.projects.models import STAGE_ORDER, Project, Stage
from tests.projects.conftest import TESTER, make_project

pytestmark = pytest.mark.django_db

# Queries of the second of two GETs (the first fills the session and the caches), as the
# office and as 平安镇's liaison (the 项目秘书 of 乙醇), at 4 projects and after 12 more.
COUNTS = {
    "projects:board": (20, 19),  # 5 columns (one LIMIT query each) + their blockers + the stage counts
    "projects:warnings": (12, 11),
    "projects:list": (17, 16),
    "projects:project": (17, 16),
}


def _count(client: Client, url: str) -> int:
    assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as seen:
        assert client.get(url).status_code == 200, url
    return len(seen)


def _counts(users, projects) -> dict[str, tuple[int, int]]:
    out = {}
    for name in COUNTS:
        url = reverse(name, args=[projects["ethanol"].pk]) if name == "projects:project" else reverse(name)
        row = []
        for who in ("office", "liaison_a"):
            c = Client()
            c.force_login(users[who])
            row.append(_count(c, url))
        out[name] = tuple(row)
    return out


def test_query_counts_are_exact_and_do_not_grow_with_the_projects(users, projects, campaign, tree):
    today = dt.date.today()
    # Each user has a red project before the count (an empty page skips its blocker count).
    make_project(campaign, "平安镇滞后项目", tree["town_a"], total_wan="900", planned_start=dt.date(today.year - 1, 1, 10))
    services.projects_refresh(campaign=campaign)
    small = _counts(users, projects)
    for i in range(12):
        unit = tree["town_a"] if i % 2 else tree["town_b"]
        make_project(campaign, f"扩容项目{i}", unit, total_wan=str(100 + i), stage=STAGE_ORDER[i % 4],
                     planned_start=today - dt.timedelta(days=100), industry="水利" if i % 3 else "化工")
    services.projects_refresh(campaign=campaign)
    large = _counts(users, projects)
    print("COUNTS", large)
    assert large == small, "a page's query count grows with its projects (N+1)"
    assert large == COUNTS


def test_board_columns_are_each_stages_first_cards_largest_first(users, projects, campaign, tree):
    for i in range(7):
        make_project(campaign, f"同额项目{i}", tree["town_a"], total_wan="500")  # ties: by id
    qs = queries.filtered(users["office"], campaign, queries.Filters())
    cols = queries.board_columns(qs, 4)
    assert list(cols) == list(STAGE_ORDER)
    for stage, cards in cols.items():
        want = list(qs.filter(stage=stage).order_by("-total_wan", "id").values_list("pk", flat=True)[:4])
        assert [p.pk for p in cards] == want
        assert all(p.n_open_blockers == 0 for p in cards)
    assert [p.name for p in cols[Stage.PLANNING]] == ["河道治理工程", "同额项目0", "同额项目1", "同额项目2"]


def test_cached_figures_follow_every_write(users, projects, campaign, tree, django_capture_on_commit_callbacks):
    office, liaison = users["office"], users["liaison_a"]

    def fresh(user):
        return queries._figures_now(user, campaign, dt.date.today())

    first = queries.figures(user=office, campaign=campaign)
    assert first == fresh(office) and first["total"] == 3
    assert queries.figures(user=liaison, campaign=campaign) == fresh(liaison)
    with django_capture_on_commit_callbacks(execute=True):
        make_project(campaign, "新登记项目", tree["town_a"], total_wan="800")
    assert queries.figures(user=office, campaign=campaign)["total"] == 4
    assert queries.figures(user=liaison, campaign=campaign) == fresh(liaison)
    p = Project.objects.get(name="村部改造")
    with django_capture_on_commit_callbacks(execute=True):
        services.project_delete(actor=TESTER, skip_checks=True, project=p)
    after = queries.figures(user=office, campaign=campaign)
    assert after == fresh(office) and after["total"] == 3
    # The light refresh is not audited: it bumps the version itself.
    Project.objects.filter(pk=projects["river"].pk).update(light="green", light_reason="")
    from duban.core import figcache

    figcache.bump()
    before = queries.figures(user=office, campaign=campaign)
    assert before["red"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.projects_refresh(campaign=campaign) >= 1
    assert queries.figures(user=office, campaign=campaign) == fresh(office)
    assert queries.figures(user=office, campaign=campaign)["red"] == 1
