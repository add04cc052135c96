"""`duban` as a product CLI: grouped help, Django kept under `manage`, and a newcomer's
path from an empty data dir to an imported ledger and a second user without the web UI."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.xlsx_util import make_xlsx

SRC = str(Path(__file__).resolve().parents[1] / "src")


def duban(*args: str, data_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The real console entry point in a fresh process, on SQLite in `data_dir` (a laptop)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DUBAN_DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DUBAN_DATA_DIR=str(data_dir), PYTHONPATH=SRC + os.pathsep + env.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "duban.cli", *args], env=env, capture_output=True, text=True,
                          input=stdin, timeout=120)


def test_help_is_the_products_own_grouped_list(tmp_path):
    r = duban("--help", data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for group in ("开始使用", "活动与人员", "数据进出", "统计与分析", "运维"):
        assert group + "：" in out
    for cmd in ("demo", "serve", "worker", "campaign", "user", "import", "export", "stats", "triage", "token", "backup", "restore", "check", "manage"):
        assert f"\n  {cmd} " in out, cmd
    # Django's internals are not in the product's help …
    for internal in ("dbshell", "squashmigrations", "makemigrations", "sendtestemail"):
        assert f"\n  {internal}" not in out
    assert str(tmp_path) in out  # where the data lives


def test_django_commands_live_under_manage(tmp_path):
    r = duban("dbshell", data_dir=tmp_path)
    assert r.returncode != 0 and "duban manage dbshell" in r.stderr
    r = duban("manage", "help", data_dir=tmp_path)
    assert r.returncode == 0 and "squashmigrations" in r.stdout
    r = duban("improt", data_dir=tmp_path)
    assert r.returncode != 0 and "import" in r.stderr and "Traceback" not in r.stderr
    r = duban("import", "--help", data_dir=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("usage: duban import ")


def test_newcomer_path_from_nothing_to_a_ledger_and_a_second_user(tmp_path):
    data = tmp_path / "data"
    assert duban("migrate", data_dir=data).returncode == 0
    units = make_xlsx(tmp_path / "units.xlsx", ["单位名称", "上级单位", "单位类型"], [
        ["洮北区", "", "县区"], ["平安镇", "洮北区", "乡镇街道"], ["区财政局", "洮北区", "部门"],
    ])
    r = duban("import", "units", str(units), data_dir=data)
    assert r.returncode == 0, r.stderr

    r = duban("campaign", "create", "解放思想大讨论", "--unit", "洮北区", "--start", "2021年11月9日",
              "--end", "2022/3/31", "--areas", "营商环境、民生难题、作风建设", data_dir=data)
    assert r.returncode == 0, r.stderr
    campaign_id = r.stdout.strip().splitlines()[-1]
    assert campaign_id.isdigit()
    listed = duban("campaign", "list", data_dir=data).stdout
    assert "解放思想大讨论" in listed and "2021-11-09" in listed and "2022-03-31" in listed

    ledger = make_xlsx(tmp_path / "ledger.xlsx",
                       ["序号", "问题描述", "聚焦领域", "问题来源", "责任单位", "责任人", "整改措施", "整改时限", "整改类型", "整改进展", "状态", "完成时间"],
                       [[1, "审批材料多、跑腿多", "营商环境", "自查", "区财政局", "王建国", "精简材料", "2022-03-31", "长期坚持", "", "整改中", ""],
                        [2, "老旧小区路灯不亮", "民生难题", "群众反映", "平安镇", "李明", "更换路灯", "2022-01-31", "立行立改", "", "未整改", ""]])
    r = duban("import", "problems", str(ledger), "--campaign", campaign_id, data_dir=data)
    assert r.returncode == 0, r.stderr

    r = duban("user", "add", "liuhong", "--unit", "平安镇", "--role", "liaison", "--name", "刘红", data_dir=data)
    assert r.returncode == 0, r.stderr
    password = r.stdout.strip().splitlines()[-1].split("：")[-1]
    assert len(password) >= 12
    r = duban("user", "list", "--unit", "平安镇", data_dir=data)
    assert "liuhong" in r.stdout and "联络员" in r.stdout and "刘红" in r.stdout

    r = duban("stats", "--json", data_dir=data)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["problems"]["total"] == 2
    # The new liaison logs in with the printed password and sees their town's problem only.
    check = ("import django;django.setup();"
             "from django.contrib.auth import get_user_model;from duban.ledger.queries import visible_problems;"
             "u=get_user_model().objects.get(username='liuhong');"
             f"print('RESULT', u.check_password({password!r}), visible_problems(u).count())")
    env_py = ["manage", "shell", "-c", check]
    r = duban(*env_py, data_dir=data)
    assert "RESULT True 1" in r.stdout, r.stdout + r.stderr


@pytest.mark.django_db
def test_campaign_and_user_commands_refuse_bad_input(tree):
    with pytest.raises(CommandError, match="最接近的单位"):
        call_command("campaign", "create", "活动", "--unit", "平安")
    with pytest.raises(CommandError, match="不是日期"):
        call_command("campaign", "create", "活动", "--unit", "洮北区", "--start", "2021-02-30")
    with pytest.raises(CommandError, match="结束日期不能早于开始日期"):
        call_command("campaign", "create", "活动", "--unit", "洮北区", "--start", "2022-01-01", "--end", "2021-01-01")
    with pytest.raises(CommandError, match="重复"):
        call_command("campaign", "create", "活动", "--unit", "洮北区", "--areas", "甲、甲")
    with pytest.raises(CommandError, match="密码不合要求"):
        call_command("user", "add", "x1", "--unit", "平安镇", "--role", "liaison", "--password", "short")
    with pytest.raises(CommandError, match="没有用户"):
        call_command("user", "password", "nobody", "--password", "a-long-password")


@pytest.mark.django_db
def test_user_add_is_audited_and_a_second_unit_is_a_second_membership(tree):
    from duban.audit.models import AuditEvent
    from duban.orgs.models import Membership

    out = io.StringIO()
    call_command("user", "add", "zhao", "--unit", "平安镇", "--role", "liaison", "--password", "zhao-pass-123", stdout=out)
    call_command("user", "add", "zhao", "--unit", "洮河镇/三村", "--role", "viewer", stdout=out)
    roles = dict(Membership.objects.filter(user__username="zhao").values_list("unit__name", "role"))
    assert roles == {"平安镇": "liaison", "三村": "viewer"}
    assert AuditEvent.objects.filter(verb="user.create", actor_name="命令行").count() == 1
    assert AuditEvent.objects.filter(verb="membership.set").count() >= 2
    call_command("campaign", "create", "第二个活动", "--unit", "洮北区", stdout=out)
    assert AuditEvent.objects.filter(verb="campaign.create", actor_name="命令行").count() == 1
