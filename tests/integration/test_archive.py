"""The annual archive on a small complete school: completeness refusal and forcing, PDF/A,
text, corrections footnoted, checkpoint printed, signatures checked by our verifier and by
pyHanko's own command, tampering and foreign certificates rejected, the detached hook."""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner, Result

from domain import clock
from domain.base import SYSTEM_ACTOR
from ejournal.archiving import archiver, signing_setup, trust_roots
from ejournal.bootstrap import System, build
from ejournal.cli import main
from ejournal.pki import make_demo_pki
from ejournal.settings import ArchiveSettings, Settings
from projections.views import archive as archive_view
from projections.views import catalog, records_register
from retention.archive import pdfa
from retention.archive.detached import DetachedSigner, DetachedSignerFailed
from retention.archive.gaps import ArchiveIncomplete
from retention.archive.service import Archiver, after_deadline
from retention.archive.signing import sign_pdf
from retention.archive.verify import printed_checkpoint, verify_file
from tests.archive_helpers import (
    FIX_REASON,
    ROOT,
    TERM_FIX_REASON,
    TERM_WHY,
    YEAR_FIX_REASON,
    YEAR_WHY,
    complete_school,
    damage_appended_stream,
    demo_pki,
    flip_byte,
    pdf_text,
    pyhanko_adesverify,
    render_pngs,
    words_outside_page,
)
from tests.conftest import settings_for
from tests.school import at

ARCHIVE_DAY = at(date(2026, 6, 5), 11)
FAKE_SIGNER = ROOT / "tests" / "tools" / "fake_detached_signer.py"


def _with_archive(settings: Settings, **changes: object) -> Settings:
    return replace(settings, archive=replace(settings.archiving, **changes))


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, list, object]]:
    """A complete school archived once, with the class teacher and the head signing and
    the detached hook on (SQLite)."""
    base = settings_for(tmp_path_factory.mktemp("archive"))
    demo_pki(base)
    hook = f"{sys.executable} {FAKE_SIGNER} {{in}} {{out}}"
    settings = _with_archive(base, signers=("class_teacher", "head"), detached_signer=hook)
    with build(settings) as system:
        data = complete_school(system)
        system.journal.profile.set_profile("test", PROFILE, SYSTEM_ACTOR)  # the year's school
        with clock.travel(ARCHIVE_DAY):
            made = archiver(system).close_year(data.school.year_id, data.school.head)
        yield system, made, data


PROFILE = {
    "full_name": "Муниципальное бюджетное общеобразовательное учреждение «Гимназия № 2»",
    "short_name": "МБОУ «Гимназия № 2»",
    "address": "111222, г. Энск, пр. Мира, д. 10",
    "head_name": "Головина Елена Сергеевна",
    "head_position": "Директор",
    "ogrn": "1027700123450",
    "inn": "",
}


def test_the_school_profile_and_the_paper_route_are_on_the_title_and_last_pages(archived) -> None:
    _, made, _ = archived
    for item in made:
        first = " ".join(pdf_text(item.path, 1, 1).split())
        last = " ".join(pdf_text(item.path, item.pages, item.pages).split())
        for page in (first, last):
            assert PROFILE["full_name"] in page and PROFILE["address"] in page, item.path.name
            assert "ОГРН 1027700123450" in page and "ИНН" not in page
            assert "Директор: Головина Елена Сергеевна" in page
        words = {2: "два", 3: "три", 4: "четыре", 5: "пять", 6: "шесть"}.get(item.pages, "")
        assert f"скреплено печатью {item.pages} ({words}" in last, (item.path.name, item.pages)
        assert "/Головина Елена Сергеевна/ М.П." in last
        assert "неполном заполнении" not in last  # a complete school: nothing is missing
        # the stamp: the signer's position from the profile, the certificate, school time
        assert "Директор: Директор (демо)" in last and "Сертификат №" in last
        assert re.search(r"действителен с \d\d\.\d\d\.\d{4} по \d\d\.\d\d\.\d{4}", last)
        assert "(Europe/Moscow, UTC+3)" in last


def test_empty_cells_are_dashed_so_nothing_can_be_added_on_paper(archived) -> None:
    _, made, _ = archived
    journal = next(m for m in made if m.path.name.startswith("journal-5А"))
    text = pdf_text(journal.path)
    assert "пустые клетки прочёркнуты" in " ".join(text.split())
    grid = [line for line in text.splitlines() if re.match(r"\s*\d+\s+\S+ \S+", line)]
    assert any("—" in line for line in grid)


