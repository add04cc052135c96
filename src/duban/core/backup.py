"""`duban backup` / `duban restore`: one archive holding the whole installation.

The archive (.tar.gz) holds `manifest.json` (format, duban version, database engine,
applied migrations, row counts per table, the dump's sha256), the database dump and the
data folders (`files/` uploads, `evidence/`, `models/` router models):

* SQLite: a copy made with SQLite's online backup API (consistent while the app runs),
  FTS search index included.
* PostgreSQL: `pg_dump -Fc` inside a snapshot that also gives the row counts; the GIN
  search index is rebuilt by `pg_restore`.

dumpdata/loaddata is not used: it loses the search index (a restored ledger finds nothing).
Restore checks the manifest, refuses a database or data dir that holds data unless
forced, verifies the dump (checksum, row counts), then swaps it in: SQLite is copied into
place by the backup API in one write transaction, PostgreSQL is restored with
`--single-transaction`; either way the old data stays if anything fails. The secret key is
not in the archive (set DUBAN_SECRET_KEY, or keep the data dir's `secret_key`).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from duban.core import figcache

FORMAT = "duban-backup"
FORMAT_VERSION = 1
FOLDERS = ("files", "evidence", "models")
SQLITE_DUMP = "db/duban.sqlite3"
PG_DUMP = "db/duban.pgdump"
# Tables whose rows do not make a database "hold data" (a fresh `migrate` fills some).
NOT_DATA = {"django_migrations", "django_content_type", "auth_permission", "django_session", "duban_cache"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the person at the console."""


@dataclass
class Result:
    path: Path
    manifest: dict


# ----------------------------------------------------------------------------- helpers


def engine() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持备份 {vendor} 数据库")
    return vendor


def _tables() -> list[str]:
    """Every table Django manages, plus the migration record (not the FTS shadow tables)."""
    names = {m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy}
    return sorted(names | {"django_migrations"})


def _count(cursor, tables: list[str], existing: set[str]) -> dict[str, int]:
    out = {}
    for t in tables:
        if t in existing:
            cursor.execute(f'SELECT COUNT(*) FROM "{t}"')  # noqa: S608 - names from the model registry
            out[t] = cursor.fetchone()[0]
    return out


def _applied_migrations(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for app, name in sorted(rows):
        out.setdefault(app, []).append(name)
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("duban")
    except PackageNotFoundError:
        return "unknown"


def pg_tool(name: str) -> str:
    """The PostgreSQL client program `name` (pg_dump, pg_restore): DUBAN_PG_BIN, PATH, then Debian's versioned dirs."""
    custom = os.environ.get("DUBAN_PG_BIN")
    if custom:
        path = Path(custom) / name
        if path.exists():
            return str(path)
        raise BackupError(f"DUBAN_PG_BIN={custom} 下没有 {name}")
    found = shutil.which(name)
    if found:
        return found
    versioned = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if versioned:
        return versioned[-1]
    raise BackupError(
        f"找不到 {name}：请安装 PostgreSQL 客户端（Debian/Ubuntu：apt-get install postgresql-client），"
        "版本不低于数据库服务器；或用 DUBAN_PG_BIN 指定其所在目录"
    )


def _pg_env() -> tuple[dict[str, str], str]:
    s = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if s.get(key):
            env[var] = str(s[key])
    options = s.get("OPTIONS") or {}
    for key, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"), ("sslkey", "PGSSLKEY")):
        if options.get(key):
            env[var] = str(options[key])
    return env, s["NAME"]


def _run(cmd: list[str], env: dict[str, str]) -> None:
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} 失败（退出码 {r.returncode}）：{r.stderr.strip()[-2000:]}")


def _data_dir() -> Path:
    return Path(settings.DATA_DIR)


# ------------------------------------------------------------------------------ backup


def _dump_sqlite(target: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    src = sqlite3.connect(connection.settings_dict["NAME"])
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # a consistent snapshot even while the app writes
    finally:
        src.close()
    try:
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        existing = {r[0] for r in dst.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        counts = _count(dst.cursor(), _tables(), existing)
        migrations = _applied_migrations(list(dst.execute("SELECT app, name FROM django_migrations")))
    finally:
        dst.close()
    return counts, migrations


def _dump_postgresql(target: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    env, name = _pg_env()
    pg_dump = pg_tool("pg_dump")
    # One snapshot for the dump and the counts, so the manifest describes exactly the dump.
    conn = connections.create_connection("default")
    try:
        conn.set_autocommit(False)
        with conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            _run([pg_dump, "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", "-f", str(target), "-d", name], env)
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            existing = {r[0] for r in cur.fetchall()}
            counts = _count(cur, _tables(), existing)
            cur.execute("SELECT app, name FROM django_migrations")
            migrations = _applied_migrations(cur.fetchall())
        conn.rollback()
    finally:
        conn.close()
    return counts, migrations


def _folder_stats(root: Path) -> dict[str, dict[str, int]]:
    out = {}
    for folder in FOLDERS:
        files = [p for p in (root / folder).rglob("*") if p.is_file()] if (root / folder).is_dir() else []
        out[folder] = {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}
    return out


def backup(out: Path) -> Result:
    """Write the whole installation to `out` (.tar.gz); the file appears only when complete."""
    kind = engine()
    out = out.expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".duban-backup-") as tmp:
        dump = Path(tmp) / ("dump.sqlite3" if kind == "sqlite" else "dump.pgdump")
        counts, migrations = _dump_sqlite(dump) if kind == "sqlite" else _dump_postgresql(dump)
        data = _data_dir()
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "duban_version": _version(),
            "created_at": timezone.localtime().isoformat(timespec="seconds"),
            "engine": kind,
            "database": {"file": SQLITE_DUMP if kind == "sqlite" else PG_DUMP, "sha256": _sha256(dump), "bytes": dump.stat().st_size},
            "migrations": migrations,
            "counts": counts,
            "folders": _folder_stats(data),
        }
        partial = Path(tmp) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            blob = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(blob), int(timezone.now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(blob))
            tar.add(dump, arcname=manifest["database"]["file"])
            for folder in FOLDERS:
                if (data / folder).is_dir():
                    tar.add(data / folder, arcname=f"data/{folder}")
        os.replace(partial, out)
    return Result(out, manifest)


# ----------------------------------------------------------------------------- restore


def read_manifest(archive: Path) -> dict:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.getmember("manifest.json")
            manifest = json.load(tar.extractfile(member))
    except FileNotFoundError as exc:
        raise BackupError(f"找不到备份文件 {archive}") from exc
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        raise BackupError(f"{archive} 不是 duban 备份文件（无法读取 manifest.json：{exc}）") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} 不是 duban 备份文件")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"备份格式版本 {manifest.get('format_version')} 不受支持（本版本只能恢复格式 {FORMAT_VERSION}）")
    return manifest


