"""Plain printable documents (acts, reports) with reportlab and an embedded Cyrillic font.

A document is a list of blocks — headings, paragraphs, label/value pairs, tables — laid
out on A4. PT Sans comes from the ``fontpkg-pt-sans`` package and is embedded, so the
PDF reads the same everywhere; the canvas starts in PT Sans, so no unembedded Helvetica
is written. An act (``retention.acts``) keeps a band at the foot of every page free for the
signature stamps (``stamp_band``) and is made PDF/A-2b and signed there.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.tables import LongTable

from retention.archive import fonts
from retention.archive.stamps import STAMP_TOP

FONT, BOLD = fonts.FONT, fonts.FONT_BOLD
_fonts = fonts.register


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class Document:
    """A document being written: call the block methods, then ``render()``."""

    title: str
    subject: str = ""
    blocks: list[Flowable] = field(default_factory=list)
    #: Keep the foot of every page (up to ``stamps.STAMP_TOP`` points) free for stamps.
    stamp_band: bool = False
    #: Print ``title`` as the first heading (an act prints its own header instead).
    show_title: bool = True
    author: str = "ejournal"

    def __post_init__(self) -> None:
        _fonts()
        self._body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13)
        self._small = ParagraphStyle("small", parent=self._body, fontSize=8, leading=10)
        self._h1 = ParagraphStyle("h1", fontName=BOLD, fontSize=15, leading=19, spaceAfter=6)
        self._h2 = ParagraphStyle("h2", fontName=BOLD, fontSize=11.5, leading=15, spaceBefore=8)
        self._centre = ParagraphStyle("centre", parent=self._h2, alignment=TA_CENTER)
        self._right = ParagraphStyle("right", parent=self._body, alignment=TA_RIGHT)
        if self.show_title:
            self.blocks.append(Paragraph(_escape(self.title), self._h1))

    def centred(self, text: str) -> None:
        """A bold line in the middle of the page (an act's name and number)."""
        self.blocks.append(Paragraph(_escape(text), self._centre))

    def right(self, lines: Sequence[str]) -> None:
        """Lines set to the right margin («УТВЕРЖДАЮ …»)."""
        text = "<br/>".join(_escape(line) for line in lines)
        self.blocks += [Paragraph(text, self._right), Spacer(1, 3 * mm)]

    def heading(self, text: str) -> None:
        """A section heading."""
        self.blocks.append(Paragraph(_escape(text), self._h2))

    def paragraph(self, text: str, *, small: bool = False) -> None:
        """A paragraph of plain text."""
        self.blocks.append(Paragraph(_escape(text), self._small if small else self._body))

    def pairs(self, rows: Sequence[tuple[str, str]]) -> None:
        """Label — value lines."""
        data = [
            [Paragraph(_escape(k), self._small), Paragraph(_escape(v), self._body)] for k, v in rows
        ]
        table = Table(data, colWidths=[55 * mm, 115 * mm])
        table.setStyle(
            TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), FONT)])
        )
        self.blocks += [table, Spacer(1, 3 * mm)]

    def table(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> None:
        """A table with a repeated header row; ``widths`` in millimetres."""
        cell = self._small
        data = [[Paragraph(f"<b>{_escape(h)}</b>", cell) for h in header]]
        data += [[Paragraph(_escape(str(v)), cell) for v in row] for row in rows]
        table = LongTable(data, colWidths=[w * mm for w in widths], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                ]
            )
        )
        self.blocks += [table, Spacer(1, 3 * mm)]

    def signatures(self, rows: Sequence[tuple[str, str]]) -> None:
        """Lines to sign by hand: role, name, signature."""
        data = [[_escape(role), _escape(name), "______________"] for role, name in rows]
        table = Table(data, colWidths=[55 * mm, 75 * mm, 40 * mm])
        table.setStyle(
            TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("TOPPADDING", (0, 0), (-1, -1), 8)])
        )
        self.blocks += [Spacer(1, 6 * mm), table]

    def render(self) -> bytes:
        """The PDF bytes."""
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=18 * mm,
            bottomMargin=STAMP_TOP + 12 if self.stamp_band else 18 * mm,
            title=self.title,
            subject=self.subject,
            author=self.author,
            creator="ejournal",
            initialFontName=FONT,  # else an unembedded Helvetica resource is written
        )
        doc.build(list(self.blocks), onLaterPages=_page_number, onFirstPage=_page_number)
        return buffer.getvalue()


def _page_number(canvas: object, doc: SimpleDocTemplate) -> None:
    canvas.saveState()  # type: ignore[attr-defined]
    canvas.setFont(FONT, 8)  # type: ignore[attr-defined]
    canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, f"стр. {doc.page}")  # type: ignore[attr-defined]
    canvas.restoreState()  # type: ignore[attr-defined]