def test_every_class_gets_a_journal_and_a_summary_sheet_listed_in_the_register(archived) -> None:
    system, made, data = archived
    with system.views.reader() as reader:
        volumes = archive_view.volumes_of_year(
            reader, system.views.sealer, str(data.school.year_id)
        )
    kinds = {(v.group_id, v.kind): v for v in volumes}
    for group in (data.school.class_id, data.school.other_class_id):
        assert kinds[str(group), "journal"].retention_class == "annual-printout"
        assert kinds[str(group), "summary"].retention_class == "summary-sheet"
        assert kinds[str(group), "summary"].series.startswith("summary/2025-26/")
    assert len(volumes) == len(made) == 4
    for volume, item in zip(volumes, sorted(made, key=lambda m: str(m.path)), strict=True):
        path = system.settings.archiving.folder / volume.file_name
        assert path == item.path and hashlib.sha256(path.read_bytes()).hexdigest() == volume.sha256
        assert volume.forced_reason == "" and volume.pages == item.pages >= 2
        assert [s["role"] for s in volume.signers] == ["class_teacher", "head"]


def test_the_year_is_closed_and_every_file_is_in_the_records_register(archived) -> None:
    system, made, data = archived
    with system.views.reader() as reader:
        year = reader.get(catalog.YEARS, (str(data.school.year_id),))
        series = {r["series"]: r for r in reader.select(records_register.SERIES)}
        files = {(r["series"], r["path"]): r for r in reader.select(records_register.FILES)}
    assert year["closed"]
    folder = system.settings.archiving.folder
    for item in made:
        kind, group = item.path.name.split("-")[0], item.path.name.split("-")[1]
        name = f"{'summary' if kind == 'summary' else 'printout'}/2025-26/{group}"
        expected = "summary-sheet" if kind == "summary" else "annual-printout"
        assert series[name]["record_class"] == expected
        path = str(item.path.relative_to(folder))
        assert files[name, path]["sha256"] == item.sha256
        sig = str(item.detached.relative_to(folder))
        assert files[name, sig]["sha256"] == hashlib.sha256(item.detached.read_bytes()).hexdigest()


def test_signers_and_reasons_are_sealed_in_the_view(archived) -> None:
    system, _, _ = archived
    with system.views.reader() as reader:
        rows = reader.select(archive_view.VOLUMES)
        volumes = archive_view.volumes_of_year(reader, system.views.sealer, rows[0]["year_id"])
    assert rows and all(r["roles"] == "class_teacher,head" for r in rows)
    plain = " ".join(str(v) for r in rows for k, v in r.items() if k != "sealed")
    assert "Директор" not in plain and "Классный руководитель" not in plain
    assert {s["subject"].split("Common Name: ")[1].split(",")[0] for s in volumes[0].signers} == {
        "Директор (демо)",
        "Классный руководитель (демо)",
    }


def test_unsigned_revisions_pass_pdfa_with_every_font_embedded(archived) -> None:
    system, made, _ = archived
    with system.views.reader() as reader:
        for item in made:
            volume = archive_view.volume_by_hash(reader, system.views.sealer, item.sha256)
            rendered = item.path.read_bytes()[: volume.rendered_size]
            assert pdfa.check(rendered).passed
            with pikepdf.open(io.BytesIO(rendered)) as pdf:
                fonts = [
                    font
                    for page in pdf.pages
                    for font in page.obj.Resources.get("/Font", {}).values()
                ]
                assert fonts
                for font in fonts:
                    descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                    assert "/FontFile2" in descendant.FontDescriptor, font.BaseFont


def test_text_names_subjects_dates_marks_and_pupils(archived) -> None:
    system, made, data = archived
    journal = next(m for m in made if m.path.name.startswith("journal-5А"))
    text = pdf_text(journal.path)
    assert "КЛАССНЫЙ ЖУРНАЛ 5А" in text and "Математика" in text
    assert "16.09" in text and "Дроби" in text and "№ 12" in text
    assert re.search(r"4к \[\d+\]", text)  # the corrected «test» mark and its note number
    for pupil in data.school.pupils:
        assert (
            system.views.reads.people.name(str(pupil)) in text
        )  # names decrypted into the printout
    summary = pdf_text(next(m for m in made if m.path.name.startswith("summary-5А")).path)
    assert "СВОДНАЯ ВЕДОМОСТЬ" in summary and "Математика" in summary
    assert system.views.reads.people.name(str(data.school.pupils[1])) in summary


