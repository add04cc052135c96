"""Plain (no Django) fixtures for the triage ML modules."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from duban.triage.textmodel import shared_data_dir  # noqa: E402


def _read(name: str) -> list[dict]:
    path = shared_data_dir() / "tipdm2020" / name
    if not path.exists():
        pytest.skip(f"shared data not found: {path} (set DUBAN_SHARED_DATA)")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def labeled_rows() -> list[dict]:
    return _read("messages_labeled.csv")


@pytest.fixture(scope="session")
def hot_rows() -> list[dict]:
    return _read("hot_messages.csv")


@pytest.fixture(scope="session")
def reply_rows() -> list[dict]:
    return _read("replies.csv")
