"""Who may import what: row by row, the importer's office right over each unit a row
touches, and status changes only as the workflow allows (or an audited office override
by the supervising side, never by the responsible unit itself)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import python_calamine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from duban.audit.models import AuditEvent
from duban.core.actors import SystemActor
from duban.core.xlsx import ImportRejected
from duban.ledger import io, services
from duban.ledger.models import Problem, ProblemEvent, Status
from duban.orgs.models import Role
from duban.orgs.services import membership_set
from tests.xlsx_util import make_xlsx

from .test_io import H, row

pytestmark = pytest.mark.django_db
DONE = "2022-03-20"


def person(name, *grants):
    user = get_user_model().objects.create_user(username=name, password="pw-" + name)
    for unit, role in grants:
        membership_set(actor=SystemActor("测试"), user=user, unit=unit, role=role)
    return user


@pytest.fixture
def village_office(tree):
    """Office of 一村: a member of the responsible unit of 一村's problems."""
    return person("village_office", (tree["village_a1"], Role.OFFICE))


@pytest.fixture
def leader_office(tree):
    """A county leader who is also office of one town (平安镇)."""
    return person("leader_office", (tree["root"], Role.LEADER), (tree["town_a"], Role.OFFICE))


def exported(tmp_path, campaign, edit) -> tuple[list, list]:
    """The campaign's ledger as exported, with `edit(rows)` applied: (header, rows)."""
    out = tmp_path / "export.xlsx"
    io.problems_export_cli(out=str(out), campaign_id=campaign.pk)
    sheet = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    header, rows = sheet[0], [list(r) for r in sheet[1:]]
    edit(header, rows)
    return header, rows


def set_cell(header, rows, seq, column, value):
    for r in rows:
        if r[0] == seq:
            r[header.index(column)] = value


def refused(path, campaign, actor, **kw) -> list[str]:
    before = list(Problem.objects.order_by("id").values_list("id", "status", "completed_on", "deadline", "unit_id"))
    audit = AuditEvent.objects.count()
    with pytest.raises(ImportRejected) as exc:
        io.problems_import(actor=actor, source=path, campaign=campaign, apply=True, **kw)
    assert list(Problem.objects.order_by("id").values_list("id", "status", "completed_on", "deadline", "unit_id")) == before
    assert AuditEvent.objects.count() == audit
    return [str(e) for e in exc.value.errors]


def test_responsible_unit_cannot_sign_itself_off_by_reimport(campaign, tree, village_office, problem_a, make_problem, tmp_path):
    # problem_a was never submitted and has no evidence; 一村's own office re-imports it as 已完成
    submitted = make_problem(tree["village_a1"], description="一村路灯不亮")
    services.problem_claim(actor=SystemActor("测试"), skip_checks=True, problem=submitted)
    services.problem_submit(actor=SystemActor("测试"), skip_checks=True, problem=submitted, files=[("照片.png", _png())])
    header, rows = exported(tmp_path, campaign, lambda h, rs: [set_cell(h, rs, s, c, v) for s in (1, 2) for c, v in (("状态", "已完成"), ("完成时间", DONE))])
    f = make_xlsx(tmp_path / "self.xlsx", header, rows)
    errors = refused(f, campaign, village_office)
    assert any(e.startswith("第2行“状态”列") and "推进办更正" in e for e in errors), errors  # never submitted: no workflow step
    assert any(e.startswith("第3行“状态”列") and "不能是责任单位本身" in e for e in errors), errors  # submitted: 销号 is the supervisor's
    errors = refused(f, campaign, village_office, override=True)  # the override does not help the unit itself
    assert any(e.startswith("第2行“状态”列") for e in errors) and any(e.startswith("第3行“状态”列") for e in errors)


def test_supervising_office_signs_off_a_submitted_problem_by_reimport(campaign, tree, users, make_problem, tmp_path):
    p = make_problem(tree["village_a1"])
    services.problem_claim(actor=SystemActor("测试"), skip_checks=True, problem=p)
    services.problem_submit(actor=SystemActor("测试"), skip_checks=True, problem=p, files=[("照片.png", _png())])
    header, rows = exported(tmp_path, campaign, lambda h, rs: (set_cell(h, rs, p.seq, "状态", "已完成"), set_cell(h, rs, p.seq, "完成时间", DONE)))
    plan = io.problems_import(actor=users["office"], source=make_xlsx(tmp_path / "ok.xlsx", header, rows), campaign=campaign, apply=True)
    assert plan.applied and plan.overridden == 0
    p.refresh_from_db()
    assert p.status == Status.SIGNED_OFF and p.completed_on == dt.date(2022, 3, 20)
    ev = AuditEvent.objects.get(verb="problem.import_update", object_id=str(p.pk))
    assert ev.actor == users["office"] and ev.changes["状态"] == ["整改中", "已完成"]


