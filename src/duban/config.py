"""Where duban keeps its data and how it finds its database (DESIGN §5 configuration).

Everything duban writes under the data dir is private to the account running it: the dir
is created 0700 and the process umask is 077, so the SQLite file, the secret key, evidence
and uploads come out 0600 (a `check --deploy` warning names anything found more open).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import platformdirs
from django.core.exceptions import ImproperlyConfigured

PRIVATE_UMASK = 0o077
MIN_SECRET_KEY_LENGTH = 50


def private_files() -> None:
    """Files and folders this process creates are readable by its own account only."""
    os.umask(PRIVATE_UMASK)


def data_dir() -> Path:
    """`DUBAN_DATA_DIR`, else the per-user data dir; created on first use (mode 0700)."""
    raw = os.environ.get("DUBAN_DATA_DIR")
    path = Path(raw).expanduser() if raw else Path(platformdirs.user_data_dir("duban", appauthor=False))
    if not path.exists():
        path.mkdir(parents=True, mode=0o700, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode passes through the umask of whoever called us
    return path


def environment() -> str:
    """`DUBAN_ENV`: "production" switches on the deployment settings; anything else is development."""
    env = os.environ.get("DUBAN_ENV", "development").strip().lower() or "development"
    if env not in ("development", "production"):
        raise ImproperlyConfigured(f"DUBAN_ENV 只能是 development 或 production，当前为“{env}”")
    return env


def _weak_key(key: str) -> bool:
    # The same rule as Django's security.W009, enforced instead of warned about.
    return len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5 or key.startswith("django-insecure-")


def secret_key(directory: Path, *, production: bool = False) -> str:
    """`DUBAN_SECRET_KEY`, else (development only) a key generated once into the data dir (mode 0600).

    Production refuses to start without a strong key of its own: a key generated on the
    first start would differ between servers and vanish with a rebuilt data dir.
    """
    env = os.environ.get("DUBAN_SECRET_KEY", "")
    if production:
        if not env or _weak_key(env):
            raise ImproperlyConfigured(
                f"生产环境（DUBAN_ENV=production）必须用环境变量 DUBAN_SECRET_KEY 设置至少 {MIN_SECRET_KEY_LENGTH} 个字符的随机密钥"
                "（不能以 django-insecure- 开头），例如："
                "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return env
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


def env_int(name: str, default: int) -> int:
    """An integer DUBAN_* variable; a clear error instead of a traceback when it is not one."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"环境变量 {name} 应为整数，当前为“{raw}”") from None


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"环境变量 {name} 应为 1 或 0，当前为“{raw}”")


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
