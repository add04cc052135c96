"""Where duban keeps its data and how it finds its database (DESIGN §5 configuration)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """`DUBAN_DATA_DIR`, else the per-user data dir; created on first use."""
    raw = os.environ.get("DUBAN_DATA_DIR")
    path = Path(raw).expanduser() if raw else Path(platformdirs.user_data_dir("duban", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(directory: Path) -> str:
    """`DUBAN_SECRET_KEY`, else a key generated once into the data dir (mode 0600)."""
    env = os.environ.get("DUBAN_SECRET_KEY")
    if env:
        return env
    key_file = directory / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def database_config(directory: Path) -> dict:
    """PostgreSQL from `DUBAN_DATABASE_URL`, else SQLite (WAL) in the data dir."""
    url = os.environ.get("DUBAN_DATABASE_URL", "").strip()
    if url:
        import dj_database_url

        cfg = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        if cfg["ENGINE"].endswith("postgresql"):
            cfg.setdefault("OPTIONS", {})
        return cfg
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(directory / "duban.sqlite3"),
        "OPTIONS": {
            # WAL lets readers go on while the single writer works; IMMEDIATE avoids
            # "database is locked" upgrades from read to write inside a transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                "PRAGMA cache_size=-131072;PRAGMA temp_store=MEMORY;PRAGMA mmap_size=1073741824;"
            ),
        },
    }


def env_int(name: str, default: int) -> int:
    """An integer DUBAN_* variable; a clear error instead of a traceback when it is not one."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"环境变量 {name} 应为整数，当前为“{raw}”") from None
