"""Bench: intake router macro-F1 (stratified 5-fold CV, duplicates grouped) and throughput.

Run: .venv/bin/python bench/bench_router.py
Prints our model's CV macro-F1 (mean ± std) next to a floor measured in the same run on
the same folds (sklearn char 1–3-gram TF-IDF + LinearSVC, defaults), the ratio, and the
classification throughput (messages/s, model trained on all rows) of both.
"""

from __future__ import annotations

import csv
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from duban.triage import router  # noqa: E402
from duban.triage.textmodel import shared_data_dir  # noqa: E402


def floor_model():
    return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LinearSVC())


def throughput(predict, texts: list[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        predict(texts)
        best = min(best, time.perf_counter() - t0)
    return len(texts) / best


def main() -> None:
    path = shared_data_dir() / "tipdm2020" / "messages_labeled.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    texts = [r["留言主题"] + r["留言详情"] for r in rows]
    y = np.array([r["一级标签"] for r in rows])
    folds = router.make_folds(texts, y, 5, seed=0)
    n_groups = len(np.unique(router.duplicate_groups(texts)))
    print(f"{len(texts)} messages, {n_groups} duplicate groups, {len(folds)} folds (StratifiedGroupKFold)")

    t0 = time.perf_counter()
    floor_f1 = []
    for tr, te in folds:
        m = floor_model().fit([texts[i] for i in tr], y[tr])
        floor_f1.append(f1_score(y[te], m.predict([texts[i] for i in te]), average="macro"))
    t_floor = time.perf_counter() - t0

    t0 = time.perf_counter()
    classes = np.unique(y)
    _, ours_f1 = router.cv_scores(texts, y, folds, classes=classes)
    t_ours = time.perf_counter() - t0

    fm, fs = float(np.mean(floor_f1)), float(np.std(floor_f1))
    om, os_ = float(np.mean(ours_f1)), float(np.std(ours_f1))
    print(
        f"floor  char1-3 TF-IDF + LinearSVC : macro-F1 {fm:.4f} ± {fs:.4f}  per fold {np.round(floor_f1, 4)}  ({t_floor:.0f} s)"
    )
    print(
        f"ours   {router.MODEL_NAME}: macro-F1 {om:.4f} ± {os_:.4f}  per fold {np.round(ours_f1, 4)}  ({t_ours:.0f} s)"
    )
    print(f"ratio  {om / fm:.3f}x the floor (+{om - fm:.4f})")

    # throughput: both trained on all rows, classify 4x the corpus (10,888 messages)
    batch = texts * 4
    floor = floor_model().fit(texts, y)
    model = router.train(texts, list(y), calibrate=True)
    fl_tp = throughput(floor.predict, batch)
    our_tp = throughput(lambda b: model.predict_top(b, k=3), batch)
    print(
        f"throughput ({len(batch)} msgs, {os.cpu_count()} cores): ours {our_tp:,.0f} msg/s (predict_top k=3, "
        f"calibrated), floor {fl_tp:,.0f} msg/s (predict), ratio {our_tp / fl_tp:.2f}x"
    )
    print(f"confidence temperature {model.temperature:.3f}")


if __name__ == "__main__":
    main()
