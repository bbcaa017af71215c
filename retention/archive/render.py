"""The class journal as pages: a cover, then per subject one grid per term (with the notes
of its corrections), the lessons with dates, topics and homework, and the term and year
marks; last, the certification page with the ledger checkpoint, the record identifiers and
the boxes the signature stamps go in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from domain.school_profile import ProfileInfo
from retention.archive.model import Book, Note, SubjectPart, TermPart
from retention.archive.pager import MARGIN, WIDTH, Column, Pager
from retention.archive.stamps import ROLE_TITLES, STAMP_BOXES
from retention.words import russian_plural

GRID_NAME, GRID_NO, GRID_AVG, GRID_FINAL = 118.0, 16.0, 26.0, 40.0
LESSON_WIDTH = 21.0
USABLE = WIDTH - 2 * MARGIN
ATTENDANCE = (
    "Н — отсутствовал без уважительной причины, Б — по болезни, "
    "УП — по уважительной причине, ОП — опоздал"
)
#: What an empty cell of a grid or of the marks tables prints: on paper it cannot be filled
#: in unnoticed (a mark written over a dash shows), as Russian journals cross out blanks.
EMPTY = "—"
EMPTY_LEGEND = (
    "«—» — отметки или записи нет: пустые клетки прочёркнуты, чтобы в распечатку нельзя было "
    "незаметно дописать отметку."
)
TITLES = {
    "journal": "Классный журнал",
    "extracurricular": "Журнал внеурочной деятельности",
    "summary": "Сводная ведомость успеваемости",
}


@dataclass(frozen=True)
class Seal:
    """What the certification page and the metadata state about a volume."""

    volume_id: str
    kind: str
    checkpoint: dict[str, object]
    records: tuple[tuple[str, str], ...]
    signers: tuple[str, ...]
    forced_reason: str = ""
    extra: dict[str, str] = field(default_factory=dict, hash=False)
    #: The school's details (``ejournal school profile``) printed on the title and
    #: certification pages; empty when never entered (the school's code is printed then).
    profile: ProfileInfo = field(default_factory=ProfileInfo, hash=False)

    def keywords(self) -> str:
        """The checkpoint (all it signs, and its signature) and record ids as document
        keywords (metadata; ``ledger verify --against FILE.pdf`` reads them back)."""
        c = self.checkpoint
        ids = "; ".join(f"{k}={v}" for k, v in self.records)
        return (
            f"ejournal-volume={self.volume_id}; ledger-size={c['size']}; ledger-root={c['root']}; "
            f"ledger-time={c['time']}; ledger-key={c['key_id']}; "
            f"ledger-signature={c['signature']}; {ids}"
        )


def footer(kind: str, group: str, year: str) -> str:
    """The running footer of a volume."""
    return f"{TITLES[kind]} · {group} · {year} учебный год"


def render_book(book: Book, seal: Seal) -> tuple[bytes, int]:
    """The journal's PDF (plain, before PDF/A) and its page count."""
    title = f"{TITLES[book.kind]} {book.group}, {book.year} учебный год"
    pager = Pager(
        title,
        footer(book.kind, book.group, book.year),
        author=seal.profile.short_name or book.school,
        subject=seal.keywords(),
    )
    cover(pager, book, title, seal.profile)
    for part in book.subjects:
        subject(pager, book, part)
    certification(pager, seal, title)
    return pager.finish(), pager.page


def organisation(pager: Pager, profile: ProfileInfo, code: str) -> None:
    """The school as its profile names it: full name, address, OGRN and INN, the head."""
    if not (profile.full_name or code):
        return
    pager.wrap(MARGIN, f"Образовательная организация: {profile.full_name or code}", 10, USABLE)
    if profile.entered:
        details = ", ".join(
            p
            for p in (
                profile.address,
                f"ОГРН {profile.ogrn}" if profile.ogrn else "",
                f"ИНН {profile.inn}" if profile.inn else "",
            )
            if p
        )
        pager.wrap(MARGIN, details, 9, USABLE)
        pager.wrap(MARGIN, f"{profile.head_position}: {profile.head_name}", 10, USABLE)


def cover(pager: Pager, book: Book, title: str, profile: ProfileInfo) -> None:
    """Title, school, class teacher, subjects with teachers, pupils, legends."""
    pager.heading(title.upper(), 16)
    organisation(pager, profile, book.school)
    if book.class_teacher:
        pager.wrap(MARGIN, f"Классный руководитель: {book.class_teacher}", 10, USABLE)
    pager.wrap(MARGIN, f"Серия записей: {book.series}", 9, USABLE)
    pager.y -= 8
    half = (USABLE - 20) / 2
    start = pager.y
    pager.heading("Предметы и учителя", 10)
    for part in book.subjects:
        pager.wrap(MARGIN, f"{part.subject} — {part.teachers or 'учитель не назначен'}", 9, half)
    left_end = pager.y
    pager.y = start
    pager.wrap(MARGIN + half + 20, "Список обучающихся", 10, half, bold=True)
    pager.y -= 4
    for number, name in enumerate(book.pupils, 1):
        pager.wrap(MARGIN + half + 20, f"{number}. {name}", 9, half)
    pager.y = min(pager.y, left_end) - 10
    pager.wrap(
        MARGIN, "Виды работ: " + "; ".join(f"{c} — {t}" for c, t in book.kinds.items()), 8, USABLE
    )
    pager.wrap(MARGIN, "Посещаемость: " + ATTENDANCE, 8, USABLE)
    pager.wrap(MARGIN, EMPTY_LEGEND, 8, USABLE)
    pager.wrap(
        MARGIN,
        "[N] — номер примечания об исправлении (старое и новое значение, кто, когда, почему).",
        8,
        USABLE,
    )


