"""Issue 8 items 20a and 20b.

20a: a sign-off by the wrong side is forbidden (403, as documented), not an illegal
transition (409) — page and API. 20b: a signed-off problem is closed for its unit: the
liaison can no longer change measures or add notes (page, API, service).
"""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied

from duban.ledger import services, workflow
from duban.ledger.models import Problem, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(users, problem_a, png):
    a = users["liaison_a"]
    return services.problem_submit(actor=a, problem=services.problem_claim(actor=a, problem=problem_a), files=[("x.png", png)])


@pytest.fixture
def signed_off(users, submitted):
    return services.problem_sign_off(actor=users["office"], problem=submitted)


def test_wrong_side_sign_off_is_403_in_the_api(users, client_for, submitted):
    r = client_for(users["liaison_a"]).post(f"/api/problems/{submitted.pk}/transitions/sign_off", data="{}", content_type="application/json")
    assert r.status_code == 403 and "督办单位" in r.json()["detail"]
    assert Problem.objects.get(pk=submitted.pk).status == Status.SUBMITTED


def test_wrong_side_sign_off_is_403_on_the_page(users, client_for, submitted):
    r = client_for(users["liaison_a"]).post(f"/ledger/{submitted.pk}/transition/sign_off/")
    assert r.status_code == 403
    assert "只有督办单位" in r.content.decode()  # the reason, in Chinese, on the problem's page
    assert Problem.objects.get(pk=submitted.pk).status == Status.SUBMITTED


def test_illegal_transition_stays_409(users, client_for, problem_a):
    r = client_for(users["office"]).post(f"/api/problems/{problem_a.pk}/transitions/sign_off", data="{}", content_type="application/json")
    assert r.status_code == 409


def test_service_raises_forbidden_for_the_wrong_side(users, submitted):
    with pytest.raises(workflow.TransitionForbidden):
        services.problem_sign_off(actor=users["liaison_a"], problem=submitted)
    with pytest.raises(workflow.TransitionError):  # still a TransitionError for existing callers
        services.problem_sign_off(actor=users["liaison_a"], problem=submitted)


def test_liaison_cannot_change_a_signed_off_problem(users, client_for, signed_off):
    a, pk = users["liaison_a"], signed_off.pk
    with pytest.raises(PermissionDenied, match="已销号"):
        services.problem_update(actor=a, problem=signed_off, measures="再补一条")
    with pytest.raises(PermissionDenied, match="已销号"):
        services.problem_note(actor=a, problem=signed_off, note="补充说明")
    c = client_for(a)
    r = c.patch(f"/api/problems/{pk}", data=json.dumps({"measures": "再补一条"}), content_type="application/json")
    assert r.status_code == 403 and "已销号" in r.json()["detail"]
    r = c.post(f"/api/problems/{pk}/notes", data=json.dumps({"note": "补充说明"}), content_type="application/json")
    assert r.status_code == 403 and "已销号" in r.json()["detail"]
    r = c.post(f"/ledger/{pk}/note/", {"note": "补充说明"})
    assert r.status_code == 403 and "已销号" in r.content.decode()
    r = c.post(f"/ledger/{pk}/edit/", {"owner": "张三", "measures": "再补一条"}, follow=True)
    assert "已销号" in r.content.decode()
    assert f'href="/ledger/{pk}/edit/"' not in r.content.decode()  # no edit link offered
    p = Problem.objects.get(pk=pk)
    assert p.measures == signed_off.measures and p.owner == signed_off.owner and p.progress == signed_off.progress


def test_supervisor_still_corrects_a_signed_off_problem(users, signed_off):
    p = services.problem_update(actor=users["office"], problem=signed_off, measures="经回访补充：长效机制")
    assert p.measures == "经回访补充：长效机制"
    services.problem_note(actor=users["office"], problem=p, note="回访群众满意")
    assert Problem.objects.get(pk=p.pk).progress == "回访群众满意"
