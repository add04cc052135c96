"""One filter for the inbox page, /api/suggestions and the xlsx export (issue 9 item 11).

For the same parameters the three must return the same items — the export used to drop
the unit and overdue filters — and bad values are refused the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def inbox(users, tree, campaign, make_suggestion):
    """Eight items with known units, channels, statuses, dates and due dates; {title: id}."""
    from duban.campaigns.models import FocusArea
    from duban.intake.models import Status, Suggestion

    area = FocusArea.objects.filter(campaign=campaign).first()
    today = dt.date.today()

    def at(day, hour=10, minute=0):
        return dt.datetime(2024, 3, day, hour, minute, tzinfo=SH)

    spec = [
        # title, unit, channel, status, submitted (Shanghai), due date, body
        ("T1 一村路灯", tree["village_a1"], "web", Status.ASSIGNED, at(1), today - dt.timedelta(days=3), "路灯不亮"),
        ("T2 二村垃圾", tree["village_a2"], "hotline", Status.ASSIGNED, at(2), today + dt.timedelta(days=5), "垃圾清运"),
        ("T3 平安镇供暖", tree["town_a"], "hotline", Status.REPLIED, at(3), today - dt.timedelta(days=3), "供暖温度"),
        ("T4 三村道路", tree["village_b1"], "web", Status.ASSIGNED, at(4), today - dt.timedelta(days=1), "道路破损"),
        ("T5 财政拨款", tree["dept"], "letter", Status.CLOSED, at(5), None, "拨款慢"),
        # 00:30 on 6 March in Beijing is still 5 March in UTC: the day is counted in Shanghai.
        ("T6 待分拣路灯", None, "web", Status.NEW, at(6, 0, 30), today + dt.timedelta(days=9), "路灯"),
        ("T7 夜里提交", None, "box", Status.NEW, at(5, 23, 50), today - dt.timedelta(days=2), "噪音扰民"),
        ("T8 洮河镇", tree["town_b"], "web", Status.REOPENED, at(8), today - dt.timedelta(days=4), "路灯又坏了"),
    ]
    ids = {}
    for title, unit, channel, status, submitted, due, body in spec:
        s = make_suggestion(unit=unit, title=title, channel=channel, body=body, submitted_at=submitted)
        Suggestion.objects.filter(pk=s.pk).update(status=status, due_date=due, focus_area=area if title in ("T1 一村路灯", "T4 三村道路") else None)
        ids[title] = s.pk
    return {"ids": ids, "area": area}


def _page_ids(client, params) -> set[int]:
    r = client.get("/intake/", params)
    assert r.status_code == 200
    return {int(x) for x in re.findall(r'<tr id="s-(\d+)"', r.content.decode())}


def _api_ids(client, params) -> set[int]:
    r = client.get("/api/suggestions", {**params, "limit": 100})
    assert r.status_code == 200, r.content
    return {item["id"] for item in r.json()["items"]}


def _export_titles(client, params) -> set[str]:
    import python_calamine

    r = client.get("/intake/export/", params)
    assert r.status_code == 200
    wb = python_calamine.CalamineWorkbook.from_filelike(BytesIO(b"".join(r.streaming_content)))
    rows = wb.get_sheet_by_index(0).to_python()
    col = rows[0].index("留言主题")
    return {row[col] for row in rows[1:]}


CASES = [
    ({}, None),  # everything (status= given: all statuses)
    ({"unit": "town_a"}, {"T1 一村路灯", "T2 二村垃圾", "T3 平安镇供暖"}),
    ({"unit": "village_a1"}, {"T1 一村路灯"}),
    ({"overdue": "1"}, {"T1 一村路灯", "T4 三村道路", "T7 夜里提交", "T8 洮河镇"}),
    ({"unit": "town_a", "overdue": "1"}, {"T1 一村路灯"}),
    ({"channel": "hotline"}, {"T2 二村垃圾", "T3 平安镇供暖"}),
    ({"status": "new"}, {"T6 待分拣路灯", "T7 夜里提交"}),
    ({"status": "open"}, {"T1 一村路灯", "T2 二村垃圾", "T4 三村道路", "T6 待分拣路灯", "T7 夜里提交", "T8 洮河镇"}),
    ({"submitted_from": "2024-03-03", "submitted_to": "2024-03-05"}, {"T3 平安镇供暖", "T4 三村道路", "T5 财政拨款", "T7 夜里提交"}),
    ({"submitted_from": "2024-03-06"}, {"T6 待分拣路灯", "T8 洮河镇"}),
    ({"submitted_to": "2024年3月1日"}, {"T1 一村路灯"}),
    ({"q": "路灯"}, {"T1 一村路灯", "T6 待分拣路灯", "T8 洮河镇"}),
    ({"q": "路灯", "channel": "web", "overdue": "1"}, {"T1 一村路灯", "T8 洮河镇"}),
    ({"area": "area"}, {"T1 一村路灯", "T4 三村道路"}),
]


@pytest.mark.parametrize(("params", "expected"), CASES, ids=[",".join(p) or "all" for p, _ in CASES])
@pytest.mark.parametrize("who", ["office", "leader"])
def test_page_api_and_export_return_the_same_items(users, tree, campaign, client_for, inbox, params, expected, who):
    ids = inbox["ids"]
    params = dict(params)
    if "unit" in params:
        params["unit"] = tree[params["unit"]].pk
    if "area" in params:
        params["area"] = inbox["area"].pk
    params = {"status": "", "campaign": campaign.pk, **params}
    c = client_for(users[who])
    want = {ids[t] for t in (expected if expected is not None else ids)}
    assert _page_ids(c, params) == want
    assert _api_ids(c, params) == want
    by_id = {v: k for k, v in ids.items()}
    assert _export_titles(c, params) == {by_id[i] for i in want}


def test_a_liaison_gets_its_own_subtree_through_all_three(users, tree, campaign, client_for, inbox):
    ids, c = inbox["ids"], client_for(users["liaison_a"])
    params = {"status": "", "campaign": campaign.pk, "overdue": "1"}
    want = {ids["T1 一村路灯"]}  # T3 is overdue by date but replied; the rest are other towns'
    assert _page_ids(c, params) == _api_ids(c, params) == want
    assert _export_titles(c, params) == {"T1 一村路灯"}
    # Another town's unit is not a way in.
    params["unit"] = tree["town_b"].pk
    assert _page_ids(c, params) == _api_ids(c, params) == set() and _export_titles(c, params) == set()


def test_the_office_default_is_the_same_for_page_and_export(users, campaign, client_for, inbox):
    """The office opens the inbox on 待分拣; the export link of that page exports that."""
    ids, c = inbox["ids"], client_for(users["office"])
    page = c.get("/intake/").content.decode()
    assert {int(x) for x in re.findall(r'<tr id="s-(\d+)"', page)} == {ids["T6 待分拣路灯"], ids["T7 夜里提交"]}
    link = re.search(r'href="(/intake/export/\?[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "status=new" in link
    assert _export_titles(c, dict(p.split("=", 1) for p in link.split("?", 1)[1].split("&") if p)) == {"T6 待分拣路灯", "T7 夜里提交"}
    assert _export_titles(c, {}) == {"T6 待分拣路灯", "T7 夜里提交"}


@pytest.mark.parametrize(("params", "word"), [
    ({"unit": "abc"}, "unit"), ({"unit": "99999999999999999999"}, "unit"), ({"status": "bogus"}, "bogus"),
    ({"channel": "fax"}, "fax"), ({"submitted_from": "2024-02-30"}, "2024-02-30"),
])
def test_bad_values_are_refused_alike(users, campaign, client_for, inbox, params, word):
    c = client_for(users["office"])
    r = c.get("/api/suggestions", params)
    assert r.status_code == 422 and word in r.content.decode()
    page = c.get("/intake/", {"status": "", **params})
    assert page.status_code == 200 and word in page.content.decode().split('class="errorlist"', 1)[1][:500]


def test_filter_round_trips_through_its_parameters():
    from duban.intake.queries import SuggestionFilter

    f, errors = SuggestionFilter.from_params({"unit": "7", "overdue": "on", "submitted_from": "2024/3/1", "q": "路\x00灯", "status": "open"})
    assert not errors
    assert f.as_params() == {"unit": 7, "overdue": "1", "submitted_from": "2024-03-01", "q": "路灯", "status": "open"}
    assert SuggestionFilter.from_params(f.as_params())[0] == f
    # The API's older names still work.
    assert SuggestionFilter.from_params({"unit_id": "7", "campaign_id": "3"})[0].unit == 7