def test_corrections_are_footnoted_with_old_new_who_when_why(archived) -> None:
    _, made, _ = archived
    text = " ".join(
        pdf_text(next(m for m in made if m.path.name.startswith("journal-5А")).path).split()
    )
    assert "было «3», стало «4»" in text and FIX_REASON in text
    assert "исправил(а) Петрова А. И. 16.09.2025" in text
    assert "было «3», стало «4 [2]»" not in text
    assert TERM_FIX_REASON in text and "(1 четверть): было «3», стало «4»" in text


def test_corrected_and_non_rounded_final_marks_print_their_explanation(archived) -> None:
    """ADR 0024: the volume prints, under the subject's term and year marks, how each mark
    that was corrected or set other than its rounded average was computed — as of its
    setting, with the version of grading.toml."""
    system, made, data = archived
    text = " ".join(
        pdf_text(next(m for m in made if m.path.name.startswith("journal-5А")).path).split()
    )
    assert "Расчёт отметок, выставленных не по округлённому среднему или исправленных:" in text
    version = system.policies.grading.content_hash
    p0, p2 = (system.views.reads.people.name(str(p), short=True) for p in data.school.pupils[::2])
    term = re.search(rf"{re.escape(p2)} \(1 четверть\): выставлено «4» .*?{version}\.", text)
    assert term is not None, text[-3000:]
    assert "Отметки: 16.09 «4» ответ на уроке ×1." in term[0]
    assert "Средний взвешенный 4 / 1 = 4,00" in term[0]
    assert "дробная часть от 0,5 — вверх, округлённый средний «4»" in term[0]
    assert f"Причина исправления: {TERM_FIX_REASON}." in term[0]
    assert "Ранее: «3»" in text and TERM_WHY in text
    year = re.search(rf"{re.escape(p2)} \(годовая\): выставлено «5» .*?{version}\.", text)
    assert year is not None
    assert "1 четв. «4» четвертная ×1; 2 четв. «3» четвертная ×1" in year[0]
    assert "13 / 4 = 3,25" in year[0] and "округлённый средний «3»" in year[0]
    assert YEAR_FIX_REASON in year[0] and YEAR_WHY in text
    # a mark set to its rounded average and never corrected is not explained here
    assert f"{p0} (1 четверть): выставлено" not in text


def test_checkpoint_on_the_last_page_and_in_the_metadata(archived) -> None:
    system, made, _ = archived
    signed = [asdict(c) for c in system.ledger.checkpoints()]
    with system.views.reader() as reader:
        for item in made:
            checkpoint = archive_view.volume_by_hash(
                reader, system.views.sealer, item.sha256
            ).checkpoint
            assert checkpoint in signed
            last_page = " ".join(pdf_text(item.path, item.pages, item.pages).split())
            assert "ЛИСТ ЗАВЕРЕНИЯ" in last_page and checkpoint["root"] in last_page
            assert f"размер дерева {checkpoint['size']} событий" in last_page
            with pikepdf.open(item.path) as pdf:
                keywords = str(pdf.docinfo["/Keywords"])
                xmp = str(pdf.open_metadata())
            assert f"ledger-root={checkpoint['root']}" in keywords
            assert checkpoint["root"] in xmp


def _ledger_cli(settings: Settings, *args: str) -> Result:
    env = {
        "EJOURNAL_VAR_DIR": str(settings.var_dir),
        "EJOURNAL_POLICIES_DIR": str(settings.policies_dir),
    }
    if settings.database.backend == "postgres":
        env["EJOURNAL_DATABASE_URL"] = settings.database_url
    return CliRunner().invoke(main, ["ledger", *args], env=env)


def _with_keywords(source: Path, target: Path, change: Callable[[str], str]) -> Path:
    """A copy of ``source`` whose document keywords (and their XMP copy) are changed."""
    with pikepdf.open(source) as pdf:
        keywords = change(str(pdf.docinfo["/Keywords"]))
        pdf.docinfo["/Keywords"] = keywords
        with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
            xmp["pdf:Keywords"] = keywords
        pdf.save(target)
    return target


