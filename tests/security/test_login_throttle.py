"""Login throttling (django-axes): wrong passwords lock the account and the address for a while."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

LIMIT = 5  # the default DUBAN_LOGIN_FAILURE_LIMIT


def _client(ip: str = "192.0.2.1", **extra) -> Client:
    return Client(enforce_csrf_checks=True, REMOTE_ADDR=ip, **extra)


def _login(client: Client, username: str, password: str, **extra):
    """Fetch the form (CSRF cookie and token), then post it, as a browser does."""
    html = client.get("/login/", **extra).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return client.post("/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token}, **extra)


def _logged_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def _lock(client: Client, username: str, **extra) -> None:
    for i in range(LIMIT - 1):
        r = _login(client, username, f"wrong-{i}", **extra)
        assert r.status_code == 200 and "用户名或密码不正确" in r.content.decode()
    assert _login(client, username, "wrong-last", **extra).status_code == 429


def test_wrong_passwords_then_the_right_one_is_refused(users):
    c = _client()
    _lock(c, "leader")
    r = _login(c, "leader", "pw-leader")
    assert r.status_code == 429
    assert not _logged_in(c)
    html = r.content.decode()
    # A clear Chinese message inside the layout (header, stylesheet), with the wait time.
    assert "密码错误次数过多" in html and "15 分钟后再试" in html and "联系推进办" in html
    assert 'class="top"' in html and "duban.css" in html
    assert r["Retry-After"] == "900"


def test_right_password_under_the_limit_logs_in(users):
    c = _client()
    for i in range(LIMIT - 1):
        _login(c, "leader", f"wrong-{i}")
    assert _login(c, "leader", "pw-leader").status_code == 302
    assert _logged_in(c)


def test_locked_address_refuses_other_accounts(users):
    _lock(_client("192.0.2.1"), "leader")
    c = _client("192.0.2.1")
    assert _login(c, "office", "pw-office").status_code == 429
    assert not _logged_in(c)
    # another address is not affected
    other = _client("192.0.2.2")
    assert _login(other, "office", "pw-office").status_code == 302


def test_locked_account_refuses_other_addresses(users):
    _lock(_client("192.0.2.1"), "leader")
    c = _client("192.0.2.99")
    assert _login(c, "leader", "pw-leader").status_code == 429
    assert not _logged_in(c)


def test_lock_ends_after_the_cool_off(users, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(seconds=2)
    c = _client()
    _lock(c, "leader")
    assert _login(c, "leader", "pw-leader").status_code == 429
    time.sleep(2.2)
    assert _login(c, "leader", "pw-leader").status_code == 302
    assert _logged_in(c)


def test_admin_can_unlock_a_username(users):
    c = _client()
    _lock(c, "leader")
    call_command("axes_reset_username", "leader")
    assert _login(c, "leader", "pw-leader").status_code == 302


def test_duban_user_unlock(users):
    import io

    c = _client()
    _lock(c, "leader")
    out = io.StringIO()
    call_command("user", "unlock", "leader", stdout=out)
    assert "已解除 leader 的登录锁定" in out.getvalue()
    assert _login(c, "leader", "pw-leader").status_code == 302


def test_admin_site_login_is_throttled_too(users):
    users["office"].is_staff = True
    users["office"].save()
    c = _client()
    _lock(c, "office")
    html = c.get("/admin/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    r = c.post("/admin/login/", {"username": "office", "password": "pw-office", "csrfmiddlewaretoken": token})
    assert r.status_code == 429


def test_forwarded_for_behind_a_proxy_counts_the_real_client(users, settings):
    """Behind one proxy the address the proxy saw counts; what a client writes further left does not."""
    settings.DUBAN_TRUST_X_FORWARDED_FOR = 1
    proxy = "127.0.0.1"
    for i in range(LIMIT):
        # A fresh forged entry each time, the proxy appends the real address.
        _login(_client(proxy), "leader", f"wrong-{i}", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 198.51.100.7")
    assert _login(_client(proxy), "office", "pw-office", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    # Another real client behind the same proxy logs in.
    assert _login(_client(proxy), "office", "pw-office", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_overlong_credentials_are_a_form_error_not_a_500(users, path):
    """Django's login forms never enforced the username length; the lockout table then
    overflowed (500 on PostgreSQL). Found by tests/test_hostile_input.py."""
    from axes.models import AccessAttempt

    c = _client()
    html = c.get(path).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    r = c.post(path, {"username": "长" * 10_000, "password": "x" * 10_000, "csrfmiddlewaretoken": token})
    assert r.status_code == 200 and ("用户名或密码不正确" in r.content.decode() or "150" in r.content.decode())
    r = c.post(path, {"username": "leader\x00", "password": "pw", "csrfmiddlewaretoken": token})
    assert r.status_code == 200
    assert not AccessAttempt.objects.filter(username__startswith="长").exists()
