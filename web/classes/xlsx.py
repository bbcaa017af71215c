"""XLSX downloads (openpyxl): a workbook of simple sheets — a few heading lines, a header
row, the data — sent as an attachment that no cache keeps (it carries pupils' names).

Text that a spreadsheet would read as a formula («=…», «+…», «-…», «@…») is written as
plain text, so nothing typed into the journal can run in the reader's spreadsheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from io import BytesIO

from flask import Response, send_file
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@")
Value = str | int | float | None


@dataclass(frozen=True)
class Sheet:
    """One sheet: ``heading`` lines above the table, its ``header`` and ``rows``;
    ``percent`` names the columns (0-based) holding shares to show as percentages."""

    title: str
    heading: Sequence[str]
    header: Sequence[str]
    rows: Sequence[Sequence[Value]]
    percent: frozenset[int] = field(default_factory=frozenset)


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as an XLSX file."""
    book = Workbook()
    book.remove(book.worksheets[0])  # the empty sheet a new workbook has
    for sheet in sheets:
        _write(book.create_sheet(sheet.title[:31]), sheet)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _write(ws: Worksheet, sheet: Sheet) -> None:
    for number, line in enumerate(sheet.heading, start=1):
        cell = _put(ws, number, 1, line)
        cell.font = Font(bold=number == 1, size=13 if number == 1 else 11)
    top = len(sheet.heading) + 2
    widths = [len(h) for h in sheet.header]
    for column, title in enumerate(sheet.header, start=1):
        cell = _put(ws, top, column, title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for offset, row in enumerate(sheet.rows, start=1):
        for column, value in enumerate(row, start=1):
            cell = _put(ws, top + offset, column, value)
            if column - 1 in sheet.percent and value is not None:
                cell.number_format = "0.0%"
            widths[column - 1] = max(widths[column - 1], len(str(value or "")))
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 6), 60)
    ws.freeze_panes = ws.cell(row=top + 1, column=1).coordinate


def _put(ws: Worksheet, row: int, column: int, value: Value) -> Cell:
    """Write one cell; strings stay strings (no formula, no control characters)."""
    if isinstance(value, str):
        value = "".join(ch for ch in value if ch >= " " or ch in "\t\n")
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
    return cell


def download(data: bytes, filename: str) -> Response:
    """Send ``data`` as an XLSX attachment named ``filename``; never cached."""
    response = send_file(
        BytesIO(data), mimetype=MIMETYPE, as_attachment=True, download_name=filename
    )
    response.headers["Cache-Control"] = "no-store"
    return response