def test_ledger_verify_against_the_checkpoint_an_archive_pdf_carries(
    archived, tmp_path: Path
) -> None:
    system, made, _ = archived
    item = made[0]
    with system.views.reader() as reader:
        volume = archive_view.volume_by_hash(reader, system.views.sealer, item.sha256)
    printed = printed_checkpoint(item.path.read_bytes())
    assert printed == {k: str(v) for k, v in volume.checkpoint.items() if k != "format"}

    result = _ledger_cli(system.settings, "verify", "--against", str(item.path))
    assert result.exit_code == 0, result.output
    assert "ledger OK" in result.stdout
    result = _ledger_cli(system.settings, "consistency", str(item.path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["old"] == volume.checkpoint

    # A volume made before the signature was in its keywords: the stored checkpoint with
    # the same fields lends its signature.
    unsigned = _with_keywords(
        item.path, tmp_path / "older.pdf", lambda k: re.sub(r"ledger-signature=[^;]*; ", "", k)
    )
    assert printed_checkpoint(unsigned.read_bytes())["signature"] == ""
    result = _ledger_cli(system.settings, "verify", "--against", str(unsigned))
    assert result.exit_code == 0, result.output

    # Its root changed: not the school's signed checkpoint any more.
    root = str(volume.checkpoint["root"])
    forged = _with_keywords(item.path, tmp_path / "forged.pdf", lambda k: k.replace(root, "0" * 64))
    result = _ledger_cli(system.settings, "verify", "--against", str(forged))
    assert result.exit_code == 1
    assert "has a bad signature" in result.stderr and "None" not in result.stderr
    result = _ledger_cli(system.settings, "consistency", str(forged))
    assert result.exit_code == 1 and "not signed by this ledger's key" in result.stderr

    # No checkpoint at all.
    bare = _with_keywords(item.path, tmp_path / "bare.pdf", lambda _k: "nothing here")
    result = _ledger_cli(system.settings, "verify", "--against", str(bare))
    assert result.exit_code == 1 and "no ledger checkpoint in the PDF's metadata" in result.stderr


def test_signed_files_verify_here_and_with_pyhanko(archived) -> None:
    system, made, _ = archived
    roots = trust_roots(system.settings.archiving)
    root_pem = system.settings.archiving.pki_dir / "root.pem"
    for item in made:
        sig = item.detached.read_bytes()
        report = verify_file(item.path.read_bytes(), roots, system.views, system.ledger, sig)
        assert report.ok, [c for c in report.checks if not c.ok]
        assert pyhanko_adesverify(item.path, root_pem) == 0


@pytest.mark.parametrize("where", [0.3, 0.97])
def test_one_byte_changed_is_rejected_by_both(archived, tmp_path: Path, where: float) -> None:
    system, made, _ = archived
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(flip_byte(made[0].path.read_bytes(), where))
    root_pem = system.settings.archiving.pki_dir / "root.pem"
    roots = trust_roots(system.settings.archiving)
    report = verify_file(tampered.read_bytes(), roots, system.views, system.ledger)
    assert not report.ok
    assert not all(c.ok for c in report.checks if c.name.startswith("signature ")), report
    assert pyhanko_adesverify(tampered, root_pem) != 0


def test_a_file_pyhanko_cannot_analyse_is_rejected_with_a_reason(archived) -> None:
    """A damaged stream (not the cross-reference one) in the revision appended after the
    document timestamp makes pyHanko's difference analysis raise a parse error: our verifier
    reports it, it does not crash."""
    system, made, _ = archived
    damaged = damage_appended_stream(made[0].path.read_bytes())
    roots = trust_roots(system.settings.archiving)
    report = verify_file(damaged, roots, system.views, system.ledger)
    assert not report.ok
    failed = [c for c in report.checks if c.name.startswith("signature ") and not c.ok]
    assert failed and all("pyHanko cannot analyse it" in c.detail for c in failed), failed


def test_a_signature_from_another_root_is_rejected(archived, tmp_path: Path) -> None:
    system, made, _ = archived
    foreign = make_demo_pki(tmp_path / "foreign", "other")
    settings = ArchiveSettings.from_env({"EJOURNAL_PKI_DIR": str(foreign.folder)}, tmp_path)
    with system.views.reader() as reader:
        volume = archive_view.volume_by_hash(reader, system.views.sealer, made[0].sha256)
    rendered = made[0].path.read_bytes()[: volume.rendered_size]
    signed = tmp_path / "foreign.pdf"
    signed.write_bytes(sign_pdf(rendered, signing_setup(settings), reason="x", location="y"))
    ours = system.settings.archiving.pki_dir / "root.pem"
    report = verify_file(
        signed.read_bytes(), trust_roots(system.settings.archiving), system.views, system.ledger
    )
    assert not report.ok
    assert not next(c for c in report.checks if c.name.startswith("signature")).ok
    assert pyhanko_adesverify(signed, ours) != 0
    assert pyhanko_adesverify(signed, foreign.root) == 0  # valid, just not ours


def test_detached_hook_writes_sig_beside_the_file_and_its_hash_is_recorded(archived) -> None:
    system, made, _ = archived
    with system.views.reader() as reader:
        for item in made:
            assert item.detached == item.path.with_name(item.path.name + ".sig")
            sig = item.detached.read_bytes()
            assert sig.endswith(hashlib.sha256(item.path.read_bytes()).hexdigest().encode())
            volume = archive_view.volume_by_hash(reader, system.views.sealer, item.sha256)
            assert volume.detached_sha256 == hashlib.sha256(sig).hexdigest()
    roots = trust_roots(system.settings.archiving)
    data, sig = made[0].path.read_bytes(), made[0].detached.read_bytes()
    assert verify_file(data, roots, system.views, system.ledger, sig).ok
    assert not verify_file(data, roots, system.views, system.ledger, sig + b"x").ok
    assert not verify_file(data, roots, system.views, system.ledger, None).ok


def test_a_failing_detached_signer_is_reported(tmp_path: Path) -> None:
    target = tmp_path / "file.pdf"
    target.write_bytes(b"%PDF-1.7")
    with pytest.raises(DetachedSignerFailed, match="exited 3"):
        DetachedSigner(f"{sys.executable} {FAKE_SIGNER} --fail {{in}} {{out}}").sign(target)
    with pytest.raises(ValueError, match="in"):
        DetachedSigner("cryptcp -sign")


def test_a_second_run_has_nothing_to_do(archived) -> None:
    system, _, data = archived
    with clock.travel(ARCHIVE_DAY):
        assert archiver(system).close_year(data.school.year_id, data.school.head) == []


def test_missing_year_marks_refuse_and_force_records_the_reason(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    demo_pki(settings)
    with build(settings) as system:
        data = complete_school(system)
        j, s = system.journal, data.school
        with clock.travel(at(date(2026, 1, 20))):
            lesson = s.hold(date(2026, 1, 20))
        assert lesson
        service: Archiver = archiver(system)
        system.views.catch_up()
        # a pupil enrolled late has no marks at all
        with clock.travel(at(date(2026, 5, 21))):
            late = j.people.register_student("Новикова", "Вера", "", date(2014, 2, 2), s.admin).id
            j.classes.enrol(s.class_id, late, date(2026, 5, 21), s.admin)
        with pytest.raises(ArchiveIncomplete) as refused:
            service.close_year(s.year_id, s.head)
        lines = [g.line() for g in refused.value.gaps]
        assert any("нет годовой отметки (1): Новикова В." in line for line in lines), lines
        assert any("4 четверть" in line and "Новикова В." in line for line in lines)
        with clock.travel(ARCHIVE_DAY):
            made = service.close_year(s.year_id, s.head, force=True, reason="Ученица прибыла 21.05")
        with system.views.reader() as reader:
            volume = archive_view.volume_by_hash(reader, system.views.sealer, made[0].sha256)
        assert volume.forced_reason == "Ученица прибыла 21.05"
        assert "Основание: Ученица прибыла 21.05" in " ".join(pdf_text(made[0].path).split())


def test_no_text_outside_the_page_and_pngs_kept(archived) -> None:
    _, made, _ = archived
    for item in made:
        assert words_outside_page(item.path) == []
        pngs = render_pngs(item.path, item.path.stem)
        assert len(pngs) == item.pages


def test_deadline_is_30_june() -> None:
    ends = date(2026, 5, 31)
    assert not after_deadline(ends, date(2026, 6, 30))
    assert after_deadline(ends, date(2026, 7, 1))


def test_capture_and_verify_on_each_backend(backend_settings: Settings) -> None:
    demo_pki(backend_settings)
    with build(backend_settings) as system:
        data = complete_school(system)
        with clock.travel(ARCHIVE_DAY):
            made = archiver(system).close_year(data.school.year_id, data.school.head)
        roots = trust_roots(system.settings.archiving)
        for item in made:
            report = verify_file(item.path.read_bytes(), roots, system.views, system.ledger)
            assert report.ok, [c for c in report.checks if not c.ok]
        result = _ledger_cli(backend_settings, "verify", "--against", str(made[0].path))
        assert result.exit_code == 0, result.output
        with system.views.reader() as reader:
            assert (
                len(
                    archive_view.volumes_of_year(
                        reader, system.views.sealer, str(data.school.year_id)
                    )
                )
                == 4
            )
