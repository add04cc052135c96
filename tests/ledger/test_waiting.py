"""The ledger's "waiting for me" from its table on the engine: the same problems 我的待办
lists (a unit's open work; the office's reviews and extension requests)."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.ledger import queries, services, workflow

pytestmark = pytest.mark.django_db


def test_waiting_query_matches_my_items(users, make_problem, tree, png):
    a, office = users["liaison_a"], users["office"]
    pending = make_problem(tree["village_a1"], description="一村垃圾清运不及时")
    submitted = services.problem_submit(actor=a, problem=services.problem_claim(actor=a, problem=make_problem(tree["village_a2"])),
                                        files=[("x.png", png)])
    extending = services.problem_claim(actor=a, problem=make_problem(tree["village_a1"], description="一村道路破损"))
    extending = services.problem_request_extension(actor=a, problem=extending, until=dt.date.today() + dt.timedelta(days=90), reason="雨季")
    signed = services.problem_sign_off(actor=office, problem=services.problem_submit(
        actor=a, problem=services.problem_claim(actor=a, problem=make_problem(tree["village_a1"], description="一村路灯")), files=[("y.png", png)]))
    other = make_problem(tree["village_b1"], description="三村管网老化")
    for user in (a, office, users["liaison_b"], users["leader"]):
        items = queries.my_items(user)
        expected = set(items["todo"]) | set(items["review"])
        assert set(workflow.waiting(user, queries.visible_problems(user))) == expected, user.username
    assert set(workflow.waiting(a, queries.visible_problems(a))) == {pending, extending}
    assert {submitted, extending} <= set(workflow.waiting(office, queries.visible_problems(office)))
    assert signed not in set(workflow.waiting(office)) and other in set(workflow.waiting(users["liaison_b"]))
