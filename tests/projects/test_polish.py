"""What the walk through the projects pages as their users turned up (issue 12's polish):
the list's export of its own filter, English labels for stages and moves."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def _who(users, name):
    c = Client()
    c.force_login(users[name])
    return c


def _cells(body: bytes) -> list[list]:
    import python_calamine

    return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()


def test_the_list_offers_the_leader_an_export_of_its_current_filter(users, projects):
    c = _who(users, "leader")
    page = c.get(reverse("projects:list") + "?industry=化工&light=red_yellow").content.decode()
    href = html.unescape(re.search(r'href="(/projects/export\.xlsx\?[^"]*)"', page).group(1))
    assert "industry=" in href and "light=red_yellow" in href
    r = c.get(href)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    names = {row[1] for row in _cells(b"".join(r.streaming_content) if r.streaming else r.content)[1:]}
    # the filter is kept: only the 化工 project, not 河道治理 (水利) nor 村部改造
    assert "河道治理工程" not in names and "村部改造" not in names


def test_stage_moves_read_as_verbs_and_stages_as_states_in_english(users, projects):
    from duban.projects.models import Stage
    from duban.projects.workflow import TRANSITIONS

    with translation.override("en"):
        assert str(Stage.SIGNED.label) == "Signed" and str(TRANSITIONS["sign"].label) == "Sign"
        assert str(Stage.STARTED.label) == "Started" and str(TRANSITIONS["start"].label) == "Start works"
    with translation.override("zh-hans"):
        assert str(TRANSITIONS["start"].label) == "开工" == str(Stage.STARTED.label)


def test_a_blocker_links_to_the_ledger_only_for_those_who_may_open_the_problem(users, projects, tree):
    """The town's 项目秘书 names a bureau to solve a blocker: the bureau's problem is not the
    town's to read, so the project page shows its words and number, not a link that answers 404
    (the crawl found it)."""
    import datetime as dt

    from duban.projects import services
    from tests.projects.conftest import TESTER

    p = projects["ethanol"]
    b = services.blocker_add(actor=TESTER, skip_checks=True, project=p, new=services.NewBlocker(
        kind="power", description="专线供电未接入", unit=tree["dept"], deadline=dt.date.today() + dt.timedelta(days=10)))
    link = reverse("ledger:problem_detail", args=[b.problem_id])
    town = _who(users, "liaison_a")
    page = town.get(reverse("projects:project", args=[p.pk])).content.decode()
    assert "专线供电未接入" in page and f'href="{link}"' not in page and f"台账第{b.problem.seq}号" in page
    assert town.get(link).status_code == 404
    office = _who(users, "office")
    assert f'href="{link}"' in office.get(reverse("projects:project", args=[p.pk])).content.decode()
    assert office.get(link).status_code == 200


def test_a_too_long_record_says_how_long_in_words_a_person_reads(users, projects):
    """Django's Chinese max_length message speaks of "该变量" (the variable): ours counts 字."""
    r = _who(users, "liaison_a").post(reverse("projects:record", args=[projects["ethanol"].pk]),
                                      {"progress": "10", "progress_note": "长" * 5001, "b-TOTAL_FORMS": "0", "b-INITIAL_FORMS": "0"})
    page = r.content.decode()
    assert r.status_code == 400 and "不能超过5000字（现有5001字）" in page and "该变量" not in page
