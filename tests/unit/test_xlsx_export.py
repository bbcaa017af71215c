"""The XLSX writer of the class area's reports: text stays text (no formula runs in the
reader's spreadsheet), control characters are dropped, shares are percentages."""

from __future__ import annotations

import zipfile
from io import BytesIO

from openpyxl import load_workbook

from web.classes.xlsx import Sheet, workbook


def test_text_that_looks_like_a_formula_stays_text():
    data = workbook(
        [
            Sheet(
                "Отчёт",
                ['=HYPERLINK("http://x")', "Период"],
                ["Имя", "Доля"],
                [["=1+1", 0.25], ["@SUM(A1)", None], ["Иванов\x07 Иван", 1]],
                percent=frozenset({1}),
            )
        ]
    )
    with zipfile.ZipFile(BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere
    ws = load_workbook(BytesIO(data))["Отчёт"]
    assert ws["A1"].value == '=HYPERLINK("http://x")' and ws["A1"].data_type == "s"
    assert [c.value for c in ws[4]] == ["Имя", "Доля"]
    assert ws["A5"].value == "=1+1" and ws["A5"].data_type == "s"
    assert ws["A6"].value == "@SUM(A1)"
    assert ws["A7"].value == "Иванов Иван"
    assert ws["B5"].value == 0.25 and ws["B5"].number_format == "0.0%"
    assert ws.freeze_panes == "A5"
