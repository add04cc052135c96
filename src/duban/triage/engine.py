"""The seam between the Django side of triage and the pure-ML modules.

`router.py`, `hotissues.py` and `replycheck.py` (pure Python + scikit-learn, no Django)
do the learning; this module adapts their API to what the pages, services and commands
need, and keeps trained models in a small in-process cache. Where one of those modules is
missing (an install without them, or while they are being written) a simple built-in
stand-in answers instead, so the pages keep working.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from duban.core.plugins import optional_import

_lock = threading.Lock()
_cache: dict[str, tuple[float, Any]] = {}


def _mod(name: str):
    return optional_import(f"duban.triage.{name}")


# ---------------------------------------------------------------------------- router


def train(texts: Sequence[str], labels: Sequence[str], *, cv: int = 5, **kwargs) -> Any:
    """A trained router carrying `version`, `labels` and cross-validated `metrics`."""
    router = _mod("router")
    if router is not None and hasattr(router, "train"):
        try:
            return router.train(list(texts), list(labels), cv=cv, **kwargs)
        except TypeError:  # a train() without a cv parameter
            return router.train(list(texts), list(labels), **kwargs)
    return _Fallback.train(list(texts), list(labels), cv=cv)


def predict_top(model: Any, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
    """For each text, the k best labels with a confidence in [0, 1], best first."""
    router = _mod("router")
    if router is not None and hasattr(router, "predict_top") and not isinstance(model, _Fallback):
        rows = router.predict_top(model, list(texts), k=k)
    else:
        rows = model.predict_top(list(texts), k=k)
    out = []
    for row in rows:
        items = []
        for item in row:
            if isinstance(item, dict):
                items.append((str(item.get("label")), float(item.get("confidence", item.get("score", 0.0)))))
            else:
                items.append((str(item[0]), float(item[1])))
        out.append(items)
    return out


def save(model: Any, path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    router = _mod("router")
    if router is not None and hasattr(router, "save") and not isinstance(model, _Fallback):
        router.save(model, path)
    else:
        import joblib

        joblib.dump(model, path)


def load(path: str | Path) -> Any:
    """The model at `path`, cached per process until the file changes."""
    key = str(path)
    mtime = os.path.getmtime(key)
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == mtime:
            return hit[1]
    router = _mod("router")
    model = None
    if router is not None and hasattr(router, "load"):
        try:
            model = router.load(key)
        except Exception:  # a fallback model saved by joblib: fall through
            model = None
    if model is None:
        import joblib

        model = joblib.load(key)
    with _lock:
        _cache[key] = (mtime, model)
    return model


def model_info(model: Any) -> dict[str, Any]:
    """version, labels, metrics of a trained model, whatever its class."""
    get = (lambda k, d=None: model.get(k, d)) if isinstance(model, dict) else (lambda k, d=None: getattr(model, k, d))
    metrics = get("metrics") or {}
    labels = get("labels") or get("classes") or []
    return {"version": str(get("version", "")), "labels": [str(x) for x in labels], "metrics": metrics, "n_train": get("n_train", None)}


# ---------------------------------------------------------------------------- hot issues


def find_hot_issues(messages: Sequence[dict], **kwargs) -> list[dict]:
    """Clusters of messages about the same matter, ranked; see hotissues.find_hot_issues.

    Each message is a dict with id, title, text, time (datetime or None), user, likes,
    dislikes, place. Each result has: ids (message ids), size, title, places, first,
    last, support, score, keywords.
    """
    hot = _mod("hotissues")
    if hot is not None and hasattr(hot, "find_hot_issues"):
        result = hot.find_hot_issues(list(messages), **kwargs)
    else:
        result = _fallback_hot(list(messages))
    return [_issue_dict(r) for r in result]


def _issue_dict(r: Any) -> dict:
    if not isinstance(r, dict):
        r = {k: getattr(r, k) for k in dir(r) if not k.startswith("_") and not callable(getattr(r, k))}
    ids = r.get("ids") or r.get("message_ids") or r.get("members") or []
    return {
        "ids": list(ids),
        "size": int(r.get("size") or len(ids)),
        "title": str(r.get("title") or r.get("label") or ""),
        "places": list(r.get("places") or []),
        "first": r.get("first") or r.get("first_at") or r.get("start"),
        "last": r.get("last") or r.get("last_at") or r.get("end"),
        "support": int(r.get("support") or 0),
        "score": float(r.get("score") or r.get("heat") or 0.0),
        "keywords": list(r.get("keywords") or []),
        "users": int(r.get("users") or r.get("n_users") or 0),
    }


# ---------------------------------------------------------------------------- replies


def check_reply(*, message: str, reply: str, asked_at: dt.datetime | None = None, replied_at: dt.datetime | None = None, due_days: int = 15) -> list[dict]:
    """Flags for a reply: [{"code": "short"|"off_topic"|"late"|…, "message": "…"}]."""
    rc = _mod("replycheck")
    if rc is not None and hasattr(rc, "check_reply"):
        res = rc.check_reply(message=message, reply=reply, asked_at=asked_at, replied_at=replied_at, due_days=due_days)
    else:
        res = _fallback_check(message, reply, asked_at, replied_at, due_days)
    flags = res.get("flags", res) if isinstance(res, dict) else res
    out = []
    for f in flags or []:
        if isinstance(f, dict):
            out.append({"code": str(f.get("code", "")), "message": str(f.get("message") or f.get("text") or f.get("code"))})
        elif isinstance(f, (tuple, list)):
            out.append({"code": str(f[0]), "message": str(f[1] if len(f) > 1 else f[0])})
        else:
            out.append({"code": str(getattr(f, "code", f)), "message": str(getattr(f, "message", f))})
    return out


# ---------------------------------------------------------------------------- stand-ins


class _Fallback:
    """Character 1–3-gram TF-IDF + linear SVM; confidence is a softmax of the margins."""

    def __init__(self, pipeline, labels, metrics, n_train):
        self.pipeline, self.labels, self.metrics, self.n_train = pipeline, labels, metrics, n_train
        self.version = f"fallback-{dt.datetime.now():%Y%m%d%H%M%S}"

    @staticmethod
    def _pipeline():
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline
        from sklearn.svm import LinearSVC

        return make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=1, max_features=200_000), LinearSVC(C=0.5))

    @classmethod
    def train(cls, texts, labels, cv=5):
        from collections import Counter

        from sklearn.metrics import accuracy_score, f1_score
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        metrics: dict[str, Any] = {}
        smallest = min(Counter(labels).values())
        folds = min(cv, smallest)
        if folds >= 2:
            pred = cross_val_predict(cls._pipeline(), texts, labels, cv=StratifiedKFold(folds, shuffle=True, random_state=0))
            metrics = {"cv_folds": folds, "macro_f1": round(float(f1_score(labels, pred, average="macro")), 4), "accuracy": round(float(accuracy_score(labels, pred)), 4)}
        pipe = cls._pipeline().fit(texts, labels)
        return cls(pipe, [str(c) for c in pipe.classes_], metrics, len(texts))

    def predict_top(self, texts, k=3):
        import numpy as np

        scores = self.pipeline.decision_function(texts)
        if scores.ndim == 1:  # two classes
            scores = np.stack([-scores, scores], axis=1)
        e = np.exp((scores - scores.max(axis=1, keepdims=True)) * 3.0)
        probs = e / e.sum(axis=1, keepdims=True)
        out = []
        for row in probs:
            idx = np.argsort(-row)[:k]
            out.append([(self.labels[i], float(row[i])) for i in idx])
        return out


def _fallback_hot(messages: list[dict], threshold: float = 0.55) -> list[dict]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neighbors import NearestNeighbors

    if len(messages) < 2:
        return []
    texts = [f"{m.get('title', '')} {m.get('title', '')} {str(m.get('text', ''))[:300]}" for m in messages]
    X = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), min_df=2, sublinear_tf=True).fit_transform(texts)
    nn = NearestNeighbors(n_neighbors=min(10, len(messages)), metric="cosine").fit(X)
    dist, idx = nn.kneighbors(X)
    parent = list(range(len(messages)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, (drow, irow) in enumerate(zip(dist, idx, strict=True)):
        for d, j in zip(drow, irow, strict=True):
            if j != i and d < threshold:
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(messages)):
        groups.setdefault(find(i), []).append(i)
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        ms = [messages[i] for i in members]
        times = [m["time"] for m in ms if m.get("time")]
        support = sum(int(m.get("likes") or 0) for m in ms)
        users = len({m.get("user") for m in ms})
        out.append({
            "ids": [m["id"] for m in ms], "size": len(ms), "title": ms[0].get("title", ""),
            "places": sorted({m.get("place") for m in ms if m.get("place")}), "first": min(times) if times else None,
            "last": max(times) if times else None, "support": support,
            "score": len(ms) + 2 * (users - 1) + math.log2(1 + support), "users": users,
        })
    out.sort(key=lambda r: -r["score"])
    return out


def _fallback_check(message, reply, asked_at, replied_at, due_days) -> list[dict]:
    flags = []
    text = (reply or "").strip()
    if len(text) < 30:
        flags.append({"code": "short", "message": f"答复过短（{len(text)} 字），请说明核查情况、处理结果和依据"})
    grams = lambda s: {s[i : i + 2] for i in range(len(s) - 1)}  # noqa: E731
    a, b = grams(message or ""), grams(text)
    if a and b and len(a & b) / max(1, min(len(a), len(b))) < 0.08:
        flags.append({"code": "off_topic", "message": "答复与留言内容关联度低，可能答非所问"})
    if asked_at and replied_at and (replied_at - asked_at).days > due_days:
        flags.append({"code": "late", "message": f"答复超过 {due_days} 天时限（用时 {(replied_at - asked_at).days} 天）"})
    return flags
