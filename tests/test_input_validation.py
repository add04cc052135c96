"""Bad input is a clear 4xx (never a 500) and writes nothing, on pages and in the API.

The examples of issue 8 one by one; tests/test_hostile_input.py covers every page and
operation with the same hostile values. Run on SQLite and PostgreSQL: PostgreSQL refuses
NUL in text and integers beyond bigint, SQLite overflows on them and stores over-long text.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from duban.core.actors import SystemActor

HUGE = "99999999999999999999"


# ------------------------------------------------------------------------- the helpers


@pytest.mark.parametrize("raw, expected", [("12", 12), (" 7 ", 7), ("", None), (None, None), (9, 9), (str(2**63 - 1), 2**63 - 1)])
def test_parse_id_accepts_possible_keys(raw, expected):
    from duban.core import validation

    assert validation.parse_id(raw) == expected


@pytest.mark.parametrize("raw", [HUGE, str(2**63), "0", "-1", "²", "１２", "1e3", "abc", "1.5", 0, -3, 2**63])
def test_parse_id_refuses_the_rest_in_chinese(raw):
    from duban.core import validation

    with pytest.raises(ValueError, match="整数编号"):
        validation.parse_id(raw)
    assert validation.id_or_none(raw) is None


def test_text_helpers():
    from duban.core import validation

    assert validation.strip_nul("a\x00b\x00") == "ab"
    assert validation.text_param({"q": " 营商\x00环境" + "长" * 500}, "q") == "营商环境" + "长" * 96
    assert validation.date_or_none("2024-02-29") == dt.date(2024, 2, 29)
    assert validation.date_or_none("2024-02-30") is None and validation.date_or_none("\x00") is None


def test_ledger_filter_reports_out_of_range_ids_and_impossible_dates():
    from duban.ledger.queries import ProblemFilter

    f, errors = ProblemFilter.from_params({"campaign": HUGE, "area": "-1", "unit": "²", "deadline_from": "2024-02-30", "q": "路\x00灯"})
    assert (f.campaign, f.area, f.unit, f.deadline_from) == (None, None, None, None)
    assert f.q == "路灯"
    assert len(errors) == 4 and "有效的编号" in errors[0] and "日期不存在" in errors[3]


# -------------------------------------------------------------------------------- API


@pytest.fixture
def office(users):
    c = Client()
    c.force_login(users["office"])
    return c


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    f"/api/problems?campaign={HUGE}", f"/api/problems?area={HUGE}",
    f"/api/units?parent_id={HUGE}", f"/api/units?limit={HUGE}", f"/api/units?offset={HUGE}", f"/api/suggestions?offset={HUGE}",
    f"/api/problems/{HUGE}", "/api/problems/0", f"/api/problems/rates?campaign={HUGE}", "/api/problems?deadline_from=2024-02-30",
])
def test_api_out_of_range_is_422_in_chinese(office, campaign, url):
    r = office.get(url)
    assert r.status_code == 422, (url, r.status_code)
    detail = r.json()["detail"]
    assert any(word in detail for word in ("不能大于", "不能小于", "日期不存在")), detail


@pytest.mark.django_db
def test_api_problem_paging_beyond_range_is_clamped(office, campaign, tree):
    from duban.ledger.services import problem_create

    problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="村口路灯不亮", unit=tree["village_a1"], deadline=dt.date(2030, 1, 1))
    r = office.get(f"/api/problems?offset={HUGE}")
    assert r.status_code == 200 and r.json() == {"items": [], "count": 1}
    r = office.get(f"/api/problems?limit={HUGE}")
    assert r.status_code == 200 and len(r.json()["items"]) == 1


@pytest.mark.django_db
def test_api_nul_in_search_is_dropped(office, campaign, tree):
    from duban.ledger.services import problem_create

    problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="村口路灯不亮", unit=tree["village_a1"], deadline=dt.date(2030, 1, 1))
    for url in ("/api/problems?q=路%00灯", "/api/suggestions?q=路%00灯", "/api/units?q=平%00安", "/api/suggestions?status=%00"):
        assert office.get(url).status_code == 200, url
    assert office.get("/api/problems?q=路%00灯").json()["count"] == 1


@pytest.mark.django_db
def test_api_overlong_owner_is_refused_and_nothing_is_written(office, campaign, tree):
    from duban.ledger.models import Problem

    body = {"description": "村口路灯不亮", "unit_id": tree["village_a1"].pk, "deadline": "2030-01-01", "owner": "王" * 10_000}
    r = office.post("/api/problems", body, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["detail"] == "输入有误：owner：不能超过 60 个字符"
    assert r.json()["errors"][0]["loc"] == ["body", "payload", "owner"]
    assert not Problem.objects.exists()


@pytest.mark.django_db
def test_api_nul_in_text_is_refused(office, campaign, tree):
    from duban.ledger.models import Problem

    body = {"description": "村口\x00路灯", "unit_id": tree["village_a1"].pk, "deadline": "2030-01-01"}
    r = office.post("/api/problems", body, content_type="application/json")
    assert r.status_code == 422 and "空字符" in r.json()["detail"]
    assert not Problem.objects.exists()


@pytest.mark.django_db
def test_api_impossible_date_in_body_is_422(office, campaign, tree):
    body = {"description": "村口路灯不亮", "unit_id": tree["village_a1"].pk, "deadline": "2024-02-30"}
    r = office.post("/api/problems", body, content_type="application/json")
    assert r.status_code == 422 and "日期无效" in r.json()["detail"]


@pytest.mark.django_db
def test_api_patch_refuses_null_for_required_fields(office, campaign, tree):
    from duban.ledger.services import problem_create

    p = problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="村口路灯不亮", unit=tree["village_a1"], deadline=dt.date(2030, 1, 1))
    for field in ("unit_id", "description", "owner", "kind"):
        r = office.patch(f"/api/problems/{p.pk}", {field: None}, content_type="application/json")
        assert r.status_code == 422, (field, r.content)
    r = office.patch(f"/api/problems/{p.pk}", {"deadline": None, "kind": "long_term"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["deadline"] is None  # null still clears what may be empty


@pytest.mark.django_db
def test_public_api_refuses_nul_and_overlong_text_without_writing(campaign):
    from duban.intake.models import Suggestion

    c = Client()
    for body in ({"body": "路灯\x00坏了"}, {"body": "路灯坏了", "contact_name": "张" * 10_000}, {"body": "路灯坏了", "place_unit_id": int(HUGE)}):
        r = c.post("/api/public/suggestions", body, content_type="application/json")
        assert r.status_code == 422, (body, r.content)
    assert not Suggestion.objects.exists()
    r = c.post("/api/public/suggestions", {"body": "路灯\x00坏了"}, content_type="application/json")
    assert r.json()["detail"] == "输入有误：body：不能包含空字符（\\0），请删除后重试"


@pytest.mark.django_db
def test_malformed_json_is_400_in_chinese(office, campaign):
    r = office.post("/api/problems", "{", content_type="application/json")
    assert r.status_code == 400 and r.json()["detail"] == "请求内容不是有效的 JSON"


# ------------------------------------------------------------------------------ pages


@pytest.mark.django_db
def test_ledger_page_reports_bad_filters_instead_of_500(office, campaign):
    r = office.get(f"/ledger/?campaign={HUGE}&area={HUGE}&deadline_from=2024-02-30&q=%00")
    assert r.status_code == 200
    html = r.content.decode()
    assert "有效的编号" in html and "日期不存在" in html
    assert office.get(f"/ledger/export.xlsx?area={HUGE}").status_code == 200


@pytest.mark.django_db
def test_orgs_page_and_inbox_drop_nul_and_ignore_bad_ids(office, campaign):
    for url in ("/units/?q=平%00安&kind=%00", "/intake/?q=%00&status=%00&channel=%00&kind=%00&unit=²",
                "/intake/export/?q=%00&status=%00", "/audit/?since=2024-02-30&until=2024-02-31&actor=%00&verb=%00"):
        assert office.get(url).status_code == 200, url


@pytest.mark.django_db
def test_public_form_refuses_nul_with_a_clear_message_and_writes_nothing(campaign):
    from duban.intake.models import Suggestion

    r = Client().post("/s/", {"kind": "suggestion", "body": "路灯\x00坏了", "title": "", "place": ""})
    assert r.status_code == 400
    assert "不能包含空字符" in r.content.decode()
    r = Client().post("/s/", {"kind": "suggestion", "body": "路灯坏了", "contact_name": "张" * 10_000})
    assert r.status_code == 400
    assert not Suggestion.objects.exists()
    assert Client().get("/s/?c=²").status_code == 200


@pytest.mark.django_db
def test_problem_form_caps_owner_at_the_model_length(office, campaign, tree):
    from duban.ledger.models import Problem

    data = {"description": "村口路灯不亮", "unit": "一村", "source": "self_check", "kind": "long_term", "owner": "王" * 61}
    r = office.post("/ledger/new/", data)
    assert r.status_code == 400 and "60" in r.content.decode()  # the form again, with the reason
    data["owner"] = "王" * 60
    assert office.post("/ledger/new/", data).status_code == 302
    assert Problem.objects.get().owner == "王" * 60


@pytest.mark.django_db
def test_bulk_assign_refuses_overlong_owner_and_ignores_bad_ids(office, campaign, tree):
    from duban.ledger.models import Problem
    from duban.ledger.services import problem_create

    p = problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="村口路灯不亮", unit=tree["village_a1"], deadline=dt.date(2030, 1, 1))
    r = office.post("/ledger/bulk/", {"action": "assign", "ids": [str(p.pk), HUGE, "²"], "unit": "二村", "owner": "王" * 10_000, "next": "nowhere"})
    assert r.status_code == 302 and r["Location"] == "/ledger/"
    assert Problem.objects.get().owner == ""


@pytest.mark.django_db
def test_bulk_redirects_only_to_local_paths(office, campaign):
    for nxt, expected in (("/ledger/?status=pending", "/ledger/?status=pending"), ("//evil.example/", "/ledger/"), ("https://evil.example/", "/ledger/")):
        r = office.post("/ledger/bulk/", {"action": "assign", "next": nxt})
        assert r.status_code == 302 and r["Location"] == expected, nxt


@pytest.mark.django_db
def test_route_page_ignores_bad_ids_and_refuses_long_label(users, campaign, tree):
    from duban.intake import services as intake

    s = intake.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body="路灯坏了很久没人修。")
    c = Client()
    c.force_login(users["office"])
    r = c.post(f"/triage/route/{s.pk}/", {"unit": HUGE, "focus_area": "²", "label": "长" * 61, "next": "2024-02-30"})
    assert r.status_code == 302 and r["Location"] == f"/intake/{s.pk}/"
    s.refresh_from_db()
    assert s.label == ""
