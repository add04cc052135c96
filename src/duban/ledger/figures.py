"""The `problems` section of `duban stats --json` (DESIGN §5): total, rectified, rate
(a fraction), overdue and by_area {area: {total, rectified, rate, overdue, on_time_rate}}."""

from __future__ import annotations

from typing import Any

from duban.ledger import queries


def figures(*, user=None, campaign=None) -> dict[str, Any]:
    head = queries.totals(user, campaign=campaign)
    by_area: dict[str, Any] = {}
    for row in queries.rates(user, campaign=campaign, by="area"):
        entry = {k: row[k] for k in ("total", "rectified", "rate", "overdue", "on_time_rate")}
        if row["label"] in by_area:  # the same area name in two campaigns: add up
            prev = by_area[row["label"]]
            for k in ("total", "rectified", "overdue"):
                prev[k] += entry[k]
            prev["rate"] = round(prev["rectified"] / prev["total"], 4) if prev["total"] else 0.0
        else:
            by_area[row["label"]] = entry
    return {
        "total": head["total"],
        "rectified": head["rectified"],
        "rate": head["rate"],
        "overdue": head["overdue"],
        "due_soon": head["due_soon"],
        "on_time_rate": head["on_time_rate"],
        "by_area": by_area,
    }
