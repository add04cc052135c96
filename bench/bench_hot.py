"""Bench: hot-issue finding on 53,000 messages (hot_messages.csv replicated and perturbed).

Run: .venv/bin/python bench/bench_hot.py [--n 53000]
Prints the seconds for find_hot_issues, a floor measured in the same run (the time just to
vectorise the same texts with sklearn's char 2–3-gram TfidfVectorizer) and the ratio.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

from duban.triage.hotissues import find_hot_issues, parse_time  # noqa: E402
from duban.triage.textmodel import shared_data_dir  # noqa: E402


def load_messages() -> list[dict]:
    path = shared_data_dir() / "tipdm2020" / "hot_messages.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            {
                "id": r["留言编号"],
                "title": r["留言主题"],
                "text": r["留言详情"],
                "time": r["留言时间"],
                "user": r["留言用户"],
                "likes": int(r["点赞数"] or 0),
            }
            for r in csv.DictReader(fh)
        ]


def perturb(msgs: list[dict], n: int, seed: int = 0) -> list[dict]:
    """Copies of the messages with a few characters dropped, new users and shifted times."""
    rng = random.Random(seed)
    out = list(msgs)
    k = 0
    while len(out) < n:
        m = msgs[k % len(msgs)]
        k += 1
        text = "".join(ch for ch in m["text"] if rng.random() > 0.03)
        t = parse_time(m["time"]) or dt.datetime(2019, 1, 1)
        out.append(
            {
                "id": f"{m['id']}-{k}",
                "title": m["title"],
                "text": text,
                "time": t + dt.timedelta(days=rng.randint(-200, 200)),
                "user": f"U{rng.randint(0, 10**6)}",
                "likes": rng.randint(0, 3),
            }
        )
    return out[:n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=53_000)
    args = ap.parse_args()
    base = load_messages()
    msgs = perturb(base, args.n)

    t0 = time.perf_counter()
    TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True).fit_transform(
        [m["title"] + m["text"] for m in msgs]
    )
    floor = time.perf_counter() - t0

    t0 = time.perf_counter()
    issues = find_hot_issues(msgs)
    took = time.perf_counter() - t0

    t0 = time.perf_counter()
    small = find_hot_issues(base)
    took_small = time.perf_counter() - t0

    print(f"messages: {len(msgs)}  issues: {len(issues)}  multi-message: {sum(h.size > 1 for h in issues)}")
    print(
        f"find_hot_issues: {took:.1f} s   floor (sklearn TF-IDF char 2-3 vectorise only): {floor:.1f} s   "
        f"ratio: {took / floor:.2f}x the floor"
    )
    print(f"hot_messages.csv ({len(base)} msgs): {took_small:.1f} s, top 5:")
    for h in small[:5]:
        print(
            f"  #{h.id} size={h.size} users={h.users} support={h.support} score={h.score}  {h.title}  "
            f"places={h.places[:3]}  {h.first:%Y-%m-%d}..{h.last:%Y-%m-%d}"
        )


if __name__ == "__main__":
    main()
