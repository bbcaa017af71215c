"""The paper side of a transfer: the inventory («опись дел, передаваемых на хранение») and
the act of transfer («акт приёма-передачи документов на хранение») that go into the BagIt
package as PDF/A-2b, signed like the school's other acts.

Both are rendered by ``render_pdfa`` from the plain document builder (``retention.pdf``);
when the acts become archival documents with their own renderer (issue 16 item 6), only
``render_pdfa`` changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from reportlab import rl_config
from reportlab.platypus import Table, TableStyle

from domain import clock
from domain.policies import Period
from domain.school_profile import ProfileInfo
from retention.archive import pdfa
from retention.pdf import FONT, Document
from retention.words import period_words

Names = Callable[[str], str]
#: The file names inside the package's ``data/``.
ACT, INVENTORY = "transfer-act.pdf", "transfer-inventory.pdf"


def render_pdfa(doc: Document) -> bytes:
    """The document as PDF/A-2b: laid out by ``Document.render`` with PT Sans from the
    first operator on and in every table cell (reportlab's default Helvetica would be
    referenced, not embedded), converted and validated by pikepdf."""
    doc.stamp_band = True  # the signature stamps' band at the foot of every page stays free
    for block in doc.blocks:
        if isinstance(block, Table):
            block.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT)]))
    # The canvas's first font is reportlab's setting; PT Sans is registered by Document.
    before, rl_config.canvas_basefontname = rl_config.canvas_basefontname, FONT
    try:
        plain = doc.render()
    finally:
        rl_config.canvas_basefontname = before
    return pdfa.make_pdfa(plain)


def _day(value: str | None) -> str:
    if not value:
        return "—"
    return datetime.fromisoformat(value).astimezone(clock.SCHOOL_TZ).strftime("%d.%m.%Y")


def _organisation(cert: Mapping[str, Any]) -> str:
    """The school as its profile names it (name, address, OGRN, INN), else its code."""
    profile = ProfileInfo.from_dict(cert.get("operator") or {"short_name": cert["school"]})
    return profile.operator() or str(cert["school"])


def _period(text: str) -> str:
    """A period as the certificate keeps it («P5Y», «None» for permanent) in words: «5 лет»."""
    found = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?", text or "")
    if found is None:
        return period_words(None) if text in ("None", "permanent") else text
    years, months, days = (int(n) if n else 0 for n in found.groups())
    return period_words(Period(years, months, days))


def _iso_day(value: str) -> str:
    """«2026-06-30» as «30.06.2026»."""
    try:
        return date.fromisoformat(value).strftime("%d.%m.%Y")
    except (TypeError, ValueError):
        return value or "—"


def act_title(cert: Mapping[str, Any]) -> str:
    """«№ N от ДД.ММ.ГГГГ» of a transfer act."""
    return f"№ {cert['number']} от {_day(cert['executed_at'])}"


def inventory_pdf(cert: Mapping[str, Any]) -> bytes:
    """The inventory of what is handed over: one line per series (file unit) with its
    title, retention class and period, dates, counts, and every file with its SHA-256."""
    doc = Document(
        f"Опись дел, передаваемых на хранение, к акту {act_title(cert)}",
        subject=cert["certificate_id"],
    )
    doc.pairs([("Организация", _organisation(cert)), ("Принимающий архив", _recipient(cert))])
    rows = []
    for number, item in enumerate(cert["items"], 1):
        files = "; ".join(f"{f['path']} (SHA-256 {f['sha256']})" for f in item["files"]) or "—"
        rows.append(
            [
                str(number),
                f"{item['title']} — {item['series']}",
                f"{_period(item['period'])}, с {_iso_day(item['cut_off'])}",
                str(item["records"]),
                str(item["events"]),
                files,
            ]
        )
    doc.table(
        ["№ п/п", "Заголовок дела (серия)", "Срок хранения", "Записей", "Событий", "Файлы"],
        rows,
        [12, 45, 25, 16, 16, 56],
    )
    totals = cert["totals"]
    doc.paragraph(
        f"Всего дел (серий): {totals['series']}; записей {totals['records']}, событий "
        f"{totals['events']}, файлов {totals['files']}."
    )
    return render_pdfa(doc)


def _recipient(cert: Mapping[str, Any]) -> str:
    return str(cert.get("recipient") or "____________________________")


def transfer_act_pdf(cert: Mapping[str, Any], names: Names, package: str) -> bytes:
    """The act of transfer: who hands over what to whom, in which package (by name: the
    act is inside it), anchored by which ledger checkpoint; lines for both sides to sign."""
    doc = Document(
        f"Акт приёма-передачи документов на хранение {act_title(cert)}",
        subject=cert["certificate_id"],
    )
    ledger = cert.get("ledger", {})
    totals = cert["totals"]
    doc.pairs(
        [
            ("Передающая организация", _organisation(cert)),
            ("Принимающий архив", _recipient(cert)),
            ("Основание", "истечение сроков хранения в организации; опись дел к настоящему акту"),
            (
                "Передано",
                f"дел (серий) {totals['series']}, записей {totals['records']}, событий "
                f"{totals['events']}, файлов {totals['files']} — по описи",
            ),
            (
                "Пакет",
                f"BagIt (RFC 8493) «{package}», контрольные суммы SHA-256 (manifest-sha256.txt)",
            ),
            (
                "Контрольная точка реестра",
                f"размер {ledger.get('size')}, корень {ledger.get('root')}, "
                f"ключ {ledger.get('key_id')}",
            ),
            ("Предложил", f"{names(cert['proposed_by'])}, {_day(cert['proposed_at'])}"),
            ("Утвердил", f"{names(cert['approved_by'])}, {_day(cert['approved_at'])}"),
        ]
    )
    doc.paragraph(
        "В пакете: события каждой записи (JSON), файлы архива с подписями, опись, открытый "
        "ключ реестра и его контрольные точки, корневые сертификаты и списки отзыва — всё, "
        "что нужно, чтобы проверить документы без доступа к системе школы."
    )
    doc.signatures(
        [
            ("Сдал", names(cert["executed_by"])),
            ("Принял", "____________________"),
        ]
    )
    return render_pdfa(doc)
