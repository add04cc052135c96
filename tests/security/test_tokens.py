"""API tokens expire, can be listed and revoked (CLI and the 账号/API令牌 page); every change is audited."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from duban.core.actors import SystemActor

pytestmark = pytest.mark.django_db


def _cli(*args) -> str:
    out = io.StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue()


def _api(token: str, client=None, **extra):
    return (client or Client()).get("/api/units", HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def test_create_with_days_and_name_sets_expiry(users):
    from duban.orgs.models import ApiToken

    token = _cli("create", "leader", "--days", "7", "--name", "报表脚本").strip().splitlines()[-1]
    row = ApiToken.objects.get(user=users["leader"])
    assert row.label == "报表脚本"
    assert abs(row.expires_at - (timezone.now() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)
    assert _api(token).status_code == 200


def test_default_expiry_is_90_days(users):
    from duban.orgs.models import ApiToken

    _cli("create", "leader")
    row = ApiToken.objects.get(user=users["leader"])
    assert abs(row.expires_at - (timezone.now() + dt.timedelta(days=90))) < dt.timedelta(minutes=1)


def test_expired_token_is_refused(users):
    from duban.orgs.models import ApiToken
    from duban.orgs.services import token_create

    token = token_create(actor=SystemActor("t"), user=users["leader"], days=1)
    assert _api(token).status_code == 200
    ApiToken.objects.filter(user=users["leader"]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _api(token).status_code == 401


@pytest.mark.parametrize("days", ["0", "-3", "abc", "100000"])
def test_bad_days_are_refused_and_nothing_is_written(users, days):
    from duban.orgs.models import ApiToken

    with pytest.raises((CommandError, SystemExit)):
        _cli("create", "leader", "--days", days)
    assert not ApiToken.objects.exists()


def test_list_shows_everything_but_the_secret(users):
    token = _cli("create", "leader", "--name", "脚本A").strip().splitlines()[-1]
    _cli("create", "office", "--name", "脚本B")
    out = _cli("list")
    assert "脚本A" in out and "脚本B" in out and "leader" in out and "office" in out
    for header in ["编号", "用户", "名称", "创建时间", "最后使用", "到期时间", "状态"]:
        assert header in out, header
    assert token not in out and token[4:20] not in out
    from duban.orgs.models import ApiToken

    assert ApiToken.objects.get(label="脚本A").digest not in out
    only = _cli("list", "leader")
    assert "脚本A" in only and "脚本B" not in only


def test_revoke_by_id_and_by_user_is_audited(users):
    from duban.audit.models import AuditEvent
    from duban.orgs.models import ApiToken

    t1 = _cli("create", "leader", "--name", "一").strip().splitlines()[-1]
    t2 = _cli("create", "leader", "--name", "二").strip().splitlines()[-1]
    t3 = _cli("create", "office", "--name", "三").strip().splitlines()[-1]
    first = ApiToken.objects.get(label="一")
    _cli("revoke", str(first.pk))
    assert _api(t1).status_code == 401 and _api(t2).status_code == 200
    assert "已吊销" in _cli("list", "leader")
    _cli("revoke", "--user", "leader")
    assert _api(t2).status_code == 401 and _api(t3).status_code == 200
    assert AuditEvent.objects.filter(verb="token.create").count() == 3
    assert AuditEvent.objects.filter(verb="token.revoke").count() == 2


def test_revoke_unknown_id_fails(users):
    with pytest.raises(CommandError):
        _cli("revoke", "999999")
    with pytest.raises(CommandError):
        _cli("revoke", "--user", "nobody")


# ------------------------------------------------------------------- the web page


def _page_client(user) -> Client:
    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    return c


def _csrf(client: Client, url: str) -> str:
    html = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_page_creates_a_token_shown_once(users):
    from duban.audit.models import AuditEvent

    c = _page_client(users["liaison_a"])
    r = c.post("/account/tokens/", {"name": "数据同步", "days": "30", "csrfmiddlewaretoken": _csrf(c, "/account/tokens/")})
    assert r.status_code == 200
    html = r.content.decode()
    token = re.search(r"(dbn_[A-Za-z0-9_\-]+)", html).group(1)
    assert "只显示这一次" in html
    assert _api(token).status_code == 200
    again = c.get("/account/tokens/").content.decode()
    assert "数据同步" in again and token not in again
    assert AuditEvent.objects.filter(verb="token.create", actor_name="liaison_a").exists()


def test_page_lists_only_own_tokens_and_revokes_them(users):
    from duban.orgs.models import ApiToken
    from duban.orgs.services import token_create

    mine = token_create(actor=SystemActor("t"), user=users["liaison_a"], label="我的")
    theirs = token_create(actor=SystemActor("t"), user=users["liaison_b"], label="别人的")
    c = _page_client(users["liaison_a"])
    html = c.get("/account/tokens/").content.decode()
    assert "我的" in html and "别人的" not in html
    other = ApiToken.objects.get(label="别人的")
    r = c.post(f"/account/tokens/{other.pk}/revoke/", {"csrfmiddlewaretoken": _csrf(c, "/account/tokens/")})
    assert r.status_code == 404
    assert _api(theirs).status_code == 200
    own = ApiToken.objects.get(label="我的")
    r = c.post(f"/account/tokens/{own.pk}/revoke/", {"csrfmiddlewaretoken": _csrf(c, "/account/tokens/")})
    assert r.status_code == 302
    assert _api(mine).status_code == 401
    assert "已吊销" in c.get("/account/tokens/").content.decode()


def test_page_rejects_bad_days_in_chinese(users):
    from duban.orgs.models import ApiToken

    c = _page_client(users["liaison_a"])
    r = c.post("/account/tokens/", {"name": "x", "days": "0", "csrfmiddlewaretoken": _csrf(c, "/account/tokens/")})
    assert r.status_code == 400
    assert "有效期" in r.content.decode()
    assert not ApiToken.objects.exists()


def test_page_needs_login(db):
    r = Client().get("/account/tokens/")
    assert r.status_code == 302 and "/login/" in r["Location"]


# ------------------------------------------------------------ no oracle in the API


def test_guessing_tokens_is_throttled_per_address(users, settings):
    from duban.orgs.services import token_create

    settings.DUBAN_BAD_TOKEN_LIMIT = (5, 600)
    good = token_create(actor=SystemActor("t"), user=users["leader"])
    c = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(5):
        assert _api(f"dbn_guess{i}", c).status_code == 401
    # Past the limit even a right token is not confirmed from that address ...
    assert _api(f"dbn_guess{9}", c).status_code == 429
    assert _api(good, c).status_code == 429
    # ... while other addresses are unaffected.
    assert _api(good, Client(REMOTE_ADDR="203.0.113.10")).status_code == 200


def test_api_does_not_accept_passwords(users):
    import base64

    basic = base64.b64encode(b"leader:pw-leader").decode()
    assert Client().get("/api/units", HTTP_AUTHORIZATION=f"Basic {basic}").status_code == 401
    assert Client().get("/api/units", HTTP_AUTHORIZATION="Bearer pw-leader").status_code == 401