def _check_compatible(manifest: dict) -> None:
    kind = engine()
    if manifest["engine"] != kind:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"备份来自 {names.get(manifest['engine'], manifest['engine'])} 数据库，当前配置的是 {names[kind]}："
            "请在同一种数据库上恢复（DUBAN_DATABASE_URL）"
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(f"{app}.{name}" for app, names in manifest["migrations"].items() for name in names if (app, name) not in known)
    if unknown:
        raise BackupError(f"备份来自更新版本的 duban（{manifest.get('duban_version')}），本版本不认识其迁移：{', '.join(unknown[:5])}；请先升级 duban")


def holds_data() -> list[str]:
    """What makes the target non-empty: tables with rows and data folders with files."""
    found = []
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cur:
        for table, n in _count(cur, [t for t in _tables() if t not in NOT_DATA], existing).items():
            if n:
                found.append(f"{table}（{n} 行）")
    data = _data_dir()
    for folder in FOLDERS:
        if (data / folder).is_dir() and any(p.is_file() for p in (data / folder).rglob("*")):
            found.append(f"{data / folder}/")
    return found


@contextlib.contextmanager
def _staging() -> Iterator[Path]:
    data = _data_dir()
    path = Path(tempfile.mkdtemp(dir=data, prefix=".restore-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _verify_sqlite(path: Path, manifest: dict) -> None:
    db = sqlite3.connect(path)
    try:
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"备份中的数据库已损坏：{ok}")
        existing = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        counts = _count(db.cursor(), list(manifest["counts"]), existing)
    finally:
        db.close()
    _compare_counts(counts, manifest)


def _compare_counts(counts: dict[str, int], manifest: dict) -> None:
    wrong = [f"{t}: 应有 {n} 行，实际 {counts.get(t)}" for t, n in manifest["counts"].items() if counts.get(t) != n]
    if wrong:
        raise BackupError("恢复后的行数与备份清单不符：" + "；".join(wrong[:5]))


def _restore_sqlite(staged: Path, manifest: dict) -> None:
    _verify_sqlite(staged, manifest)
    live_path = connection.settings_dict["NAME"]
    connections.close_all()
    src = sqlite3.connect(staged)
    live = sqlite3.connect(live_path, timeout=30)
    try:
        # The backup API replaces the live database's pages in one write transaction: a
        # failure leaves the old database intact, and WAL readers see old or new, never a mix.
        src.backup(live)
    finally:
        src.close()
        live.close()


def _restore_postgresql(staged: Path, manifest: dict) -> None:
    env, name = _pg_env()
    connections.close_all()
    _run(
        [pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "-d", name, str(staged)],
        env,
    )
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cur:
        counts = _count(cur, list(manifest["counts"]), existing)
    _compare_counts(counts, manifest)


def _make_private(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


def _swap_folders(extracted: Path, staging: Path) -> None:
    """Put the backup's folders in place of the current ones (renames on one filesystem)."""
    data = _data_dir()
    for folder in FOLDERS:
        current, new = data / folder, extracted / folder
        if current.exists():
            os.replace(current, staging / f"old-{folder}")
        if new.exists():
            os.replace(new, current)


def restore(archive: Path, *, force: bool = False) -> dict:
    """Restore `archive` into the configured database and data dir; returns its manifest."""
    archive = archive.expanduser().resolve()
    manifest = read_manifest(archive)
    _check_compatible(manifest)
    if not force:
        found = holds_data()
        if found:
            raise BackupError("目标已有数据，未做任何改动：" + "、".join(found[:5]) + "。确认要用备份覆盖时加 --force")
    with _staging() as staging:
        extracted = staging / "archive"
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(extracted, filter="data")  # no absolute paths, links out or devices
        _make_private(extracted)
        dump = extracted / manifest["database"]["file"]
        if not dump.is_file() or _sha256(dump) != manifest["database"]["sha256"]:
            raise BackupError("备份中的数据库文件缺失或校验和不符（文件可能已损坏），未做任何改动")
        if manifest["engine"] == "sqlite":
            _restore_sqlite(dump, manifest)
        else:
            _restore_postgresql(dump, manifest)
        _swap_folders(extracted / "data", staging)
    # The cache (Redis, or a table the dump leaves out) still holds figures of the data
    # that was there before: none of them may be shown again.
    figcache.reset()
    return manifest
