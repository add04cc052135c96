"""A write transaction left open (a long import) must not stop other people's writes.

The figures cache's data version is one row in the database cache: bumped inside every
write transaction, it would stay locked until that transaction commits, and every other
writer of the installation would wait behind it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction


@pytest.mark.django_db(transaction=True)
def test_an_open_write_transaction_does_not_block_another_writer():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer at a time in any case")
    from duban.intake import services as intake
    from duban.orgs.services import unit_create
    from tests.conftest import build_campaign, build_tree

    tree = build_tree()
    campaign = build_campaign(tree)
    intake.suggestion_submit(actor="测试", campaign=campaign, body="先有一条，版本已建立。")
    outcome: dict[str, object] = {}

    def other_writer() -> None:
        try:
            with connection.cursor() as cur:
                cur.execute("SET lock_timeout = '3s'")
            intake.suggestion_submit(actor="测试", campaign=campaign, body="另一位同事同时登记的留言。")
            outcome["ok"] = True
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            outcome["error"] = repr(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        unit_create(actor="测试", name="新建村", parent=tree["town_a"])  # an audited write: the figures' data changed
        t = threading.Thread(target=other_writer)
        t.start()
        t.join(20)
    assert outcome.get("ok"), outcome


@pytest.mark.django_db(transaction=True)
def test_a_write_after_a_rolled_back_savepoint_still_moves_the_figures_on():
    """The after-commit bump registered inside a savepoint that rolls back is dropped with it;
    a later write of the same transaction must register it again."""
    from duban.core import figcache

    before = figcache.data_version()
    with transaction.atomic():
        try:
            with transaction.atomic():
                figcache.bump()
                raise RuntimeError("this row is refused")
        except RuntimeError:
            pass
        figcache.bump()  # a write that stays
    assert figcache.data_version() > before


def test_reset_forgets_every_cached_figure_and_never_reuses_a_version(db):
    from duban.core import figcache

    calls = []
    figcache.cached("t", 1, lambda: calls.append(1) or 5)
    figcache.cached("t", 1, lambda: calls.append(1) or 5)
    assert len(calls) == 1
    before = figcache.data_version()
    figcache.reset()
    assert figcache.data_version() > before
    assert figcache.cached("t", 1, lambda: calls.append(1) or 6) == 6 and len(calls) == 2
