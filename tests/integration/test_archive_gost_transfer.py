"""The GOST route and transfer to an archive on a small complete school, archived once:

- every volume gets ``FILE.pdf.sig``, a detached CMS signature (GOST R 34.10-2012 256-bit,
  GOST R 34.11-2012) that ``openssl cms -verify`` accepts and refuses for a changed PDF;
  ``archive verify`` reports both;
- the journal printouts are transferred (a policy with ``action = "transfer"``): the bag
  holds the ledger's public key, the checkpoints, the roots and CRLs, the inventory and
  act of transfer as PDF/A; afterwards the register and ``archive verify`` say «передано
  по акту № …».

The GOST parts skip, saying why, when OpenSSL has no GOST engine — and fail instead under
``EJOURNAL_REQUIRE_GOST=1`` (``.ci/run``)."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import bagit
import pikepdf
import pytest
from asn1crypto import cms
from click.testing import CliRunner
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from domain import clock
from domain.policies import Period
from ejournal.archiving import archiver, gost_roots, trust_roots
from ejournal.bootstrap import System, build
from ejournal.cli import main
from ejournal.gost_pki import make_gost_pki
from ejournal.policyfiles import load_policies
from ejournal.settings import Settings
from ejournal.signers import renewal_setup
from projections.ledger import Checkpoint, check_signature
from projections.views import archive as archive_view
from retention.archive import gost, ltv, pdfa
from retention.archive.detached import DetachedSigner
from retention.archive.gost import engine_problem
from retention.archive.service import Made
from retention.archive.verify import GOST_CHECK, Report, check_gost, revisions, verify_file
from retention.service import act_stems
from tests.archive_helpers import (
    ROOT,
    complete_school,
    demo_pki,
    flip_byte,
    gost_or_skip,
    pdf_text,
    pyhanko_adesverify,
)
from tests.conftest import settings_for
from tests.school import School, at

ARCHIVE_DAY = at(date(2026, 6, 5), 11)
FAKE_SIGNER = ROOT / "tests" / "tools" / "fake_detached_signer.py"
PRINTOUT_5A = "printout/2025-26/5А"
#: GOST R 34.10-2012 256-bit (as the key's algorithm, which OpenSSL writes, or as the
#: signature-with-hash one) and GOST R 34.11-2012 256-bit (Streebog).
GOST_SIGNATURE = {"1.2.643.7.1.1.1.1", "1.2.643.7.1.1.3.2"}
STREEBOG_256 = "1.2.643.7.1.1.2.2"


def _transferring_printouts():  # type: ignore[no-untyped-def]
    """The shipped policies with journal printouts transferred instead of destroyed, due
    the day after the cut-off — so the transfer runs today, while the demo certificates
    that sign its act are in force."""
    policies = load_policies(ROOT / "policies")
    printout = dataclasses.replace(
        policies.retention.classes["annual-printout"],
        action="transfer",
        period=Period(),
        count_from="cut_off",
    )
    classes = policies.retention.classes | {"annual-printout": printout}
    return dataclasses.replace(
        policies, retention=dataclasses.replace(policies.retention, classes=classes)
    )


@dataclasses.dataclass
class Archived:
    system: System
    made: list[Made]
    school: School
    gost: bool


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archived]:
    """A complete school archived on 5 June 2026 with the demo PKI and, when OpenSSL has
    the GOST engine, the GOST test PKI (so every volume gets a GOST ``.sig``)."""
    settings = settings_for(tmp_path_factory.mktemp("gost"))
    demo_pki(settings)
    with_gost = engine_problem() is None
    if with_gost:
        make_gost_pki(settings.archiving.gost_dir, settings.school)
    with build(settings, _transferring_printouts()) as system:
        data = complete_school(system)
        with clock.travel(ARCHIVE_DAY):
            made = archiver(system).close_year(data.school.year_id, data.school.head)
        yield Archived(system, made, data.school, with_gost)


def _openssl_verify(pdf: Path, sig: Path, root: Path) -> subprocess.CompletedProcess[str]:
    """The command line an inspector would type."""
    args = [
        "openssl", "cms", "-verify", "-engine", "gost", "-binary", "-inform", "DER",
        "-in", str(sig), "-content", str(pdf), "-CAfile", str(root), "-purpose", "any",
        "-out", "/dev/null",
    ]  # fmt: skip
    return subprocess.run(args, capture_output=True, text=True, check=False)


def _cli(settings: Settings, *args: str):  # type: ignore[no-untyped-def]
    env = {
        "EJOURNAL_VAR_DIR": str(settings.var_dir),
        "EJOURNAL_POLICIES_DIR": str(settings.policies_dir),
    }
    return CliRunner().invoke(main, list(args), env=env)


# --- the GOST route ---------------------------------------------------------------------------
def test_every_volume_has_a_gost_signature_openssl_verifies(archived: Archived) -> None:
    gost_or_skip()
    system = archived.system
    root = system.settings.archiving.gost_dir / "root.pem"
    for item in archived.made:
        assert item.detached == item.path.with_name(item.path.name + ".sig")
        done = _openssl_verify(item.path, item.detached, root)
        assert done.returncode == 0, done.stderr
        assert "CMS Verification successful" in done.stderr + done.stdout
        # GOST R 34.10-2012 256-bit over a GOST R 34.11-2012 (Streebog-256) digest
        signed = cms.ContentInfo.load(item.detached.read_bytes())["content"]
        info = signed["signer_infos"][0]
        assert info["signature_algorithm"]["algorithm"].dotted in GOST_SIGNATURE
        assert info["digest_algorithm"]["algorithm"].dotted == STREEBOG_256
        with system.views.reader() as reader:
            volume = archive_view.volume_by_hash(reader, system.views.sealer, item.sha256)
        assert volume is not None and volume.detached_file == item.detached.name


def test_archive_verify_checks_the_gost_signature(archived: Archived) -> None:
    gost_or_skip()
    system, item = archived.system, archived.made[0]
    roots = trust_roots(system.settings.archiving)
    report = verify_file(
        item.path.read_bytes(),
        roots,
        system.views,
        system.ledger,
        item.detached.read_bytes(),
        gost_roots=gost_roots(system.settings.archiving),
    )
    assert report.ok, [c for c in report.checks if not c.ok]
    check = next(c for c in report.checks if c.name == GOST_CHECK)
    assert check.ran and "подпись верна" in check.detail and "Директор (демо, ГОСТ)" in check.detail
    result = _cli(system.settings, "archive", "verify", str(item.path))
    assert result.exit_code == 0, result.output
    assert f"OK   {GOST_CHECK}" in result.output and result.output.rstrip().endswith("VALID")


def test_a_changed_pdf_is_refused_by_openssl_and_by_archive_verify(
    archived: Archived, tmp_path: Path
) -> None:
    gost_or_skip()
    system, item = archived.system, archived.made[0]
    changed = tmp_path / item.path.name
    changed.write_bytes(flip_byte(item.path.read_bytes(), 0.5))
    sig = changed.with_name(changed.name + ".sig")
    sig.write_bytes(item.detached.read_bytes())
    done = _openssl_verify(changed, sig, system.settings.archiving.gost_dir / "root.pem")
    assert done.returncode != 0 and "Verification failure" in done.stderr
    verdict = gost.verify(
        changed.read_bytes(), sig.read_bytes(), gost_roots(system.settings.archiving)
    )
    assert not verdict.ok and "подпись НЕ верна" in verdict.detail
    result = _cli(system.settings, "archive", "verify", str(changed))
    assert result.exit_code == 1
    assert f"FAIL {GOST_CHECK}" in result.output and "REJECTED" in result.output
    assert "Traceback" not in result.output


def test_a_refreshed_volume_keeps_its_gost_signature_over_the_archived_revision(
    archived: Archived,
) -> None:
    """``archive refresh`` appends a revision (revocation data, a document timestamp): the
    ``.sig`` made over the file as archived still verifies, naming the revision it signs;
    a change inside the signed revision is still refused."""
    gost_or_skip()
    system, item = archived.system, archived.made[0]
    data, sig = item.path.read_bytes(), item.detached.read_bytes()
    roots = gost_roots(system.settings.archiving)
    stamper, context, _ = renewal_setup(system.settings.archiving, clock.now())
    renewed = ltv.augment(data, context, stamper, clock.now())
    assert renewed.startswith(data) and len(renewed) > len(data)
    assert not gost.verify(renewed, sig, roots).ok  # the whole file is not what was signed
    report = Report(sha256="")
    check_gost(renewed, sig, roots, report)
    check = next(c for c in report.checks if c.name == GOST_CHECK)
    signed, count = len(revisions(data)), len(revisions(renewed))
    assert count > signed
    assert check.ok and f"подписана редакция {signed} из {count}" in check.detail
    tampered = Report(sha256="")
    check_gost(flip_byte(data, 0.5) + renewed[len(data) :], sig, roots, tampered)
    assert not next(c for c in tampered.checks if c.name == GOST_CHECK).ok


def test_a_signature_under_another_gost_root_is_refused(archived: Archived, tmp_path: Path):
    gost_or_skip()
    item = archived.made[0]
    other = make_gost_pki(tmp_path / "other", "other")
    verdict = gost.verify(item.path.read_bytes(), item.detached.read_bytes(), [other.root])
    assert not verdict.ok and "certificate verify error" in verdict.detail


def test_without_a_gost_root_the_check_is_skipped_saying_how(archived: Archived) -> None:
    system, item = archived.system, archived.made[0]
    report = verify_file(
        item.path.read_bytes(),
        trust_roots(system.settings.archiving),
        system.views,
        system.ledger,
        b"whatever",
    )
    check = next(c for c in report.checks if c.name == GOST_CHECK)
    assert not check.ran and "keys demo --gost" in check.detail


def test_keys_demo_gost_makes_the_pki_once_and_says_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gost_or_skip()
    env = {"EJOURNAL_VAR_DIR": str(tmp_path / "var")}
    made = CliRunner().invoke(main, ["keys", "demo", "--gost"], env=env)
    assert made.exit_code == 0, made.output
    folder = tmp_path / "var" / "pki"
    assert (folder / "root.pem").exists() and (folder / "head.p12").exists()
    for name in ("root.pem", "signer.pem", "signer-key.pem", "signer.pass"):
        assert (folder / "gost" / name).exists()
    assert (folder / "gost" / "signer-key.pem").stat().st_mode & 0o077 == 0
    again = CliRunner().invoke(main, ["keys", "demo", "--gost"], env=env)
    assert again.exit_code == 1 and "already holds a GOST PKI" in again.output
    # without the engine: refused before anything is replaced, saying what to install
    before = (folder / "root.pem").read_bytes()
    monkeypatch.setenv("OPENSSL_ENGINES", str(tmp_path / "no-engines"))
    missing = CliRunner().invoke(main, ["keys", "demo", "--gost", "--replace"], env=env)
    assert missing.exit_code == 1 and "libengine-gost-openssl" in missing.output
    assert (folder / "root.pem").read_bytes() == before


def test_the_hook_takes_a_tool_that_names_its_own_output(tmp_path: Path) -> None:
    """`cryptcp -signf -dir DIR FILE` writes DIR/FILE.sgn: with {dir} the hook gives it an
    empty folder and keeps the one file as FILE.sig."""
    target = tmp_path / "volume.pdf"
    target.write_bytes(b"%PDF-1.7 volume")
    signer = DetachedSigner(f"{sys.executable} {FAKE_SIGNER} --signf {{dir}} {{in}}")
    made = signer.sign(target)
    assert made.path == tmp_path / "volume.pdf.sig" and made.path.read_bytes().startswith(b"FAKE")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["volume.pdf", "volume.pdf.sig"]
    with pytest.raises(ValueError, match="dir"):
        DetachedSigner("cryptcp -signf -dir {dir} {in} {out}")


# --- transfer -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def transferred(archived: Archived, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The printouts of 5А proposed, approved and transferred today."""
    system, school = archived.system, archived.school
    accounts = system.journal.accounts
    who = accounts.create_account(
        "archivist", "Архивова", "Анна", "", ["archivist"], "arkhiv-secret-1", school.admin
    ).id
    accounts.confirm_role_grant(who, "archivist", school.head)
    out = tmp_path_factory.mktemp("transfer")
    [proposal] = system.records.propose(who, series=[PRINTOUT_5A])
    system.journal.retention.approve_disposition(proposal, school.head)
    return system.records.transfer(proposal, out, who, "Муниципальный архив (демо)")


