"""`duban backup` / `duban restore` round-trip a whole installation on the suite's database:
row counts, the search index (a search finds the same problems) and evidence bytes."""

from __future__ import annotations

import io
import json
import shutil
import tarfile

import pytest

pytestmark = pytest.mark.slow

STATE = """
import hashlib, json, sys
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from duban.ledger.models import Evidence, Problem
from duban.ledger.search import search_filter

# Sessions, login records and the cache change with every run of this script: not data.
skip = {"sessions.Session", "core.CacheEntry", "axes.AccessLog", "axes.AccessAttempt", "axes.AccessFailureLog", "axes.AccessAttemptExpiration"}
counts = {m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.managed and m._meta.label not in skip}
q = sys.argv[1] if len(sys.argv) > 1 else Problem.objects.order_by("id").first().description[2:6]
hits = sorted(search_filter(Problem.objects.all(), q).values_list("id", flat=True))
c = Client()
c.force_login(get_user_model().objects.get(username="admin"))
evidence = {}
for e in Evidence.objects.order_by("id"):
    r = c.get(f"/ledger/evidence/{e.pk}/")
    assert r.status_code == 200, r.status_code
    evidence[e.pk] = hashlib.sha256(b"".join(r.streaming_content)).hexdigest()
print(json.dumps({"counts": counts, "q": q, "hits": hits, "evidence": evidence}, ensure_ascii=False))
"""


def _state(inst, q: str | None = None) -> dict:
    r = inst.python(STATE, *([q] if q else []))
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_backup_wipe_restore_round_trip(install, blank_install, tmp_path):
    install.duban("demo", "--no-serve")
    before = _state(install)
    assert before["hits"] and before["evidence"] and before["counts"]["ledger.Problem"] > 0
    archive = tmp_path / "duban-backup.tar.gz"
    out = install.duban("backup", "--out", str(archive)).stdout
    assert out.strip().splitlines()[-1] == str(archive)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["engine"] == ("postgresql" if install.pg else "sqlite")
    assert manifest["counts"]["ledger_problem"] == before["counts"]["ledger.Problem"]
    assert any(n.startswith("data/evidence/") for n in names)

    # A target holding data is refused without --force, and left as it was.
    refused = install.duban("restore", str(archive), check=False)
    assert refused.returncode != 0 and "--force" in refused.stderr and "目标已有数据" in refused.stderr

    # Wipe the installation (database and data folders), then restore into it.
    install.duban("manage", "flush", "--no-input")
    for folder in ("evidence", "files", "models"):
        shutil.rmtree(install.data_dir / folder, ignore_errors=True)
    assert _state_empty(install)
    install.duban("restore", str(archive))
    assert _state(install, before["q"]) == before

    # And onto a new machine: a blank data dir and a database never migrated.
    blank_install.duban("restore", str(archive))
    assert _state(blank_install, before["q"]) == before


def _state_empty(inst) -> bool:
    r = inst.python("from duban.ledger.models import Problem; print(Problem.objects.count())")
    return r.stdout.strip() == "0"


def _rewrite(archive, target, change):
    """A copy of `archive` whose manifest has been passed through `change`."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name == "manifest.json":
                data = json.dumps(change(json.loads(data))).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data) if data is not None else None)


def test_restore_refuses_bad_archives(install, tmp_path):
    archive = tmp_path / "b.tar.gz"
    install.duban("backup", "--out", str(archive))

    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive at all")
    r = install.duban("restore", str(junk), "--force", check=False)
    assert r.returncode != 0 and "不是 duban 备份文件" in r.stderr

    other = "sqlite" if install.pg else "postgresql"
    wrong_engine = tmp_path / "engine.tar.gz"
    _rewrite(archive, wrong_engine, lambda m: {**m, "engine": other})
    r = install.duban("restore", str(wrong_engine), "--force", check=False)
    assert r.returncode != 0 and "请在同一种数据库上恢复" in r.stderr

    tampered = tmp_path / "sum.tar.gz"
    _rewrite(archive, tampered, lambda m: {**m, "database": {**m["database"], "sha256": "0" * 64}})
    r = install.duban("restore", str(tampered), "--force", check=False)
    assert r.returncode != 0 and "校验和不符" in r.stderr

    newer = tmp_path / "newer.tar.gz"
    _rewrite(archive, newer, lambda m: {**m, "migrations": {**m["migrations"], "ledger": [*m["migrations"]["ledger"], "9999_future"]}})
    r = install.duban("restore", str(newer), "--force", check=False)
    assert r.returncode != 0 and "更新版本" in r.stderr

    missing = install.duban("restore", str(tmp_path / "nope.tar.gz"), check=False)
    assert missing.returncode != 0 and "找不到备份文件" in missing.stderr


def test_backup_names_a_missing_pg_dump(install, tmp_path):
    if not install.pg:
        pytest.skip("PostgreSQL only")
    r = install.duban("backup", "--out", str(tmp_path / "b.tar.gz"), check=False, env={"DUBAN_PG_BIN": str(tmp_path)})
    assert r.returncode != 0 and "pg_dump" in r.stderr
