"""The Redis-backed queue (the production option), when Redis answers on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import secrets
import threading

import pytest
from django_tasks import task, task_backends

from duban.core import schedules
from duban.core.redis_tasks import RedisWorker

URL = "redis://127.0.0.1:6379/15"
RAN: list[int] = []
LOCK = threading.Lock()


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(URL, socket_connect_timeout=0.5).ping())
    except Exception:  # noqa: BLE001 - any failure means: no Redis here
        return False


pytestmark = [pytest.mark.django_db, pytest.mark.skipif(not _redis_answers(), reason="Redis does not answer on 127.0.0.1:6379")]


@task()
def count(n: int) -> int:
    with LOCK:
        RAN.append(n)
    return n * 2


@pytest.fixture
def backend(settings):
    prefix = f"duban-test-{secrets.token_hex(4)}"
    settings.TASKS = {"default": {"BACKEND": "duban.core.redis_tasks.RedisBackend", "OPTIONS": {"URL": URL, "PREFIX": prefix}}}
    RAN.clear()
    b = task_backends["default"]
    yield b
    for key in b.client.scan_iter(f"{prefix}:*"):
        b.client.delete(key)


def worker(b, wid: str) -> RedisWorker:
    return RedisWorker(backend=b, queue_names=["default"], interval=0, batch=True, max_tasks=None, worker_id=wid, schedule_every=0)


def test_queued_task_runs_and_its_result_is_kept(backend):
    r = count.enqueue(21)
    assert backend.get_result(r.id).status == "READY"
    worker(backend, "w1").run()
    done = backend.get_result(r.id)
    assert done.status == "SUCCESSFUL" and done.return_value == 42 and done.worker_ids == ["w1"]
    assert RAN == [21]


def test_two_workers_take_each_task_once(backend):
    ids = [count.enqueue(i).id for i in range(40)]
    threads = [threading.Thread(target=worker(backend, f"w{i}").run) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(RAN) == list(range(40))
    assert all(backend.get_result(i).status == "SUCCESSFUL" for i in ids)


def test_schedules_enqueue_onto_redis(backend):
    schedules.schedule_register(key="redis-count", task_path="tests.core.test_redis_worker.count", rule="daily",
                                at=dt.time(10, 0), kwargs={"n": 5}, now=dt.datetime(2026, 11, 1, 9, tzinfo=schedules.TZ))
    w = worker(backend, "w1")
    w.clock = lambda: dt.datetime(2026, 11, 1, 10, 1, tzinfo=schedules.TZ)
    w.run()
    assert RAN == [5]


def test_finished_results_expire_but_queued_tasks_do_not(backend):
    queued = count.enqueue(1)
    assert backend.client.ttl(backend._key(queued.id)) == -1  # waiting: kept however long it waits
    worker(backend, "w1").run()
    ttl = backend.client.ttl(backend._key(queued.id))
    assert 0 < ttl <= backend.result_ttl == 7 * 24 * 3600
    assert backend.client.llen(backend.running_key("w1")) == 0
