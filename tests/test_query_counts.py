"""Exact query counts of every page and API read, pinned (NetBox-style), and no N+1.

Generated from the URLconf like the permission matrix: every named route is either in
`COUNTS` (a GET: page, download or API read) or in `NOT_READS` (a write, or not ours) —
a new route with no entry fails `test_every_route_has_a_count` ("add its count").

Each count is measured as the office, a leader and the liaison of 平安镇 (a town) on the
second of two identical requests (the first fills the session, the figures cache and the
calendar), on a small world and on one with three times as many rows of every kind. The
two must give the number in the table: a page whose count grows with its rows makes one
query per row (N+1) and is a bug — fix its query (select_related, prefetch_related, an
annotation), or, while it cannot be, list it in `KNOWN_GROWS` with why (that list may only
shrink). The same numbers hold on SQLite and PostgreSQL.

Re-pinning after a change (one table, one place):

    DUBAN_PRINT_COUNTS=1 pytest tests/test_query_counts.py -q

measures everything without failing and prints the table as `COUNTS` spells it, to paste
over it (also written to $DUBAN_COUNTS_OUT, default /tmp/duban-counts.txt). A mismatch
prints the SQL captured, numbered, so the added or missing query is easy to spot.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.test_permission_matrix import ADMIN_PREFIX, route_names

ROLES = ("office", "leader", "liaison")  # the liaison of 平安镇 (town A), which owns the objects opened
USERS = {"office": "office", "leader": "leader", "liaison": "liaison_a"}
PRINT = os.environ.get("DUBAN_PRINT_COUNTS") == "1"

# The URL arguments of routes that take some, from the world below.
KWARGS: dict[str, Callable[[dict], dict]] = {
    "orgs:unit_detail": lambda w: {"pk": w["tree"]["town_a"].pk},
    "campaigns:detail": lambda w: {"pk": w["campaign"].pk},
    "office:schedule_edit": lambda w: {"pk": w["schedule"].pk},
    "notify:channel_edit": lambda w: {"unit_pk": w["tree"]["town_a"].pk},
    "ledger:problem_detail": lambda w: {"pk": w["problem"].pk},
    "ledger:problem_edit": lambda w: {"pk": w["problem"].pk},
    "ledger:evidence_download": lambda w: {"pk": w["evidence"].pk},
    "ledger:problem_import_errors": lambda w: {"token": w["import_error_token"]},
    "plan:import_errors": lambda w: {"token": w["plan_import_error_token"]},
    "intake:detail": lambda w: {"pk": w["suggestion"].pk},
    "plan:item": lambda w: {"pk": w["plan_item"].pk},
    "plan:item_edit": lambda w: {"pk": w["plan_item"].pk},
    "plan:evidence_download": lambda w: {"pk": w["plan_evidence"].pk},
    "intake:photo": lambda w: {"pk": w["photo"].pk},
    "public:status": lambda w: {"code": w["code"]},
    "api:unit_detail": lambda w: {"unit_id": w["tree"]["town_a"].pk},
    "api:get_campaign": lambda w: {"campaign_id": w["campaign"].pk},
    "api:get_problem": lambda w: {"problem_id": w["problem"].pk},
    "api:download_evidence": lambda w: {"problem_id": w["problem"].pk, "evidence_id": w["evidence"].pk},
    "api:get_suggestion": lambda w: {"suggestion_id": w["suggestion"].pk},
    "api:public_status": lambda w: {"code": w["code"]},
    "api:predictions": lambda w: {"suggestion_id": w["suggestion"].pk},
    "api:hot_run": lambda w: {"run_id": w["hot_run"].pk},
    "api:get_task": lambda w: {"item_id": w["item"].pk},
    "triage:hot_issue": lambda w: {"pk": w["hot_issue"].pk},
    "projects:project": lambda w: {"pk": w["project"].pk},
    "projects:project_edit": lambda w: {"pk": w["project"].pk},
    "projects:record": lambda w: {"pk": w["project"].pk},
    "projects:nodes": lambda w: {"pk": w["project"].pk},
    "projects:file_download": lambda w: {"pk": w["project_file"].pk},
    "projects:import_errors": lambda w: {"token": w["project_imports"][-1]},
    "api:get_project": lambda w: {"project_id": w["project"].pk},
    "api:list_nodes": lambda w: {"project_id": w["project"].pk},
    "api:list_records": lambda w: {"project_id": w["project"].pk},
    "rounds:round": lambda w: {"pk": w["round"].pk},
    "rounds:summary_xlsx": lambda w: {"pk": w["round"].pk},
    "rounds:submission": lambda w: {"pk": w["round_submission"].pk},
    "rounds:cadence_edit": lambda w: {"pk": w["round"].campaign.round_cadences.order_by("pk").first().pk},
    "api:get_round": lambda w: {"round_id": w["round"].pk},
    "api:list_submissions": lambda w: {"round_id": w["round"].pk},
    "api:get_submission": lambda w: {"round_id": w["round"].pk, "unit_id": w["round_submission"].unit_id},
}
# Query strings: the lists are read with a search as well, the path people take most.
QUERY = {"orgs:unit_list": "?q=村", "ledger:problem_list": "?q=村", "intake:inbox": "?status=&q=路", "api:list_problems": "?q=村", "api:list_suggestions": "?q=路", "api:list_tasks": "?q=道路", "plan:item_list": "?q=事项",
         "orgs:unit_search": "?q=村"}

# Queries of the second GET, per role (ROLES order); None: the role cannot open the route
# (refused, 403/404 — the permission matrix checks which). Re-pin with DUBAN_PRINT_COUNTS=1.
# Today every count is the same on SQLite and PostgreSQL; one that legitimately differs (a
# savepoint, a vendor-specific search) is written {"sqlite": (…), "postgresql": (…)}, with why.
# fmt: off
COUNTS: dict[str, tuple[int | None, ...] | dict[str, tuple[int | None, ...]]] = {
    # route                              office leader liaison
    "account:tokens":                    (7, 8, 7),
    "api:counts":                        (11, 11, 10),
    "api:download_evidence":             (5, 5, 4),
    "api:get_campaign":                  (5, 5, 5),
    "api:get_problem":                   (7, 7, 6),
    "api:get_project":                   (14, 14, 13),
    "api:get_round":                     (19, 18, 6),
    "api:get_submission":                (12, 12, 11),
    "api:get_suggestion":                (6, 6, 5),
    "api:get_task":                      (14, 14, 13),
    "api:hot_latest":                    (11, 11, None),
    "api:hot_run":                       (11, 11, None),
    "api:list_campaigns":                (5, 5, 5),
    "api:list_models":                   (6, 6, None),
    "api:list_nodes":                    (7, 7, 6),
    "api:list_problems":                 (6, 6, 5),
    "api:list_projects":                 (6, 6, 5),
    "api:list_records":                  (9, 9, 8),
    "api:list_rounds":                   (6, 6, 5),
    "api:list_submissions":              (7, 7, 6),
    "api:list_suggestions":              (6, 6, 5),
    "api:list_tasks":                    (7, 7, 6),
    "api:openapi-json":                  (0, 0, 0),
    "api:openapi-view":                  (2, 2, 2),
    "api:predictions":                   (6, 6, None),
    "api:problem_rates":                 (6, 6, 5),
    "api:project_figures":               (11, 11, 10),
    "api:public_status":                 (16, 16, 16),
    "api:public_units":                  (17, 17, 17),
    "api:punctuality":                   (12, 12, 9),
    "api:stats":                         (14, 14, 13),
    "api:suggestion_figures":            (6, 6, 5),
    "api:task_overview":                 (9, 9, 8),
    "api:unit_detail":                   (5, 5, 4),
    "api:unit_list":                     (6, 6, 5),
    "audit:list":                        (10, None, None),
    "campaigns:detail":                  (9, 10, 9),
    "campaigns:list":                    (7, 8, 7),
    "favicon":                           (0, 0, 0),
    "healthz":                           (0, 0, 0),
    "home":                              (21, 21, 20),
    "intake:channels":                   (16, 17, 15),
    "intake:detail":                     (13, 13, 11),
    "intake:export":                     (8, 8, 7),
    "intake:import":                     (7, None, None),
    "intake:inbox":                      (19, 19, 17),
    "intake:new":                        (10, None, 10),
    "intake:photo":                      (6, 6, 5),
    "ledger:evidence_download":          (5, 5, 4),
    "ledger:my_items":                   (14, 9, 11),
    "ledger:problem_create":             (8, None, 8),
    "ledger:problem_detail":             (11, 12, 10),
    "ledger:problem_edit":               (9, None, 7),
    "ledger:problem_export":             (9, 9, 8),
    "ledger:problem_import":             (7, None, None),
    "ledger:problem_import_errors":      (2, None, None),
    "ledger:problem_list":               (13, 14, 12),
    "ledger:problem_list htmx":          (8, 8, 7),
    "ledger:summary":                    (13, 14, 12),
    "login":                             (6, 7, 6),
    "notify:channel_edit":               (10, 11, 9),
    "notify:channels":                   (10, 11, 9),
    "notify:inbox":                      (8, 9, 8),
    "office:background":                 (9, None, None),
    "office:calendar":                   (8, None, None),
    "office:schedule_edit":              (7, None, None),
    "orgs:unit_detail":                  (14, 15, 13),
    "orgs:unit_import":                  (6, None, None),
    "orgs:unit_list":                    (11, 12, 10),
    "orgs:unit_search":                  (8, 8, 7),
    "plan:baselines":                    (13, 14, 12),
    "plan:evidence_download":            (5, 5, 4),
    "plan:export":                       (11, 11, 10),
    "plan:import":                       (7, None, None),
    "plan:import_errors":                (2, None, None),
    "plan:item":                         (18, 19, 17),
    "plan:item_edit":                    (12, None, None),
    "plan:item_list":                    (15, 16, 14),
    "plan:item_list htmx":               (11, 11, 10),
    "plan:item_new":                     (8, None, None),
    "plan:leader":                       (11, 12, 10),
    "plan:light_rule":                   (8, None, None),
    "plan:map":                          (15, 16, 14),
    "plan:map_data":                     (11, 11, 10),
    "plan:mine":                         (11, 9, 10),
    "plan:schedule":                     (12, 13, 11),
    "plan:warnings":                     (12, 13, 11),
    "projects:board":                    (20, 21, 19),
    "projects:export":                   (9, 9, 8),
    "projects:figures":                  (16, 17, 15),
    "projects:file_download":            (6, 6, 5),
    "projects:import":                   (7, None, None),
    "projects:import_errors":            (2, None, None),
    "projects:light_rule":               (8, None, None),
    "projects:list":                     (17, 18, 16),
    "projects:mine":                     (13, 12, 12),
    "projects:nodes":                    (10, None, None),
    "projects:pools":                    (11, None, None),
    "projects:project":                  (18, 19, 17),
    "projects:project_edit":             (11, None, None),
    "projects:project_new":              (9, None, None),
    "projects:record":                   (11, None, 10),
    "projects:warnings":                 (12, 13, 11),
    "public:lookup":                     (2, 2, 2),
    "public:status":                     (18, 18, 18),
    "public:submit":                     (4, 4, 4),
    "rounds:cadence_edit":               (8, None, None),
    "rounds:cadence_new":                (7, None, None),
    "rounds:cadences":                   (9, 12, None),
    "rounds:index":                      (12, 11, 10),
    "rounds:punctuality":                (13, 16, 15),
    "rounds:round":                      (21, 22, 11),
    "rounds:round_new":                  (7, None, None),
    "rounds:submission":                 (14, 15, 13),
    "rounds:summary_xlsx":               (17, 17, None),
    "triage:hot":                        (13, 14, None),
    "triage:hot_issue":                  (12, 13, None),
    "triage:models":                     (10, 11, None),
}
# fmt: on

# Routes whose count still grows with their rows, and why: may only shrink.
KNOWN_GROWS: dict[str, str] = {}

# Named routes that are not reads: they are pinned by the tests of their writes.
NOT_READS: dict[str, str] = {
    "logout": "POST", "set_language": "POST", "account:token_revoke": "POST", "notify:inbox_read": "POST",
    "ledger:problem_bulk": "POST", "ledger:problem_import_apply": "POST", "plan:import_apply": "POST", "ledger:problem_transition": "POST",
    "ledger:problem_note": "POST", "ledger:evidence_upload": "POST",
    "intake:reply": "POST", "intake:close": "POST", "intake:to_problem": "POST", "intake:join_problem": "POST",
    "triage:hot_run": "POST", "triage:train": "POST", "triage:route": "POST", "triage:reply_check": "POST",
    "api:create_unit": "POST", "api:create_problem": "POST", "api:update_problem": "PATCH", "api:transition": "POST",
    "api:add_note": "POST", "api:upload_evidence": "POST", "api:create_suggestion": "POST", "api:import_suggestions": "POST",
    "api:route": "POST", "api:reply": "POST", "api:close": "POST", "api:to_problem": "POST", "api:join_problem": "POST",
    "plan:item_transition": "POST", "plan:item_report": "POST", "plan:item_instruction": "POST", "plan:milestone_done": "POST",
    "api:public_submit": "POST", "api:public_rate": "POST", "api:classify": "POST", "api:train": "POST",
    "api:hot_run_now": "POST", "api:reply_check": "POST",
    "api:create_task": "POST", "api:update_task": "PATCH", "api:task_transition": "POST", "api:task_report": "POST",
    "api:task_instruction": "POST", "api:task_evidence": "POST",
    "intake:transition": "POST", "intake:callback": "POST",
    "plan:dependency_add": "POST", "plan:dependency_remove": "POST", "plan:baseline_freeze": "POST", "api:suggestion_transition": "POST", "api:add_callback": "POST",
    "rounds:chase": "POST", "rounds:return": "POST", "rounds:cadence_toggle": "POST",
    "projects:project_delete": "POST", "projects:project_transition": "POST", "projects:project_move": "POST", "projects:blocker_add": "POST",
    "projects:node_done": "POST", "projects:file_upload": "POST", "projects:import_apply": "POST",
    "api:create_blocker": "POST", "api:create_project": "POST", "api:create_record": "POST", "api:project_stage": "POST",
    "api:update_project": "PATCH",
    "api:open_round": "POST", "api:attach_file": "POST", "api:remind": "POST", "api:submit": "POST", "api:return_submission": "POST",
    "api:api-root": "answers 404 to everyone (the API's bare root)",
}


def test_every_route_has_a_count():
    routes = {n for n in route_names() if not n.startswith(ADMIN_PREFIX)}
    missing = sorted((routes | {f"{n} htmx" for n in HTMX}) - set(COUNTS) - set(NOT_READS))
    assert not missing, f"routes without a query count in tests/test_query_counts.py COUNTS (add its count, or say in NOT_READS why it has none): {missing}"
    stale = sorted(k for k in set(COUNTS) | set(NOT_READS) | set(KNOWN_GROWS) if k.split()[0] not in routes)
    assert not stale, f"entries for routes that no longer exist: {stale}"
    assert not set(COUNTS) & set(NOT_READS), "a route is either read (COUNTS) or not (NOT_READS)"
    assert set(KNOWN_GROWS) <= set(COUNTS)


# ---------------------------------------------------------------------------- the world
PNG_NAMES = ("现场", "整改后", "验收")


def build_world(scale: int, tmp_path) -> dict:
    """The district of tests/conftest.py with `2 × scale` rows of every kind a page lists:
    units, campaigns, problems (with evidence, notes and transitions), suggestions (routed,
    replied, rated, with photos), hot-issue runs, router models, messages, tokens,
    schedules, calendar days, unit channels — and the audit rows all of these leave."""
    from django.test import Client

    from duban.campaigns.services import campaign_create
    from duban.core.schedules import schedule_register
    from duban.core.workcalendar import HOLIDAY
    from duban.intake import ledger_link
    from duban.intake import services as intake
    from duban.intake.models import Photo
    from duban.ledger import services as ledger
    from duban.ledger.demo import tiny_png
    from duban.notify.models import Channel
    from duban.notify.services import notify_send, unit_channel_set
    from duban.office.services import calendar_day_change
    from duban.orgs import services as orgs
    from duban.orgs.models import UnitKind
    from duban.triage import services as triage
    from duban.triage.models import HotIssue
    from tests.conftest import build_campaign, build_tree, build_users
    from tests.test_permission_matrix import _png
    from tests.xlsx_util import make_xlsx

    n = 2 * scale
    tree = build_tree()
    users = build_users(tree)
    actor = users["office"]  # the office may do each of these; a system actor would need skip_checks on every call
    campaign = build_campaign(tree)
    for i in range(n):  # older campaigns: the current one stays the one above
        campaign_create(actor=actor, name=f"往期活动{i}", unit=tree["root"], start_date=dt.date(2015 + i % 5, 1, 1 + i))
        for town in ("town_a", "town_b"):
            orgs.unit_create(actor=actor, name=f"{tree[town].name}新村{i}", kind=UnitKind.VILLAGE, parent=tree[town])
    for i in range(n):  # more people in the unit opened
        orgs.member_add(actor=users["office"], unit=tree["town_a"], username=f"liaison_a{i}", role="liaison", full_name=f"联络员{i}",
                        password="pw-counts-1234")
    # problems: n per unit of four, each with evidence and a note; the states vary
    problems = []
    for unit in ("village_a1", "village_a2", "village_b1", "dept"):
        for i in range(n):
            p = ledger.problem_create(actor=actor, campaign=campaign, description=f"{tree[unit].name}道路破损第{i}处",
                                      unit=tree[unit], deadline=dt.date(2030, 1, 1) if i % 2 else dt.date(2021, 12, 31),
                                      owner=f"负责人{i}", measures="限期修复")
            ledger.problem_add_evidence(actor=actor, problem=p, name=f"{PNG_NAMES[i % 3]}{i}.png", data=tiny_png())
            ledger.problem_note(actor=actor, problem=p, note=f"进展{i}")
            if i % 3 == 1:
                p = ledger.problem_claim(actor=actor, problem=p)
                p = ledger.problem_request_extension(actor=actor, problem=p, until=dt.date(2031, 6, 30), reason="资金未到位")
            elif i % 3 == 2:
                p = ledger.problem_claim(actor=actor, problem=p)
                p = ledger.problem_submit(actor=actor, problem=p, files=[("提交.png", tiny_png())])
            problems.append(p)
    problem = problems[0]
    for i in range(n):  # the problem opened: more evidence and a longer timeline
        ledger.problem_add_evidence(actor=actor, problem=problem, name=f"补充{i}.png", data=tiny_png())
        ledger.problem_note(actor=actor, problem=problem, note=f"补充进展{i}")
    problem.refresh_from_db()
    evidence = problem.evidence.order_by("pk").first()
    # the plan: an aspect; n items per unit of four, each with a co-responsible unit, a
    # milestone, a report and an instruction; the one opened has n of each more
    from duban.plan import services as plan

    aspect = plan.item_create(actor=actor, campaign=campaign, new=plan.NewItem(title="交通提升", lead_unit=tree["root"]))
    items = []
    for unit, co in (("village_a1", "town_b"), ("village_a2", "town_b"), ("village_b1", "town_a"), ("dept", "town_a")):
        for i in range(n):
            it = plan.item_create(actor=actor, campaign=campaign, refresh=False, new=plan.NewItem(
                title=f"{tree[unit].name}道路硬化第{i}段", lead_unit=tree[unit], co_units=[tree[co]], parent=aspect,
                deadline=dt.date(2030, 1, 1) if i % 2 else dt.date(2021, 12, 31)))
            plan.milestones_set(actor=actor, item=it, milestones=[("开工", dt.date(2029, 6, 1), tree[co])])
            plan.item_report(actor=actor, item=it, note=f"进展{i}", unit=tree[co])
            plan.instruction_add(actor=actor, item=it, author="区长", text=f"抓紧推进{i}")
            items.append(it)
    item = items[0]
    for i in range(n):
        plan.item_report(actor=actor, item=item, note=f"补充进展{i}", unit=tree["town_b"])
        plan.instruction_add(actor=actor, item=item, author="书记", text=f"再次批示{i}")
        plan.evidence_add(actor=actor, item=item, name=f"现场{i}.png", data=tiny_png())
    plan.plan_refresh(campaign=campaign)
    plan.baseline_freeze(actor=actor, campaign=campaign, name="初始计划")
    # suggestions: n per town, routed, with photos (the one opened: one per scale, up to the 3
    # allowed); half replied and rated
    suggestions = []
    for town in ("town_a", "town_b"):
        for i in range(n):
            photos = [_png(f"照片{k}.png") for k in range(min(scale, 3) if not suggestions else 1)]
            s = intake.suggestion_submit(actor=actor, campaign=campaign, body=f"{tree[town].name}的路灯坏了第{i}盏，晚上看不见路。",
                                         contact_name="张三", contact_phone="13812345678", photos=photos)
            s = intake.suggestion_route(actor=actor, suggestion=s, unit=tree[town])
            if i % 2:
                s = intake.suggestion_reply(actor=users["office"], suggestion=s, text=f"已安排维修第{i}盏路灯。")
                intake.suggestion_rate(suggestion=s, rating="satisfied")
            suggestions.append(s)
    suggestion = suggestions[0]
    for s in suggestions[1:n]:  # the same matter reported again: joined to the problem opened
        ledger_link.join_problem(actor=users["office"], suggestion=s, problem_id=problem.pk)
    for i in range(n):  # waiting to be sorted: the office's inbox, with the router's guesses
        intake.suggestion_submit(actor=actor, campaign=campaign, body=f"区里的路面塌陷第{i}处，请尽快修复。", channel="hotline",
                                 contact_phone="13812345678")
    photo = Photo.objects.filter(suggestion=suggestion).order_by("pk").first()
    hot_runs = [triage.hot_from_suggestions(actor=actor, campaign=campaign) for _ in range(n)]
    hot_issue = hot_runs[-1].issues.order_by("rank").first() or HotIssue.objects.create(
        run=hot_runs[-1], rank=1, title="路面塌陷", size=n + 1,
        messages=[{"id": f"s{s.pk}", "suggestion_id": s.pk, "title": s.title, "time": "2026-01-05 10:00", "user": "", "likes": 0, "excerpt": ""}
                  for s in suggestions[: n + 1]])
    texts = [f"{w}的问题，请尽快处理" for w in ("路灯不亮", "道路坑洼", "马路积水", "学校收费", "幼儿园入学", "教师补课")] * 3
    labels = (["交通运输"] * 3 + ["教育文体"] * 3) * 3
    for i in range(scale):
        triage.train_model(actor=actor, texts=texts, labels=labels, target="area", campaign=campaign, path=tmp_path / f"area{i}.model", cv=0)
    schedules = [schedule_register(key=f"counts-{i}", task_path="duban.core.tasks.ping", rule="daily", at=dt.time(10, i))
                 for i in range(n)]
    for i in range(n):
        calendar_day_change(actor=users["office"], date=dt.date(2026, 12, 1 + i), kind=HOLIDAY, name=f"测试假日{i}")
        notify_send(units=[tree["town_a"], tree["root"]], subject=f"到期提醒{i}", body="有问题即将到期", kind="reminder",
                    dedup_key=f"counts-{i}")
        for who in ("office", "leader", "liaison_a"):
            orgs.token_create(actor=actor, user=users[who], label=f"脚本{i}")
    for unit in [tree["town_a"], tree["town_b"], *tree["town_a"].children.order_by("pk")[: n - 2]]:
        unit_channel_set(actor=actor, unit=unit, channel=Channel.EMAIL, target=f"u{unit.pk}@gov.cn")
        unit_channel_set(actor=actor, unit=unit, channel=Channel.DINGTALK,
                         target=f"https://oapi.dingtalk.com/robot/send?access_token=t{unit.pk}", secret="SEC0123456789")

    # the plan: n items per unit of three under an aspect, each with co units, two nodes, a
    # report and evidence; the item opened has n more of everything its page lists
    from duban.plan import services as plan

    aspect = plan.item_create(actor=actor, campaign=campaign, new=plan.NewItem(title="优化营商环境", lead_unit=tree["root"]), refresh=False)
    items = []
    for unit, co in (("town_a", "town_b"), ("town_b", "dept"), ("dept", "town_a")):
        for i in range(n):
            it = plan.item_create(actor=actor, campaign=campaign, refresh=False, new=plan.NewItem(
                title=f"{tree[unit].name}督办事项第{i}项", lead_unit=tree[unit], co_units=[tree[co], tree["village_a1"]], parent=aspect,
                seq=f"{unit}-{i}", leader_name="李明", start_date=dt.date(2024, 1, 5),
                deadline=dt.date(2030, 1, 1) if i % 2 else dt.date(2024, 12, 31), duration_days=20))
            plan.milestones_set(actor=actor, item=it, milestones=[("方案", dt.date(2029, 1, 1), tree[unit]), ("验收", dt.date(2029, 12, 1), tree[co])])
            plan.item_report(actor=actor, item=it, note=f"进展{i}", progress=10 * (i % 10))
            plan.evidence_add(actor=actor, item=it, name=f"现场{i}.png", data=tiny_png())
            items.append(it)
    plan_item = items[0]
    for i in range(n):
        child = plan.item_create(actor=actor, campaign=campaign, refresh=False, new=plan.NewItem(
            title=f"具体措施{i}", lead_unit=tree["village_a1"], co_units=[tree["village_a2"]], parent=plan_item, deadline=dt.date(2029, 6, 1)))
        plan.dependency_add(actor=actor, predecessor=items[n + i], successor=plan_item)
        if i % 2:
            plan.dependency_add(actor=actor, predecessor=plan_item, successor=child)
        plan.instruction_add(actor=actor, item=plan_item, author=f"领导{i}", text=f"批示{i}")
        plan.item_report(actor=actor, item=plan_item, note=f"补充进展{i}")
        plan.evidence_add(actor=actor, item=plan_item, name=f"补充{i}.png", data=tiny_png())
        plan.baseline_freeze(actor=actor, campaign=campaign, name=f"基线{i}")
    plan.milestones_set(actor=actor, item=plan_item, milestones=[(f"节点{i}", dt.date(2029, 1, 1 + i), tree["town_a"]) for i in range(n)])
    plan_item.refresh_from_db()
    plan_evidence = plan_item.evidence.order_by("pk").first()

    # a refused ledger import held in the office's session: its error report is a download
    office = Client()
    office.force_login(users["office"])
    bad = make_xlsx(tmp_path / "bad.xlsx", ["序号", "问题描述", "责任单位", "整改时限"],
                    [[900 + i, "二村水渠淤塞", "不存在的村", "2030-03-31"] for i in range(n)])
    with open(bad, "rb") as fh:
        office.post(reverse("ledger:problem_import"), {"file": fh, "campaign": campaign.pk})
    imports = list(office.session["ledger_imports"])
    # the plan: n tasks with measures, lead and co-responsible units (imported as offices do),
    # and a refused 任务分工表 whose error report is a download
    plan_header = ["序号", "方面", "重点任务", "具体措施", "牵头单位", "责任单位", "完成时限", "进展情况"]
    plan_rows = [[f"{i}.{k}", "优化营商环境", f"压缩审批时限{i}", f"一窗受理{i}-{k}", "平安镇" if k else "一村", "二村、洮河镇，区财政局",
                  "2030-03-31", ""] for i in range(n) for k in range(2)]
    with open(make_xlsx(tmp_path / "plan.xlsx", plan_header, plan_rows), "rb") as fh:
        office.post(reverse("plan:import"), {"file": fh, "campaign": campaign.pk})
    office.post(reverse("plan:import_apply", kwargs={"token": office.session["plan_imports"][-1]}), {"campaign": campaign.pk})
    plan_bad = make_xlsx(tmp_path / "plan-bad.xlsx", plan_header, [[1, "方面", "任务", f"措施{i}", "不存在的村", "", "", ""] for i in range(n)])
    with open(plan_bad, "rb") as fh:
        office.post(reverse("plan:import"), {"file": fh, "campaign": campaign.pk})
    plan_imports = list(office.session["plan_imports"])
    # key projects: n projects of the two towns (区财政局 their 责任部门), each with n nodes, n
    # weekly dispatch records (the first raising a blocker: a ledger problem) and a photo; a
    # refused 项目库 import whose error report is a download
    from duban.projects import services as projects
    from duban.projects.models import NodeKind, Stage

    project_list = []
    for i in range(n):
        p = projects.project_create(actor=actor, campaign=campaign, new=projects.NewProject(
            name=f"重点项目{i}", unit=tree["town_a" if i % 2 == 0 else "town_b"], department=tree["dept"], total_wan=10000 + i,
            annual_plan_wan=3000, stage=Stage.STARTED, started_on=dt.date(2026, 1, 5), planned_start=dt.date(2026, 1, 1),
            planned_finish=dt.date(2028, 12, 31), industry="新能源"))
        projects.nodes_set(actor=actor, project=p, nodes=[projects.NewNode(f"节点{k}", NodeKind.OTHER, unit=tree["dept"],
                                                                           planned_on=dt.date(2027, 1, 1 + k)) for k in range(n)])
        for k in range(n):
            projects.record_save(actor=actor, project=p, day=dt.date(2026, 6, 1) + dt.timedelta(days=7 * k), progress=5 * k,
                                 progress_note=f"第{k}周进展", invested_wan=10,
                                 blockers=[projects.NewBlocker("land", f"用地指标{i}", tree["dept"], dt.date(2030, 1, 1))] if k == 0 else [])
        projects.file_add(actor=actor, project=p, name=f"现场{i}.png", data=tiny_png())
        project_list.append(p)
    project_bad = make_xlsx(tmp_path / "projects-bad.xlsx", ["序号", "项目名称", "所属单位"], [[i, f"项目{i}", "不存在的镇"] for i in range(n)])
    with open(project_bad, "rb") as fh:
        office.post(reverse("projects:import"), {"file": fh, "campaign": campaign.pk})
    project_imports = list(office.session["project_imports"])
    # report rounds: n earlier rounds (past due) that 平安镇 and 区财政局 answered and the office
    # chased, n cadences; the open round's page lists every unit, 平安镇's form is prefilled
    from django.utils import timezone

    from duban.rounds import queries as round_queries
    from duban.rounds import services as rounds
    from duban.rounds.models import Round, Submission

    for i in range(n):
        earlier = rounds.round_open(actor=actor, campaign=campaign, name=f"第{i + 1}周工作进展", due_at=timezone.now() + dt.timedelta(hours=1))
        for unit in ("town_a", "dept"):  # 平安镇 reports 无新进展 (not applied: the plan item opened keeps its reports)
            sub = Submission.objects.get(round=earlier, unit=tree[unit])
            rounds.submission_save(actor=actor, submission=sub, submit=True, lines=[
                rounds.LineInput(f.item.kind, f.item.object_id, done=f"第{i + 1}周工作", problems="资金不足", next_steps="继续推进",
                                 unchanged=unit == "town_a")
                for f in round_queries.form(sub)])
        rounds.round_chase(rnd=earlier, actor=actor, force=True)
        Round.objects.filter(pk=earlier.pk).update(due_at=timezone.now() - dt.timedelta(days=7 * (n - i)),
                                                   opened_at=timezone.now() - dt.timedelta(days=7 * (n - i) + 4))
        rounds.cadence_save(actor=actor, campaign=campaign, name=f"调度安排{i}", kind="routine", rule="weekly", due_time=dt.time(17, 0),
                            scope="units" if i % 2 else "responsible", units=[tree["town_a"], tree["town_b"]] if i % 2 else ())
    open_round = rounds.round_open(actor=actor, campaign=campaign, name="本周工作进展", due_at=timezone.now() + dt.timedelta(days=3))
    rounds.round_chase(rnd=open_round, actor=actor, force=True)
    round_submission = Submission.objects.get(round=open_round, unit=tree["town_a"])
    return {
        "round": open_round, "round_submission": round_submission,
        "tree": tree, "users": users, "campaign": campaign, "problem": problem, "evidence": evidence,
        "suggestion": suggestion, "photo": photo, "code": suggestion.tracking_code, "hot_run": hot_runs[-1], "hot_issue": hot_issue,
        "schedule": schedules[0], "imports": imports, "item": item, "import_error_token": imports[-1],
        "plan_imports": plan_imports, "plan_import_error_token": plan_imports[-1],
        "plan_item": plan_item, "plan_evidence": plan_evidence,
        "project": project_list[0], "project_file": project_list[0].files.get(), "project_imports": project_imports,
    }


def _client(role: str, w: dict):
    from django.test import Client

    c = Client()
    c.force_login(w["users"][USERS[role]])
    if role == "office":
        session = c.session
        session["ledger_imports"] = w["imports"]  # the import previews are the office's own
        session["plan_imports"] = w["plan_imports"]
        session["project_imports"] = w["project_imports"]
        session.save()
    return c


def measure(role: str, key: str, w: dict) -> tuple[int, int, list[str]]:
    """(status, queries, SQL) of the second of two GETs of `key` (a route, or "route htmx" for
    the fragment htmx asks for) as `role`."""
    name, _, variant = key.partition(" ")
    url = reverse(name, kwargs=KWARGS[name](w) if name in KWARGS else {}) + QUERY.get(name, "")
    headers = {"HTTP_HX_REQUEST": "true"} if variant == "htmx" else {}
    c = _client(role, w)
    _read(c.get(url, **headers))  # the first fills the session, the figures cache, the calendar
    with CaptureQueriesContext(connection) as ctx:
        r = c.get(url, **headers)
        _read(r)  # a streamed answer reads as it is sent: its queries count too
    return r.status_code, len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def _read(r) -> bytes:
    return b"".join(r.streaming_content) if r.streaming else r.content


@pytest.fixture(scope="class")
def world(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """The world at the class's scale, built once per class in a transaction rolled back at
    its end; each test runs in a savepoint of it (the `db` fixture). One class per size keeps
    each world's tests together whatever order the tests run in."""
    from django.db import transaction
    from django.test.utils import override_settings

    scale = request.cls.scale
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                yield build_world(scale, tmp_path_factory.mktemp(f"counts{scale}"))
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


