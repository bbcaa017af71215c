"""Acts as archival documents (issue 16, item 6): numbered in sequence per calendar year by
events, approved only on the expert commission's protocol, PDF/A-2b with the operator's
details from the school's profile, signed PAdES B-LTA with the stamp inside the page, the
personal-data act signed too, and kept verifiable by ``archive refresh``."""

from __future__ import annotations

import hashlib
import io
import itertools
import re
from datetime import date, timedelta
from uuid import UUID

import pikepdf
import pytest

from domain import clock, errors
from domain.base import SYSTEM_ACTOR
from domain.school_profile import ogrn_valid
from ejournal.archiving import refresher, renewal
from ejournal.bootstrap import System
from retention.archive import pdfa
from retention.archive.stamps import stamp_boxes
from retention.service import act_stems
from tests.archive_helpers import demo_pki, pdf_text, pyhanko_adesverify
from tests.integration.conftest import PROFILE, ProfileSetter
from tests.retention_school import JOURNAL_5A, JOURNAL_5B, SUMMARY_5A, History, make_history, person
from tests.school import at


def dispose(system: System, h: History, day: date, *series: str) -> dict:
    """Propose ``series`` on ``day`` (the archivist), approve on protocol 7 (the head),
    execute (the archivist)."""
    with clock.travel(at(day)):
        [proposal] = system.records.propose(h.archivist, series=series)
        system.journal.retention.approve_disposition(
            proposal, h.school.head, "ЭК-7", day - timedelta(days=1)
        )
        return system.records.execute(proposal, h.archivist)


def first_revision(data: bytes) -> bytes:
    """The unsigned PDF/A the signatures were made over (up to the first ``%%EOF``)."""
    end = data.index(b"%%EOF") + len(b"%%EOF")
    return data[: end + 1] if data[end : end + 1] == b"\n" else data[:end]


@pytest.fixture
def h(system: System, give_profile: ProfileSetter) -> History:
    history = make_history(system)
    give_profile(system, SYSTEM_ACTOR)
    return history


def test_acts_are_numbered_in_sequence_within_each_calendar_year(system: System, h: History):
    first = dispose(system, h, date(2032, 1, 2), JOURNAL_5A)
    second = dispose(system, h, date(2032, 1, 3), JOURNAL_5B)
    summary = dispose(system, h, date(2052, 1, 2), SUMMARY_5A)
    pd = dispose(system, h, date(2052, 1, 3), person(h.school.pupils[0]))
    numbers = [(c["act_year"], c["number"], c["pd_number"]) for c in (first, second, summary, pd)]
    assert numbers == [(2032, "1", ""), (2032, "2", ""), (2052, "1", ""), (2052, "2", "3")]
    assert act_stems(pd) == ("akt-2052-002", "akt-2052-003-pd")
    # executing again completes what a stopped run left, and never takes a new number
    with clock.travel(at(date(2052, 1, 4))):
        again = system.records.execute(UUID(first["disposition_id"]), h.archivist)
    assert (again["act_year"], again["number"]) == (2032, "1")


def test_a_destruction_is_approved_only_on_the_expert_commissions_protocol(
    system: System, h: History
):
    with clock.travel(at(date(2032, 1, 2))):
        [proposal] = system.records.propose(h.archivist, series=[JOURNAL_5A])
        before = system.journal.recorder.max_notification_id()
        approve = system.journal.retention.approve_disposition
        with pytest.raises(errors.CommissionProtocolRequired):
            approve(proposal, h.school.head)
        with pytest.raises(errors.CommissionProtocolRequired):
            approve(proposal, h.school.head, "ЭК-7")
        with pytest.raises(errors.CommissionProtocolRequired, match="позже сегодняшнего"):
            approve(proposal, h.school.head, "ЭК-7", date(2032, 1, 3))
        assert system.journal.recorder.max_notification_id() == before  # nothing written
        approve(proposal, h.school.head, "  ЭК-7 ", date(2031, 12, 20))
        info = system.journal.retention.disposition(proposal)
    assert (info.protocol_no, info.protocol_date) == ("ЭК-7", "2031-12-20")


