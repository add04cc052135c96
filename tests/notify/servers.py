"""Stand-ins for the outside world on 127.0.0.1: a DingTalk/WeCom robot endpoint that
checks what the real ones check and answers the way they answer, and an SMTP server.

Real sockets, real HTTP, real SMTP: the code under test talks to them exactly as it would
talk to oapi.dingtalk.com, qyapi.weixin.qq.com or a mail relay.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socketserver
import threading
import time
import urllib.parse
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RobotServer(ThreadingHTTPServer):
    """DingTalk `/robot/send?access_token=…[&timestamp&sign]` and WeCom `/cgi-bin/webhook/send?key=…`.

    `dingtalk[token] = secret` (or "" for an unsigned robot) and `wecom.add(key)` declare
    robots. Each takes `limit` posts a minute; DingTalk then locks the robot for 10 minutes
    (130101), WeCom answers 45009. `advance(s)` moves the robot's clock forward.
    """

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _RobotHandler)
        self.dingtalk: dict[str, str] = {}
        self.wecom: set[str] = set()
        self.limit = 20
        self.offset = 0.0
        self.delay = 0.0  # seconds to sit on a request before answering
        self.posts: list[dict] = []  # accepted posts
        self.refused: list[dict] = []  # every post answered with an error
        self.force: dict[str, dict] = {}  # token/key → the answer to give instead
        self._times: dict[str, list[float]] = {}
        self._locked: dict[str, float] = {}
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def dingtalk_url(self, token: str) -> str:
        return f"{self.base}/robot/send?access_token={token}"

    def wecom_url(self, key: str) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def answer(self, path: str, query: dict, body: dict) -> dict:
        with self.lock:
            if path == "/robot/send":
                return self._dingtalk(query, body)
            if path == "/cgi-bin/webhook/send":
                return self._wecom(query, body)
            return {"errcode": 404, "errmsg": "not found"}

    def _rate(self, robot: str) -> bool:
        now = self.now()
        times = [t for t in self._times.get(robot, []) if now - t < 60]
        if len(times) >= self.limit:
            self._times[robot] = times
            return False
        self._times[robot] = [*times, now]
        return True

    def _dingtalk(self, query: dict, body: dict) -> dict:
        token = query.get("access_token", "")
        if token not in self.dingtalk:
            return {"errcode": 300001, "errmsg": "token is not exist"}
        secret = self.dingtalk[token]
        if secret:
            ts, sign = query.get("timestamp", ""), query.get("sign", "")
            if not ts.isdigit() or abs(int(ts) / 1000 - time.time()) > 3600:
                return {"errcode": 310000, "errmsg": "sign not match, more: [timestamp expired]"}
            expected = base64.b64encode(
                hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
            ).decode()
            if not hmac.compare_digest(sign, expected):
                return {"errcode": 310000, "errmsg": "sign not match"}
        if token in self.force:
            return self.force[token]
        if self._locked.get(token, 0) > self.now():
            return {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        if not self._rate(token):
            self._locked[token] = self.now() + 600
            return {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        if body.get("msgtype") != "markdown" or not body.get("markdown", {}).get("text"):
            return {"errcode": 40035, "errmsg": "缺少参数 json"}
        self.posts.append({"robot": "dingtalk", "token": token, "body": body, "query": query})
        return {"errcode": 0, "errmsg": "ok"}

    def _wecom(self, query: dict, body: dict) -> dict:
        key = query.get("key", "")
        if key not in self.wecom:
            return {"errcode": 93000, "errmsg": "invalid webhook url"}
        if key in self.force:
            return self.force[key]
        content = body.get("markdown", {}).get("content", "")
        if len(content.encode()) > 4096:
            return {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
        if not self._rate(key):
            return {"errcode": 45009, "errmsg": "api freq out of limit"}
        self.posts.append({"robot": "wecom", "key": key, "body": body, "query": query})
        return {"errcode": 0, "errmsg": "ok"}


class _RobotHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        parts = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            body = {}
        if self.server.delay:
            time.sleep(self.server.delay)
        answer = self.server.answer(parts.path, query, body)
        if answer.get("errcode"):
            self.server.refused.append({"path": parts.path, "query": query, "answer": answer})
        data = json.dumps(answer, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class SMTPServer(socketserver.ThreadingTCPServer):
    """Enough of RFC 5321 for Django's SMTP backend: EHLO/HELO, MAIL, RCPT, DATA, RSET, QUIT.
    `reject` lists recipients answered with 550; `mails` holds what was accepted."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.mails: list[dict] = []
        self.reject: set[str] = set()

    @property
    def port(self) -> int:
        return self.server_address[1]


class _SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 127.0.0.1 test SMTP")
        sender, rcpts = "", []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode().strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-127.0.0.1\r\n250 8BITMIME\r\n")
            elif verb == "HELO":
                self.reply("250 127.0.0.1")
            elif verb == "MAIL":
                sender, rcpts = cmd.split(":", 1)[1].strip().strip("<>").split(">")[0], []
                self.reply("250 OK")
            elif verb == "RCPT":
                addr = cmd.split(":", 1)[1].strip().strip("<>")
                if addr in self.server.reject:
                    self.reply("550 No such user")
                else:
                    rcpts.append(addr)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    data = self.rfile.readline()
                    if data in (b".\r\n", b".\n", b""):
                        break
                    lines.append(data[1:] if data.startswith(b"..") else data)
                msg = message_from_bytes(b"".join(lines))
                payload = msg.get_payload(decode=True) or b""
                self.server.mails.append({
                    "from": sender, "to": rcpts, "subject": str(make_header(decode_header(msg["Subject"] or ""))),
                    "body": payload.decode(msg.get_content_charset() or "utf-8"),
                })
                self.reply("250 OK queued")
            elif verb == "RSET":
                sender, rcpts = "", []
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")
