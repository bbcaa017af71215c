"""What an ``ejournal`` process imports at start: the command line and a command that neither
signs, prints PDF nor serves pages leave pyHanko (≈ 1 s of CPU), the PDF makers and the web
app unimported — they come with the commands that use them (docs/benchmarks.md, «CLI
start-up»)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

#: Imported only by what signs or verifies (pyHanko), prints (reportlab, pikepdf) or serves
#: (Flask and the pages, ``web``).
HEAVY = ("pyhanko", "pyhanko_certvalidator", "pikepdf", "reportlab", "flask", "web")

_LOADED = """
import json, sys
{body}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set(sys.argv[1:]))))
"""


def _loaded(body: str, tmp_path: Path) -> list[str]:
    """The packages of ``HEAVY`` a fresh interpreter holds after running ``body``."""
    env = {
        "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        "EJOURNAL_POLICIES_DIR": str(ROOT / "policies"),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", _LOADED.format(body=body), *HEAVY],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    found: list[str] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_importing_the_command_line_imports_no_signing_pdf_or_web_package(tmp_path: Path):
    assert _loaded("import ejournal.cli", tmp_path) == []


def test_a_command_that_does_not_sign_leaves_pyhanko_unimported(tmp_path: Path):
    # `info` builds the whole system (journal, views, keyring, retention wiring)
    body = """
from ejournal.cli import main
try:
    main(["--create", "info"])
except SystemExit as stop:
    assert stop.code == 0, stop.code
"""
    assert _loaded(body, tmp_path) == []


def test_the_check_sees_a_signing_import(tmp_path: Path):
    # the same probe after importing the signers: pyHanko is there, so the checks above
    # would see it if the command line imported it again
    assert {"pyhanko", "pikepdf"} <= set(_loaded("import ejournal.signers", tmp_path))
