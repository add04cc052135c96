"""What people read (issue 9, items 6, 9 and 15): workflow steps in words, no MIME types,
router confidence in words, a citizen's words on the public page, 我的待办 with the
suggestions a unit must answer, 按期率 "—" where nothing is measurable, rate rows that
open their problems, the import page's state words, one upload control, distinct buttons."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from duban.core.actors import SystemActor
from duban.ledger.demo import tiny_png


@pytest.fixture
def problem(campaign, tree):
    from duban.ledger.services import problem_create

    return problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="一村垃圾清运不及时", unit=tree["town_a"],
                          deadline=dt.date.today() + dt.timedelta(days=30))


def _badges(html: str) -> list[str]:
    return re.findall(r'<span class="badge[^"]*">([^<]+)</span>', html)


@pytest.mark.django_db
def test_timeline_names_each_step_in_words_in_both_languages(client_for, users, problem):
    from duban.ledger import services

    services.problem_transition(actor=users["liaison_a"], problem=problem, name="claim")
    services.problem_note(actor=users["liaison_a"], problem=problem, note="已安排清运车辆")
    c = client_for(users["liaison_a"])
    html = c.get(reverse("ledger:problem_detail", args=[problem.pk])).content.decode()
    timeline = html.split("整改动态", 1)[1].split("</ul>", 1)[0]
    assert {"登记问题", "认领", "填写进展"} <= set(_badges(timeline))
    assert not {"create", "claim", "progress"} & set(_badges(timeline))
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = c.get(reverse("ledger:problem_detail", args=[problem.pk])).content.decode()
    assert "Claim" in _badges(html) and "认领" not in _badges(html)


@pytest.mark.django_db
def test_the_trail_describes_an_upload_in_words_not_a_mime_type(users, problem):
    from duban.audit.models import AuditEvent
    from duban.ledger import services

    services.problem_add_evidence(actor=users["liaison_a"], problem=problem, name="现场.png", data=tiny_png())
    note = AuditEvent.objects.get(verb="problem.evidence_add").note
    assert "image/" not in note and note.startswith("图片（PNG）") and "字节" in note


@pytest.mark.django_db
def test_a_liaison_has_one_upload_control_on_a_problem(client_for, users, problem):
    from duban.ledger import services

    services.problem_transition(actor=users["liaison_a"], problem=problem, name="claim")
    html = client_for(users["liaison_a"]).get(reverse("ledger:problem_detail", args=[problem.pk])).content.decode()
    assert html.count('type="file"') == 1 and "申请销号" in html


def test_router_candidates_read_as_high_medium_low_and_noise_is_left_out():
    from duban.triage.queries import shown_candidates

    top = [{"label": "a", "name": "平安镇", "id": 1, "confidence": 0.82}, {"label": "b", "name": "洮河镇", "id": 2, "confidence": 0.45},
           {"label": "c", "name": "区财政局", "id": 3, "confidence": 0.004}]
    shown = shown_candidates(top)
    assert [(c["name"], str(c["level_label"])) for c in shown] == [("平安镇", "高"), ("洮河镇", "中")]
    lone = shown_candidates([{"label": "x", "name": "一村", "id": 9, "confidence": 0.01}])
    assert [str(c["level_label"]) for c in lone] == ["低"]  # the best guess stays, said to be weak


@pytest.mark.django_db
def test_the_route_card_shows_no_percentages_and_its_button_is_not_the_manual_one(rf, users, campaign, tree):
    from duban.intake import services
    from duban.triage.queries import shown_candidates

    s = services.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body="村里路灯坏了很久没人修")
    pred = {"unit": shown_candidates([{"label": "1", "name": "平安镇", "id": tree["town_a"].pk, "confidence": 0.9},
                                      {"label": "2", "name": "洮河镇", "id": tree["town_b"].pk, "confidence": 0.0}])}
    request = rf.get("/")
    html = render_to_string("triage/_route.html", {"s": s, "pred": pred, "compact": False}, request=request)
    assert "%" not in html and "洮河镇" not in html and "高" in html and "采纳分拣建议" in html


@pytest.mark.django_db
def test_office_detail_page_has_no_two_buttons_with_the_same_name(client_for, users, campaign, tree):
    from duban.intake import services
    from duban.triage.models import Prediction

    s = services.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body="村里路灯坏了很久没人修")
    # The router's suggestion as stored on arrival (a trained router's output, written directly).
    Prediction.objects.update_or_create(suggestion=s, target="unit", defaults={"top": [
        {"label": str(tree["town_a"].pk), "name": "平安镇", "id": tree["town_a"].pk, "confidence": 0.91},
        {"label": str(tree["town_b"].pk), "name": "洮河镇", "id": tree["town_b"].pk, "confidence": 0.002}]})
    html = client_for(users["office"]).get(reverse("intake:detail", args=[s.pk])).content.decode()
    route = html.split('id="route"', 1)[1].split('id="reply"', 1)[0]
    buttons = [b.strip() for b in re.findall(r"<button[^>]*>([^<]+)</button>", route)]
    assert len(buttons) == 2 and len(set(buttons)) == 2, buttons  # the router's suggestion and the manual choice
    assert "平安镇" in route and "高" in route and "%" not in route.split("<form", 1)[1]


@pytest.mark.django_db
def test_the_public_page_speaks_a_citizens_words(client, campaign, tree, users):
    from duban.intake import services

    s = services.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body="村里路灯坏了很久没人修")
    page = client.get(reverse("public:status", args=[s.tracking_code])).content.decode()
    assert "待分拣" not in page and re.search(r'id="status">已受理<', page)
    services.suggestion_route(actor=users["office"], suggestion=s, unit=tree["town_a"])
    page = client.get(reverse("public:status", args=[s.tracking_code])).content.decode()
    assert re.search(r'id="status">办理中<', page) and "已交平安镇办理" in page


@pytest.mark.django_db
def test_my_items_lists_the_suggestions_my_unit_must_answer(client_for, users, campaign, tree):
    from duban.intake import services

    s = services.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body="平安镇集市占道经营严重", title="集市占道")
    services.suggestion_route(actor=users["office"], suggestion=s, unit=tree["town_a"])
    done = services.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body="平安镇路灯已修好了吗", title="路灯答复")
    services.suggestion_route(actor=users["office"], suggestion=done, unit=tree["town_a"])
    services.suggestion_reply(actor=users["liaison_a"], suggestion=done, text="已修复，感谢反映。")
    mine = client_for(users["liaison_a"]).get(reverse("ledger:my_items")).content.decode()
    assert "待答复的意见建议" in mine and "集市占道" in mine and reverse("intake:detail", args=[s.pk]) in mine
    assert "路灯答复" not in mine  # answered: no longer waiting
    other = client_for(users["liaison_b"]).get(reverse("ledger:my_items")).content.decode()
    assert "集市占道" not in other


@pytest.mark.django_db
def test_on_time_rate_is_a_dash_where_nothing_is_measurable_and_rows_open_their_problems(client_for, users, campaign, tree, problem):
    from duban.ledger.services import problem_create

    problem_create(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, description="洮河镇集贸市场脏乱", unit=tree["town_b"], kind="immediate")
    c = client_for(users["office"])
    html = c.get(reverse("ledger:summary") + "?by=unit").content.decode()
    table = html.split("<tbody>", 1)[1]
    assert table.count("—</td>") == 2
    assert "<div class=\"v\">—</div>" in html  # the headline 按期率 too
    pattern = r'<a href="(/ledger/\?[^"]*unit=' + str(tree["town_a"].pk) + r'[^"]*)">平安镇</a>'
    link = re.search(pattern, table.replace("&amp;", "&"))
    assert link, table
    listed = c.get(link.group(1)).content.decode()
    assert "一村垃圾清运不及时" in listed and "洮河镇集贸市场脏乱" not in listed


@pytest.mark.django_db
def test_the_import_page_says_how_file_states_map_to_ledger_states(client_for, users, campaign):
    html = client_for(users["office"]).get(reverse("ledger:problem_import")).content.decode()
    table = html.split('id="status-words"', 1)[1].split("</table>", 1)[0]
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)", table))
    assert rows["未整改、待整改、待认领"] == "待认领"
    assert rows["已完成、已整改、已销号、完成"].strip() == "已销号"
    assert rows["整改中、正在整改"] == "整改中"