def subject(pager: Pager, book: Book, part: SubjectPart) -> None:
    """One course journal: term grids, lessons, term and year marks."""
    for term in part.terms:
        pager.new_page()
        grid(pager, book, part, term)
        lessons(pager, part, term)
    pager.new_page()
    finals(pager, book, part)


def _chunks(days: Sequence[str]) -> list[range]:
    per_page = int((USABLE - GRID_NO - GRID_NAME - GRID_AVG - GRID_FINAL) // LESSON_WIDTH)
    return [range(i, min(i + per_page, len(days))) for i in range(0, max(len(days), 1), per_page)]


def grid(pager: Pager, book: Book, part: SubjectPart, term: TermPart) -> None:
    """The term's grid, split across pages when there are more lessons than fit."""
    chunks = _chunks(term.days)
    for index, chunk in enumerate(chunks):
        if index:
            pager.new_page()
        last = index == len(chunks) - 1
        heading = f"{part.subject} · {term.title} · {book.group}"
        pager.heading(heading + (f" (продолжение {index + 1})" if index else ""), 11)
        pager.wrap(MARGIN, f"Учитель: {part.teachers}", 8, USABLE)
        pager.y -= 4
        columns = [Column("№", GRID_NO), Column("Обучающийся", GRID_NAME, "l")]
        columns += [Column(term.days[i], LESSON_WIDTH) for i in chunk]
        if last:
            columns += [Column("Ср. балл", GRID_AVG), Column(f"Итог ({term.title})", GRID_FINAL)]
        rows = []
        for row in term.rows:
            values = [str(row.number), row.pupil, *(row.cells[i] or EMPTY for i in chunk)]
            rows.append(values + ([row.average or EMPTY, row.final or EMPTY] if last else []))
        pager.table(columns, rows, header=22, size=7, again=heading)
    notes(pager, book, [text for row in term.rows for text in (*row.cells, row.final)])


def notes(pager: Pager, book: Book, cells: Iterable[str]) -> None:
    """The notes of the corrections shown in these cells (a term's grid, a finals table)."""
    wanted = {int(n) for text in cells for n in re.findall(r"\[(\d+)\]", text)}
    found = [n for n in book.notes if n.number in wanted]
    if found:
        pager.y -= 6
        pager.wrap(MARGIN, "Исправления:", 8, USABLE, bold=True)
        for note in found:
            pager.wrap(MARGIN, note_text(note), 7.5, USABLE)


def note_text(note: Note) -> str:
    """«[3] Иванов И. (урок 16.09): было «3», стало «4»; исправил …, когда; причина: …»."""
    who = f"исправил(а) {note.who}" if note.who else "исправлено"
    approver = f", утвердил(а) {note.approver}" if note.approver else ""
    return (
        f"[{note.number}] {note.pupil} ({note.where}): было «{note.old}», стало «{note.new}»; "
        f"{who} {note.when}{approver}; причина: {note.why or '—'}"
    )


def lessons(pager: Pager, part: SubjectPart, term: TermPart) -> None:
    """The lessons of the term: date, period, topic, homework."""
    if not term.lessons:
        return
    pager.y -= 10
    title = f"{part.subject} · {term.title}: записи о проведённых занятиях"
    pager.room(60)
    pager.heading(title, 10)
    columns = [
        Column("Дата", 40),
        Column("Урок", 30),
        Column("Тема занятия", (USABLE - 70) * 0.55, "l"),
        Column("Домашнее задание", (USABLE - 70) * 0.45, "l"),
    ]
    rows = [[x.day, str(x.period), x.topic, x.homework] for x in term.lessons]
    pager.table(columns, rows, header=14, size=7.5, again=title)


def finals(pager: Pager, book: Book, part: SubjectPart) -> None:
    """Term and year marks of every pupil in this subject."""
    title = f"{part.subject} · {book.group}: четвертные (триместровые) и годовые отметки"
    pager.heading(title, 10)
    width = min(70.0, (USABLE - GRID_NO - 200) / (len(book.term_titles) + 1))
    columns = [Column("№", GRID_NO), Column("Обучающийся", 200, "l")]
    columns += [Column(t, width) for t in book.term_titles] + [Column("Год", width)]
    rows = [
        [str(i), name, *(m or EMPTY for m in marks)]
        for i, (name, marks) in enumerate(part.finals, 1)
    ]
    pager.table(columns, rows, header=18, size=8, again=title)
    notes(pager, book, [mark for _, marks in part.finals for mark in marks])
    if part.explained:
        pager.y -= 6
        pager.wrap(
            MARGIN,
            "Расчёт отметок, выставленных не по округлённому среднему или исправленных:",
            8,
            USABLE,
            bold=True,
        )
        for text in part.explained:
            pager.wrap(MARGIN, text, 7.5, USABLE)


def certification(pager: Pager, seal: Seal, title: str) -> None:
    """The last page: the school, checkpoint, record ids, forced reason, the paper route's
    certification block with the real number of sheets, and the signature boxes."""
    pager.new_page()
    pager.heading("ЛИСТ ЗАВЕРЕНИЯ", 14)
    pager.wrap(MARGIN, title, 10, USABLE)
    organisation(pager, seal.profile, "")
    c = seal.checkpoint
    lines = [
        f"Том архива (ArchiveVolume): {seal.volume_id}",
        f"Контрольная точка журнала событий (ledger checkpoint): "
        f"размер дерева {c['size']} событий, время {c['time']}",
        f"Корень дерева Меркла (SHA-256): {c['root']}",
        f"Ключ подписи контрольной точки (Ed25519, id): {c['key_id']}",
        f"Подпись контрольной точки: {c['signature']}",
    ]
    lines += [f"Идентификатор записи «{k}»: {v}" for k, v in seal.records]
    lines += [f"{k}: {v}" for k, v in seal.extra.items()]
    if seal.forced_reason:
        what = "сводной ведомости" if seal.kind == "summary" else "журнала"
        lines.append(
            f"Сформировано при неполном заполнении {what}. Основание: {seal.forced_reason}"
        )
    for line in lines:
        pager.wrap(MARGIN, line, 8.5, USABLE)
    boxes = STAMP_BOXES if len(seal.signers) > 1 else STAMP_BOXES[1:]
    # the paper block and the stamps share the last page: the count printed is final
    if pager.y < max(b[3] for b in boxes) + 24 + PAPER_BLOCK:
        pager.new_page()
    paper_block(pager, seal.profile)
    for role, box in zip(seal.signers, boxes, strict=False):
        label = f"{ROLE_TITLES.get(role, role)} — электронная подпись:"
        pager.text(box[0], box[3] + 6, label, 9, box[2] - box[0], bold=True)


#: The height the paper route's certification block takes (points).
PAPER_BLOCK = 56.0


def paper_block(pager: Pager, profile: ProfileInfo) -> None:
    """«Пронумеровано, прошнуровано и скреплено печатью N листов. Директор ____ /ФИО/ М.П.»
    for a printed and bound copy; N is this page's number: the certification page is last."""
    sheets = pager.page
    pager.y -= 6
    pager.wrap(
        MARGIN,
        f"Всего листов: {sheets}. Для бумажного экземпляра: пронумеровано, прошнуровано и "
        f"скреплено печатью {sheets} ({sheets_words(sheets)}) {sheets_noun(sheets)}.",
        9,
        USABLE,
    )
    head = profile.head_name or "________________"
    pager.wrap(
        MARGIN,
        f"{profile.head_position or 'Директор'} ______________ /{head}/      М.П.      "
        "«___» ____________ 20__ г.",
        9,
        USABLE,
    )


def sheets_noun(n: int) -> str:
    """«лист», «листа», «листов» for ``n``."""
    return russian_plural(n, "лист", "листа", "листов")


_UNITS = ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_TEENS = (
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
)
_TENS = (
    "",
    "",
    "двадцать",
    "тридцать",
    "сорок",
    "пятьдесят",
    "шестьдесят",
    "семьдесят",
    "восемьдесят",
    "девяносто",
)
_HUNDREDS = (
    "",
    "сто",
    "двести",
    "триста",
    "четыреста",
    "пятьсот",
    "шестьсот",
    "семьсот",
    "восемьсот",
    "девятьсот",
)


def sheets_words(n: int) -> str:
    """A number of sheets in words, as a certification block writes it (1–9999)."""
    if n <= 0 or n > 9999:
        return str(n)
    words = []
    thousands, rest = divmod(n, 1000)
    if thousands:
        one = {1: "одна", 2: "две"}.get(thousands, _UNITS[thousands])
        words += [
            one,
            {"одна": "тысяча", "две": "тысячи", "три": "тысячи", "четыре": "тысячи"}.get(
                one, "тысяч"
            ),
        ]
    hundreds, rest = divmod(rest, 100)
    words.append(_HUNDREDS[hundreds])
    if 10 <= rest < 20:
        words.append(_TEENS[rest - 10])
    else:
        words += [_TENS[rest // 10], _UNITS[rest % 10]]
    return " ".join(w for w in words if w)