def test_the_bag_holds_key_checkpoints_roots_crls_inventory_and_act(
    archived: Archived, transferred: dict
) -> None:
    bag = bagit.Bag(transferred["package"]["path"])
    bag.validate()
    data = Path(bag.path) / "data"
    listed = {str(p.relative_to(data)) for p in data.rglob("*") if p.is_file()}
    assert {
        "inventory.json",
        "ledger-checkpoint.json",
        "ledger/ledger-public-key.pem",
        "trust/root-1.pem",
        "trust/crl-1.crl",
        "transfer-act.pdf",
        "transfer-inventory.pdf",
    } <= listed
    # every checkpoint in the bag is signed by the key in the bag
    public = load_pem_public_key((data / "ledger/ledger-public-key.pem").read_bytes())
    checkpoints = sorted(data.glob("ledger/checkpoints/checkpoint-*.json"))
    assert len(checkpoints) == 2  # the volumes' (archive day) and the transfer's own
    for path in checkpoints:
        assert check_signature(Checkpoint.from_json(path.read_text()), public)  # type: ignore[arg-type]
    # the volumes with their signatures
    files = [p for p in listed if p.startswith("series/") and "/files/" in p]
    assert any(p.endswith(".pdf") for p in files)
    # the act and the inventory: PDF/A-2b in their first revision, readable, signed
    for name in ("transfer-act.pdf", "transfer-inventory.pdf"):
        pdf = (data / name).read_bytes()
        with pikepdf.open(io.BytesIO(pdf)) as opened:
            assert "pdfaid:part" in str(opened.open_metadata())
        end = pdf.index(b"%%EOF") + 5
        while pdf[end : end + 1] in (b"\r", b"\n"):
            end += 1
        assert pdfa.check(pdf[:end]).passed
    text = pdf_text(data / "transfer-act.pdf")
    assert f"№ {transferred['number']}" in text and "Муниципальный архив (демо)" in text
    inventory = pdf_text(data / "transfer-inventory.pdf")
    assert PRINTOUT_5A in inventory
    # the period in words and the cut-off as a Russian date, not «P0D» and ISO
    assert "0 дней" in inventory and "P0D" not in inventory
    assert "с 2026-" not in inventory and re.search(r"с \d\d\.\d\d\.2026", inventory)
    rsa_root = archived.system.settings.archiving.pki_dir / "root.pem"
    assert pyhanko_adesverify(data / "transfer-act.pdf", rsa_root) == 0
    if archived.gost:
        root = archived.system.settings.archiving.gost_dir / "root.pem"
        assert "trust/gost-root-1.pem" in listed
        for name in ("transfer-act.pdf", "transfer-inventory.pdf"):
            done = _openssl_verify(data / name, data / f"{name}.sig", root)
            assert done.returncode == 0, done.stderr
        # the act written to the certificates folder has its GOST signature too
        folder = archived.system.settings.certificates_dir
        act = folder / f"{act_stems(transferred)[0]}.pdf"
        assert _openssl_verify(act, act.with_name(act.name + ".sig"), root).returncode == 0


