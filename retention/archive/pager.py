"""Page primitives for the archive's printouts (reportlab, A4 landscape, PT Sans).

Every string goes through ``Pager.text`` or ``Pager.wrap``, which shrink or wrap it to the
width it is given, so nothing is drawn outside its cell or the page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from retention.archive import fonts

WIDTH, HEIGHT = landscape(A4)
MARGIN = 28.0
BOTTOM = 34.0  # the footer lives below this line
TOP = HEIGHT - MARGIN
MIN_SIZE = 4.5


@dataclass(frozen=True)
class Column:
    """A table column: title and width in points; ``align`` l, c or r."""

    title: str
    width: float
    align: str = "c"


class Pager:
    """A reportlab canvas with a running page count, a footer and fitted text."""

    def __init__(self, title: str, footer: str, *, author: str, subject: str) -> None:
        fonts.register()
        self.buffer = io.BytesIO()
        self.canvas = Canvas(
            self.buffer,
            pagesize=(WIDTH, HEIGHT),
            initialFontName=fonts.FONT,
            pageCompression=1,
        )
        self.canvas.setTitle(title)
        self.canvas.setAuthor(author)
        self.canvas.setSubject(subject)
        self.canvas.setKeywords(subject)
        self.canvas.setCreator("ejournal")
        self.footer = footer
        self._batch: Any = None
        self._font: tuple[str, float] | None = None
        self.page = 1
        self.y = TOP

    # --- pages -------------------------------------------------------------------------------
    def new_page(self) -> None:
        """Finish the page (with its footer) and start the next."""
        self._footer()
        self.canvas.showPage()
        self.page += 1
        self.y = TOP

    def room(self, height: float) -> None:
        """Start a new page unless ``height`` points fit above the bottom margin."""
        if self.y - height < BOTTOM:
            self.new_page()

    def finish(self) -> bytes:
        """The rendered PDF (not yet PDF/A)."""
        self._footer()
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()

    def _footer(self) -> None:
        self.text(MARGIN, 16, f"{self.footer} · лист {self.page}", 7, WIDTH - 2 * MARGIN)

    # --- text --------------------------------------------------------------------------------
    def text(
        self,
        x: float,
        y: float,
        value: str,
        size: float,
        width: float,
        *,
        bold: bool = False,
        align: str = "l",
    ) -> None:
        """Draw one line at baseline ``y``, shrunk to fit ``width`` (then cut with «…»)."""
        font = fonts.FONT_BOLD if bold else fonts.FONT
        value = " ".join(value.split())
        if not value:
            return
        measured = stringWidth(value, font, size)
        if measured > width:  # shrink in proportion, then cut what still does not fit
            size = max(MIN_SIZE, size * width / measured * 0.999)
            while len(value) > 1 and stringWidth(value, font, size) > width:
                value = value[:-2] + "…"
            measured = stringWidth(value, font, size)
        if align == "c":
            x += (width - measured) / 2
        elif align == "r":
            x += width - measured
        if self._batch is None:
            self.canvas.setFont(font, size)
            self.canvas.drawString(x, y, value)
            return
        if self._font != (font, size):
            self._batch.setFont(font, size)
            self._font = (font, size)
        self._batch.setTextOrigin(x, y)
        self._batch.textOut(value)

    def _begin(self) -> None:
        """Collect the following strings in one text object (one BT … ET for a row)."""
        self._batch = self.canvas.beginText()
        self._font = None

    def _end(self) -> None:
        if self._batch is not None:
            self.canvas.drawText(self._batch)
        self._batch = None

    @staticmethod
    def lines(value: str, size: float, width: float, *, bold: bool = False) -> list[str]:
        """``value`` wrapped to ``width``; long words are cut to fit too."""
        font = fonts.FONT_BOLD if bold else fonts.FONT
        found: list[str] = []
        for paragraph in (value or "").splitlines() or [""]:
            for line in simpleSplit(paragraph, font, size, width) or [""]:
                rest = line
                while stringWidth(rest, font, size) > width:
                    cut = len(rest) - 1
                    while cut > 1 and stringWidth(rest[:cut], font, size) > width:
                        cut -= 1
                    found.append(rest[:cut])
                    rest = rest[cut:]
                found.append(rest)
        return found

    def wrap(self, x: float, value: str, size: float, width: float, *, bold: bool = False) -> None:
        """Draw a wrapped paragraph from the cursor down (new pages as needed)."""
        leading = size * 1.25
        for line in self.lines(value, size, width, bold=bold):
            self.room(leading)
            self.y -= leading
            self.text(x, self.y + 2, line, size, width, bold=bold)

    def heading(self, value: str, size: float = 12) -> None:
        """A bold heading across the page."""
        self.wrap(MARGIN, value, size, WIDTH - 2 * MARGIN, bold=True)
        self.y -= 4

    # --- tables ------------------------------------------------------------------------------
    def header_row(self, columns: Sequence[Column], height: float, size: float = 7) -> None:
        """A table's header row at the cursor (titles wrapped within their cells)."""
        x = MARGIN
        self.canvas.setLineWidth(0.4)
        for column in columns:
            self.canvas.rect(x, self.y - height, column.width, height)
            lines = self.lines(column.title, size, column.width - 2, bold=True)
            top = self.y - (height - len(lines) * size * 1.1) / 2 - size
            for i, line in enumerate(lines[: max(1, int(height // (size * 1.1)))]):
                self.text(
                    x + 1, top - i * size * 1.1, line, size, column.width - 2, bold=True, align="c"
                )
            x += column.width
        self.y -= height

    def _cells(
        self, columns: Sequence[Column], values: Sequence[str], size: float
    ) -> list[list[str]]:
        return [
            self.lines(v, size, c.width - 3) if c.align == "l" else [v]
            for c, v in zip(columns, values, strict=True)
        ]

    def row(self, columns: Sequence[Column], cells: list[list[str]], size: float = 7.5) -> None:
        """A table row's text at the cursor (cells already wrapped by ``_cells``); its
        height grows with the longest cell. The rules are drawn by ``table``."""
        leading = size * 1.2
        height = max(len(c) for c in cells) * leading + 3
        x = MARGIN
        self._begin()
        for column, lines in zip(columns, cells, strict=True):
            for i, line in enumerate(lines):
                base = self.y - 1.5 - size - i * leading + 0.8
                self.text(x + 1.5, base, line, size, column.width - 3, align=column.align)
            x += column.width
        self._end()
        self.y -= height

    def _rules(self, columns: Sequence[Column], ys: list[float]) -> None:
        """The lines of a block of rows as one path (far fewer drawing operators than a
        rectangle per cell, which also makes the PDF/A check of the page cheaper)."""
        if len(ys) < 2:
            return
        xs = [MARGIN]
        for column in columns:
            xs.append(xs[-1] + column.width)
        self.canvas.setLineWidth(0.4)
        self.canvas.grid(xs, ys)

    def table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[str]],
        *,
        header: float = 18,
        size: float = 7.5,
        again: str = "",
    ) -> None:
        """A table that continues on new pages, repeating ``again`` and its header row."""
        self.room(header + 2 * size + 6)
        self.header_row(columns, header)
        ys = [self.y]
        for values in rows:
            cells = self._cells(columns, values, size)
            if self.y - (max(len(c) for c in cells) * size * 1.2 + 3) < BOTTOM:
                self._rules(columns, ys)
                self.new_page()
                if again:
                    self.heading(again, 9)
                self.header_row(columns, header)
                ys = [self.y]
            self.row(columns, cells, size)
            ys.append(self.y)
        self._rules(columns, ys)
