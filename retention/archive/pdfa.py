"""PDF/A-2b with pikepdf: turn reportlab's output into PDF/A-2b and check it.

reportlab writes an empty page transition (``/Trans``) on every page, which pikepdf's
allow-list validator does not know; it is dropped (no transition is the default anyway).
"""

from __future__ import annotations

import io

import pikepdf
from pikepdf import pdfa

FLAVOUR = "2b"


class PdfaFailed(Exception):
    """Raised when a rendered file does not pass the PDF/A-2b check (the findings follow)."""


def make_pdfa(data: bytes) -> bytes:
    """PDF/A-2b bytes of ``data`` (sRGB output intent, XMP from the document info); the
    written bytes are validated by ``pikepdf.pdfa.save``, which refuses anything not known
    to conform."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            if "/Trans" in page.obj:
                del page.obj["/Trans"]
        out = io.BytesIO()
        try:
            pdfa.save(pdf, out, FLAVOUR, deterministic_id=True)
        except pdfa.PdfaError as error:
            raise PdfaFailed(str(error)) from None
        return out.getvalue()


def check(data: bytes) -> pdfa.Report:
    """pikepdf's PDF/A-2b verdict on ``data`` as it is."""
    return pdfa.validate_written(io.BytesIO(data), FLAVOUR)
