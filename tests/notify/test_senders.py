"""Signing, masking and digests: the parts of talking to robots that need no network."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

import pytest
from django.core.exceptions import ValidationError

from duban.notify import senders


def test_dingtalk_sign_is_urlencoded_base64_of_hmac_sha256_over_timestamp_newline_secret():
    secret, ts = "SEC0123456789abcdef+/=", 1700000000000
    raw = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    assert senders.dingtalk_sign(secret, ts) == urllib.parse.quote_plus(base64.b64encode(raw).decode())
    # A published vector (timestamp 1700000000000, secret "secret").
    assert senders.dingtalk_sign("secret", 1700000000000) == "OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D"


def test_signed_url_appends_timestamp_and_sign():
    url = senders.dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=T", "S", 1700000000000)
    assert url.startswith("https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000&sign=")
    assert senders.dingtalk_signed_url("https://x/robot/send?access_token=T", "") == "https://x/robot/send?access_token=T"


def test_wecom_digest_fits_4096_bytes_and_never_splits_a_message():
    pieces = [senders.Piece(f"第{i}条提醒", "平安镇有问题临近整改时限。" * 40) for i in range(12)]
    chunks = senders.digest_chunks(pieces, 4096)
    assert len(chunks) > 1
    seen = []
    for _title, text, idx in chunks:
        assert len(text.encode()) <= 4096
        for i in idx:
            assert f"第{i}条提醒" in text
        seen += idx
    assert seen == list(range(12))


def test_one_overlong_message_is_cut_politely_at_a_character_boundary():
    chunks = senders.digest_chunks([senders.Piece("长通报", "整改" * 5000)], 4096)
    assert len(chunks) == 1
    text = chunks[0][1]
    assert len(text.encode()) <= 4096 and text.endswith(senders.ELLIPSIS)
    text.encode().decode("utf-8")  # whole characters only


def test_several_messages_merge_into_one_digest():
    chunks = senders.digest_chunks([senders.Piece("甲", "一"), senders.Piece("乙", "二"), senders.Piece("丙", "三")], 4096)
    assert len(chunks) == 1
    title, text, idx = chunks[0]
    assert title == "督办通知（3 条）" and idx == [0, 1, 2] and "### 乙" in text


@pytest.mark.parametrize(("url", "channel", "ok"), [
    ("https://oapi.dingtalk.com/robot/send?access_token=abc", "dingtalk", True),
    ("http://oapi.dingtalk.com/robot/send?access_token=abc", "dingtalk", False),  # token in clear text
    ("http://127.0.0.1:8000/robot/send?access_token=abc", "dingtalk", True),
    ("https://oapi.dingtalk.com/robot/send", "dingtalk", False),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-1", "wecom", True),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?access_token=abc", "wecom", False),
    ("ftp://x/y?key=1", "wecom", False),
])
def test_robot_urls_are_checked(url, channel, ok):
    if ok:
        assert senders.check_robot_url(url, channel) == url
    else:
        with pytest.raises(ValidationError):
            senders.check_robot_url(url, channel)


def test_masking_keeps_the_token_unusable():
    url = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123456789abcdef"
    shown = senders.mask(url)
    assert "0123456789abcdef0123456789abcdef" not in shown and shown.startswith("https://oapi.dingtalk.com/robot/send?access_token=0123")
    assert senders.mask("SECabcdefghijklmnopqrstuvwxyz") == "SECa••••••wxyz"
    assert senders.mask("short") == "••••••"


def test_email_lists_are_split_the_ways_offices_type_them():
    assert senders.check_emails("a@x.cn、b@x.cn；c@x.cn, d@x.cn") == ["a@x.cn", "b@x.cn", "c@x.cn", "d@x.cn"]
    with pytest.raises(ValidationError, match="格式不对"):
        senders.check_emails("a@x.cn, 不是邮箱")