def test_a_status_jump_needs_the_audited_office_override(campaign, tree, users, problem_a, tmp_path):
    header, rows = exported(tmp_path, campaign, lambda h, rs: (set_cell(h, rs, problem_a.seq, "状态", "已完成"), set_cell(h, rs, problem_a.seq, "完成时间", DONE)))
    f = make_xlsx(tmp_path / "jump.xlsx", header, rows)
    errors = refused(f, campaign, users["office"])
    assert errors == ["第2行“状态”列：状态不能从“未整改”改为“已完成”：台账流程中没有这一步（认领→申请销号并附佐证→销号）；"
                      "请在系统中办理，或由督办单位（推进办）勾选“推进办更正”后导入"]
    plan = io.problems_import(actor=users["office"], source=f, campaign=campaign, override=True)
    assert not plan.applied and plan.changes[0].override and "推进办更正" in plan.summary()
    plan = io.problems_import(actor=users["office"], source=f, campaign=campaign, override=True, apply=True)
    problem_a.refresh_from_db()
    assert problem_a.status == Status.SIGNED_OFF and problem_a.completed_on == dt.date(2022, 3, 20)
    ev = AuditEvent.objects.get(verb="problem.import_override", object_id=str(problem_a.pk))
    assert ev.actor == users["office"] and ev.changes["状态"] == ["未整改", "已完成"] and "推进办更正" in ev.note
    assert ProblemEvent.objects.filter(problem=problem_a, action="import_override", to_status=Status.SIGNED_OFF).exists()
    assert not AuditEvent.objects.filter(verb="problem.import_update", object_id=str(problem_a.pk)).exists()


def test_the_responsible_unit_may_claim_but_not_move_its_deadline(campaign, tree, village_office, users, problem_a, tmp_path):
    header, rows = exported(tmp_path, campaign, lambda h, rs: (set_cell(h, rs, problem_a.seq, "状态", "整改中"), set_cell(h, rs, problem_a.seq, "整改进展", "已开工")))
    io.problems_import(actor=village_office, source=make_xlsx(tmp_path / "claim.xlsx", header, rows), campaign=campaign, apply=True)
    problem_a.refresh_from_db()
    assert problem_a.status == Status.IN_PROGRESS and problem_a.progress == "已开工"
    later = problem_a.deadline + dt.timedelta(days=60)
    header, rows = exported(tmp_path, campaign, lambda h, rs: set_cell(h, rs, problem_a.seq, "整改时限", later.isoformat()))
    f = make_xlsx(tmp_path / "deadline.xlsx", header, rows)
    assert any(e.startswith("第2行“整改时限”列") and "延期" in e for e in refused(f, campaign, village_office))
    io.problems_import(actor=users["office"], source=f, campaign=campaign, apply=True)  # the supervising office may
    problem_a.refresh_from_db()
    assert problem_a.deadline == later


def test_first_import_as_signed_off_only_by_the_supervising_office(campaign, tree, users, village_office, tmp_path):
    f = make_xlsx(tmp_path / "history.xlsx", H, [row(1, status="已完成", 完成时间=DONE), row(2, status="整改中")])
    errors = refused(f, campaign, village_office)
    assert errors == ["第2行“状态”列：“已完成”只能由督办单位（推进办）导入，且不能是责任单位“平安镇/一村”本身"]
    plan = io.problems_import(actor=users["office"], source=f, campaign=campaign)
    assert plan.applied and Problem.objects.get(seq=1).status == Status.SIGNED_OFF


