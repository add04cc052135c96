"""Rate limits hold across worker processes: the counters live in the shared cache."""

from __future__ import annotations

import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest

pytestmark = pytest.mark.slow

COUNT_HITS = """
import sys, time
from duban.core.ratelimit import hit
start, key = float(sys.argv[1]), sys.argv[2]
while time.time() < start:
    time.sleep(0.001)
# One window that no test run straddles.
print(sum(hit(key, 30, 10**9) for _ in range(40)))
"""


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.parametrize("cache", ["database", "redis"])
def test_two_processes_share_one_counter(install, cache):
    env = dict(install.env)
    if cache == "redis":
        if not _redis_answers():
            pytest.skip("no Redis on 127.0.0.1:6379")
        env["DUBAN_REDIS_URL"] = "redis://127.0.0.1:6379/0"
    start = time.time() + 3
    key = f"shared-test-{secrets.token_hex(6)}"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", "import django; django.setup()\n" + COUNT_HITS, str(start), key],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    allowed = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        allowed.append(int(out.strip().splitlines()[-1]))
    # 80 hits against a limit of 30: exactly 30 get through in total, however they interleave.
    assert sum(allowed) == 30, allowed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _submit_once(base: str) -> int:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/s/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "kind": "suggestion", "body": "建议延长图书馆开放时间", "website": ""}).encode()
    req = urllib.request.Request(base + "/s/", data=data, headers={"Referer": base + "/s/"})
    try:  # a success redirects to the tracking page (200)
        return opener.open(req, timeout=30).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_public_submissions_limited_across_two_gunicorn_workers(install):
    install.duban("demo", "--no-serve")
    port = _free_port()
    server = install.popen("serve", "--workers", "2", "--threads", "1", "--port", str(port), "--no-migrate", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        results: list[int] = []
        # Concurrent posts, so both sync workers take some of them.
        threads = [threading.Thread(target=lambda: results.append(_submit_once(base))) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(results) == [200] * 5 + [429] * 5, results  # 5 per 10 minutes per address
        stored = install.python("from duban.intake.models import Suggestion, Channel\nprint(Suggestion.objects.filter(channel=Channel.WEB, body='建议延长图书馆开放时间').count())")
        assert stored.stdout.strip() == "5"
    finally:
        server.terminate()
        server.wait(30)
