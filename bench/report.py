"""The «Current results» table of docs/benchmarks.md, from the benchmarks' JSON files.

Every benchmark run with ``--json FILE`` writes its figures there (``bench.common.Figures``);
this prints them as one Markdown table — figure, backend, views mode, value, the raw limit
of the same run, the ratio, the target and the verdict — under a line per run (when, the
machine, its load, quick or full). ``make bench`` writes the files to ``var/bench/`` and
prints the table at the end.

    .venv/bin/python -m bench.report [FILE or DIRECTORY …]      (default: var/bench/)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.common import ROOT

ORDER = (
    "bench_store",
    "bench_projections",
    "bench_ledger",
    "bench_retention",
    "bench_web",
    "bench_archive",
    "bench_passwords",
)


def number(value: float) -> str:
    """A figure as the tables print it: whole numbers from 100 up, else three digits."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found += sorted(path.glob("*.json")) if path.is_dir() else [path]
    return found


def run_line(run: dict[str, Any]) -> str:
    mode = "quick (--quick: small sizes, a smoke run)" if run.get("quick") else "full"
    return (
        f"- `{run['script']}`: {run['started']}, {mode}, {run['machine']}, load average "
        f"{run['load_at_start']} at the start and {run.get('load_at_end', '?')} at the end "
        f"(1, 5, 15 min), {run.get('seconds', 0):.0f} s"
    )


def row(figure: dict[str, Any]) -> str:
    raw = figure.get("raw")
    ratio = figure.get("ratio")
    limit = f"{number(raw)} {figure.get('raw_label', '')}".strip() if raw else "—"
    cells = [
        figure["figure"],
        figure["backend"],
        figure["views"],
        f"{number(figure['value'])} {figure['unit']}",
        limit,
        f"{ratio:.2f}" if ratio is not None else "—",
        figure.get("target") or "—",
        figure.get("verdict") or "—",
    ]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def table(paths: list[Path]) -> str:
    """The runs and the Markdown table of every figure in ``paths``."""
    runs, rows = [], []
    rank = {name: k for k, name in enumerate(ORDER)}
    loaded = [json.loads(path.read_text(encoding="utf-8")) for path in files(paths)]
    for data in sorted(loaded, key=lambda d: rank.get(d["run"]["script"], len(ORDER))):
        runs.append(run_line(data["run"]))
        rows += [row(f) for f in data["figures"]]
    head = (
        "| figure | backend | views mode | value | raw limit (same run) | ratio | target | "
        "verdict |\n|---|---|---|---|---|---|---|---|"
    )
    return "\n".join(["Runs:", "", *runs, "", head, *rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[ROOT / "var" / "bench"])
    args = parser.parse_args(argv)
    if not files(args.paths):
        print(f"no figures in {', '.join(map(str, args.paths))} (run `make bench` first)")
        return 1
    print(table(args.paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