def test_signed_acts_are_pdfa_and_name_the_school_the_protocol_and_the_people(
    system: System, h: History
):
    demo_pki(system.settings)
    dispose(system, h, date(2032, 1, 2), JOURNAL_5A)
    dispose(system, h, date(2052, 1, 2), SUMMARY_5A)
    pd = dispose(system, h, date(2052, 1, 3), person(h.school.pupils[0]))
    folder = system.settings.certificates_dir
    root = system.settings.archiving.pki_dir / "root.pem"
    act, pd_act = (folder / f"{stem}.pdf" for stem in act_stems(pd))
    journal_act = folder / "akt-2032-001.pdf"
    for path in (journal_act, act, pd_act):
        data = path.read_bytes()
        assert pdfa.check(first_revision(data)).passed, path.name
        assert pyhanko_adesverify(path, root) == 0, path.name
        _stamps_inside_the_page(data)
    text = " ".join(pdf_text(journal_act).split())
    for said in (
        PROFILE["full_name"],
        PROFILE["address"],
        "ОГРН 1027700123450",
        "ИНН 7701234560",
        "АКТ ОБ УНИЧТОЖЕНИИ ДОКУМЕНТОВ",
        "№ 1 от 02.01.2032",
        "протокол экспертной комиссии № ЭК-7 от 01.01.2032",
        "Классный журнал (журнал успеваемости)",
        "journal/2025-26/5А",
        "ст. 690",
        "5 лет",
        "архивист",
        "Директорова Ирина Павловна",
    ):
        assert said in text, said
    text = " ".join(pdf_text(pd_act).split())
    for said in (
        "АКТ ОБ УНИЧТОЖЕНИИ ПЕРСОНАЛЬНЫХ ДАННЫХ",
        "№ 3 от 03.01.2052",
        PROFILE["address"],
        "ejournal — электронный журнал успеваемости",
        "не осуществлялась",
        "обучающийся — 1",
        str(h.school.pupils[0]),
        "Выгрузка из журнала регистрации событий",
    ):
        assert said in text, said
    # the act names the subject by identifier, never by name (ADR 0007)
    assert not re.search(r"Иванов|Петров|Смирнов", text.split("Уничтожил")[0])


def _stamps_inside_the_page(data: bytes) -> None:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[-1]
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        widgets = [a for a in page.obj.get("/Annots", []) if a.get("/FT") == "/Sig"]
        shown = [[float(v) for v in w["/Rect"]] for w in widgets if float(w["/Rect"][2]) > 0]
    assert shown
    for left, bottom, right, top in shown:
        assert x0 <= left < right <= x1 and y0 <= bottom < top <= y1


@pytest.mark.parametrize(("width", "height"), [(595.3, 841.9), (841.9, 595.3)])
@pytest.mark.parametrize("count", [1, 2])
def test_stamp_boxes_fit_the_page_in_either_orientation(width: float, height: float, count: int):
    boxes = stamp_boxes(width, height, count)
    assert len(boxes) == count
    for left, bottom, right, top in boxes:
        assert 0 < left < right < width and 0 < bottom < top < height
    assert all(a[2] <= b[0] for a, b in itertools.pairwise(boxes))  # side by side


def test_archive_refresh_renews_the_signed_acts(system: System, h: History):
    demo_pki(system.settings)
    certificate = dispose(system, h, date(2032, 1, 2), JOURNAL_5A)
    path = system.settings.certificates_dir / f"{act_stems(certificate)[0]}.pdf"
    before = path.read_bytes()
    later = clock.now() + timedelta(days=20)  # inside the 14-day margin of the 4-week CRL
    with clock.travel(later):
        outcomes = refresher(system).run(clock.now(), renewal(system), h.school.head)
    [act] = [o for o in outcomes if o.file_name == path.name]
    assert act.state == "refreshed", act
    after = path.read_bytes()
    assert after.startswith(before) and len(after) > len(before)  # an incremental update
    info = system.journal.retention.disposition(UUID(certificate["disposition_id"]))
    assert info.act_files is not None
    assert info.act_files[path.name]["sha256"] == hashlib.sha256(after).hexdigest()
    assert pyhanko_adesverify(path, system.settings.archiving.pki_dir / "root.pem") == 0
    # a changed act is reported, never renewed
    path.write_bytes(after + b"\n% changed")
    with clock.travel(later + timedelta(days=20)):
        outcomes = refresher(system).run(clock.now(), renewal(system), h.school.head)
    [act] = [o for o in outcomes if o.file_name == path.name]
    assert act.state == "failed" and "differs" in act.detail


def test_check_digits_of_ogrn_and_inn(system: System, h: History):
    assert ogrn_valid(PROFILE["ogrn"]) and not ogrn_valid("1027700123451")
    set_profile = system.journal.profile.set_profile
    school = system.settings.school
    with pytest.raises(errors.ProfileInvalid, match="ОГРН"):
        set_profile(school, PROFILE | {"ogrn": "1027700123451"}, SYSTEM_ACTOR)
    with pytest.raises(errors.ProfileInvalid, match="ИНН"):
        set_profile(school, PROFILE | {"inn": "7701234561"}, SYSTEM_ACTOR)
    with pytest.raises(errors.ProfileInvalid, match="адрес"):
        set_profile(school, PROFILE | {"address": "  "}, SYSTEM_ACTOR)
    set_profile(school, PROFILE | {"ogrn": "", "inn": ""}, SYSTEM_ACTOR)
    system.views.catch_up()
    assert system.views.reads.school.profile(school).ogrn == ""
