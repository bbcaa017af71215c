"""The rules in force are recorded and approved; the school's regulations are generated from
them as signed PDF/A (issue 18, section 4; ADR 0025)."""

from __future__ import annotations

import hashlib
import shutil
import threading
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from domain import clock, errors
from domain.base import SYSTEM_ACTOR
from domain.policy_set import OrderInvalid, PolicySet, VersionAlreadyApproved
from ejournal.archiving import trust_roots
from ejournal.bootstrap import System, build
from ejournal.documents import KINDS, NotApproved, running_differs, staff_on, write_all
from ejournal.policy_record import record_at_start, running_files
from ejournal.settings import Settings
from retention.archive import pdfa
from retention.archive.verify import verify_file
from tests.archive_helpers import demo_pki, flip_byte, pdf_text, pyhanko_adesverify
from tests.conftest import ROOT
from tests.integration.conftest import PROFILE, ProfileSetter
from tests.school import School, at, build_school

TODAY = date(2025, 10, 6)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the repository's policies the test may change."""
    copy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", copy)
    return copy


@pytest.fixture
def settings(backend_settings: Settings, folder: Path) -> Settings:
    return replace(backend_settings, policies_dir=folder)


@pytest.fixture
def started(settings: Settings) -> System:
    system = build(settings)
    yield system
    system.close()


@pytest.fixture
def school(started: System, give_profile: ProfileSetter) -> School:
    made = build_school(started.journal)
    with clock.travel(at(date(2025, 8, 26))):
        give_profile(started, made.admin)
    return made


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _restart(system: System) -> System:
    """The deployment started again, reading its policy files anew."""
    system.close()
    return build(system.settings)


def _changes(system: System) -> list[PolicySet.PoliciesChanged]:
    events = system.journal.events.get(PolicySet.create_id())
    return [e for e in events if isinstance(e, PolicySet.PoliciesChanged)]


def test_start_up_records_a_changed_version_once_with_what_changed(started: System, folder: Path):
    told = record_at_start(started)
    assert told.startswith("правила (policies/) изменились: записана редакция 1")
    assert record_at_start(started) == ""  # unchanged: nothing recorded
    [first] = started.views.reads.policies.versions()
    assert first.files == {n: f.sha256 for n, f in running_files(folder).items()}
    assert (
        first.files["journal.toml"]
        == hashlib.sha256((folder / "journal.toml").read_bytes()).hexdigest()
    )
    _edit(folder, "journal.toml", "entry_deadline_days = 3", "entry_deadline_days = 5")
    _edit(folder, "grading.toml", "weight = 3", "weight = 4")
    again = _restart(started)
    try:
        assert "редакция 2" in record_at_start(again)
        latest = again.views.reads.policies.latest()
        assert latest is not None and latest.number == 2
        assert latest.changed == ("grading.toml", "journal.toml")
        assert latest.diff["journal.toml"]["changed"] == {"entry_deadline_days": [3, 5]}
        assert latest.diff["grading.toml"]["changed"] == {"kinds[test].weight": [3, 4]}
        assert latest.diff["journal.toml"]["added"] == {}
        assert [e.number for e in _changes(again)] == [1, 2]
    finally:
        again.close()


def _start(system: System, barrier: threading.Barrier, told: list[int], folder: Path) -> None:
    """One process starting: wait for the others, then record the running policies."""
    barrier.wait()
    told.append(system.journal.rules.record(running_files(folder), SYSTEM_ACTOR))


