"""The `duban` console script: the product's own commands, grouped, on top of Django's
management layer. Django's internal commands (dbshell, squashmigrations…) stay reachable
under `duban manage …` so they do not crowd the product's help.
"""

from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Command:
    name: str  # what the user types
    target: str  # the management command behind it
    usage: str
    summary: str  # translated lazily: `duban --help` speaks DUBAN_LANGUAGE (zh-hans unless "en")


# (group title, commands). A command whose management command is not installed yet
# (a part of the product still to come) is left out of the help and refused plainly.
GROUPS: list[tuple[str, list[Command]]] = [
    (_("开始使用"), [
        Command("demo", "demo", "demo [--scale district|city|province] [--port N] [--no-serve] [--fresh]",
                _("建库、生成演示活动并在 127.0.0.1 上打开")),
        Command("serve", "serve", "serve [--port N] [--workers N]", _("启动网页服务（先自动迁移数据库）")),
        Command("worker", "worker", "worker [--batch] [--interval S]", _("运行后台任务与定时任务")),
        Command("migrate", "migrate", "migrate", _("建立或升级数据库结构")),
    ]),
    (_("活动与人员"), [
        Command("campaign", "campaign", "campaign create NAME --unit UNIT | campaign list", _("建立活动、列出活动")),
        Command("user", "user", "user add|list|password|unlock …",
                _("添加人员及其单位和角色、列出人员、重设密码、解除登录锁定")),
        Command("createsuperuser", "createsuperuser", "createsuperuser", _("建立系统管理员账号")),
        Command("token", "token", "token create|list|revoke …", _("API 令牌")),
    ]),
    (_("数据进出"), [
        Command("import", "import_ledger", "import units|problems|suggestions|… FILE.xlsx [--campaign ID]",
                _("导入 Excel 台账（出错则一行不写）")),
        Command("export", "export_ledger", "export problems|suggestions|… --out FILE.xlsx", _("按同样的列导出")),
    ]),
    (_("运维"), [
        Command("backup", "backup", "backup --out FILE", _("备份数据库、附件与模型")),
        Command("restore", "restore", "restore FILE [--force]", _("从备份恢复")),
        Command("check", "check", "check --deploy", _("检查部署设置（生产环境应无任何警告）")),
        Command("calendar", "calendar", "calendar list [YEAR] | set DATE holiday|workday|normal | import [FILE]",
                _("工作日历：法定节假日与调休上班")),
    ]),
    (_("调度"), [
        Command("rounds", "rounds", 'rounds open NAME --cadence routine|key|adhoc --due "YYYY-MM-DD HH:MM" [--units U1,U2] | status ID [--json] | remind ID | list',
                _("发起调度报送、查看报送情况、向未报送单位催报")),
    ]),
    (_("通知"), [
        Command("notify", "notify", "notify send | notify test dingtalk|wecom|email TARGET [--secret S]",
                _("发出待发的通知；向钉钉群、企业微信群或邮箱发一条测试消息")),
        Command("remind", "remind", "remind run [KEY…] [--dry-run] [--date D] | remind list",
                _("立即发送提醒：整改到期、意见建议超期未答复、推进办待办汇总")),
    ]),
    (_("统计与分析"), [
        Command("stats", "stats", "stats [--json] [--date D] | stats snapshot", _("主要数字（问题、整改率、意见建议…）；某天记录的快照")),
        Command("triage", "triage", "triage train|classify …", _("训练与使用分拣模型")),
        Command("bulletin", "bulletin", "bulletin --period week|month --out FILE.docx", _("生成通报")),
    ]),
]
COMMANDS = {c.name: c for _, cmds in GROUPS for c in cmds}


def _installed() -> dict[str, str]:
    """Management command name → app, once Django is set up."""
    import django
    from django.core.management import get_commands

    django.setup()
    return get_commands()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("duban")
    except PackageNotFoundError:
        return "dev"


def _database() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"SQLite {db['NAME']}"
    return f"PostgreSQL {db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db['NAME']}"


def help_text(installed: dict[str, str]) -> str:
    from django.conf import settings

    lines = [f"duban {_version()} — " + gettext("督办：工作推进、问题整改、意见建议、调度与通报"), "",
             gettext("用法：duban <命令> [参数]      duban <命令> --help 查看该命令的参数"), ""]
    colon = gettext("：")
    for title, cmds in GROUPS:
        shown = [c for c in cmds if c.target in installed]
        if not shown:
            continue
        lines.append(f"{title}{colon}")
        lines += [f"  {c.name:<16}{c.summary}" for c in shown]
        lines.append("")
    lines += [
        gettext("其他："),
        f"  {'manage':<16}" + gettext("Django 的内部命令（duban manage help 列出全部，如 dbshell、check --deploy）"),
        "",
        gettext("数据目录：%(dir)s（由 DUBAN_DATA_DIR 指定）") % {"dir": settings.DATA_DIR},
        gettext("数据库：%(db)s（由 DUBAN_DATABASE_URL 指定，不设则用数据目录里的 SQLite）") % {"db": _database()},
    ]
    return "\n".join(lines)


def _run(target: str, shown_as: str, rest: list[str]) -> None:
    from django.core.management import ManagementUtility

    # run_from_argv takes argv[1] as the name in its usage line: show what the user typed.
    ManagementUtility(["duban", target]).fetch_command(target).run_from_argv(["duban", shown_as, *rest])


def main(argv: list[str] | None = None) -> None:
    from django.core.exceptions import ImproperlyConfigured

    try:
        _main(argv)
    except ImproperlyConfigured as exc:
        # A deployment mistake (no secret key in production, DEBUG on…): one clear line, no traceback.
        sys.exit(f"duban：配置有误：{exc}")


def _main(argv: list[str] | None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    first = args[0] if args else "--help"

    if first == "manage":
        from django.core.management import execute_from_command_line

        execute_from_command_line(["duban manage", *(args[1:] or ["help"])])
        return
    if first in ("--version", "version"):
        print(f"duban {_version()}")
        return

    installed = _installed()
    _activate_language()
    if first in ("-h", "--help", "help"):
        if first == "help" and len(args) > 1 and args[1] in COMMANDS:
            args = [args[1], "--help"]
        else:
            print(help_text(installed))
            return
    command = COMMANDS.get(args[0])
    if command is None or command.target not in installed:
        sys.exit(_unknown(args[0], installed))
    _run(command.target, command.name, args[1:])


def _activate_language() -> None:
    """The command line speaks Chinese unless DUBAN_LANGUAGE=en (LANG is not used: servers in
    China often run with LANG=en_US.UTF-8 and their operators read Chinese)."""
    from django.utils import translation

    wanted = os.environ.get("DUBAN_LANGUAGE", "").lower()
    translation.activate("en" if wanted.startswith("en") else "zh-hans")


def _unknown(name: str, installed: dict[str, str]) -> str:
    if name in COMMANDS:
        return f"duban：“{name}”尚未提供（这部分功能还在开发中）。"
    if name in installed:
        return f"duban：“{name}”是 Django 的内部命令，请用：duban manage {name}"
    near = difflib.get_close_matches(name, [n for n, c in COMMANDS.items() if c.target in installed], n=3)
    hint = f"，是不是：{'、'.join(near)}？" if near else "。"
    return f"duban：没有命令“{name}”{hint}用 duban --help 查看全部命令。"


if __name__ == "__main__":
    main()
