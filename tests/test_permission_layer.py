"""The one permission layer (orgs.permissions): see, change, report, review — for rows owned
by one unit or by several through orgs.Assignment — and the explicit system actor.

The multi-owner tests declare co-owners on the real ledger Problem for the length of a test
(`scope_owners` with `assigned=True`), the way a task or a project declares them.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied

from duban.audit.models import AuditEvent
from duban.audit.services import audit_record
from duban.core.actors import CLI, DEMO, PUBLIC, WORKER, SystemActor
from duban.ledger import services as ledger_services
from duban.ledger import workflow
from duban.ledger.models import Problem, ProblemEvent
from duban.orgs import permissions
from duban.orgs.models import Assignment, OwnerRole, Owners, Role
from duban.orgs.scoping import scope

pytestmark = pytest.mark.django_db

SHARED = Owners(field="unit", assigned=True, supervisor="supervisor", default_supervisor="campaign__unit")


def _member(username, unit, role):
    from django.contrib.auth import get_user_model

    from duban.orgs.services import membership_set

    user = get_user_model().objects.create_user(username=username, password="pw")
    membership_set(actor=CLI, user=user, unit=unit, role=role)
    return user


def _problem(campaign, unit, text="一村垃圾清运不及时"):
    return ledger_services.problem_create(actor=CLI, skip_checks=True, campaign=campaign, description=text, unit=unit,
                                          deadline=dt.date(2030, 1, 1))


def _assign(obj, unit, role=OwnerRole.CO):
    Assignment.objects.create(content_type=ContentType.objects.get_for_model(type(obj), for_concrete_model=False),
                              object_id=obj.pk, unit=unit, role=role)


@pytest.fixture
def make_suggestion(campaign):
    from duban.intake import services

    def make(unit=None):
        s = services.suggestion_submit(actor=CLI, skip_checks=True, campaign=campaign, body="村里路灯坏了很久没人修，晚上出行很不方便。")
        return services.suggestion_route(actor=CLI, skip_checks=True, suggestion=s, unit=unit) if unit is not None else s

    return make


@pytest.fixture
def shared(monkeypatch, campaign, tree):
    """p: lead 一村 (平安镇), co-owned by 二村 (also 平安镇), 三村 (洮河镇) and 区财政局; q: 三村 alone."""
    p = _problem(campaign, tree["village_a1"])
    q = _problem(campaign, tree["village_b1"], "三村饮水安全保障不稳定")
    for unit in (tree["village_a2"], tree["village_b1"], tree["dept"]):
        _assign(p, unit)
    monkeypatch.setattr(Problem, "scope_owners", SHARED)
    return p, q


def _ids(user):
    return list(scope(user, Problem.objects.all()).values_list("id", flat=True))


# ------------------------------------------------------------------ see


def test_single_owner_does_not_reach_co_owners(campaign, tree, users):
    p = _problem(campaign, tree["village_a1"])
    _assign(p, tree["village_b1"])
    assert _ids(users["liaison_b"]) == []  # Problem declares one owner: assignments do not count


def test_multi_owner_visibility_has_no_duplicate_rows(shared, users, tree):
    p, q = shared
    dept = _member("dept_liaison", tree["dept"], Role.LIAISON)
    # 平安镇 holds the lead and a co-owner of p: still one row
    assert _ids(users["liaison_a"]) == [p.pk]
    assert scope(users["liaison_a"], Problem.objects.all()).count() == 1
    assert sorted(_ids(users["liaison_b"])) == sorted([p.pk, q.pk])  # co-owner 三村 and q's own unit
    assert scope(users["liaison_b"], Problem.objects.all()).count() == 2
    assert _ids(dept) == [p.pk]
    assert _ids(users["outsider"]) == []
    assert sorted(_ids(users["office"])) == sorted([p.pk, q.pk])
    sql = str(scope(users["liaison_b"], Problem.objects.all()).query).upper()
    outer = sql.split("IN (SELECT")[0]
    # one uncorrelated id IN (subquery), never a join of the rows that multiplies them
    assert "IN (SELECT U0.\"OBJECT_ID\"" in sql and "JOIN" not in outer
    assert permissions.may_see(dept, p) and not permissions.may_see(dept, q)


def test_owners_only_by_assignment(monkeypatch, campaign, tree, users):
    p = _problem(campaign, tree["village_b1"])  # its own unit does not count below
    _assign(p, tree["village_a1"], OwnerRole.LEAD)
    _assign(p, tree["village_a2"], OwnerRole.CO)
    monkeypatch.setattr(Problem, "scope_owners", Owners(field=None, assigned=True, default_supervisor="campaign__unit"))
    assert _ids(users["liaison_a"]) == [p.pk]
    assert _ids(users["liaison_b"]) == []
    assert permissions.lead_units(p) == [tree["village_a1"]]
    assert permissions.may_change(users["liaison_a"], p)
    assert not permissions.may_change(users["liaison_b"], p)


# ------------------------------------------------------------------ change / report / review


def test_lead_changes_co_owner_reports_office_reviews(shared, users, tree):
    p, _q = shared
    lead, co, office = users["liaison_a"], users["liaison_b"], users["office"]
    assert permissions.may_change(lead, p) and permissions.may_report(lead, p)
    assert not permissions.may_change(co, p)
    assert permissions.may_report(co, p)
    assert permissions.may_report(co, p, unit=tree["village_b1"])
    assert not permissions.may_report(co, p, unit=tree["village_a1"])  # not the co-owner's own part
    assert not permissions.may_report(co, p, unit=tree["town_b"])  # not an owner at all
    assert not permissions.may_review(lead, p) and not permissions.may_review(co, p)
    assert permissions.may_review(office, p)
    assert permissions.editable_fields(co, p, office=("a", "b"), liaison=("a",)) == ()
    assert permissions.editable_fields(lead, p, office=("a", "b"), liaison=("a",)) == ("a",)
    assert permissions.editable_fields(office, p, office=("a", "b"), liaison=("a",)) == ("a", "b")
    # the workflow's names are the layer's answers
    assert workflow.is_responsible(lead, p) and not workflow.is_responsible(co, p)
    assert workflow.is_supervisor(office, p) and not workflow.is_supervisor(co, p)


def test_office_that_is_a_co_owner_does_not_review(shared, tree):
    p, _q = shared
    both = _member("both", tree["root"], Role.OFFICE)
    from duban.orgs.services import membership_set

    membership_set(actor=CLI, user=both, unit=tree["dept"], role=Role.LIAISON)  # 区财政局 co-owns p
    assert not permissions.may_review(both, p)


def test_services_ask_the_layer_for_co_owners(shared, users):
    p, _q = shared
    co = users["liaison_b"]
    # a co-responsible unit reports its part …
    ledger_services.problem_note(actor=co, problem=p, note="三村部分已完成")
    # … but does not edit the row or act as its responsible side
    with pytest.raises(PermissionDenied):
        ledger_services.problem_update(actor=co, problem=p, measures="改")
    with pytest.raises(workflow.TransitionForbidden):
        ledger_services.problem_claim(actor=co, problem=p)
    ledger_services.problem_claim(actor=users["liaison_a"], problem=p)


# ------------------------------------------------------------------ actors


def test_string_actor_is_refused_and_nothing_is_written(campaign, tree, make_suggestion):
    before = (Problem.objects.count(), AuditEvent.objects.count())
    with pytest.raises(TypeError):
        ledger_services.problem_create(actor="命令行", skip_checks=True, campaign=campaign, description="x", unit=tree["village_a1"])
    with pytest.raises(TypeError):
        ledger_services.problem_create(actor="命令行", campaign=campaign, description="x", unit=tree["village_a1"])
    with pytest.raises(TypeError):
        audit_record(actor="演示数据", verb="x.y", object_type="x", object_id=1)
    from duban.intake import services as intake_services

    assert (Problem.objects.count(), AuditEvent.objects.count()) == before
    s = make_suggestion()
    audited = AuditEvent.objects.count()
    with pytest.raises(TypeError):
        intake_services.suggestion_close(actor="命令行", suggestion=s)
    assert AuditEvent.objects.count() == audited and type(s).objects.get(pk=s.pk).status == s.status


def test_system_actor_has_no_rights_unless_the_call_skips_checks(campaign, tree, users):
    p = _problem(campaign, tree["village_a1"])
    for actor in (CLI, DEMO, WORKER, PUBLIC):
        assert not permissions.may_change(actor, p) and not permissions.may_review(actor, p) and not permissions.may_see(actor, p)
        with pytest.raises(PermissionDenied):
            ledger_services.problem_update(actor=actor, problem=p, measures="立即清运")
    ledger_services.problem_update(actor=CLI, problem=p, measures="立即清运", skip_checks=True)
    assert Problem.objects.get(pk=p.pk).measures == "立即清运"


def test_skipping_checks_needs_a_system_actor(campaign, tree, users):
    p = _problem(campaign, tree["village_a1"])
    with pytest.raises(TypeError):
        ledger_services.problem_update(actor=users["office"], problem=p, measures="x", skip_checks=True)
    with pytest.raises(TypeError):
        ledger_services.problem_sign_off(actor=users["liaison_a"], problem=p, skip_checks=True)


def test_system_actor_is_recorded_by_name(campaign, tree):
    p = _problem(campaign, tree["village_a1"])
    ev = AuditEvent.objects.get(verb="problem.create", object_id=str(p.pk))
    assert ev.actor_id is None and ev.actor_name == "命令行"
    assert ProblemEvent.objects.get(problem=p, action="create").actor_name == "命令行"
    ledger_services.problem_note(actor=SystemActor("后台任务"), problem=p, note="提醒", skip_checks=True)
    assert AuditEvent.objects.filter(verb="problem.note", actor_name="后台任务").exists()


# ------------------------------------------------------------------ one check: service, view, API


def test_triage_services_refuse_an_unauthorised_user_called_directly(campaign, tree, users, make_suggestion):
    from duban.triage import services as triage_services

    s = make_suggestion(unit=tree["town_a"])
    for who in ("liaison_a", "leader", "outsider"):
        with pytest.raises(PermissionDenied):
            triage_services.route_confirm(actor=users[who], suggestion=s, label="路灯")
        with pytest.raises(PermissionDenied):
            triage_services.hot_from_suggestions(actor=users[who], campaign=campaign)
        with pytest.raises(PermissionDenied):
            triage_services.train_from_history(actor=users[who], campaign=campaign, target="area")
    assert triage_services.route_confirm(actor=users["office"], suggestion=s, label="路灯").label == "路灯"
    assert triage_services.hot_from_suggestions(actor=CLI, campaign=campaign, skip_checks=True).pk


def test_view_and_api_answer_by_the_service_check(campaign, tree, users, make_suggestion, client_for):
    s = make_suggestion(unit=tree["town_a"])
    liaison = client_for(users["liaison_a"])
    # the liaison sees the item, may not route it: 403 — also when the input is wrong (who before what)
    assert liaison.post(f"/triage/route/{s.pk}/", {"label": "路灯"}).status_code == 403
    assert liaison.post(f"/triage/route/{s.pk}/", {"unit_text": "没有这个单位"}).status_code == 403
    r = liaison.post("/api/triage/models/train", json.dumps({"target": "area"}), content_type="application/json")
    assert r.status_code == 403
    r = liaison.post("/api/triage/hot/run", content_type="application/json")
    assert r.status_code == 403
    office = client_for(users["office"])
    assert office.post(f"/triage/route/{s.pk}/", {"label": "路灯"}).status_code == 302
    assert office.post(f"/triage/route/{s.pk}/", {"unit_text": "没有这个单位"}).status_code == 302  # the form's error, not 403


def test_campaigns_for_follows_the_layer(tree, users):
    from duban.campaigns.queries import campaigns_for
    from duban.campaigns.services import campaign_create

    town_b_campaign = campaign_create(actor=CLI, name="洮河镇专项", unit=tree["town_b"], start_date=dt.date(2022, 1, 1))
    district = campaign_create(actor=CLI, name="区活动", unit=tree["root"], start_date=dt.date(2022, 1, 1))
    assert set(campaigns_for(users["liaison_a"])) == {district}
    assert set(campaigns_for(users["liaison_b"])) == {district, town_b_campaign}
    assert set(campaigns_for(users["office"])) == {district, town_b_campaign}
    assert not campaigns_for(users["outsider"]).exists()


def test_owners_set_replaces_the_assignments_checked_and_audited(shared, users, tree):
    from duban.orgs.services import owners_set

    p, _q = shared
    dept = _member("dept_liaison", tree["dept"], Role.LIAISON)
    assert _ids(dept) == [p.pk]
    with pytest.raises(PermissionDenied):  # a town's liaison does not hand out work
        owners_set(actor=users["liaison_a"], obj=p, owners=[(tree["village_a2"], OwnerRole.CO)])
    owners_set(actor=users["office"], obj=p, owners=[(tree["village_b1"], OwnerRole.CO), (tree["village_b1"], OwnerRole.CO)])
    assert Assignment.objects.filter(object_id=p.pk).count() == 1
    assert _ids(dept) == []  # 区财政局 relieved: no longer sees it
    assert permissions.may_report(users["liaison_b"], p, unit=tree["village_b1"])
    ev = AuditEvent.objects.get(verb="owners.set", object_id=str(p.pk))
    assert ev.changes["责任分工"][1] == ["三村（责任单位）"]
    with pytest.raises(TypeError):  # one-owner rows have no assignments
        owners_set(actor=CLI, obj=tree["town_a"], owners=[], skip_checks=True)
