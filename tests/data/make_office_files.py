"""Write the checked-in office-shaped files of this folder (run from the repository root:
`python -m tests.data.make_office_files`; needs xlwt, a dev dependency).

The .xls files are what Excel 97–2003 and WPS save; ledger_office.et is the same bytes
under WPS's own extension (WPS saves .et as an Excel 97–2003 workbook inside).
"""

from __future__ import annotations

from pathlib import Path

from tests.office_layouts import office_ledger, office_suggestions, office_units, write_ods, write_xls

HERE = Path(__file__).parent


def main() -> None:
    ledger = write_xls(office_ledger(), HERE / "ledger_office.xls")
    (HERE / "ledger_office.et").write_bytes(ledger)
    write_ods(office_ledger(), HERE / "ledger_office.ods")
    write_xls(office_units(), HERE / "units_office.xls")
    write_ods(office_suggestions(), HERE / "suggestions_office.ods")


if __name__ == "__main__":
    main()
