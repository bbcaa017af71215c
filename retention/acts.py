"""Acts as archival documents: a header with the organisation's details, «УТВЕРЖДАЮ» for
its head, the act's name, number in the year's sequence and date, the body, the lines
to sign, and a band at the foot of every page kept free for the electronic signature's
stamp. The result is PDF/A-2b (PT Sans embedded, XMP, sRGB output intent), checked by
pikepdf before it is signed like an archive volume.

``render_act`` is the one way to make an act: destruction certificates and personal-data
acts use it, and so can a transfer act (title, number, date, rows and tables).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from domain.school_profile import ProfileInfo

#: What an act says when the school's profile was never entered (``ejournal school profile``).
NOT_ENTERED = "сведения о школе не внесены (ejournal school profile)"


@dataclass(frozen=True)
class ActTable:
    """A table of an act: its heading, column titles, rows and widths (millimetres)."""

    heading: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths: Sequence[float]


@dataclass(frozen=True)
class ActBody:
    """What an act says between its header and its signatures."""

    pairs: Sequence[tuple[str, str]] = ()
    tables: Sequence[ActTable] = ()
    closing: Sequence[str] = ()
    #: Lines to sign by hand on paper: (position, name).
    signatures: Sequence[tuple[str, str]] = ()
    #: Document metadata (PDF subject, hence XMP ``dc:description``).
    subject: str = ""
    notes: Sequence[str] = field(default=())


def act_title(title: str, number: str, day: date) -> str:
    """«Акт об уничтожении документов № 3 от 05.12.2026»."""
    return f"{title} № {number} от {day:%d.%m.%Y}"


def render_act(title: str, number: str, day: date, profile: ProfileInfo, body: ActBody) -> bytes:
    """The act as PDF/A-2b bytes (unsigned): ``title`` («Акт об уничтожении документов»),
    its ``number`` in the year's sequence and its date ``day``, the organisation from
    ``profile``, then ``body``. ``pdfa.PdfaFailed`` if the file would not conform."""
    from retention.archive import pdfa  # reportlab and pikepdf: only to write an act
    from retention.pdf import Document

    doc = Document(
        act_title(title, number, day),
        subject=body.subject,
        stamp_band=True,
        show_title=False,
        author=profile.short_name or "ejournal",
    )
    doc.paragraph(profile.full_name or NOT_ENTERED)
    details = ProfileInfo(**(profile.to_dict() | {"full_name": ""})).operator()
    if details:
        doc.paragraph(details, small=True)
    doc.right(
        [
            "УТВЕРЖДАЮ",
            profile.head_position or "Руководитель",
            f"____________ /{profile.head_name or '________________'}/",
            f"«___» ____________ {day.year} г.",
        ]
    )
    doc.centred(title.upper())
    doc.centred(f"№ {number} от {day:%d.%m.%Y}")
    if body.pairs:
        doc.pairs(body.pairs)
    for table in body.tables:
        doc.heading(table.heading)
        doc.table(table.header, table.rows, table.widths)
    for line in body.closing:
        doc.paragraph(line)
    for line in body.notes:
        doc.paragraph(line, small=True)
    if body.signatures:
        doc.signatures(body.signatures)
    return pdfa.make_pdfa(doc.render())
