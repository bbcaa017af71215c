"""The archive's font: PT Sans (ParaType, SIL Open Font License) from ``fontpkg-pt-sans``.

PDF/A needs every font embedded; PT Sans covers Cyrillic and is embedded as a subset by
reportlab (layout) and by pyHanko (signature stamps).
"""

from __future__ import annotations

import threading
from pathlib import Path

import fontpkg
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR: Path = fontpkg.path("PT Sans")
BOLD: Path = fontpkg.path("PT Sans", weight=700)
#: Font names as reportlab knows them.
FONT, FONT_BOLD = "PTSans", "PTSans-Bold"


_lock = threading.Lock()


def register() -> None:
    """Register PT Sans (regular and bold, as one family) with reportlab; idempotent and
    safe from several threads."""
    with _lock:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, str(REGULAR)))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, str(BOLD)))
            pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD)