MEASURED: dict[tuple[str, str, int], int | None] = {}  # (route, role, scale) → queries, for DUBAN_PRINT_COUNTS
# Routes that also answer htmx with a fragment of the page, measured apart as "route htmx".
HTMX = ("ledger:problem_list", "plan:item_list")
# Re-pinning measures every read the URLconf has, pinned or not.
_READS = sorted(({n for n in route_names() if not n.startswith(ADMIN_PREFIX)} - set(NOT_READS)) | {f"{n} htmx" for n in HTMX}) if PRINT else sorted(COUNTS)
CASES = [(name, role) for name in _READS for role in ROLES]


class _Counts:
    scale = 1

    @pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
    def test_count(self, name, role, world, db):
        status, n, sql = measure(role, name, world)
        opened = status < 400
        MEASURED[(name, role, self.scale)] = n if opened else None
        if PRINT:
            return
        row = COUNTS[name]
        if isinstance(row, dict):  # a count that legitimately differs by database: {"sqlite": (…), "postgresql": (…)}
            row = row[connection.vendor]
        want = row[ROLES.index(role)]
        if want is None:
            assert not opened, f"{name} as {role} answers {status}: it opens now, pin its count ({n} queries)"
            return
        assert opened, f"{name} as {role} answers {status}, expected a page with {want} queries"
        if self.scale > 1 and name in KNOWN_GROWS:
            assert n != want, f"{name} no longer grows with its rows: remove it from KNOWN_GROWS"
            return
        assert n == want, _explain(name, role, self.scale, want, n, sql)


    def test_the_world_lists_its_rows(self, world, db):
        """The pages measured show 2 × scale rows of each kind: else the 3× world proves nothing."""
        n = 2 * self.scale
        c = _client("office", world)
        from duban.plan.models import PlanItem

        plan_rows = PlanItem.objects.count()
        work_items = PlanItem.objects.exclude(level=1).count()
        assert work_items >= 11 * n  # the rows grow with the scale
        seen = {
            "ledger:problem_list": (_read(c.get(reverse("ledger:problem_list") + "?q=村")).decode().count("道路破损第"), 3 * n),
            "intake:inbox": (len(set(re.findall(r"(平安镇|洮河镇)的路灯坏了第(\d+)盏", _read(c.get(reverse("intake:inbox") + QUERY["intake:inbox"])).decode()))), 2 * n),
            "intake:inbox new": (len(set(re.findall(r"路面塌陷第(\d+)处", _read(c.get(reverse("intake:inbox"))).decode()))), n),
            "api:list_suggestions": (c.get(reverse("api:list_suggestions")).json()["count"], 3 * n),
            "notify:inbox": (_read(c.get(reverse("notify:inbox"))).decode().count("到期提醒"), n),
            "api:list_campaigns": (len(c.get(reverse("api:list_campaigns")).json()), 1 + n),
            "api:list_problems": (c.get(reverse("api:list_problems")).json()["count"], 5 * n),  # 4n, and the projects' n blockers
            "api:list_tasks": (c.get(reverse("api:list_tasks") + "?q=道路").json()["count"], 4 * n),
            "account:tokens": (len(re.findall(r"脚本\d", _read(c.get(reverse("account:tokens"))).decode())), n),
            # the plan's rows come from three builders (built, imported, the API's): every one listed
            "plan:export": (_sheet_rows(_read(c.get(reverse("plan:export")))), plan_rows),
            "plan:item_list": (_read(c.get(reverse("plan:item_list") + QUERY["plan:item_list"])).decode().count("督办事项第"), 3 * n),
            "plan:item": (_read(c.get(reverse("plan:item", kwargs=KWARGS["plan:item"](world)))).decode().count("补充进展"), n + 1),  # the last is also its 进展情况
            "plan:map_data": (c.get(reverse("plan:map_data")).json()["count"], work_items),  # aspects are headings
            "plan:schedule": (_read(c.get(reverse("plan:schedule"))).decode().count('<tr id="item-'), work_items),
        }
        assert {k: got for k, (got, _) in seen.items()} == {k: want for k, (_, want) in seen.items()}


