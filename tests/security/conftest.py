"""`install`: a real duban installation in a throw-away data dir, driven through the `duban`
command in subprocesses (as a server's admin would), on the database the suite runs on.

On SQLite it is a temp data dir; on PostgreSQL (DUBAN_DATABASE_URL set) it is also a
throw-away database next to the test database, dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import duban

SRC = str(Path(duban.__file__).resolve().parents[1])


@dataclass
class Install:
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    pg: dict | None = None

    def duban(self, *args: str, check: bool = True, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "duban.cli", *args]
        r = subprocess.run(cmd, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"duban {' '.join(args)} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r

    def python(self, code: str, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run `code` with Django set up on this installation."""
        prelude = "import django; django.setup()\n"
        r = subprocess.run([sys.executable, "-c", prelude + code, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"python exited {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r

    def popen(self, *args: str, **kw) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "duban.cli", *args], env=self.env, **kw)


def _base_env(data_dir: Path) -> dict[str, str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE is set in-process by the browser fixture; a real install never has it.
    skip = ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_") and k not in skip}
    env.update(
        DJANGO_SETTINGS_MODULE="duban.settings",
        DUBAN_DATA_DIR=str(data_dir),
        DUBAN_SECRET_KEY="install-test-key-" + "x" * 50,
        PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
        DUBAN_TASKS_IMMEDIATE="1",
    )
    return env


def _pg_admin(url: str):
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    conn = psycopg.connect(
        host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"], password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True
    )
    return cfg, conn


def make_install(tmp_path: Path, name: str = "inst") -> tuple[Install, callable]:
    """A fresh, migrated installation and the function that removes its database."""
    data_dir = tmp_path / name
    data_dir.mkdir()
    inst = Install(data_dir=data_dir, env=_base_env(data_dir))
    url = os.environ.get("DUBAN_DATABASE_URL", "")
    drop = lambda: None  # noqa: E731
    if url:
        cfg, conn = _pg_admin(url)
        db_name = f"{cfg['NAME']}_{name}_{secrets.token_hex(4)}".lower()
        conn.execute(f'CREATE DATABASE "{db_name}"')
        conn.close()
        auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg["PASSWORD"] else "")
        inst.env["DUBAN_DATABASE_URL"] = f"postgres://{auth}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{db_name}"
        inst.pg = {**cfg, "NAME": db_name}

        def drop():
            _, c = _pg_admin(url)
            c.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            c.close()

    return inst, drop


@pytest.fixture
def install(tmp_path):
    inst, drop = make_install(tmp_path)
    try:
        inst.duban("migrate", "--no-input")
        yield inst
    finally:
        drop()


@pytest.fixture
def blank_install(tmp_path):
    """A second installation, not migrated (a new machine to restore onto)."""
    inst, drop = make_install(tmp_path, "blank")
    try:
        yield inst
    finally:
        drop()
