"""Long-term validation of the annual archive (ADR 0008): a volume refreshed in time by
``archive refresh`` still verifies 25 years on; a copy left as it was does not.

The clock is controlled for real: every ``refresh`` and the final ``verify`` run as
subprocesses under ``faketime`` (libfaketime; .ci/run installs it), so pyHanko, the demo
TSA, the CRLs and the event store all see the same future date. The demo PKI here is
short-lived (signer 1 year, TSA 6 years, CRL 4 years, margin 180 days) so 25 years take a
handful of refreshes; ``keys demo`` makes real lifetimes (root 20 y, signer 3 y, TSA 10 y,
CRL 4 weeks)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from domain import clock
from ejournal.archiving import archiver, trust_roots
from ejournal.bootstrap import System, build
from ejournal.pki import Lifetimes, make_demo_pki
from ejournal.settings import Settings
from projections.views import archive as archive_view
from retention.archive import ltv
from retention.archive.verify import verify_file
from tests.archive_helpers import complete_school
from tests.conftest import ROOT
from tests.school import at

SHORT = Lifetimes(
    root=timedelta(days=365 * 40),
    signer=timedelta(days=365),
    tsa=timedelta(days=365 * 6),
    crl=timedelta(days=365 * 4),
)
MARGIN_DAYS = 180
YEARS_25 = timedelta(days=365 * 25 + 7)


def _env(tmp: Path) -> dict[str, str]:
    return {
        "EJOURNAL_VAR_DIR": str(tmp / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
        "EJOURNAL_SCHOOL": "test",
        "EJOURNAL_ARCHIVE_REFRESH_MARGIN_DAYS": str(MARGIN_DAYS),
    }


def _faketime() -> str:
    path = shutil.which("faketime")
    if path is None:
        pytest.fail("faketime is not installed (package faketime; .ci/run installs it)")
    return path


def _cli(env: dict[str, str], moment: datetime, *args: str) -> subprocess.CompletedProcess[str]:
    stamp = moment.astimezone(UTC).strftime("@%Y-%m-%d %H:%M:%S")
    command = [_faketime(), "-f", stamp, sys.executable, "-m", "ejournal.cli", *args]
    full = {"PATH": "/usr/bin:/bin", "TZ": "UTC", "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        command, env=full, capture_output=True, text=True, timeout=600, check=False
    )


@dataclass
class Archived:
    env: dict[str, str]
    settings: Settings
    files: list[Path]
    start: datetime


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archived]:
    """A complete school archived with the short-lived demo PKI (SQLite)."""
    tmp = tmp_path_factory.mktemp("ltv")
    env = _env(tmp)
    settings = Settings.from_env(env)
    start = datetime.now(UTC)
    make_demo_pki(settings.archiving.pki_dir, "test", now=start, lifetimes=SHORT)
    with build(settings) as system:
        data = complete_school(system)
        with clock.travel(at(date(2026, 6, 5), 11)):
            archiver(system).close_year(data.school.year_id, data.school.head)
    files = sorted((settings.archiving.folder / "2025-26").glob("*.pdf"))
    yield Archived(env, settings, files, start)


def _volumes(system: System) -> list[archive_view.Volume]:
    system.views.catch_up()
    with system.views.reader() as reader:
        rows = reader.select(archive_view.VOLUMES, {})
        return [archive_view._volume(r, system.views.sealer) for r in rows]


def test_capture_records_each_volumes_horizon(archived: Archived) -> None:
    with build(archived.settings) as system:
        volumes = _volumes(system)
    assert volumes and all(v.valid_until for v in volumes)
    for v in volumes:
        horizon = ltv.horizon((archived.settings.archiving.folder / v.file_name).read_bytes())
        # the signer's certificate (1 year) ends before any CRL issued after the signature
        # is in the file: the first refresh must come before it (ETSI's grace period)
        assert horizon.signer_pending is not None and horizon.reason().startswith("signer")
        assert horizon.crl_next_update is not None and horizon.tsa_not_after is not None
        assert horizon.valid_until < horizon.crl_next_update < horizon.tsa_not_after
        assert v.valid_until == horizon.valid_until.replace(microsecond=0).isoformat()


def test_verify_at_a_future_date_sees_the_horizon(archived: Archived) -> None:
    data = archived.files[0].read_bytes()
    horizon = ltv.horizon(data)
    crl_end = horizon.crl_next_update
    assert crl_end is not None
    with build(archived.settings) as system:
        roots = trust_roots(archived.settings.archiving)

        def failed_at(moment: datetime) -> set[str]:
            report = verify_file(data, roots, system.views, system.ledger, None, moment)
            return {c.name for c in report.checks if not c.ok}

        before = failed_at(crl_end - timedelta(days=2))
        crl_stale = failed_at(crl_end + timedelta(days=2))
    assert before == set()
    # the signature stays proved by the timestamp; the timestamp itself is no longer
    # checkable once the CRL the file carries for its TSA is past its next update
    assert crl_stale == {"document timestamp 1/1"}


def test_refreshed_in_time_verifies_at_25_years_and_a_copy_left_alone_does_not(
    archived: Archived, tmp_path: Path
) -> None:
    target = archived.files[0]
    untouched = tmp_path / "untouched.pdf"
    untouched.write_bytes(target.read_bytes())
    end = archived.start + YEARS_25
    runs = 0
    while True:
        horizon = ltv.horizon(target.read_bytes())
        due = horizon.valid_until - timedelta(days=MARGIN_DAYS - 1)
        if horizon.valid_until > end or runs > 12:
            break
        done = _cli(archived.env, due, "archive", "refresh", "--as", "head")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "обновлён" in done.stdout and "действительна до" in done.stdout
        assert "Traceback" not in done.stderr
        runs += 1
    assert 5 <= runs <= 12
    refreshed = ltv.horizon(target.read_bytes())
    assert refreshed.timestamps == runs + 1 and refreshed.valid_until > end
    with build(archived.settings) as system:
        volume = next(v for v in _volumes(system) if target.name in v.file_name)
    assert volume.refreshes == runs and volume.sha256 != ""

    good = _cli(archived.env, end, "archive", "verify", "--json", str(target))
    report = json.loads(good.stdout)
    assert good.returncode == 0, [c for c in report["checks"] if not c["ok"]]
    names = [c["name"] for c in report["checks"]]
    assert f"document timestamp {runs + 1}/{runs + 1}" in names
    assert "register" in names and "ledger" in names

    bad = _cli(archived.env, end, "archive", "verify", "--json", str(untouched))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    lines = {c["name"]: c for c in json.loads(bad.stdout)["checks"]}
    assert {n for n, c in lines.items() if not c["ok"]} == {"document timestamp 1/1", "register"}
    assert "trusted=False (" in lines["document timestamp 1/1"]["detail"]


def test_a_second_refresh_the_same_day_has_nothing_to_do(archived: Archived) -> None:
    now = datetime.now(UTC)
    done = _cli(archived.env, now, "archive", "refresh", "--as", "head")
    assert done.returncode == 0, done.stderr
    assert "обновлён" not in done.stdout and "(действует: " in done.stdout


def test_records_page_shows_each_volumes_horizon_and_next_refresh(archived: Archived) -> None:
    from ejournal.webapp import web_app
    from tests.web import sign_in

    with build(archived.settings) as system:
        volumes = _volumes(system)
        client = web_app(system, testing=True).test_client()
        sign_in(client, "head", "direktor-secret-1")
        page = client.get("/records/archive").get_data(as_text=True)
    assert "Действительна до" in page and "Следующее обновление" in page
    for v in volumes:
        assert v.valid_until
        until = clock.local_date(datetime.fromisoformat(v.valid_until))
        refresh = clock.local_date(
            datetime.fromisoformat(v.valid_until) - timedelta(days=MARGIN_DAYS)
        )
        row = page[page.index(v.file_name) :].split("</tr>")[0]
        assert until.strftime("%d.%m.%Y") in row and refresh.strftime("%d.%m.%Y") in row
        assert "сводная ведомость" in row or "классный журнал" in row