def _sheet_rows(body: bytes) -> int:
    import io

    import python_calamine

    return len(python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()) - 1


def _explain(name: str, role: str, scale: int, want: int, got: int, sql: list[str]) -> str:
    small = MEASURED.get((name, role, 1))
    what = "changed"
    if scale > 1 and small == want:
        what = "grows with its rows (N+1?): the small world's is the pinned one"
    elif scale > 1:
        what = f"changed ({small} on the small world)" if small is not None else "changed (or grows: run the small world too to tell)"
    listing = "\n".join(f"  {i:>3}. {q[:400]}" for i, q in enumerate(sql, 1))
    return (f"{name} as {role} at {scale}× rows: {got} queries, pinned {want} — the count {what}.\n"
            f"Queries captured:\n{listing}\n(re-pin with DUBAN_PRINT_COUNTS=1 once the new count is right)")


class TestSmallWorld(_Counts):
    scale = 1


class TestThreeTimesTheRows(_Counts):
    scale = 3


@pytest.fixture(scope="module", autouse=True)
def _print_counts(request):
    """With DUBAN_PRINT_COUNTS=1: the measured table in COUNTS' own layout, and the rows that grow."""
    yield
    if not PRINT or not MEASURED:
        return
    lines = []
    for name in sorted({k[0] for k in MEASURED}):
        small = tuple(MEASURED.get((name, r, 1)) for r in ROLES)
        large = tuple(MEASURED.get((name, r, 3)) for r in ROLES)
        note = f"  # grows: {large} at 3× rows" if any(x is not None and x != y for x, y in zip(small, large, strict=True)) and (name, ROLES[0], 3) in MEASURED else ""
        lines.append(f"    {name + chr(34) + ':':<36}({', '.join(str(x) for x in small)}),{note}".replace("    ", '    "', 1))
    table = "\n".join(lines)
    with open(os.environ.get("DUBAN_COUNTS_OUT", "/tmp/duban-counts.txt"), "w") as fh:
        fh.write(table + "\n")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\nCOUNTS measured ({connection.vendor}):\n{table}")
