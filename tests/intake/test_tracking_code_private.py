"""Issue 8 item 7: the tracking code is the submitter's only key to rating the reply, so no
member of staff ever reads it — not on pages, in the API, exports, a ledger problem's extra
columns or the audit trail. (The hotline operator gets it once, to read back to the caller.)
"""

from __future__ import annotations

import pytest
from django.test import Client

from duban.core.actors import SystemActor
from tests.intake.staff_outputs import staff_outputs, staff_urls

pytestmark = pytest.mark.django_db


def _forms(code: str) -> list[str]:
    return [code, "-".join(code[i : i + 4] for i in range(0, 12, 4))]


def _leaks(text: str, code: str) -> bool:
    up = text.upper()
    return any(f in up for f in _forms(code))


@pytest.fixture
def handled(users, tree, campaign, client_for):
    """A citizen's item: routed to 平安镇, answered by its liaison, made a ledger problem, in a hot-issue run."""
    citizen = Client()
    r = citizen.post("/api/public/suggestions", {"kind": "issue", "title": "一村路灯不亮", "body": "平安镇一村主路的路灯坏了两个月，晚上很黑。",
                                                 "contact_name": "李四", "contact_phone": "13900001111"}, content_type="application/json")
    assert r.status_code == 201
    code = r.json()["tracking_code"]
    from duban.intake.models import Suggestion

    s = Suggestion.objects.get(tracking_code=code)
    office, liaison = client_for(users["office"]), client_for(users["liaison_a"])
    posts = [
        office.post(f"/api/suggestions/{s.pk}/route", {"unit_id": tree["town_a"].pk}, content_type="application/json"),
        liaison.post(f"/api/suggestions/{s.pk}/reply", {"text": "经核实，一村主路路灯已更换，恢复照明。"}, content_type="application/json"),
        office.post(f"/api/suggestions/{s.pk}/to-problem", {"unit_id": tree["village_a1"].pk, "deadline": "2030-06-30"},
                    content_type="application/json"),
    ]
    assert [p.status_code for p in posts] == [200, 200, 201]
    assert office.post("/triage/hot/run/").status_code == 302
    s.refresh_from_db()
    return {"code": code, "suggestion": s, "posts": posts}


def test_the_code_works_for_the_citizen(handled):
    page = Client().get(f"/s/t/{handled['code']}/").content.decode()
    assert "路灯已更换" in page


@pytest.mark.parametrize("who", ["office", "leader", "liaison_a"])
def test_no_staff_output_shows_the_tracking_code(users, tree, client_for, handled, who):
    s, code = handled["suggestion"], handled["code"]
    urls = staff_urls(suggestion_id=s.pk, problem_id=s.problem_id, unit_ids=(tree["town_a"].pk, tree["village_a1"].pk))
    outputs = staff_outputs(client_for(users[who]), urls)
    # the item itself is there to read …
    assert "一村路灯不亮" in outputs[f"/intake/{s.pk}/"] and "一村路灯不亮" in outputs["/intake/export/?status="]
    assert f"/ledger/{s.pk}/" in outputs or f"/ledger/{s.problem_id}/" in outputs
    # … but not its code
    leaked = [url for url, text in outputs.items() if _leaks(text, code)]
    assert leaked == []
    for r in handled["posts"]:
        assert not _leaks(r.content.decode(), code)


def test_problem_made_from_a_suggestion_keeps_only_its_id(handled):
    from duban.ledger.models import Problem

    p = Problem.objects.get(pk=handled["suggestion"].problem_id)
    assert p.extra == {"意见建议编号": handled["suggestion"].pk}


def test_hotline_operator_gets_the_code_once(users, client_for, campaign):
    c = client_for(users["liaison_a"])
    r = c.post("/api/suggestions", {"body": "村民来电反映灌溉水渠堵塞。", "channel": "hotline"}, content_type="application/json")
    assert r.status_code == 201
    code = r.json()["tracking_code"]
    assert len(code) == 12
    again = c.get(f"/api/suggestions/{r.json()['id']}")
    assert again.status_code == 200 and "tracking_code" not in again.json() and not _leaks(again.content.decode(), code)


def test_migration_removes_codes_already_copied_into_problems(make_suggestion, campaign, tree):
    """Problems made before the fix carry the code in their extra columns; the data migration drops it."""
    import importlib

    from django.apps import apps

    from duban.ledger.models import Problem
    from duban.ledger.services import problem_create

    s = make_suggestion(unit=tree["town_a"])
    p = problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="一村路灯", unit=tree["village_a1"], kind="long_term",
                       extra={"意见建议查询码": s.tracking_code, "意见建议编号": s.pk, "备注": "保留"})
    untouched = problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="二村", unit=tree["village_a2"], kind="long_term", extra={"备注": "x"})
    migration = importlib.import_module("duban.intake.migrations.0002_drop_tracking_codes_from_problem_extra")
    migration.forwards(apps, None)
    assert Problem.objects.get(pk=p.pk).extra == {"意见建议编号": s.pk, "备注": "保留"}
    assert Problem.objects.get(pk=untouched.pk).extra == {"备注": "x"}