def test_office_of_one_town_cannot_import_for_another(campaign, tree, leader_office, make_problem, tmp_path):
    other = make_problem(tree["village_b1"])  # 三村, under 洮河镇
    errors = refused(make_xlsx(tmp_path / "new.xlsx", H, [row(50, unit="二村"), row(51, unit="三村")]), campaign, leader_office)
    assert errors == ["第3行“责任单位”列：您不是“洮河镇/三村”或其上级单位的推进办，不能导入该单位的问题"]
    header, rows = exported(tmp_path, campaign, lambda h, rs: set_cell(h, rs, other.seq, "整改进展", "已完成一半"))
    errors = refused(make_xlsx(tmp_path / "re.xlsx", header, rows), campaign, leader_office)
    assert errors == ["第2行“责任单位”列：您不是“洮河镇/三村”或其上级单位的推进办，不能导入该单位的问题"]
    # nor take it over by naming one of its own units
    header, rows = exported(tmp_path, campaign, lambda h, rs: set_cell(h, rs, other.seq, "责任单位", "二村"))
    errors = refused(make_xlsx(tmp_path / "take.xlsx", header, rows), campaign, leader_office)
    assert errors == [f"第2行“序号”列：序号 {other.seq} 的问题属于“洮河镇/三村”，不在您推进办管理的范围内"]
    plan = io.problems_import(actor=leader_office, source=make_xlsx(tmp_path / "own.xlsx", H, [row(50, unit="二村")]), campaign=campaign)
    assert plan.applied and Problem.objects.get(seq=50).unit == tree["village_a2"]


def test_moving_a_problem_needs_office_over_both_units(campaign, tree, leader_office, make_problem, tmp_path):
    mine = make_problem(tree["village_a1"])
    header, rows = exported(tmp_path, campaign, lambda h, rs: set_cell(h, rs, mine.seq, "责任单位", "三村"))
    errors = refused(make_xlsx(tmp_path / "move.xlsx", header, rows), campaign, leader_office)
    assert errors == ["第2行“责任单位”列：您不是“洮河镇/三村”或其上级单位的推进办，不能导入该单位的问题"]


def test_import_page_refuses_rows_of_another_town_and_carries_the_override(campaign, tree, users, leader_office, problem_a, client_for, tmp_path):
    c = client_for(leader_office)
    with open(make_xlsx(tmp_path / "b.xlsx", H, [row(60, unit="三村")]), "rb") as fh:
        page = c.post("/ledger/import/", {"file": fh, "campaign": campaign.pk}).content.decode()
    assert "您不是“洮河镇/三村”或其上级单位的推进办" in page and not Problem.objects.filter(seq=60).exists()
    # the supervising office ticks the override; the preview marks it and the apply keeps it
    header, rows = exported(tmp_path, campaign, lambda h, rs: (set_cell(h, rs, problem_a.seq, "状态", "已完成"), set_cell(h, rs, problem_a.seq, "完成时间", DONE)))
    c = client_for(users["office"])
    with open(make_xlsx(tmp_path / "o.xlsx", header, rows), "rb") as fh:
        page = c.post("/ledger/import/", {"file": fh, "campaign": campaign.pk, "override": "on"}).content.decode()
    assert "检查通过" in page and "推进办更正" in page and 'name="override" value="1"' in page
    token = c.session["ledger_imports"][-1]
    assert c.post(f"/ledger/import/{token}/apply/", {"campaign": campaign.pk, "override": "1"}).status_code == 302
    problem_a.refresh_from_db()
    assert problem_a.status == Status.SIGNED_OFF
    assert AuditEvent.objects.filter(verb="problem.import_override", object_id=str(problem_a.pk), actor=users["office"]).exists()


def test_cli_runs_as_the_system_but_keeps_the_workflow(campaign, tree, problem_a, tmp_path):
    header, rows = exported(tmp_path, campaign, lambda h, rs: (set_cell(h, rs, problem_a.seq, "状态", "已完成"), set_cell(h, rs, problem_a.seq, "完成时间", DONE)))
    f = str(make_xlsx(tmp_path / "cli.xlsx", header, rows))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_ledger", "problems", f, "--apply", stdout=StringIO(), stderr=err)
    assert "推进办更正" in err.getvalue()
    out = StringIO()
    call_command("import_ledger", "problems", f, "--apply", "--office-override", stdout=out)
    problem_a.refresh_from_db()
    assert problem_a.status == Status.SIGNED_OFF and "推进办更正状态 1 条" in out.getvalue()
    assert AuditEvent.objects.get(verb="problem.import_override", object_id=str(problem_a.pk)).actor_name == "命令行"


def _png() -> bytes:
    from duban.ledger.demo import tiny_png

    return tiny_png()
