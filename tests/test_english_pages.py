"""English under the switch (issue 9 item 14): the catalogue is complete, and the main
pages in English carry no Chinese punctuation (：（），；。、) in their chrome — labels,
buttons, help, separators — and no Chinese words where an English one exists.

The data here is written without Chinese punctuation, so any such mark on an English
page comes from the interface itself.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import duban
from duban.core.actors import SystemActor

PUNCT = re.compile("[：（），；。、！？【】《》]")
LOCALE = Path(duban.__file__).parent / "locale"


def _entries(po_text: str) -> list[str]:
    return [e for e in po_text.split("\n\n")[1:] if e.strip() and not e.lstrip().startswith("#~")]


def _unquote(entry: str, key: str) -> list[str]:
    """The values of `key` (msgid, msgstr, msgstr[0]…) in one entry, joined across lines."""
    out, cur = [], None
    for line in entry.splitlines():
        m = re.match(r"^(msgid_plural|msgid|msgstr(?:\[\d\])?) (\".*\")$", line)
        if m:
            cur = m.group(1) == key or (key == "msgstr" and m.group(1).startswith("msgstr"))
            if cur:
                out.append("")
            value = m.group(2)
        elif line.startswith('"') and cur:
            value = line
        else:
            continue
        if cur:
            out[-1] += value[1:-1]
    return out


def _problems(po_text: str) -> list[str]:
    bad = []
    for e in _entries(po_text):
        msgid = "".join(_unquote(e, "msgid"))
        if "#, fuzzy" in e or re.search(r"^#,.*\bfuzzy\b", e, re.M):
            bad.append(f"fuzzy: {msgid}")
        elif any(s == "" for s in _unquote(e, "msgstr")):
            bad.append(f"untranslated: {msgid}")
    return bad


def test_the_catalogue_checker_finds_untranslated_and_fuzzy_entries():
    sample = 'msgid ""\nmsgstr ""\n\nmsgid "是"\nmsgstr ""\n\n#, fuzzy\nmsgid "否"\nmsgstr "Yes"\n\nmsgid "好"\nmsgstr "Good"\n\n#~ msgid "旧"\n#~ msgstr ""\n'
    assert _problems(sample) == ["untranslated: 是", "fuzzy: 否"]


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext tools (xgettext) are not installed")
def test_every_string_in_the_source_has_an_english_translation(tmp_path):
    """Extract the strings as `duban manage makemessages -l en` would, into a copy of the
    catalogue, and require every entry to be translated and none fuzzy: a string added to
    the code without English fails here, not on a user's screen."""
    src = Path(duban.__file__).parent
    copy = tmp_path / "duban"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "*.mo", "migrations"))
    env = {"DJANGO_SETTINGS_MODULE": "duban.settings", "PYTHONPATH": str(src.parent), "PATH": "/usr/bin:/bin",
           "DUBAN_DATA_DIR": str(tmp_path / "data"), "DUBAN_SECRET_KEY": "x" * 50}
    code = ("import sys, django; from django.conf import settings; django.setup(); "
            f"settings.LOCALE_PATHS = [{str(copy / 'locale')!r}]; "
            "from django.core.management import call_command; call_command('makemessages', locale=['en'], verbosity=0)")
    subprocess.run([sys.executable, "-c", code], cwd=copy, env=env, check=True, capture_output=True, timeout=300)
    extracted = (copy / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert _problems(extracted) == []
    # and the shipped .mo is compiled from the shipped .po (not older)
    po, mo = LOCALE / "en" / "LC_MESSAGES" / "django.po", LOCALE / "en" / "LC_MESSAGES" / "django.mo"
    assert mo.stat().st_mtime >= po.stat().st_mtime - 1 or mo.read_bytes()


def test_english_text_uses_english_punctuation():
    po = (LOCALE / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    bad = []
    for e in _entries(po):
        for s in _unquote(e, "msgstr"):
            # Chinese terms kept as examples (“系统编号”, 2022年3月31日) are data, not punctuation.
            if PUNCT.search(s):
                bad.append(s)
    assert bad == []


@pytest.fixture
def world(users, tree, campaign):
    """A problem and a suggestion whose texts have no Chinese punctuation."""
    from duban.intake import services as intake
    from duban.ledger import services as ledger
    from duban.ledger.models import Kind

    area = campaign.focus_areas.first()
    p = ledger.problem_create(actor=users["office"], campaign=campaign, description="一村路灯不亮 夜间出行不便", unit=tree["village_a1"],
                              focus_area=area, owner="张三", measures="更换灯具", deadline=dt.date(2030, 6, 30), kind=Kind.DEADLINE)
    s = intake.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, title="路灯不亮", body="村口路灯坏了很久", contact_name="李四",
                                 contact_phone="13812345678")
    s = intake.suggestion_route(actor=SystemActor("测试"), skip_checks=True, suggestion=s, unit=tree["town_a"])
    from duban.plan import services as plan

    aspect = plan.item_create(actor=users["office"], campaign=campaign, new=plan.NewItem(title="优化营商环境", lead_unit=tree["root"]))
    item = plan.item_create(actor=users["office"], campaign=campaign, new=plan.NewItem(
        title="压缩审批时限", lead_unit=tree["town_a"], parent=aspect, deadline=dt.date(2030, 6, 30), start_date=dt.date(2021, 11, 9),
        duration_days=20))  # no co units, nodes or instructions: the trail would show their values' Chinese marks (data)
    return {"problem": p, "suggestion": s, "item": item}


def _english(client):
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    return client


def _visible_text(page: str) -> str:
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    attrs = " ".join(re.findall(r'(?:placeholder|title|aria-label)="([^"]*)"', page))
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + attrs)


