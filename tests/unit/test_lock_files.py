"""The lock files (requirements/*.txt, written by `make lock`) agree with pyproject.toml.

`make run` and `make test` install the lock files, then the product with --no-deps: a
dependency added to pyproject.toml but not locked would be missing (or installed at whatever
version happens to be there). When these tests fail, run `make lock` and commit the result."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

PIN = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)", re.M
)


def _pins(name: str) -> dict[str, tuple[str, int]]:
    """name → (version, number of hashes) of every package the lock file pins."""
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    return {canonicalize_name(m[1]): (m[2], m[3].count("--hash=")) for m in PIN.finditer(text)}


def _project() -> dict[str, list[str]]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    run = list(project["dependencies"])
    return {"run.txt": run, "dev.txt": run + project["optional-dependencies"]["dev"]}


@pytest.mark.parametrize("lock", ["run.txt", "dev.txt"])
def test_every_dependency_is_locked_within_its_range_with_hashes(lock: str) -> None:
    pins = _pins(lock)
    assert pins, f"requirements/{lock} pins nothing"
    unhashed = sorted(name for name, (_, hashes) in pins.items() if not hashes)
    assert unhashed == [], f"requirements/{lock}: pinned without a hash"
    for line in _project()[lock]:
        wanted = Requirement(line)
        if wanted.marker is not None and not wanted.marker.evaluate():
            continue
        name = canonicalize_name(wanted.name)
        assert name in pins, f"{wanted.name} is not in requirements/{lock}: run make lock"
        version = pins[name][0]
        assert wanted.specifier.contains(version, prereleases=True), (
            f"requirements/{lock} pins {wanted.name}=={version} outside {line!r}: run make lock"
        )


def test_the_runtime_lock_has_the_versions_of_the_development_lock() -> None:
    run, dev = _pins("run.txt"), _pins("dev.txt")
    differ = {
        name: (version, dev.get(name, ("missing",))[0])
        for name, (version, _) in run.items()
        if dev.get(name, ("missing",))[0] != version
    }
    assert differ == {}, "run make lock: it locks run.txt from dev.txt's versions"
