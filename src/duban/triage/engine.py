"""The seam between the Django side of triage and the pure-ML modules.

`router.py`, `hotissues.py` and `replycheck.py` (pure Python + scikit-learn, no Django)
do the learning; this module adapts their API to what the pages, services and commands
need, and keeps trained models in a small in-process cache. They are imported when first
used (scikit-learn is slow to load and most requests never need it).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_lock = threading.Lock()
_cache: dict[str, tuple[float, Any]] = {}


# ---------------------------------------------------------------------------- router


def train(texts: Sequence[str], labels: Sequence[str], *, cv: int = 5, **kwargs) -> Any:
    """A trained router carrying `version`, `labels` and cross-validated `metrics`."""
    from duban.triage import router

    return router.train(list(texts), list(labels), cv=cv, **kwargs)


def predict_top(model: Any, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
    """For each text, the k best labels with a confidence in [0, 1], best first."""
    from duban.triage import router

    rows = router.predict_top(model, list(texts), k=k)
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
    from duban.triage import router

    router.save(model, path)


def load(path: str | Path) -> Any:
    """The model at `path`, cached per process until the file changes."""
    key = str(path)
    mtime = os.path.getmtime(key)
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == mtime:
            return hit[1]
    from duban.triage import router

    model = router.load(key)
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
    from duban.triage import hotissues

    result = hotissues.find_hot_issues(list(messages), **kwargs)
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
    from duban.triage import replycheck

    res = replycheck.check_reply(message=message, reply=reply, asked_at=asked_at, replied_at=replied_at, due_days=due_days)
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
