"""Bench: are the hot issues one matter each? Purity, mixed share and completeness.

Run: .venv/bin/python bench/bench_hot_quality.py [--show 15]

Ground truth is bench/data/hot_labelled.csv: 474 messages of hot_messages.csv labelled by
hand (read one by one; a label names one matter a reader recognises, e.g. "丽发新城搅拌站扰民";
messages about a matter nobody else in the sample raised carry "单条:<id>"). Figures:

* purity: in each hot issue, the share of its labelled messages that carry its most common
  label, weighted by those messages (1.0 = no issue mixes two matters);
* mixed: the share of labelled messages in hot issues that hold two or more matters (the issues
  a reader would split);
* completeness: for each labelled matter of 2+ messages, the share of its messages in its
  biggest hot issue, weighted (1.0 = no matter is split across issues or left single).

Both runs are measured: the labelled sample clustered alone, and the whole hot_messages.csv
(4,326 messages; only the labelled ones are scored, so the other 3,852 act as distractors).
The floor printed is the time to vectorise the same texts (sklearn char 2–3-gram TF-IDF).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

from duban.triage.hotissues import MIN_HOT_SIZE, find_hot_issues  # noqa: E402
from duban.triage.textmodel import shared_data_dir  # noqa: E402

LABELLED = Path(__file__).resolve().parent / "data" / "hot_labelled.csv"


def load_labelled(path: Path = LABELLED) -> tuple[list[dict], dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    msgs = [
        {"id": r["id"], "title": r["title"], "text": r["text"], "time": r["time"], "user": r["user"], "likes": int(r["likes"] or 0)}
        for r in rows
    ]
    return msgs, {r["id"]: r["label"] for r in rows}


def load_file() -> list[dict]:
    path = shared_data_dir() / "tipdm2020" / "hot_messages.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            {"id": r["留言编号"], "title": r["留言主题"], "text": r["留言详情"], "time": r["留言时间"], "user": r["留言用户"], "likes": int(r["点赞数"] or 0)}
            for r in csv.DictReader(fh)
        ]


def scores(issues, labels: dict[str, str]) -> dict[str, float]:
    """Purity, mixed share and completeness of ``issues`` (hot issues only) against ``labels``."""
    in_issue: dict[str, int] = {}
    for h in issues:
        if h.size >= MIN_HOT_SIZE:
            for i in h.ids:
                if str(i) in labels:
                    in_issue[str(i)] = h.id
    by_issue: dict[int, list[str]] = defaultdict(list)
    for i, c in in_issue.items():
        by_issue[c].append(labels[i])
    n = sum(len(v) for v in by_issue.values())
    pure = sum(Counter(v).most_common(1)[0][1] for v in by_issue.values())
    mixed = sum(len(v) for v in by_issue.values() if len(set(v)) > 1)
    matters: dict[str, list[str]] = defaultdict(list)
    for i, lab in labels.items():
        matters[lab].append(i)
    multi = {lab: ids for lab, ids in matters.items() if len(ids) > 1}
    found = 0
    for ids in multi.values():
        c = Counter(in_issue[i] for i in ids if i in in_issue)
        found += c.most_common(1)[0][1] if c else 0
    total = sum(len(ids) for ids in multi.values())
    singles = [ids[0] for ids in matters.values() if len(ids) == 1]
    return {
        "purity": pure / n if n else 1.0,
        "mixed": mixed / n if n else 0.0,
        "completeness": found / total if total else 1.0,
        "labelled_in_issues": n,
        "single_kept_single": sum(i not in in_issue for i in singles) / len(singles) if singles else 1.0,
    }


def mixed_issues(issues, labels: dict[str, str]) -> list[tuple]:
    out = []
    for h in issues:
        labs = Counter(labels[str(i)] for i in h.ids if str(i) in labels)
        if h.size >= MIN_HOT_SIZE and len(labs) > 1:
            out.append((h.size, h.title, dict(labs)))
    return out


def report(name: str, issues, labels, took: float, floor: float, n: int, show: int) -> None:
    hot = [h for h in issues if h.size >= MIN_HOT_SIZE]
    s = scores(issues, labels)
    print(
        f"{name}: {n} messages -> {len(hot)} hot issues ({sum(h.size for h in hot)} messages), "
        f"{n - sum(h.size for h in hot)} single messages; {took:.2f} s (floor {floor:.2f} s, ratio {took / floor:.1f}x)"
    )
    print(
        f"  purity {s['purity']:.3f}  mixed {s['mixed']:.3f}  completeness {s['completeness']:.3f}  "
        f"(labelled messages in hot issues: {s['labelled_in_issues']}; true singles left single: {s['single_kept_single']:.3f})"
    )
    for size, title, labs in mixed_issues(issues, labels)[:show]:
        print(f"  mixed: {size} {title}  {labs}")


def timed(msgs):
    t0 = time.perf_counter()
    TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True).fit_transform([m["title"] + m["text"] for m in msgs])
    floor = time.perf_counter() - t0
    t0 = time.perf_counter()
    issues = find_hot_issues(msgs)
    return issues, time.perf_counter() - t0, floor


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--show", type=int, default=10, help="top hot issues of the whole file to print")
    args = ap.parse_args()
    sample, labels = load_labelled()
    issues, took, floor = timed(sample)
    report("labelled sample alone", issues, labels, took, floor, len(sample), args.show)
    full = load_file()
    issues, took, floor = timed(full)
    report("whole hot_messages.csv", issues, labels, took, floor, len(full), args.show)
    print("  top hot issues:")
    for h in issues[: args.show]:
        print(f"   {h.size:>3}  {h.title}  | {'、'.join(h.keywords)}")


if __name__ == "__main__":
    main()