def test_two_processes_starting_at_once_record_the_change_once(settings: Settings):
    for round_ in range(2):
        if round_:
            days = "own_correction_days = "
            _edit(settings.policies_dir, "journal.toml", f"{days}7", f"{days}9")
        systems = [build(settings) for _ in range(3)]
        barrier = threading.Barrier(len(systems))
        told: list[int] = []
        threads = [
            threading.Thread(target=_start, args=(s, barrier, told, settings.policies_dir))
            for s in systems
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        try:
            assert sorted(told) == [0, 0, round_ + 1]
            assert [e.number for e in _changes(systems[0])] == list(range(1, round_ + 2))
        finally:
            for s in systems:
                s.close()


def test_the_head_approves_a_version_by_order(started: System, school: School):
    record_at_start(started)
    rules = started.journal.rules
    with clock.travel(at(TODAY)):
        with pytest.raises(errors.RoleRequired):
            rules.approve(1, "12-од", TODAY, school.deputy)
        with pytest.raises(OrderInvalid):
            rules.approve(1, "  ", TODAY, school.head)
        with pytest.raises(OrderInvalid):
            rules.approve(1, "12-од", TODAY + timedelta(days=1), school.head)
        with pytest.raises(errors.NotFound):
            rules.approve(2, "12-од", TODAY, school.head)
        rules.approve(1, " 12-од ", TODAY - timedelta(days=3), school.head)
        with pytest.raises(VersionAlreadyApproved):
            rules.approve(1, "13-од", TODAY, school.head)
    started.views.catch_up()
    version = started.views.reads.policies.in_force()
    assert version is not None and version.order == "приказ № 12-од от 03.10.2025"
    assert not running_differs(started)
    # term marks keep the hash of grading.toml: it names the approving order
    grading = version.files["grading.toml"]
    assert started.views.reads.policies.approval_for_hash(grading).order == version.order
    assert started.views.reads.policies.approval_for_hash("0" * 64) is None


def test_documents_need_an_approved_version(started: System, school: School, tmp_path: Path):
    record_at_start(started)
    with pytest.raises(NotApproved):
        write_all(started, tmp_path / "out")
    assert running_differs(started)


def _approve(system: System, head, order: str, day: date) -> None:
    with clock.travel(at(day)):
        system.journal.rules.approve(system.journal.rules.recorded_version(), order, day, head)
    system.views.catch_up()


def _texts(paths: list[Path]) -> dict[str, str]:
    stems = {p: next(k for k in KINDS if p.name.startswith(k)) for p in paths}
    return {stems[p]: " ".join(pdf_text(p).split()) for p in paths}


def test_documents_are_signed_pdfa_and_follow_a_changed_policy(
    started: System, school: School, folder: Path, tmp_path: Path
):
    demo_pki(started.settings)
    record_at_start(started)
    _approve(started, school.head, "12-од", TODAY)
    with clock.travel(at(TODAY)):
        first = write_all(started, tmp_path / "v1")
    assert first[0].name == "journal-regulation-v1.pdf"
    assert len(first) == len(KINDS)
    roots = trust_roots(started.settings.archiving)
    for path in first:
        data = path.read_bytes()
        end = data.index(b"%%EOF") + len(b"%%EOF")
        assert pdfa.check(data[: end + 1]).passed, path.name
        report = verify_file(data, roots, started.views, started.ledger)  # archive verify
        assert report.ok, (path.name, [vars(c) for c in report.checks])
        assert any(c.name == "register" and path.name in c.detail for c in report.checks)
        assert not verify_file(flip_byte(data), roots, started.views, started.ledger).ok
        assert pyhanko_adesverify(path, started.settings.archiving.pki_dir / "root.pem") == 0
    text = _texts(first)
    journal = text["journal-regulation"]
    for said in (
        PROFILE["full_name"],
        "УТВЕРЖДЕНО приказом № 12-од от 06.10.2025",
        "ПОЛОЖЕНИЕ",
        "о ведении электронного журнала успеваемости",
        "не позднее 3 дней после даты урока",
        "в течение 7 дней после её внесения",
        "Контрольная работа кр 3",
        "Отсутствовал по болезни",
        "1 четверть 01.09.2025 26.10.2025 открыт",
    ):
        assert said in journal, said
    assert "ежедневную сводку, которая отправляется в 18:00" in text["diary-regulation"]
    access = text["pd-access-list"]
    assert "Директоров Иван" in access and "Петрова Анна Ивановна" in access
    assert "Смирнов" not in access  # pupils are subjects, not staff
    assert "Я, ___" in text["parent-consent"] and PROFILE["address"] in text["parent-consent"]
    assert "ст. 690" in text["records-schedule"] and "5 лет" in text["records-schedule"]

    _edit(folder, "journal.toml", "entry_deadline_days = 3", "entry_deadline_days = 5")
    _edit(folder, "notifications.toml", 'digest_at = "18:00"', 'digest_at = "19:30"')
    again = _restart(started)
    try:
        record_at_start(again)
        assert running_differs(again)
        with clock.travel(at(TODAY + timedelta(days=1))):
            # not approved yet: the documents still say what the approved version says
            still = _texts(write_all(again, tmp_path / "v1b", only=("journal-regulation",)))
        assert "не позднее 3 дней" in still["journal-regulation"]
        _approve(again, school.head, "15-од", TODAY + timedelta(days=1))
        with clock.travel(at(TODAY + timedelta(days=1))):
            second = _texts(write_all(again, tmp_path / "v2"))
    finally:
        again.close()
    assert "не позднее 5 дней после даты урока" in second["journal-regulation"]
    assert "УТВЕРЖДЕНО приказом № 15-од от 07.10.2025" in second["journal-regulation"]
    assert "отправляется в 19:30" in second["diary-regulation"]


def test_the_access_list_is_as_of_its_date(started: System, school: School):
    with clock.travel(at(date(2025, 9, 15))):
        late = started.journal.accounts.create_account(
            "teacher3", "Новикова", "Ольга", "", ["teacher"], "uchitel-secret-3", school.admin
        ).id
        assert late
    started.views.catch_up()
    with clock.travel(at(TODAY)):
        before = {m.login for m in staff_on(started, date(2025, 9, 1))}
        after = {m.login for m in staff_on(started, TODAY)}
    assert "teacher3" not in before and "teacher3" in after
    assert {"head", "teacher", "deputy", "admin"} <= before