def _pages(world, tree) -> list[str]:
    p, s = world["problem"], world["suggestion"]
    return [
        "/", "/ledger/", f"/ledger/{p.pk}/", f"/ledger/{p.pk}/edit/", "/ledger/new/", "/ledger/mine/", "/ledger/summary/",
        "/ledger/import/", "/plan/import/", "/intake/?status=", f"/intake/{s.pk}/", "/intake/new/", "/intake/channels/", "/intake/import/",
        f"/units/{tree['root'].pk}/", "/units/?q=镇", "/campaigns/", "/audit/", "/ledger/999999/", "/account/tokens/",
        "/plan/", "/plan/mine/", "/plan/leader/", "/plan/warnings/", f"/plan/{world['item'].pk}/", f"/plan/{world['item'].pk}/edit/",
        "/plan/new/", "/plan/lights/",
        "/plan/map/", "/plan/schedule/", "/plan/baselines/",
    ]


@pytest.mark.parametrize("who", ["office", "leader", "liaison_a"])
def test_main_pages_in_english_have_no_chinese_punctuation_in_the_chrome(users, tree, world, client_for, who):
    client = _english(client_for(users[who]))
    found = {}
    for url in _pages(world, tree):
        r = client.get(url, follow=True)
        if r.status_code in (403, 405):
            continue
        assert r["Content-Language"] == "en", url
        text = _visible_text(r.content.decode())
        marks = sorted({m.group(0) + text[max(0, m.start() - 12):m.start()] for m in PUNCT.finditer(text)})
        if marks:
            found[url] = marks[:8]
    assert found == {}


def test_words_that_stayed_chinese_are_english_now(users, tree, world, client_for):
    from duban.ledger import services as ledger

    p = world["problem"]
    p.extra = {"方面": "基础设施"}
    p.save(update_fields=["extra"])
    office = _english(client_for(users["office"]))
    page = _visible_text(office.get(f"/ledger/{p.pk}/").content.decode())
    assert "Aspect" in page and "方面" not in page
    form = _visible_text(office.get("/ledger/new/").content.decode())
    for label in ("Problem description", "Responsible unit", "Supervising unit", "Rectification measures", "Rectification deadline"):
        assert label in form, label
    assert not re.search("问题描述|责任单位|督办单位|整改措施", form)
    hotline = _visible_text(office.get("/intake/new/").content.decode())
    assert "Channel" in hotline and "留言详情" not in hotline and "联系电话" not in hotline
    # 按期完成 and 重新整改 on a signed-off problem
    from duban.ledger.models import Problem, Status

    Problem.objects.filter(pk=p.pk).update(status=Status.SIGNED_OFF, completed_on=dt.date(2030, 1, 1))
    page = _visible_text(office.get(f"/ledger/{p.pk}/").content.decode())
    assert "Done on time" in page and "按期完成" not in page
    assert "Reopen for rectification" in page and "重新整改" not in page
    del ledger


def test_cli_help_in_english_when_asked(monkeypatch, capsys):
    """`DUBAN_LANGUAGE=en duban --help`: the product's help in English, English punctuation;
    Chinese stays the default."""
    from duban import cli

    monkeypatch.setenv("DUBAN_LANGUAGE", "en")
    cli.main(["--help"])
    out = capsys.readouterr().out
    assert "Getting started:" in out and "Import an Excel ledger" in out and "Data directory:" in out
    assert not PUNCT.search(out), PUNCT.findall(out)
    monkeypatch.delenv("DUBAN_LANGUAGE")
    cli.main(["--help"])
    assert "开始使用：" in capsys.readouterr().out
