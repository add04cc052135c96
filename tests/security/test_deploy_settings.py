"""Production settings (DUBAN_ENV=production): `duban check --deploy` is clean, weak keys are
refused, and the data dir, database, key and evidence are private to the service account."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.security.conftest import _base_env

pytestmark = pytest.mark.slow

LONG_KEY = secrets.token_urlsafe(50)


def _duban(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "duban.cli", *args], env=env, capture_output=True, text=True, timeout=300)


def _prod_env(tmp_path: Path, **extra) -> dict:
    env = _base_env(tmp_path / "data")
    env.update(DUBAN_ENV="production", DUBAN_SECRET_KEY=LONG_KEY, DUBAN_ALLOWED_HOSTS="duban.example.gov.cn")
    env.update(extra)
    return env


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_check_deploy_is_clean_in_production(tmp_path):
    r = _duban(_prod_env(tmp_path), "check", "--deploy")
    assert r.returncode == 0, r.stderr
    out = r.stdout + r.stderr
    assert "System check identified no issues" in out, out
    assert "WARNING" not in out and "W0" not in out, out


def test_check_deploy_warns_outside_production(tmp_path):
    env = _base_env(tmp_path / "data")
    r = _duban(env, "check", "--deploy")
    assert "security.W004" in r.stdout + r.stderr  # no HSTS in development: the check notices


@pytest.mark.parametrize(
    "key",
    [None, "short-key", "a" * 60, "django-insecure-" + secrets.token_urlsafe(50)],
    ids=["missing", "short", "one-char", "insecure-prefix"],
)
def test_weak_or_missing_key_is_refused_in_production(tmp_path, key):
    env = _prod_env(tmp_path)
    if key is None:
        del env["DUBAN_SECRET_KEY"]
    else:
        env["DUBAN_SECRET_KEY"] = key
    r = _duban(env, "check", "--deploy")
    assert r.returncode != 0
    assert "配置有误" in r.stderr and "Traceback" not in r.stderr and "DUBAN_SECRET_KEY" in r.stderr and "至少 50 个字符" in r.stderr
    assert not (tmp_path / "data" / "secret_key").exists()  # no key generated behind the admin's back


def test_debug_is_refused_in_production(tmp_path):
    r = _duban(_prod_env(tmp_path, DUBAN_DEBUG="1"), "check", "--deploy")
    assert r.returncode != 0 and "DUBAN_DEBUG" in r.stderr


def test_production_cookies_hsts_and_proxy_header(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.DEBUG, s.SECURE_PROXY_SSL_HEADER)"
    )
    run = lambda env: subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)  # noqa: E731
    r = run(_prod_env(tmp_path))
    assert r.stdout.split() == ["True", "True", "True", "True", "False", "None"], r.stderr
    r = run(_prod_env(tmp_path, DUBAN_TRUST_X_FORWARDED_PROTO="1"))
    assert r.stdout.strip().endswith("('HTTP_X_FORWARDED_PROTO', 'https')"), r.stderr


def test_login_throttle_is_configured_from_the_environment(tmp_path):
    env = _base_env(tmp_path / "data")
    env.update(DUBAN_LOGIN_FAILURE_LIMIT="3", DUBAN_LOGIN_LOCKOUT_MINUTES="60")
    code = "import django; django.setup(); from django.conf import settings as s; print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()))"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["3", "3600"], r.stderr


EVIDENCE = """
from duban.core.evidence_files import storage
print(storage().save(b"%PDF-1.4 evidence", "pdf"))
"""


def test_data_dir_database_key_and_evidence_are_private(tmp_path):
    env = _base_env(tmp_path / "data")
    del env["DUBAN_SECRET_KEY"]  # let duban generate its key file
    data = tmp_path / "data"
    assert _duban(env, "migrate", "--no-input").returncode == 0
    key = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + EVIDENCE], env=env, capture_output=True, text=True, timeout=120)
    assert key.returncode == 0, key.stderr
    evidence = data / "evidence" / key.stdout.strip()
    assert _mode(data) == 0o700
    assert _mode(data / "duban.sqlite3") == 0o600
    assert _mode(data / "secret_key") == 0o600
    assert _mode(evidence) == 0o600 and _mode(evidence.parent) == 0o700 and _mode(data / "evidence") == 0o700


def test_check_deploy_reports_a_readable_data_dir(tmp_path):
    env = _prod_env(tmp_path)
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    r = _duban(env, "check", "--deploy")
    out = r.stdout + r.stderr
    assert "duban.W001" in out and str(data) in out and "chmod" in out, out
