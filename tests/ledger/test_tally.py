"""The maintained roll-ups equal a straight count of the ledger after every kind of write."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.actors import SystemActor
from duban.core.dates import today
from duban.ledger import figures, io, queries, services
from duban.ledger.models import OPEN_STATUSES, Problem, ProblemSourceTally, ProblemStatusTally, ProblemTally
from duban.ledger.services import NewProblem
from duban.ledger.tally import tally_figures, tally_rebuild
from tests.ledger.test_io import H, row
from tests.xlsx_util import make_xlsx

pytestmark = pytest.mark.django_db
KEYS = ("total", "rectified", "overdue", "due_soon", "rate", "on_time_rate")


def assert_consistent(campaign, users=()):
    """Tallies (as maintained) == tallies recounted from scratch == the direct count."""
    kept = sorted(ProblemTally.objects.filter(n__gt=0).values_list("campaign_id", "region_id", "area_id", "state", "deadline", "n"))
    source_fields = ("campaign_id", "region_id", "source", "kind", "month", "state", "deadline", "n")
    kept_by_source = sorted(ProblemSourceTally.objects.filter(n__gt=0).values_list(*source_fields))
    status_fields = ("campaign_id", "region_id", "area_id", "status", "n")
    kept_by_status = sorted(ProblemStatusTally.objects.filter(n__gt=0).values_list(*status_fields))
    tally_rebuild([campaign.pk])
    recount = sorted(ProblemTally.objects.filter(n__gt=0).values_list("campaign_id", "region_id", "area_id", "state", "deadline", "n"))
    assert kept == recount
    assert kept_by_source == sorted(ProblemSourceTally.objects.filter(n__gt=0).values_list(*source_fields))
    assert kept_by_status == sorted(ProblemStatusTally.objects.filter(n__gt=0).values_list(*status_fields))
    assert_source_figures_exact(campaign, [None, *users])
    direct = queries.totals(None, campaign=campaign)
    viaroll = tally_figures(campaign_ids=[campaign.pk], due_soon_days=queries.due_soon_days())["total"]
    assert {k: viaroll[k] for k in KEYS} == {k: direct[k] for k in KEYS}
    for user in users:  # region-level users read tallies; their figures must match their scope's count
        assert {k: figures.figures(user=user, campaign=campaign)[k] for k in KEYS} == {k: figures._direct(user, campaign)[k] for k in KEYS}


def assert_source_figures_exact(campaign, users):
    """Rates by source and by month, and the list's counts filtered by source or type, read
    from ProblemSourceTally, equal a straight count of the ledger for each user."""
    t = today()
    for user in users:
        for by in ("source", "month"):
            got = queries._rates_from_source_tallies(user, campaign, by, t)
            if got is not None:  # None: a scope below a region (counted instead)
                assert got == queries._rates_counted(user, campaign, by, None, t), (user, by)
        visible = queries.visible_problems(user).filter(campaign=campaign)
        areas = list(campaign.focus_areas.values_list("pk", flat=True)[:2])
        cases = [(p, p) for p in ({}, {"source": "self_check"}, {"source": "opinion"}, {"kind": "long_term"}, {"kind": "deadline", "source": "self_check"})]
        cases += [({"area": a}, {"focus_area_id": a}) for a in areas]  # (the list's parameters, the same rows as a filter)
        for params, lookup in cases:
            f, _ = queries.ProblemFilter.from_params({"campaign": campaign.pk, **params})
            want = {s: visible.filter(status=s, **lookup).count() for s in ("pending", "in_progress", "submitted", "returned", "signed_off")}
            got = queries.status_counts(user, f)
            assert {s: got[s] for s in want} == want and got["all"] == sum(want.values()), (user, params)
            assert queries.problem_count(user, f) == sum(want.values())
            for status in ("signed_off", "pending", "in_progress"):
                f.status = status
                assert queries.problem_count(user, f) == want[status], (user, params, status)


def test_every_write_path_keeps_tallies_exact(campaign, tree, users, make_problem, png, tmp_path):
    office = users["office"]
    areas = list(campaign.focus_areas.order_by("position"))
    t = today()
    a = make_problem(tree["village_a1"], focus_area=areas[0], deadline=t - dt.timedelta(days=3))
    b = make_problem(tree["village_b1"], focus_area=areas[1], deadline=t + dt.timedelta(days=2))
    c = make_problem(tree["dept"], deadline=None, kind="long_term")
    assert_consistent(campaign, [users["office"], users["leader"], users["liaison_a"]])

    # Workflow: claim → submit with evidence → sign off (on time for b, late for a) → reopen.
    for p in (a, b):
        services.problem_claim(actor=SystemActor("测试"), skip_checks=True, problem=p)
        services.problem_submit(actor=SystemActor("测试"), skip_checks=True, problem=p, files=[("现场.png", png)])
        services.problem_sign_off(actor=SystemActor("测试"), skip_checks=True, problem=p)
    assert_consistent(campaign)
    services.problem_reopen(actor=SystemActor("测试"), skip_checks=True, problem=a, reason="回访不满意")
    assert_consistent(campaign)

    # Edits that move keys: area, unit (another region), deadline.
    services.problem_update(actor=office, problem=c, focus_area=areas[2], deadline=t - dt.timedelta(days=1))
    services.problem_update(actor=office, problem=a, unit=tree["village_b1"])
    services.problem_bulk_assign(actor=office, problem_ids=[b.pk, c.pk], unit=tree["town_a"])
    services.problem_bulk_extend(actor=office, problem_ids=[a.pk, c.pk], deadline=t + dt.timedelta(days=9), reason="统一延期")
    services.problem_update(actor=office, problem=b, source="opinion", kind="immediate")  # source and type move the source tally
    assert_consistent(campaign, [users["office"], users["liaison_b"]])

    # Bulk insert (the import path; it must run inside a transaction) and re-import updates.
    from django.db import transaction

    with transaction.atomic():
        services.problems_bulk_insert(actor=SystemActor("测试"), campaign=campaign, rows=[
            NewProblem(seq=100 + i, description=f"批量问题{i}", unit_id=tree["village_a2"].pk, region_id=tree["town_a"].pk,
                       focus_area_id=areas[i % 3].pk, deadline=t + dt.timedelta(days=i - 5), status="signed_off" if i % 4 == 0 else "pending",
                       completed_on=t if i % 4 == 0 else None)
            for i in range(12)
        ])
    assert_consistent(campaign)
    make_xlsx(tmp_path / "a.xlsx", H, [row(1), row(2, "审批环节多", status="已完成", 完成时间="2022-03-01")])
    io.problems_import(actor=SystemActor("t"), skip_checks=True, source=tmp_path / "a.xlsx", campaign=campaign, apply=True, override=True)  # also resets statuses
    make_xlsx(tmp_path / "b.xlsx", H, [row(1, status="已完成", 完成时间="2022-04-09"), row(2, "审批环节多", unit="三村", deadline="2023-01-01", status="整改中")])
    io.problems_import(actor=SystemActor("t"), skip_checks=True, source=tmp_path / "b.xlsx", campaign=campaign, apply=True, override=True)  # 未整改→已完成, 已完成→整改中
    assert_consistent(campaign, [users["office"], users["leader"], users["liaison_a"], users["liaison_b"]])


def test_unit_moving_region_recounts(campaign, tree, users, make_problem):
    from duban.orgs.services import unit_update

    make_problem(tree["village_a1"])
    make_problem(tree["village_a1"], deadline=today() - dt.timedelta(days=1))
    unit_update(actor=SystemActor("测试"), unit=tree["village_a1"], parent=tree["town_b"])
    assert_consistent(campaign, [users["liaison_a"], users["liaison_b"]])
    by_region = tally_figures(campaign_ids=[campaign.pk])["by_region"]
    assert by_region[tree["town_b"].pk]["total"] == 2 and tree["town_a"].pk not in {k for k, v in by_region.items() if v["total"]}


def test_stats_reads_tallies_with_the_contract_shape(campaign, tree, make_problem):
    make_problem(tree["village_a1"], focus_area=campaign.focus_areas.first())
    data = figures.figures(user=None, campaign=None)
    assert data["total"] == 1 and set(data["by_area"]["强化担当作为"]) >= {"total", "rectified", "rate", "overdue"}
    assert data["by_unit"] == {"平安镇": {"total": 1, "rectified": 0, "rate": 0.0, "overdue": 0, "on_time_rate": 0.0}}


def test_signed_off_without_completion_date_reads_the_same_on_the_page_and_in_the_figures(campaign, tree, users, client_for):
    """Old data signed off without 完成时间 (imports now refuse it): not on time, everywhere."""
    from django.db import transaction

    from duban.ledger.models import Problem

    t = today()
    with transaction.atomic():
        services.problems_bulk_insert(actor=SystemActor("测试"), campaign=campaign, rows=[
            NewProblem(seq=1, description="旧台账已完成", unit_id=tree["village_a1"].pk, region_id=tree["town_a"].pk,
                       deadline=t + dt.timedelta(days=30), status="signed_off", completed_on=None),
            NewProblem(seq=2, description="按期完成", unit_id=tree["village_a1"].pk, region_id=tree["town_a"].pk,
                       deadline=t + dt.timedelta(days=30), status="signed_off", completed_on=t),
        ])
    undated, dated = Problem.objects.get(seq=1), Problem.objects.get(seq=2)
    assert (queries.deadline_state(undated), queries.deadline_state(dated)) == ("undated", "on_time")
    page = client_for(users["office"]).get(f"/ledger/{undated.pk}/").content.decode()
    assert "完成时间未填，不计按期" in page and "按期完成" not in page
    rolled = tally_figures(campaign_ids=[campaign.pk])["total"]
    counted = queries.totals(users["office"], campaign=campaign)
    assert rolled["on_time"] == counted["on_time"] == 1
    assert rolled["with_deadline_done"] == counted["with_deadline_done"] == 2


def test_source_tally_reads_differ_from_a_count_when_kept_behind_the_services(campaign, tree, users, make_problem):
    """The source figures really are read from the roll-ups (a change that bypasses the
    services is not seen), and a tally rebuild makes them exact again."""
    make_problem(tree["village_a1"], source="opinion")
    make_problem(tree["village_b1"], source="opinion", kind="immediate")
    Problem.objects.filter(source="opinion", kind="immediate").update(source="clue")  # behind the services' back
    f, _ = queries.ProblemFilter.from_params({"campaign": campaign.pk, "source": "opinion"})
    assert queries.problem_count(users["office"], f) == 2  # the roll-up's answer
    assert queries.apply_filter(queries.visible_problems(users["office"]), f).count() == 1
    tally_rebuild([campaign.pk])
    assert queries.problem_count(users["office"], f) == 1
    assert_source_figures_exact(campaign, [None, users["office"], users["leader"], users["liaison_a"]])
    assert set(OPEN_STATUSES) <= {"pending", "in_progress", "submitted", "returned"}
