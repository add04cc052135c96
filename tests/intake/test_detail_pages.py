"""Issue 8 item 5: the suggestion page must open for every item a user can see.

The demo, imports and the command line reply as a system actor ("演示数据", "命令行"), so
the reply has no recorded author; the page answered 500 for every such item.
"""

from __future__ import annotations

import pytest

from duban.core.actors import SystemActor
from duban.intake import services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["liaison_a", "office", "leader"])
@pytest.mark.parametrize("rate", [False, True])
def test_reply_without_author_opens_for_everyone(users, tree, client_for, make_suggestion, who, rate):
    s = make_suggestion(unit=tree["town_a"])
    services.suggestion_reply(actor=SystemActor("演示数据"), skip_checks=True, suggestion=s, text="经核实，路灯已于本周更换完毕，恢复照明。")
    if rate:
        services.suggestion_rate(suggestion=s, rating="satisfied")  # closed, as most demo items are
    r = client_for(users[who]).get(f"/intake/{s.pk}/")
    assert r.status_code == 200
    assert "路灯已于本周更换完毕" in r.content.decode()


def test_reply_author_shown_when_known(users, tree, client_for, make_suggestion):
    users["liaison_a"].first_name = "李四"
    users["liaison_a"].save()
    s = make_suggestion(unit=tree["town_a"])
    services.suggestion_reply(actor=users["liaison_a"], suggestion=s, text="经核实，路灯已于本周更换完毕，恢复照明。")
    page = client_for(users["office"]).get(f"/intake/{s.pk}/").content.decode()
    assert "李四" in page


def test_no_link_to_a_problem_the_user_cannot_open(users, tree, campaign, client_for, make_suggestion):
    """A liaison sees the suggestion but not the problem it joined: no dead link (404) on the page."""
    from duban.intake import ledger_link
    from duban.ledger.services import problem_create, problem_update

    problem = problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="一村路灯损坏", unit=tree["village_a1"], kind="long_term")
    s = make_suggestion(unit=tree["town_a"])
    ledger_link.join_problem(actor=SystemActor("测试"), skip_checks=True, suggestion=s, problem_id=problem.pk)
    problem_update(actor=SystemActor("测试"), skip_checks=True, problem=problem, unit=tree["town_b"])  # the problem moved to another town
    c = client_for(users["liaison_a"])
    page = c.get(f"/intake/{s.pk}/").content.decode()
    assert f'href="/ledger/{problem.pk}/"' not in page
    assert c.get(f"/ledger/{problem.pk}/").status_code == 404
    assert f'href="/ledger/{problem.pk}/"' in client_for(users["office"]).get(f"/intake/{s.pk}/").content.decode()


def test_liaison_is_not_offered_the_hot_issues_button(users, client_for, campaign):
    button = 'class="btn secondary" href="/triage/hot/"'
    c = client_for(users["liaison_a"])
    assert button not in c.get("/intake/").content.decode()
    assert c.get("/triage/hot/").status_code == 403
    assert button in client_for(users["leader"]).get("/intake/").content.decode()


@pytest.mark.parametrize("data", [{"unit": "abc"}, {"focus_area": "abc"}, {"unit": "999999"}, {"focus_area": "999999"}])
def test_to_problem_with_bad_input_is_refused_not_500(users, client_for, tree, make_suggestion, data):
    from duban.ledger.models import Problem

    s = make_suggestion(unit=tree["town_a"])
    r = client_for(users["office"]).post(f"/intake/{s.pk}/to-problem/", data, follow=True)
    assert r.status_code == 200
    assert "本活动" in r.content.decode()
    assert not Problem.objects.exists()
    s.refresh_from_db()
    assert s.problem_id is None


def test_bad_forms_answer_400(users, client_for, campaign):
    office = client_for(users["office"])
    assert office.post("/intake/new/", {"channel": "bogus", "body": ""}).status_code == 400
    assert office.post("/ledger/new/", {"description": "x", "unit": "洮北区", "deadline": "下个月吧"}).status_code == 400
