"""The domain imports only the standard library and ``eventsourcing`` (DESIGN §1): checked
twice, since import-linter knows no allow-list of external packages.

1. Every import in ``domain/`` names the standard library, ``eventsourcing`` or ``domain``.
2. The import-linter contract that stands for the allow-list names every installed
   third-party top-level module but ``eventsourcing``, so it stays an allow-list when a
   dependency is added.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"eventsourcing", "domain"}
PROJECT = {"domain", "projections", "retention", "web", "ejournal"}
CONTRACT = "The domain uses only the standard library and eventsourcing"


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside domain
                continue
            found.append((node.lineno, node.module or ""))
    return found


def test_the_domain_imports_only_the_standard_library_and_eventsourcing() -> None:
    files = sorted((ROOT / "domain").rglob("*.py"))
    assert files
    outside = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in files
        for line, name in _imported(ast.parse(path.read_text(encoding="utf-8")))
        if (top := name.partition(".")[0]) not in sys.stdlib_module_names and top not in ALLOWED
    ]
    assert not outside, "the domain imports outside its allow-list:\n" + "\n".join(outside)


def _third_party() -> set[str]:
    """Installed top-level modules that are neither the standard library nor this project."""
    return {
        name
        for name in importlib.metadata.packages_distributions()
        if name.isidentifier() and name not in sys.stdlib_module_names and name not in PROJECT
    }


def test_the_domain_contract_forbids_every_installed_package_but_eventsourcing() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"] == CONTRACT]
    assert contract["type"] == "forbidden" and contract["source_modules"] == ["domain"]
    forbidden = set(contract["forbidden_modules"])
    assert "eventsourcing" not in forbidden
    expected = _third_party() - {"eventsourcing"}
    missing = sorted(expected - forbidden, key=str.lower)
    assert not missing, (
        f"add to the forbidden_modules of «{CONTRACT}» in pyproject.toml: {missing}; "
        "the whole list: " + ", ".join(f'"{n}"' for n in sorted(expected, key=str.lower))
    )
