"""Everything a signed-in member of staff can read about suggestions, as text.

Used by the privacy tests (issue 8 items 7 and 8): a tracking code or a full phone number
must not appear in any of it. Spreadsheets are read back cell by cell.
"""

from __future__ import annotations

from io import BytesIO

import python_calamine

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith(XLSX) or body[:2] == b"PK":
        wb = python_calamine.CalamineWorkbook.from_filelike(BytesIO(body))
        return "\n".join(
            "\t".join(str(c) for c in row) for name in wb.sheet_names for row in wb.get_sheet_by_name(name).to_python()
        )
    return body.decode("utf-8", errors="replace")


def staff_urls(*, suggestion_id: int, problem_id: int | None = None, unit_ids: tuple[int, ...] = ()) -> list[str]:
    urls = [
        "/", "/intake/", "/intake/?status=", "/intake/?status=replied", "/intake/?status=transferred", "/intake/?q=路灯",
        f"/intake/{suggestion_id}/", "/intake/channels/", "/intake/export/", "/intake/export/?status=", "/intake/export/?status=replied",
        "/triage/hot/", "/triage/models/", "/audit/", "/audit/?verb=suggestion.submit", "/units/", "/campaigns/",
        "/ledger/", "/ledger/?status=", "/ledger/mine/", "/ledger/summary/", "/ledger/export.xlsx",
        "/api/suggestions", f"/api/suggestions/{suggestion_id}", "/api/suggestions/counts", "/api/suggestions/figures",
        "/api/problems", "/api/triage/hot", f"/api/triage/predictions/{suggestion_id}", "/api/stats",
    ]
    if problem_id is not None:
        urls += [f"/ledger/{problem_id}/", f"/api/problems/{problem_id}"]
    urls += [f"/units/{pk}/" for pk in unit_ids]
    return urls


def staff_outputs(client, urls: list[str]) -> dict[str, str]:
    """{url: text} for every url that answers 200 to this client."""
    out = {}
    for url in urls:
        r = client.get(url, follow=True)
        assert r.status_code in (200, 403, 404), (url, r.status_code)
        if r.status_code == 200:
            out[url] = _text(r)
    return out
