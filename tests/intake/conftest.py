"""Helpers for the intake tests: suggestions at a unit, a tiny real PNG, xlsx files."""

from __future__ import annotations

import base64

import pytest

from duban.core.actors import SystemActor

# A 1×1 PNG: real image bytes that filetype recognises.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.fixture
def make_suggestion(campaign):
    from duban.intake import services

    def make(unit=None, body="村里路灯坏了很久没人修，晚上出行很不方便。", **kw):
        s = services.suggestion_submit(actor=SystemActor("测试"), skip_checks=True, campaign=campaign, body=body, contact_name=kw.pop("contact_name", "张三"),
                                       contact_phone=kw.pop("contact_phone", "13812345678"), **kw)
        if unit is not None:
            s = services.suggestion_route(actor=SystemActor("测试"), skip_checks=True, suggestion=s, unit=unit)
        return s

    return make


@pytest.fixture
def xlsx(tmp_path):
    import xlsxwriter

    def make(header, rows, name="s.xlsx"):
        path = tmp_path / name
        wb = xlsxwriter.Workbook(str(path))
        ws = wb.add_worksheet()
        ws.write_row(0, 0, header)
        for r, row in enumerate(rows, start=1):
            ws.write_row(r, 0, row)
        wb.close()
        return path

    return make