def test_after_the_transfer_register_and_verify_say_by_which_act(
    archived: Archived, transferred: dict
) -> None:
    system = archived.system
    number, today = transferred["number"], f"{clock.today():%d.%m.%Y}"
    entry = {e.series: e for e in system.records.register()}[PRINTOUT_5A]
    assert entry.state == "transferred" and entry.act_number == number
    listing = _cli(system.settings, "retention", "register", "--state", "transferred")
    assert f"передана по акту № {number} от {today}" in listing.output
    # the transferred copy in the bag: not REJECTED, but «передано по акту № …»
    data = Path(transferred["package"]["path"]) / "data"
    copy = next(p for p in data.rglob("journal-5А-*.pdf"))
    result = _cli(system.settings, "archive", "verify", str(copy))
    assert result.exit_code == 0, result.output
    assert f"передано по акту № {number} от {today} (TRANSFERRED)" in result.output
    assert "OK   ledger" in result.output and "REJECTED" not in result.output
    as_json = json.loads(_cli(system.settings, "archive", "verify", "--json", str(copy)).output)
    assert as_json["ok"] and as_json["transferred"].startswith(f"передано по акту № {number}")
    # a changed copy is still refused
    changed = copy.with_name("changed.pdf")
    changed.write_bytes(flip_byte(copy.read_bytes(), 0.5))
    refused = _cli(system.settings, "archive", "verify", str(changed))
    assert refused.exit_code == 1 and "REJECTED" in refused.output
