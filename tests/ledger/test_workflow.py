"""The one transition table: legal paths, illegal transitions, who may fire what, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from duban.audit.models import AuditEvent
from duban.core.actors import SystemActor
from duban.ledger import services, workflow
from duban.ledger.models import Problem, ProblemEvent, Status

pytestmark = pytest.mark.django_db


def test_full_path_claim_submit_sign_off(users, problem_a, png):
    a, office = users["liaison_a"], users["office"]
    p = services.problem_claim(actor=a, problem=problem_a)
    assert p.status == Status.IN_PROGRESS
    with pytest.raises(ValidationError, match="佐证材料"):
        services.problem_submit(actor=a, problem=p)
    p = services.problem_submit(actor=a, problem=p, note="已完成", files=[("现场.png", png)])
    assert p.status == Status.SUBMITTED and p.evidence.count() == 1
    p = services.problem_sign_off(actor=office, problem=p, note="同意")
    assert p.status == Status.SIGNED_OFF and p.completed_on is not None
    verbs = list(AuditEvent.objects.filter(object_type="ledger.problem", object_id=str(p.pk)).values_list("verb", flat=True))
    for verb in ("problem.create", "problem.claim", "problem.evidence_add", "problem.submit", "problem.sign_off"):
        assert verb in verbs
    actions = list(ProblemEvent.objects.filter(problem=p).values_list("action", flat=True))
    assert actions == ["create", "claim", "submit", "sign_off"]


def test_responsible_unit_never_signs_off_itself(users, problem_a, png):
    a = users["liaison_a"]
    p = services.problem_claim(actor=a, problem=problem_a)
    p = services.problem_submit(actor=a, problem=p, files=[("x.png", png)])
    with pytest.raises(workflow.TransitionError, match="督办单位"):
        services.problem_sign_off(actor=a, problem=p)
    # Leaders read; only the office of the supervising unit signs off.
    with pytest.raises(workflow.TransitionError):
        services.problem_sign_off(actor=users["leader"], problem=p)
    assert Problem.objects.get(pk=p.pk).status == Status.SUBMITTED


def test_office_member_of_the_responsible_unit_cannot_sign_off(users, make_problem, tree, png):
    from duban.orgs.models import Role
    from duban.orgs.services import membership_set

    office = users["office"]
    membership_set(actor=SystemActor("t"), user=office, unit=tree["dept"], role=Role.OFFICE)
    office.__dict__.pop("_duban_grants", None)
    p = make_problem(tree["dept"])
    p = services.problem_claim(actor=office, problem=p)
    p = services.problem_submit(actor=office, problem=p, files=[("x.png", png)])
    with pytest.raises(workflow.TransitionError):
        services.problem_sign_off(actor=office, problem=p)


def test_return_needs_reason_then_resubmit(users, problem_a, png):
    a, office = users["liaison_a"], users["office"]
    p = services.problem_submit(actor=a, problem=services.problem_claim(actor=a, problem=problem_a), files=[("x.png", png)])
    with pytest.raises(ValidationError, match="理由"):
        services.problem_return(actor=office, problem=p, reason=" ")
    p = services.problem_return(actor=office, problem=p, reason="照片不清楚")
    assert p.status == Status.RETURNED and p.return_reason == "照片不清楚"
    p = services.problem_submit(actor=a, problem=p)
    assert p.status == Status.SUBMITTED


@pytest.mark.parametrize("name", ["sign_off", "return", "approve_extension", "reopen", "submit"])
def test_illegal_transitions_from_pending(users, problem_a, name):
    with pytest.raises(workflow.TransitionError):
        services.problem_transition(actor=users["office"], problem=problem_a, name=name, reason="x")
    assert Problem.objects.get(pk=problem_a.pk).status == Status.PENDING


def test_unknown_transition(users, problem_a):
    with pytest.raises(workflow.TransitionError, match="未知"):
        services.problem_transition(actor=users["office"], problem=problem_a, name="delete")


def test_extension_approved_moves_deadline(users, problem_a):
    a, office = users["liaison_a"], users["office"]
    new = problem_a.deadline + dt.timedelta(days=20)
    with pytest.raises(ValidationError):
        services.problem_request_extension(actor=a, problem=problem_a, until=problem_a.deadline, reason="资金未到位")
    p = services.problem_request_extension(actor=a, problem=problem_a, until=new, reason="资金未到位")
    assert p.extension_to == new and p.status == Status.PENDING
    with pytest.raises(workflow.TransitionError, match="已有"):
        services.problem_request_extension(actor=a, problem=p, until=new, reason="again")
    with pytest.raises(workflow.TransitionError):
        services.problem_approve_extension(actor=a, problem=p)
    p = services.problem_approve_extension(actor=office, problem=p)
    assert p.deadline == new and p.extension_to is None and p.original_deadline == problem_a.deadline


def test_extension_refused_keeps_deadline(users, problem_a):
    a, office = users["liaison_a"], users["office"]
    p = services.problem_request_extension(actor=a, problem=problem_a, until=problem_a.deadline + dt.timedelta(days=5), reason="r")
    with pytest.raises(ValidationError):
        services.problem_refuse_extension(actor=office, problem=p, reason="")
    p = services.problem_refuse_extension(actor=office, problem=p, reason="理由不充分")
    assert p.deadline == problem_a.deadline and p.extension_to is None


def test_reopen_after_failed_callback(users, problem_a, png):
    a, office = users["liaison_a"], users["office"]
    p = services.problem_submit(actor=a, problem=services.problem_claim(actor=a, problem=problem_a), files=[("x.png", png)])
    p = services.problem_sign_off(actor=office, problem=p)
    with pytest.raises(workflow.TransitionError):
        services.problem_reopen(actor=a, problem=p, reason="回访不满意")
    p = services.problem_reopen(actor=office, problem=p, reason="回访不满意")
    assert p.status == Status.IN_PROGRESS and p.completed_on is None
    assert AuditEvent.objects.filter(verb="problem.reopen", object_id=str(p.pk), note="回访不满意").exists()


def test_other_towns_liaison_cannot_act(users, problem_a):
    with pytest.raises(workflow.TransitionError):
        services.problem_claim(actor=users["liaison_b"], problem=problem_a)
    with pytest.raises(PermissionDenied):
        services.problem_note(actor=users["liaison_b"], problem=problem_a, note="x")


def test_available_transitions_follow_the_table(users, problem_a):
    names = {t.name for t in workflow.available(users["liaison_a"], problem_a)}
    assert names == {"claim", "request_extension"}
    assert {t.name for t in workflow.available(users["office"], problem_a)} >= {"claim"}
    assert workflow.available(users["liaison_b"], problem_a) == []


def test_transition_table_is_closed():
    for t in workflow.TRANSITIONS.values():
        assert t.sources <= set(Status.values)
        assert t.target is None or t.target in Status.values
        assert t.side in (workflow.RESPONSIBLE, workflow.SUPERVISOR)
    assert workflow.TRANSITIONS["sign_off"].side == workflow.SUPERVISOR


def test_liaison_edits_only_owner_and_measures(users, problem_a, tree):
    a = users["liaison_a"]
    p = services.problem_update(actor=a, problem=problem_a, owner="张三", measures="立即清运")
    assert p.owner == "张三"
    with pytest.raises(PermissionDenied):
        services.problem_update(actor=a, problem=p, deadline=dt.date(2030, 1, 1))
    p = services.problem_update(actor=users["office"], problem=p, unit=tree["village_a2"], description="二村垃圾清运")
    assert p.unit == tree["village_a2"] and "清运" in p.search_terms
    ev = AuditEvent.objects.filter(verb="problem.update", object_id=str(p.pk)).first()
    assert "unit" in ev.changes


def test_bulk_assign_and_extend(users, make_problem, tree):
    ps = [make_problem(tree["village_a1"], description=f"问题{i}") for i in range(3)]
    ids = [p.pk for p in ps]
    with pytest.raises(PermissionDenied):
        services.problem_bulk_assign(actor=users["liaison_a"], problem_ids=ids, unit=tree["village_a2"])
    assert services.problem_bulk_assign(actor=users["office"], problem_ids=ids, unit=tree["dept"], owner="李四") == 3
    assert set(Problem.objects.filter(pk__in=ids).values_list("unit_id", "owner")) == {(tree["dept"].pk, "李四")}
    with pytest.raises(ValidationError):
        services.problem_bulk_extend(actor=users["office"], problem_ids=ids, deadline=dt.date(2030, 1, 1), reason="")
    assert services.problem_bulk_extend(actor=users["office"], problem_ids=ids, deadline=dt.date(2030, 1, 1), reason="统一延期") == 3
    assert AuditEvent.objects.filter(verb="problem.extend").count() == 3
