"""What a teacher types into a grid cell (ADR 0018): marks alone or with a kind's short,
one attendance code, in any case; anything else is refused for its cell with a message."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from flask import Flask
from flask_babel import Babel

from projections.views.grid import Cell
from web.grid_table import CellsInvalid, column_kind, parse_column

PUPIL, OTHER = str(uuid4()), str(uuid4())


@pytest.fixture
def parse(policies):
    app = Flask(__name__)
    Babel(app)

    def run(form, scale="five_point"):
        with app.test_request_context():
            return parse_column(
                form,
                [PUPIL, OTHER],
                policies.grading.scale(scale),
                policies.grading,
                policies.attendance.codes,
            )

    return run


def test_marks_kinds_and_a_code_in_any_case(parse):
    mark = str(uuid4())
    (cell,) = parse({f"cell-{PUPIL}": " 5  4КР н ", f"was-{PUPIL}": mark})
    assert cell.student_id == UUID(PUPIL)
    assert cell.marks == (("5", None), ("4", "test"))
    assert cell.attendance == "Н"
    assert cell.shown == (UUID(mark),)


def test_a_scale_of_words(parse):
    (cell,) = parse({f"cell-{PUPIL}": "зач незачдз"}, scale="pass_fail")
    assert cell.marks == (("зач", None), ("незач", "homework"))


def test_an_empty_cell_clears_it(parse):
    (cell,) = parse({f"cell-{PUPIL}": "", f"was-{PUPIL}": ""})
    assert cell.marks == () and cell.attendance == ""


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("6", "Не понято «6»"),
        ("5xx", "Не понято «5xx»"),
        ("Н УП", "один раз"),
        ("5 " * 9, "слишком много"),
    ],
)
def test_what_is_not_a_mark_is_refused_for_its_cell(parse, typed, says):
    with pytest.raises(CellsInvalid) as refused:
        parse({f"cell-{PUPIL}": typed, f"cell-{OTHER}": "5"})
    assert list(refused.value.problems) == [PUPIL]
    assert says in refused.value.problems[PUPIL]


def test_a_pupil_not_on_the_list_and_bad_ids_are_refused(parse):
    stranger = str(uuid4())
    with pytest.raises(CellsInvalid) as refused:
        parse({f"cell-{stranger}": "5", f"cell-{PUPIL}": "5", f"was-{PUPIL}": "nonsense"})
    assert set(refused.value.problems) == {stranger, PUPIL}


def cell(kind):
    return Cell(str(uuid4()), "5", kind, 1, False)


def test_the_column_kind_is_the_most_common_the_default_among_equals():
    assert column_kind([], "answer") == "answer"
    assert column_kind([cell("test"), cell("test"), cell("answer")], "answer") == "test"
    assert column_kind([cell("test"), cell("answer")], "answer") == "answer"
