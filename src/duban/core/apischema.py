"""What every API operation shares: the error body, the error codes it declares, pagination.

Each router declares the 4xx its endpoints answer (`answers({200: X}, 404, 409)`), so the
OpenAPI schema tells clients — and the schema fuzzer in the tests — what to expect.
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from duban.core.validation import MAX_ID

MAX_PAGE = 500  # rows per page of any list


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(Schema):
    """Every 4xx: `detail` is one Chinese sentence a person can read; a 422 from the input
    checks also lists `errors` (where and what) for programs."""

    detail: str
    errors: list[ErrorItem] | None = None


# Codes every signed-in operation may answer: not signed in (401), bad input (422).
SIGNED_IN = (401, 422)
# Public operations: bad input and the per-IP rate limit.
PUBLIC = (422, 429)


def answers(ok: dict[int, Any], *codes: int, public: bool = False, body: bool = False) -> dict[int, Any]:
    """`response=` for an operation: its success schemas, plus ErrorOut for each code it
    may answer. `body=True`: it reads a JSON body, which can be malformed (400), and — when
    signed in — it is a write, refused without its CSRF token through the session (403)."""
    out = dict(ok)
    extra = ((400,) if public else (400, 403)) if body else ()
    for code in (*(PUBLIC if public else SIGNED_IN), *extra, *codes):
        out.setdefault(code, ErrorOut)
    return dict(sorted(out.items()))


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=` with bounds: 1 ≤ limit ≤ 500, 0 ≤ offset ≤ 2^63-1 (a larger
    offset reached the database as an integer it cannot hold: a 500)."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_PAGE)
        offset: int = Field(0, ge=0, le=MAX_ID)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_PAGE, **kwargs)


class TransitionOut(Schema):
    """One workflow step the caller may take now (core.workflow.Table.describe): fire it with
    POST …/transitions/{name}; `needs_*` and `fields` say what the body must carry."""

    name: str
    label: str
    target: str | None
    needs_reason: bool
    needs_date: bool
    needs_evidence: bool
    fields: list[str]
