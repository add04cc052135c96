"""Suggestions on the one workflow engine: clue states (核查中 → 查结 / 转办 with where to),
phone callbacks (电话回访) that rate like the web and reopen on 不满意, the steps each
person gets on the page and in the API, and what waits for whom."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from duban.audit.models import AuditEvent
from duban.core.actors import SystemActor
from duban.core.workflow import TransitionError, TransitionForbidden
from duban.intake import services, workflow
from duban.intake.figures import figures
from duban.intake.models import Callback, Kind, Rating, RatingSource, Status, Suggestion

TESTER = SystemActor("测试")

pytestmark = pytest.mark.django_db


@pytest.fixture
def clue(make_suggestion, tree):
    return make_suggestion(tree["town_a"], body="平安镇某站所负责人违规收取费用，群众反映强烈。", kind=Kind.CLUE)


@pytest.fixture
def replied(make_suggestion, tree, users):
    s = make_suggestion(tree["town_a"], channel="hotline")
    return services.suggestion_reply(actor=users["liaison_a"], suggestion=s, text="已安排电工更换路灯，感谢反映。")


def verbs(s) -> list[str]:
    return list(AuditEvent.objects.filter(object_type="intake.suggestion", object_id=str(s.pk)).order_by("id").values_list("verb", flat=True))


# ------------------------------------------------------------------ clues

def test_clue_verified_then_concluded_needs_a_result(clue, users):
    a = users["liaison_a"]
    s = services.suggestion_verify(actor=a, suggestion=clue)
    assert s.status == Status.VERIFYING
    with pytest.raises(ValidationError) as exc:
        services.suggestion_conclude(actor=a, suggestion=s, result="  ")
    assert exc.value.message_dict == {"reason": ["查结需要填写理由"]}
    s = services.suggestion_conclude(actor=a, suggestion=s, result="经核查，反映问题属实，已责令退还违规收费。")
    assert s.status == Status.CLOSED and s.closed_at and s.reply.startswith("经核查")
    assert verbs(s)[-2:] == ["suggestion.verify", "suggestion.conclude"]


def test_transfer_needs_where_to(clue, users):
    office = users["office"]
    with pytest.raises(ValidationError) as exc:
        services.suggestion_transfer(actor=office, suggestion=clue, to="")
    assert exc.value.message_dict == {"transferred_to": ["转办需要填写转至哪个机关或单位"]}
    with pytest.raises(ValidationError, match="200"):
        services.suggestion_transfer(actor=office, suggestion=clue, to="公" * 201)
    assert Suggestion.objects.get(pk=clue.pk).status == Status.ASSIGNED
    s = services.suggestion_transfer(actor=office, suggestion=clue, to="区公安分局", note="涉嫌违法，非本级管辖")
    assert s.status == Status.TRANSFERRED and s.transferred_to == "区公安分局"
    event = AuditEvent.objects.filter(object_id=str(s.pk), verb="suggestion.transfer").get()
    assert event.changes["transferred_to"] == ["", "区公安分局"] and "区公安分局" in event.note
    # a transferred clue is concluded: nothing more to do with it
    with pytest.raises(TransitionError):
        services.suggestion_reply(actor=office, suggestion=s, text="再答复一次")


def test_only_clues_are_verified_and_only_the_office_transfers(make_suggestion, clue, tree, users):
    plain = make_suggestion(tree["town_a"])
    with pytest.raises(TransitionError, match="举报线索"):
        services.suggestion_verify(actor=users["liaison_a"], suggestion=plain)
    with pytest.raises(TransitionForbidden, match="只有推进办可以转办"):
        services.suggestion_transfer(actor=users["liaison_a"], suggestion=clue, to="区公安分局")
    with pytest.raises(TransitionForbidden):
        services.suggestion_verify(actor=users["liaison_b"], suggestion=clue)  # another town's
    assert Suggestion.objects.get(pk=clue.pk).status == Status.ASSIGNED


def test_clue_figures_count_transferred_as_concluded(make_suggestion, tree, users):
    office = users["office"]
    made = [make_suggestion(tree["town_a"], body=f"线索{i}：村干部优亲厚友，低保评定不公。", kind=Kind.CLUE) for i in range(5)]
    services.suggestion_verify(actor=office, suggestion=made[0])
    services.suggestion_conclude(actor=office, suggestion=made[0], result="经核查属实，已处理")
    services.suggestion_transfer(actor=office, suggestion=made[1], to="区纪委监委")
    services.suggestion_verify(actor=office, suggestion=made[2])
    make_suggestion(tree["town_a"])  # not a clue
    c = figures()["clues"]
    assert c == {"received": 5, "verifying": 1, "closed": 2, "transferred": 1, "pending": 2, "closed_rate": 0.4}


# ------------------------------------------------------------------ phone callbacks

def test_callback_rates_like_the_web_and_feeds_the_same_figures(replied, make_suggestion, tree, users):
    web = make_suggestion(tree["town_a"], body="二村路面坑洼，雨天积水。")
    web = services.suggestion_reply(actor=users["liaison_a"], suggestion=web, text="已修补路面。")
    services.suggestion_rate(suggestion=web, rating=Rating.UNSATISFIED, comment="没修好")
    s = services.suggestion_callback(actor=users["office"], suggestion=replied, result=Rating.BASIC, note="群众表示基本解决", caller="王干事")
    assert s.status == Status.CLOSED and s.rating == Rating.BASIC and s.rating_source == RatingSource.CALLBACK and s.closed_at
    cb = Callback.objects.get(suggestion=s)
    assert (cb.result, cb.caller, cb.note, cb.recorded_by) == (Rating.BASIC, "王干事", "群众表示基本解决", users["office"])
    f = figures()
    assert f["rated"] == 2 and f["callbacks"] == 1 and f["satisfaction_rate"] == 0.5  # one satisfied-ish of two ratings
    assert verbs(s)[-1] == "suggestion.callback"
    assert AuditEvent.objects.filter(object_id=str(s.pk), verb="suggestion.callback").count() == 1


def test_unsatisfied_callback_reopens_even_a_closed_item(replied, users):
    office = users["office"]
    s = services.suggestion_close(actor=office, suggestion=replied, note="群众联系不上，先办结")
    assert s.status == Status.CLOSED
    s = services.suggestion_callback(actor=office, suggestion=s, result=Rating.UNSATISFIED, note="路灯又坏了")
    assert s.status == Status.REOPENED and s.reopen_count == 1 and s.closed_at is None
    assert Callback.objects.get(suggestion=s).caller == "office"  # the caller defaults to the person recording
    assert workflow.TABLE.state_allows(s, workflow.TRANSITIONS["route"])  # back to the office for sorting


def test_callback_input_is_checked_in_chinese(replied, make_suggestion, tree, users):
    office = users["office"]
    with pytest.raises(ValidationError, match="回访结果"):
        services.suggestion_callback(actor=office, suggestion=replied, result="happy")
    with pytest.raises(ValidationError, match="回访人不能超过 60 字"):
        services.suggestion_callback(actor=office, suggestion=replied, result=Rating.SATISFIED, caller="王" * 61)
    with pytest.raises(ValidationError, match="回访记录不能超过 1000 字"):
        services.suggestion_callback(actor=office, suggestion=replied, result=Rating.SATISFIED, note="好" * 1001)
    with pytest.raises(ValidationError, match="回访时间不能晚于现在"):
        services.suggestion_callback(actor=office, suggestion=replied, result=Rating.SATISFIED,
                                     called_at=timezone.now() + dt.timedelta(days=1))
    with pytest.raises(TransitionForbidden):
        services.suggestion_callback(actor=users["liaison_a"], suggestion=replied, result=Rating.SATISFIED)
    with pytest.raises(TransitionError):  # nothing answered yet: nothing to call back about
        services.suggestion_callback(actor=office, suggestion=make_suggestion(tree["town_a"]), result=Rating.SATISFIED)
    assert not Callback.objects.exists() and Suggestion.objects.get(pk=replied.pk).status == Status.REPLIED


# ------------------------------------------------------------------ the page and the API

def test_detail_page_offers_each_person_their_steps(clue, replied, client_for, users):
    office = client_for(users["office"]).get(reverse("intake:detail", args=[clue.pk])).content.decode()
    assert 'id="step-verify"' in office and 'id="step-transfer"' in office and 'id="step-close"' in office
    liaison = client_for(users["liaison_a"]).get(reverse("intake:detail", args=[clue.pk])).content.decode()
    assert 'id="step-verify"' in liaison and 'id="step-transfer"' not in liaison and 'id="step-close"' not in liaison
    page = client_for(users["office"]).get(reverse("intake:detail", args=[replied.pk])).content.decode()
    assert 'id="callback-form"' in page and 'id="step-verify"' not in page
    assert 'id="callback-form"' not in client_for(users["liaison_a"]).get(reverse("intake:detail", args=[replied.pk])).content.decode()


def test_callback_from_the_page_shows_in_the_timeline(replied, client_for, users):
    c = client_for(users["office"])
    url = reverse("intake:callback", args=[replied.pk])
    # the wrong side gets 403 with the page and the reason
    r = client_for(users["liaison_a"]).post(url, {"result": "satisfied"})
    assert r.status_code == 403 and "只有推进办可以电话回访" in r.content.decode()
    r = c.post(url, {"result": "", "caller": "王干事"})
    assert r.status_code == 302 and not Callback.objects.exists()
    assert "请选择回访结果" in c.get(reverse("intake:detail", args=[replied.pk])).content.decode()
    r = c.post(url, {"result": "unsatisfied", "caller": "王干事", "note": "路灯仍然不亮"})
    assert r.status_code == 302
    page = c.get(reverse("intake:detail", args=[replied.pk])).content.decode()
    assert "王干事" in page and "路灯仍然不亮" in page and "电话回访" in page
    assert Suggestion.objects.get(pk=replied.pk).status == Status.REOPENED


def test_clue_steps_from_the_page(clue, client_for, users):
    c = client_for(users["office"])
    r = c.post(reverse("intake:transition", args=[clue.pk, "transfer"]), {"transferred_to": ""})
    assert r.status_code == 302 and Suggestion.objects.get(pk=clue.pk).status == Status.ASSIGNED
    assert "转办需要填写" in c.get(reverse("intake:detail", args=[clue.pk])).content.decode()
    c.post(reverse("intake:transition", args=[clue.pk, "transfer"]), {"transferred_to": "区公安分局"})
    s = Suggestion.objects.get(pk=clue.pk)
    assert s.status == Status.TRANSFERRED and s.transferred_to == "区公安分局"
    public = c.get(reverse("public:status", args=[s.tracking_code])).content.decode()
    assert "已转交区公安分局办理" in public and "已转办" in public


def test_api_lists_allowed_steps_and_fires_them(clue, replied, client_for, users):
    office, liaison = client_for(users["office"]), client_for(users["liaison_a"])
    detail = office.get(f"/api/suggestions/{clue.pk}").json()
    assert {"verify", "transfer", "close", "reroute"} <= set(detail["transitions"])
    assert next(t for t in detail["transition_details"] if t["name"] == "transfer")["fields"] == ["transferred_to"]
    assert "transfer" not in liaison.get(f"/api/suggestions/{clue.pk}").json()["transitions"]
    url = f"/api/suggestions/{clue.pk}/transitions"
    assert office.post(f"{url}/transfer", {}, content_type="application/json").status_code == 422
    assert liaison.post(f"{url}/transfer", {"transferred_to": "区公安分局"}, content_type="application/json").status_code == 403
    assert liaison.post(f"{url}/conclude", {"reason": "x"}, content_type="application/json").status_code == 409  # not verifying yet
    assert office.post(f"{url}/fly", {}, content_type="application/json").status_code == 409
    r = liaison.post(f"{url}/verify", {}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "verifying" and "conclude" in r.json()["transitions"]
    r = office.post(f"/api/suggestions/{replied.pk}/callbacks", {"result": "satisfied", "caller": "王干事", "note": "满意"},
                    content_type="application/json")
    assert r.status_code == 201 and r.json()["callback"]["caller"] == "王干事" and r.json()["suggestion"]["rating_source"] == "callback"
    assert office.post(f"/api/suggestions/{replied.pk}/callbacks", {"result": "great"}, content_type="application/json").status_code == 422


def test_api_refuses_a_step_on_a_stale_version(clue, client_for, users):
    from duban.core.workflow import updated_at_version

    office = client_for(users["office"])
    loaded = updated_at_version(Suggestion.objects.get(pk=clue.pk))
    url = f"/api/suggestions/{clue.pk}/transitions/verify"
    assert office.post(url, {"version": loaded}, content_type="application/json").status_code == 200
    # a second client that loaded the same version: refused, nothing fires twice
    r = office.post(f"/api/suggestions/{clue.pk}/transitions/transfer", {"version": loaded, "transferred_to": "区公安分局"},
                    content_type="application/json")
    assert r.status_code == 409 and "已被他人处理" in r.json()["detail"]
    assert Suggestion.objects.get(pk=clue.pk).status == Status.VERIFYING
    assert verbs(clue).count("suggestion.verify") == 1


def test_reply_to_a_closed_item_is_409_in_the_api(replied, client_for, users):
    services.suggestion_close(actor=users["office"], suggestion=replied)
    r = client_for(users["liaison_a"]).post(f"/api/suggestions/{replied.pk}/reply", {"text": "再答复"}, content_type="application/json")
    assert r.status_code == 409 and "已办结" in r.json()["detail"]


# ------------------------------------------------------------------ waiting for me

def test_waiting_for_me_comes_from_the_table(clue, make_suggestion, campaign, tree, users):
    new = services.suggestion_submit(actor=TESTER, skip_checks=True, campaign=campaign, body="洮河镇集市占道经营")
    services.suggestion_verify(actor=users["liaison_a"], suggestion=clue)
    answered = make_suggestion(tree["town_a"], body="一村路灯")
    services.suggestion_reply(actor=users["liaison_a"], suggestion=answered, text="已修好")
    mine = set(workflow.waiting(users["liaison_a"]))
    assert clue in mine and answered not in mine and new not in mine  # a verifying clue waits for its 查结
    assert new in set(workflow.waiting(users["office"], sides=[workflow.OFFICE]))
    assert not workflow.waiting(users["liaison_b"]).filter(pk=clue.pk).exists()
    assert not workflow.waiting(users["leader"]).exists()


def test_my_items_page_lists_what_waits(clue, campaign, client_for, users):
    services.suggestion_submit(actor=TESTER, skip_checks=True, campaign=campaign, body="洮河镇集市占道经营", title="集市占道")
    services.suggestion_verify(actor=users["liaison_a"], suggestion=clue)
    mine = client_for(users["liaison_a"]).get(reverse("ledger:my_items")).content.decode()
    assert "待核查的线索" in mine and clue.title in mine and "集市占道" not in mine
    office = client_for(users["office"]).get(reverse("ledger:my_items")).content.decode()
    assert "待分拣的意见建议" in office and "集市占道" in office
