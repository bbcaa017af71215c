"""Layout rules of the archive's printouts that need no database."""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth

from domain.policies import GradingPolicy
from ejournal.policyfiles import load_policies
from retention.archive import fonts
from retention.archive.model import Note, kind_codes
from retention.archive.pager import Pager
from retention.archive.render import note_text
from tests.conftest import ROOT


def test_lines_wrap_and_cut_words_longer_than_the_cell() -> None:
    fonts.register()
    word = "Сверхдлиннаятемаурокабезединогопробела" * 3
    lines = Pager.lines(f"Тема: {word} и ещё немного текста", 8, 60)
    assert len(lines) > 3
    assert all(stringWidth(line, fonts.FONT, 8) <= 60 for line in lines)
    assert "".join(lines).replace(" ", "") == f"Тема:{word}иещёнемноготекста"


def test_kind_codes_are_short_and_unique() -> None:
    grading: GradingPolicy = load_policies(ROOT / "policies").grading
    codes = kind_codes(grading)
    assert set(codes) == set(grading.kinds)
    assert len(set(codes.values())) == len(codes)
    assert all(1 <= len(c) <= 3 for c in codes.values())


def test_a_note_states_old_new_who_when_why_and_approver() -> None:
    note = Note(
        3,
        "Математика",
        "Иванов И.",
        "урок 16.09",
        "2",
        "3",
        "Петрова А. И.",
        "17.09.2025 10:00",
        "описка",
        "Завучева М.",
    )
    assert note_text(note) == (
        "[3] Иванов И. (урок 16.09): было «2», стало «3»; исправил(а) Петрова А. И. "
        "17.09.2025 10:00, утвердил(а) Завучева М.; причина: описка"
    )
