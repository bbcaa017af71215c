"""Helpers of the annual archive's tests: a complete small school, PDF text and boxes
(poppler's pdftotext/pdftoppm), pyHanko's own validator run as a command."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from domain import clock
from domain.lesson import MarkEntry
from ejournal.bootstrap import System
from ejournal.pki import make_demo_pki
from ejournal.settings import Settings
from retention.archive.gost import engine_problem
from tests.school import LESSON_DAY, QUARTERS, School, at, build_school

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "var" / "test-artifacts" / "archive"
WORD = re.compile(
    r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>'
)
FIX_REASON = "Ошибка при вводе: перепутаны строки"
TERM_FIX_REASON = "Пересдача контрольной работы"
YEAR_FIX_REASON = "Пересмотр годовой отметки по заявлению родителей"
#: Why marks were set other than their rounded averages (ADR 0024).
TERM_WHY = "Не сдана зачётная работа четверти"
YEAR_WHY = "Учтён рост во второй половине года"
#: The council's protocol the complete school's decisions are recorded under.
PROTOCOL_NO, PROTOCOL_DAY = "12", date(2026, 5, 28)


@dataclass
class Complete:
    """A small school whose journals are complete, with one corrected mark, one corrected
    term mark, one corrected year mark (``corrected_pupil``'s classmate p2) and the
    council's decisions on every pupil."""

    school: School
    lesson: UUID
    corrected_pupil: UUID


def complete_school(system: System) -> Complete:
    """``build_school`` plus a lesson per class with marks, a corrected mark, term marks for
    every term and year marks — nothing missing for the archive's completeness check."""
    school = build_school(system.journal)
    j, (p0, p1, p2) = school.journal, school.pupils
    lesson = school.hold()
    school.hold(course=school.other_course_id)
    with clock.travel(at(LESSON_DAY, 16)):
        marks = j.entry.record_marks(
            lesson,
            [
                MarkEntry(p0, "3", "test"),
                MarkEntry(p1, "5", "answer"),
                MarkEntry(p2, "4", "answer"),
            ],
            school.teacher,
        )
        j.entry.correct_mark(lesson, marks.created[0], "4", "test", FIX_REASON, school.teacher)
        # absences over the year: p1 ill (excused), p2 without a reason
        second = school.hold(period=3)
        j.entry.mark_attendance(second, {p1: "Б", p2: "Н"}, school.teacher)
        j.entry.mark_attendance(lesson, {p1: "Б"}, school.teacher)
    assert school.outsider is not None
    for number, _, _, ends in QUARTERS:
        with clock.travel(at(ends - timedelta(days=1))):
            for pupil, value in ((p0, "4"), (p1, "5"), (p2, "3")):
                # p2's «4» of term 1 rounds to «4»: the «3» set needs its reason
                j.grades.set_term_mark(
                    school.course_id, number, pupil, value, school.teacher, why=TERM_WHY
                )
            j.grades.set_term_mark(
                school.other_course_id, number, school.outsider, "5", school.other_teacher
            )
    with clock.travel(at(QUARTERS[0][3] - timedelta(days=1), 17)):
        j.grades.set_term_mark(school.course_id, 1, p2, "4", school.teacher, reason=TERM_FIX_REASON)
    with clock.travel(at(date(2026, 5, 20))):
        for pupil, value in ((p0, "4"), (p1, "5"), (p2, "4")):
            # p2's term marks 4, 3, 3, 3 average 3,25: the «4» set needs its reason
            j.grades.set_year_mark(school.course_id, pupil, value, school.teacher, why=YEAR_WHY)
        j.grades.set_year_mark(school.other_course_id, school.outsider, "5", school.other_teacher)
    with clock.travel(at(date(2026, 5, 21))):
        j.grades.set_year_mark(school.course_id, p2, "5", school.teacher, reason=YEAR_FIX_REASON)
    with clock.travel(at(PROTOCOL_DAY, 15)):
        j.grades.record_decisions(
            school.class_id,
            [(p0, "promoted"), (p1, "promoted"), (p2, "conditional")],
            PROTOCOL_NO,
            PROTOCOL_DAY,
            school.deputy,
        )
        j.grades.record_decision(
            school.other_class_id,
            school.outsider,
            "promoted",
            PROTOCOL_NO,
            PROTOCOL_DAY,
            school.deputy,
        )
    system.views.catch_up()
    return Complete(school, lesson, p0)


def demo_pki(settings: Settings) -> None:
    """The throwaway PKI under the settings' PKI folder."""
    make_demo_pki(settings.archiving.pki_dir, settings.school)


#: With this set to 1 (``.ci/run``), a missing GOST engine fails the GOST tests instead of
#: skipping them — as ``EJOURNAL_REQUIRE_BROWSER`` does for the browser tests.
REQUIRE_GOST = "EJOURNAL_REQUIRE_GOST"


def gost_or_skip() -> None:
    """Skip the test, saying why, when OpenSSL has no GOST engine (fail instead when
    ``EJOURNAL_REQUIRE_GOST=1``)."""
    problem = engine_problem()
    if problem is None:
        return
    if os.environ.get(REQUIRE_GOST) == "1":
        pytest.fail(f"{REQUIRE_GOST}=1 but {problem}")
    pytest.skip(f"GOST tests skipped: {problem}")


def need(tool: str) -> str:
    """The path of a command-line tool the test needs (fail, not skip, when missing)."""
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed (poppler-utils; .ci/run installs it)")
    return path


def pdf_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    """The text poppler extracts (layout order), of some pages or all."""
    args = [need("pdftotext"), "-layout"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    done = subprocess.run([*args, str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode()


def words_outside_page(path: Path) -> list[str]:
    """Words whose boxes poppler places outside their page's box."""
    done = subprocess.run(
        [need("pdftotext"), "-bbox", str(path), "-"], capture_output=True, check=True
    )
    html = done.stdout.decode()
    outside = []
    for page in re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.S):
        width, height = float(page.group(1)), float(page.group(2))
        for word in WORD.finditer(page.group(3)):
            x0, y0, x1, y1 = (float(word.group(i)) for i in range(1, 5))
            if x0 < 0 or y0 < 0 or x1 > width + 0.5 or y1 > height + 0.5:
                outside.append(word.group(5))
    return outside


def render_pngs(path: Path, name: str) -> list[Path]:
    """Every page as a PNG under ``var/test-artifacts/archive/NAME-*.png`` (kept for a
    person to look at)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(
        [need("pdftoppm"), "-r", "50", "-png", str(path), str(ARTIFACTS / name)], check=True
    )
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


def pyhanko_adesverify(path: Path, root: Path) -> int:
    """Exit code of ``pyhanko sign adesverify --trust ROOT --trust-replace FILE``."""
    pyhanko = Path(sys.executable).with_name("pyhanko")
    done = subprocess.run(
        [str(pyhanko), "sign", "adesverify", "--trust", str(root), "--trust-replace", str(path)],
        capture_output=True,
        check=False,
    )
    return done.returncode


def damage_appended_stream(data: bytes) -> bytes:
    """``data`` with the ``endstream`` keyword of a stream in its last revision (not the
    cross-reference stream) misspelt: the file still opens, but pyHanko's difference analysis
    of that revision fails with a parse error."""
    last_xref = int(data[data.rindex(b"startxref") + len(b"startxref") :].split()[0])
    at = data.rindex(b"endstream", 0, last_xref)
    return data[:at] + b"dndstream" + data[at + len(b"endstream") :]


def flip_byte(data: bytes, at_fraction: float = 0.5) -> bytes:
    """``data`` with one byte changed (XOR 1) at about a fraction of the bytes its signatures
    cover, so that every verifier must notice: from the start of the file to the end of the
    last regular signature's ``/ByteRange``, moved past any ``/Contents`` gap (outside its own
    signature's ranges and ending in zero padding no verifier reads).

    What follows the last signature is not a target: the document timestamp's revision and the
    validation data appended after it are covered by no signature (PAdES lets anyone append
    them), and ``pyhanko sign adesverify`` takes a broken document timestamp as a missing proof
    of existence and still validates the signatures at the current time. A byte changed there
    made the tampering test flaky; our verifier rejects such a file by its register hash."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    ranges = [[int(n) for n in sig.sig_object["/ByteRange"]] for sig in reader.embedded_signatures]
    gaps = [(start + length, resume) for start, length, resume, _ in ranges]
    regular = [
        int(sig.sig_object["/ByteRange"][2]) + int(sig.sig_object["/ByteRange"][3])
        for sig in reader.embedded_regular_signatures
    ]
    covered = max(regular, default=len(data))
    at = int(covered * at_fraction)
    while any(start <= at < end for start, end in gaps):
        at = next(end for start, end in gaps if start <= at < end)
    changed = bytearray(data)
    changed[min(at, covered - 1)] ^= 0x01
    return bytes(changed)
