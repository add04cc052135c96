"""A big import rebuilds the ledger's indexes (and, on PostgreSQL, its foreign keys) inside
its transaction: afterwards they are all there and work; a failed import leaves the table,
its indexes and keys exactly as they were."""

from __future__ import annotations

import pytest
from django.db import connection

from duban.core.actors import SystemActor
from duban.ledger import io, queries, services
from duban.ledger.models import Problem, ProblemTally
from tests.xlsx_util import make_xlsx

from .test_io import H, row

pytestmark = pytest.mark.django_db(transaction=True)


def _schema():
    table = Problem._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table])
            indexes = cur.fetchall()
            cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass ORDER BY 1", [table])
            return indexes, cur.fetchall()
        cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s ORDER BY 1", [table])
        return cur.fetchall(), []


def _log_sql(monkeypatch) -> list[str]:
    """Every statement run through connection.cursor() from now on (to see the rebuild happen)."""
    calls: list[str] = []
    real = connection.cursor

    def spy():
        cur = real()
        execute = cur.execute

        def logged(sql, params=None):
            calls.append(sql)
            return execute(sql, params)

        cur.execute = logged
        return cur

    monkeypatch.setattr(connection, "cursor", spy)
    return calls


@pytest.fixture
def big_file(tmp_path, tree):
    units = ["一村", "平安镇/二村", "三村", "区财政局"]
    statuses = ["未整改", "整改中", "已完成"]
    return make_xlsx(tmp_path / "big.xlsx", H, [
        row(i + 1, f"第{i}个问题：营商环境有待优化", unit=units[i % 4], status=statuses[i % 3], 完成时间="2022-03-01" if i % 3 == 2 else "")
        for i in range(60)
    ])


def test_big_import_rebuilds_indexes(campaign, tree, users, big_file, monkeypatch):
    monkeypatch.setattr(io, "BULK_INDEX_MIN_ROWS", 10)
    before = _schema()
    calls = _log_sql(monkeypatch)
    plan = io.problems_import(actor=SystemActor("t"), skip_checks=True, source=big_file, campaign=campaign)
    assert any("DROP INDEX" in c for c in calls)  # the indexes were really dropped and rebuilt
    assert plan.applied and Problem.objects.count() == 60
    assert _schema() == before
    assert sum(ProblemTally.objects.values_list("n", flat=True)) == 60
    f = queries.ProblemFilter(q="营商环境", unit=tree["town_a"].pk)
    assert queries.problem_list(users["office"], f).count() == 30


def test_failed_big_import_changes_nothing(campaign, tree, big_file, monkeypatch):
    monkeypatch.setattr(io, "BULK_INDEX_MIN_ROWS", 10)
    before = _schema()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "tally_add_rows", boom)  # fails after the rows are in
    calls = _log_sql(monkeypatch)
    with pytest.raises(RuntimeError):
        io.problems_import(actor=SystemActor("t"), skip_checks=True, source=big_file, campaign=campaign)
    assert any("DROP INDEX" in c for c in calls)  # it failed after the indexes were dropped
    assert Problem.objects.count() == 0 and _schema() == before


def test_import_into_a_bigger_ledger_keeps_indexes(campaign, tree, big_file, monkeypatch, tmp_path):
    monkeypatch.setattr(io, "BULK_INDEX_MIN_ROWS", 10)
    io.problems_import(actor=SystemActor("t"), skip_checks=True, source=big_file, campaign=campaign)
    before = _schema()
    calls = _log_sql(monkeypatch)
    small = make_xlsx(tmp_path / "small.xlsx", H, [row(100 + i, "新问题", unit="三村") for i in range(12)])
    io.problems_import(actor=SystemActor("t"), skip_checks=True, source=small, campaign=campaign)
    monkeypatch.undo()
    assert not [c for c in calls if "DROP INDEX" in c]  # 12 rows into 60: indexes kept
    assert _schema() == before and Problem.objects.count() == 72
