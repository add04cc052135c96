"""`duban import units`: all or nothing, with row messages."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from duban.audit.models import AuditEvent
from duban.core.actors import SystemActor
from duban.core.xlsx import ImportRejected
from duban.orgs.io import units_import
from duban.orgs.models import OrgUnit
from tests.xlsx_util import make_xlsx

HEADER = ["单位名称", "上级单位", "单位类型"]


@pytest.mark.django_db
def test_import_creates_tree_parents_after_children_in_file(tree, tmp_path):
    f = make_xlsx(tmp_path / "u.xlsx", HEADER + ["备注"], [
        ["五组", "新兴村", "其他", "后来的行"],
        ["新兴村", "平安镇", "村", ""],
        ["新城街道", "洮北区", "街道", ""],
        ["一村", "洮河镇", "村", "同名但在另一个乡镇"],
    ])
    result = units_import(actor=SystemActor("t"), skip_checks=True, source=f)
    assert result.created == 4
    group = OrgUnit.objects.get(name="五组")
    assert group.parent.name == "新兴村" and group.parent.parent.name == "平安镇"
    assert OrgUnit.objects.filter(name="一村").count() == 2
    assert AuditEvent.objects.filter(verb="orgunit.create", object_id=str(group.pk)).exists()
    # One import = one user action: every created unit shares one action id.
    ids = set(AuditEvent.objects.filter(verb="orgunit.create", object_repr__in=["五组", "新兴村", "新城街道"]).values_list("action_id", flat=True))
    assert len(ids) == 1


def _rejected(source, **kw):
    before_units, before_audit = OrgUnit.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ImportRejected) as exc:
        units_import(actor=SystemActor("t"), skip_checks=True, source=source, **kw)
    assert OrgUnit.objects.count() == before_units and AuditEvent.objects.count() == before_audit
    return [str(e) for e in exc.value.errors]


@pytest.mark.django_db
def test_unknown_parent_names_the_row_and_closest_units(tree, tmp_path):
    f = make_xlsx(tmp_path / "u.xlsx", HEADER, [["好村", "平安", "村"], ["坏村", "平安镇", "村"]])
    errors = _rejected(f)
    assert len(errors) == 1
    assert "第2行" in errors[0] and "上级单位" in errors[0] and "平安镇" in errors[0]


@pytest.mark.django_db
def test_duplicate_name_under_one_parent(tree, tmp_path):
    f = make_xlsx(tmp_path / "u.xlsx", HEADER, [["六村", "平安镇", "村"], ["六村", "平安镇", "村"], ["一村", "平安镇", "村"]])
    errors = _rejected(f)
    assert any("第3行" in e and "第2行" in e for e in errors)  # repeated inside the file
    assert any("第4行" in e and "已有同名" in e for e in errors)  # clashes with the tree


@pytest.mark.django_db
def test_missing_column_and_empty_cells_and_bad_kind(tree, tmp_path):
    errors = _rejected(make_xlsx(tmp_path / "a.xlsx", ["单位名称", "上级单位"], [["六村", "平安镇"]]))
    assert any("缺少必需的列“单位类型”" in e for e in errors)
    errors = _rejected(make_xlsx(tmp_path / "b.xlsx", HEADER, [["", "平安镇", "村"], ["七村", "平安镇", "星球"]]))
    assert any("第2行“单位名称”列" in e and "不能为空" in e for e in errors)
    assert any("第3行“单位类型”列" in e and "未知单位类型" in e for e in errors)


@pytest.mark.django_db
def test_ambiguous_parent_asks_for_a_path(tree, tmp_path):
    from duban.orgs.services import unit_create

    unit_create(actor=SystemActor("t"), name="一村", kind="village", parent=tree["town_b"])
    errors = _rejected(make_xlsx(tmp_path / "a.xlsx", HEADER, [["一组", "一村", "其他"]]))
    assert "不唯一" in errors[0]
    units_import(actor=SystemActor("t"), skip_checks=True, source=make_xlsx(tmp_path / "b.xlsx", HEADER, [["一组", "洮河镇/一村", "其他"]]))
    assert OrgUnit.objects.get(name="一组").parent.parent.name == "洮河镇"


@pytest.mark.django_db
def test_file_level_problems(tree, tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("单位名称,上级单位,单位类型\n", encoding="utf-8")
    assert "这是文本（CSV）文件" in _rejected(fake)[0]
    formula = make_xlsx(tmp_path / "f.xlsx", HEADER, [["六村", "平安镇", "村"]], formula_at=(1, 4))
    assert any("公式" in e for e in _rejected(formula))
    big = make_xlsx(tmp_path / "big.xlsx", HEADER, [["六村", "平安镇", "村"]])
    assert any("过大" in e for e in _rejected(big, max_bytes=100))


@pytest.mark.django_db
def test_parent_cycle_in_file_is_refused(tree, tmp_path):
    errors = _rejected(make_xlsx(tmp_path / "c.xlsx", HEADER, [["甲", "乙", "其他"], ["乙", "甲", "其他"]]))
    assert any("循环" in e for e in errors)


@pytest.mark.django_db
def test_cli_import_exits_nonzero_and_writes_error_report(tree, tmp_path, capsys):
    f = make_xlsx(tmp_path / "u.xlsx", HEADER, [["六村", "无此镇", "村"]])
    report = tmp_path / "errors.xlsx"
    with pytest.raises(CommandError):
        call_command("import_ledger", "units", str(f), errors_out=str(report))
    assert report.exists() and not OrgUnit.objects.filter(name="六村").exists()
    ok = make_xlsx(tmp_path / "ok.xlsx", HEADER, [["六村", "平安镇", "村"]])
    call_command("import_ledger", "units", str(ok))
    assert "新建 1" in capsys.readouterr().out


@pytest.mark.django_db
def test_import_page_is_office_only_and_shows_errors(client_for, tree, users, tmp_path):
    f = make_xlsx(tmp_path / "u.xlsx", HEADER, [["六村", "无此镇", "村"]])
    with open(f, "rb") as fh:
        assert client_for(users["liaison_a"]).post("/units/import/", {"file": fh}).status_code == 403
    with open(f, "rb") as fh:
        r = client_for(users["office"]).post("/units/import/", {"file": fh})
    assert r.status_code == 200 and "未导入任何数据" in r.content.decode() and "无此镇" in r.content.decode()


def _person(name, *grants):
    from django.contrib.auth import get_user_model

    from duban.orgs.services import membership_set

    user = get_user_model().objects.create_user(username=name, password="pw-" + name)
    for unit, role in grants:
        membership_set(actor=SystemActor("t"), user=user, unit=unit, role=role)
    return user


@pytest.mark.django_db
def test_units_are_created_only_under_units_the_importer_is_office_over(tree, tmp_path, client_for):
    from duban.orgs.models import Role

    # a county leader who is also office of one town
    user = _person("leader_office", (tree["root"], Role.LEADER), (tree["town_a"], Role.OFFICE))
    f = make_xlsx(tmp_path / "u.xlsx", HEADER, [["新村", "平安镇", "村"], ["外村", "洮河镇", "村"], ["外村一组", "外村", "其他"], ["新区", "", "县区"]])
    before = OrgUnit.objects.count()
    with pytest.raises(ImportRejected) as exc:
        units_import(actor=user, source=f)
    assert OrgUnit.objects.count() == before
    errors = [str(e) for e in exc.value.errors]
    assert "第3行“上级单位”列：您不是“洮河镇”或其上级单位的推进办，不能在其下新建单位" in errors
    assert "第5行“上级单位”列：上级单位不能为空（只有系统管理员可以新建顶层单位）" in errors
    with open(f, "rb") as fh:
        r = client_for(user).post("/units/import/", {"file": fh})
    assert "不能在其下新建单位" in r.content.decode() and not OrgUnit.objects.filter(name="外村").exists()
    ok = make_xlsx(tmp_path / "ok.xlsx", HEADER, [["新村", "平安镇", "村"], ["新村一组", "新村", "其他"]])
    assert units_import(actor=user, source=ok).created == 2


@pytest.mark.django_db
def test_overlong_names_are_row_errors(tree, tmp_path):
    f = make_xlsx(tmp_path / "u.xlsx", HEADER + ["单位代码"], [["村" * 121, "平安镇", "村", ""], ["好村", "平安镇", "村", "9" * 41]])
    errors = _rejected(f)
    assert "第2行“单位名称”列：超过 120 字" in errors and "第3行“单位代码”列：超过 40 字" in errors
