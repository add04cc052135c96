"""Talking to the outside: DingTalk and WeCom group robots over HTTPS, e-mail over SMTP.

Every failure becomes a `SendError` with a Chinese explanation for the office and whether
trying again is safe. A retry is only safe when the message surely did not arrive: a
refused connection or a rate refusal, not a timeout after the request went out (the
robot may have posted it; sending again would post it twice).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email

# Both robots take 20 messages a minute; DingTalk then refuses for 10 minutes.
ROBOT_PER_MINUTE = 20
DINGTALK_LOCK_SECONDS = 600
# WeCom's markdown.content is at most 4,096 bytes (UTF-8); DingTalk takes ~20,000 bytes,
# kept lower so a digest stays readable on a phone.
MAX_BYTES = {"wecom": 4096, "dingtalk": 8000}

DINGTALK_RATE = 130101
WECOM_RATE = 45009
_DINGTALK_ERRORS = {
    130101: "钉钉机器人发送过快（每分钟超过 20 条），已被钉钉限流 10 分钟",
    310000: "钉钉拒绝了消息：签名不符、时间戳过期，或消息不含机器人设置的关键词、服务器地址不在 IP 白名单内。请核对加签密钥（SEC 开头）和机器人的安全设置",
    300001: "钉钉机器人地址无效（access_token 不存在或机器人已被移除）",
    400102: "钉钉机器人已停用",
}
_WECOM_ERRORS = {
    45009: "企业微信机器人发送过快（每分钟超过 20 条）",
    93000: "企业微信机器人地址无效（key 错误或机器人已被移出群）",
    40058: "企业微信拒绝了消息：内容超过 4096 字节",
    93017: "企业微信机器人已被停用",
}


class SendError(Exception):
    """Sending failed; `message` is for the office, `retry` says whether resending is safe."""

    def __init__(self, message: str, *, retry: bool, lock_seconds: int = 0, rate_limited: bool = False):
        super().__init__(message)
        self.message = message
        self.retry = retry
        self.lock_seconds = lock_seconds
        self.rate_limited = rate_limited


@dataclass(frozen=True)
class Piece:
    """One message as it goes into a digest."""

    subject: str
    body: str


# ------------------------------------------------------------------ addresses


def _is_local(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def check_robot_url(url: str, channel: str) -> str:
    """The webhook URL, stripped; ValidationError in Chinese when it cannot be a robot's.

    HTTPS only (the token travels in the URL), except on this machine (tests, a relay).
    """
    url = (url or "").strip()
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    name = "钉钉" if channel == "dingtalk" else "企业微信"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError(f"{name}机器人地址应以 https:// 开头，请从群机器人设置里整段复制")
    if parts.scheme == "http" and not _is_local(parts.hostname):
        raise ValidationError(f"{name}机器人地址必须是 https://（地址里带着令牌，不能明文传输）")
    needed = "access_token" if channel == "dingtalk" else "key"
    if not query.get(needed, [""])[0]:
        raise ValidationError(f"{name}机器人地址里缺少 {needed}=…，请从群机器人设置里整段复制")
    return url


def check_emails(text: str) -> list[str]:
    """Addresses split on commas, semicolons, 、 or spaces; ValidationError naming a bad one."""
    found = [a for a in split_addresses(text) if a]
    if not found:
        raise ValidationError("请填写至少一个邮箱地址")
    for a in found:
        try:
            validate_email(a)
        except ValidationError:
            raise ValidationError(f"邮箱地址“{a}”格式不对") from None
    return found


def split_addresses(text: str) -> list[str]:
    for sep in ";；，、 \n":
        text = text.replace(sep, ",")
    return [a.strip() for a in text.split(",")]


def mask(value: str) -> str:
    """What the pages show of a secret or a webhook URL: enough to recognise it, not to use it."""
    value = value or ""
    if not value:
        return ""
    parts = urllib.parse.urlsplit(value)
    if parts.scheme and parts.hostname:
        query = urllib.parse.parse_qsl(parts.query)
        shown = "&".join(f"{k}={_mask_token(v) if k in ('access_token', 'key') else v}" for k, v in query)
        return f"{parts.scheme}://{parts.hostname}{parts.path}" + (f"?{shown}" if shown else "")
    return _mask_token(value)


def _mask_token(token: str) -> str:
    if len(token) <= 8:
        return "•" * 6
    return f"{token[:4]}••••••{token[-4:]}"


# ------------------------------------------------------------------ robots


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: URL-encoded base64 of HMAC-SHA256(key=secret, "{timestamp}\\n{secret}")."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    return f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={dingtalk_sign(secret, ts)}"


def _post_json(url: str, payload: dict, name: str) -> dict:
    data = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=_timeout()) as response:  # noqa: S310 (https checked on save)
            raw = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise SendError(f"{name}服务器暂时出错（HTTP {exc.code}）", retry=True) from exc
        raise SendError(f"{name}拒绝了请求（HTTP {exc.code}），请核对机器人地址", retry=False) from exc
    except urllib.error.URLError as exc:
        # Raised before the request was sent (no route, refused, TLS, DNS): safe to retry.
        raise SendError(f"连不上{name}服务器（{_reason(exc.reason)}）", retry=True) from exc
    except OSError as exc:
        # The request went out and no answer came: the robot may have posted it.
        raise SendError(
            f"{name}服务器没有按时回复，消息可能已经送达；为免重复，不再自动重发，请到群里核实", retry=False
        ) from exc
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SendError(f"{name}服务器的回复无法识别，请核对机器人地址", retry=False) from exc
    if not isinstance(answer, dict):
        raise SendError(f"{name}服务器的回复无法识别，请核对机器人地址", retry=False)
    return answer


def _timeout() -> float:
    """Seconds to wait for a robot (it answers in well under one); DUBAN_NOTIFY_TIMEOUT."""
    return float(getattr(settings, "DUBAN_NOTIFY_TIMEOUT", 10))


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "连接被拒绝"
    if isinstance(reason, TimeoutError):
        return "连接超时"
    return str(reason)[:120]


def _check_answer(answer: dict, name: str, known: dict[int, str], rate_code: int, lock: int) -> None:
    code = answer.get("errcode", -1)
    if code == 0:
        return
    msg = str(answer.get("errmsg", ""))[:200]
    text = known.get(code) or f"{name}拒绝了消息：{msg}（错误码 {code}）"
    if code == rate_code:
        raise SendError(text, retry=True, rate_limited=True, lock_seconds=lock)
    if code == -1:  # 系统繁忙
        raise SendError(f"{name}系统繁忙", retry=True)
    raise SendError(text, retry=False)


def send_dingtalk(url: str, secret: str, title: str, text: str) -> None:
    payload = {"msgtype": "markdown", "markdown": {"title": title[:60], "text": text}}
    answer = _post_json(dingtalk_signed_url(url, secret), payload, "钉钉")
    _check_answer(answer, "钉钉", _DINGTALK_ERRORS, DINGTALK_RATE, DINGTALK_LOCK_SECONDS)


def send_wecom(url: str, text: str) -> None:
    payload = {"msgtype": "markdown", "markdown": {"content": text}}
    answer = _post_json(url, payload, "企业微信")
    # WeCom names no lock time; one minute, then the backoff doubles it.
    _check_answer(answer, "企业微信", _WECOM_ERRORS, WECOM_RATE, 60)


# ------------------------------------------------------------------ e-mail


def send_email(addresses: list[str], subject: str, body: str) -> None:
    try:
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=addresses).send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError(f"邮件服务器拒收收件人：{'、'.join(exc.recipients)}", retry=False) from exc
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            raise SendError(f"邮件服务器拒绝了邮件（{exc.smtp_code}）", retry=False) from exc
        raise SendError(f"邮件服务器暂时不收（{exc.smtp_code}）", retry=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(f"连不上邮件服务器（{_reason(exc) if isinstance(exc, OSError) else exc}）", retry=True) from exc


# ------------------------------------------------------------------ digests


ELLIPSIS = "……（内容较长，全文请登录督办查看）"


def digest_chunks(pieces: list[Piece], max_bytes: int) -> list[tuple[str, str, list[int]]]:
    """Merge messages for one group into as few posts as fit: [(title, markdown, indexes)].

    A post never splits a message (so a failed post leaves whole messages to resend); a
    single message longer than a post is cut at a character boundary with a pointer to duban.
    """
    sections = [f"### {p.subject}\n\n{p.body}".rstrip() for p in pieces]
    chunks: list[tuple[str, str, list[int]]] = []
    current: list[int] = []
    size = 0
    sep = "\n\n---\n\n"

    def flush() -> None:
        if current:
            title = pieces[current[0]].subject if len(current) == 1 else f"督办通知（{len(current)} 条）"
            body = sep.join(sections[i] for i in current)
            if len(current) > 1:
                body = f"**{title}**\n\n{body}"
            chunks.append((title, _fit(body, max_bytes), list(current)))

    header_room = 64  # the "督办通知（N 条）" line of a digest
    for i, section in enumerate(sections):
        need = len(section.encode()) + len(sep.encode())
        if current and size + need + header_room > max_bytes:
            flush()
            current, size = [], 0
        current.append(i)
        size += need
    flush()
    return chunks


def _fit(text: str, max_bytes: int) -> str:
    if len(text.encode()) <= max_bytes:
        return text
    room = max_bytes - len(ELLIPSIS.encode())
    cut = text.encode()[:room].decode("utf-8", errors="ignore")
    return cut + ELLIPSIS


def email_digest(pieces: list[Piece]) -> tuple[str, str]:
    if len(pieces) == 1:
        return pieces[0].subject, pieces[0].body
    subject = f"督办通知（{len(pieces)} 条）：{pieces[0].subject}"
    body = "\n\n".join(f"【{p.subject}】\n{p.body}" for p in pieces)
    return subject[:200], body
