"""``policies/retention.toml``: the shipped schedule, due dates, and every broken variant
named with its file and key."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from domain import errors
from domain.policies import Period, Policies
from domain.schedule import ClosedSeries, changes, legacy
from ejournal.policyfiles import PolicyError, load_policies
from tests.unit.conftest import POLICIES_DIR

JOURNAL = 'name = "class-journal"'


def test_the_shipped_schedule_has_the_classes_the_school_needs(policies: Policies) -> None:
    classes = policies.retention.classes
    assert {
        "class-journal",
        "extracurricular-journal",
        "annual-printout",
        "summary-sheet",
        "access-log",
        "personal-data",
    } <= set(classes)
    assert classes["class-journal"].period == Period(5)
    assert classes["summary-sheet"].period == Period(25)
    assert classes["personal-data"].trigger == "last_record_disposed"
    assert classes["retention-records"].permanent
    assert all(c.legal_basis for c in classes.values())


@pytest.mark.parametrize(
    ("series", "record_class"),
    [
        ("journal/2025-26/5А", "class-journal"),
        ("extracurricular/2025-26/chess", "extracurricular-journal"),
        ("printout/2025-26/5А", "annual-printout"),
        ("summary/2025-26/5А", "summary-sheet"),
        ("school-year/2025-26", "school-year"),
        ("access-log/2025-26", "access-log"),
        ("person/6f1d4a52-2f0c-4c55-9a53-0c3b1e1b7e10", "personal-data"),
        ("retention", "retention-records"),
    ],
)
def test_every_series_the_product_makes_has_a_class(
    policies: Policies, series: str, record_class: str
) -> None:
    assert policies.retention.class_of_series(series).name == record_class


def test_a_series_of_no_class_is_refused(policies: Policies) -> None:
    with pytest.raises(errors.NoRetentionSchedule):
        policies.retention.class_of_series("scrapbook/2025-26")


def test_due_is_the_day_after_the_period_ran_out(policies: Policies) -> None:
    """The shipped schedule counts from 1 January after the cut-off (archival practice)."""
    journal = policies.retention.classes["class-journal"]
    summary = policies.retention.classes["summary-sheet"]
    # A year closed on 30 June 2026: the period runs from 1 January 2027.
    assert journal.retained_until(date(2026, 6, 30)) == date(2031, 12, 31)
    assert journal.due_on(date(2026, 6, 30)) == date(2032, 1, 1)
    assert summary.due_on(date(2026, 6, 30)) == date(2052, 1, 1)
    # Closed late, on 5 December 2026: still from 1 January 2027; and on 2 January 2027
    # (after the new year) from 1 January 2028.
    assert journal.due_on(date(2026, 12, 5)) == date(2032, 1, 1)
    assert summary.due_on(date(2026, 12, 5)) == date(2052, 1, 1)
    assert journal.due_on(date(2027, 1, 2)) == date(2033, 1, 1)
    assert policies.retention.classes["retention-records"].due_on(date(2026, 6, 30)) is None


def test_every_class_closed_with_the_year_counts_from_january(policies: Policies) -> None:
    """Every shipped class cut off by the year's close counts from 1 January after it;
    personal data counts from its own cut-off (152-FZ art. 21: destroyed once the purpose
    is achieved, not kept to the next new year)."""
    for record_class in policies.retention.classes.values():
        expected = {
            "school_year_closed": "january_after_cut_off",
            "last_record_disposed": "cut_off",
        }.get(record_class.trigger)
        if expected:
            assert record_class.count_from == expected, record_class.name


def test_the_old_rule_counted_from_the_cut_off(policies: Policies) -> None:
    journal = policies.retention.classes["class-journal"]
    cut_off = journal.__class__(**{**vars(journal), "count_from": "cut_off"})
    assert cut_off.due_on(date(2026, 6, 30)) == date(2031, 7, 1)
    assert cut_off.due_on(date(2028, 2, 29)) == date(2033, 3, 1)  # 28 Feb kept, due 1 March


def test_a_file_without_count_from_defaults_by_trigger(folder: Path) -> None:
    path = folder / "retention.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('count_from = "january_after_cut_off"\n', "").replace(
            'count_from = "cut_off"\n', ""
        ),
        encoding="utf-8",
    )
    classes = load_policies(folder).retention.classes
    assert classes["class-journal"].count_from == "january_after_cut_off"
    assert classes["personal-data"].count_from == "cut_off"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, copy)
    return copy


def break_journal_class(folder: Path, old: str, new: str) -> list[str]:
    """Replace ``old`` by ``new`` inside the class-journal table; return the problems."""
    path = folder / "retention.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index(JOURNAL)
    end = text.index("[[classes]]", start)
    block = text[start:end]
    assert old in block, old
    path.write_text(text[:start] + block.replace(old, new, 1) + text[end:], encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policies(folder)
    return info.value.problems


BROKEN = {
    "unknown key": (
        'action = "destroy"',
        'action = "destroy"\ncolour = "red"',
        "retention.toml: classes.0.colour: Unknown field.",
    ),
    "missing period": (
        'period = "P5Y"\n',
        "",
        "retention.toml: classes.0.period: Missing data for required field.",
    ),
    "unknown action": (
        'action = "destroy"',
        'action = "shred"',
        "retention.toml: classes.0.action: Must be one of: destroy, transfer, review.",
    ),
    "unknown trigger": (
        'trigger = "school_year_closed"',
        'trigger = "pupil_graduated"',
        "retention.toml: classes.0.trigger: Must be one of: "
        "school_year_closed, last_record_disposed, none.",
    ),
    "malformed period": (
        'period = "P5Y"',
        'period = "5 years"',
        "retention.toml: classes.0.period: not a period: '5 years' (use P5Y, P6M, P30D or "
        "permanent)",
    ),
    "permanent with a trigger": (
        'period = "P5Y"',
        'period = "permanent"',
        'retention.toml: classes.0.trigger: "none" exactly when period is "permanent"',
    ),
    "a prefix claimed twice": (
        'series_prefixes = ["journal"]',
        'series_prefixes = ["journal", "summary"]',
        "retention.toml: classes.3.series_prefixes: 'summary' already belongs to class "
        "'class-journal'",
    ),
    "an article without «ст.»": (
        'list_article = "ст. 690"',
        'list_article = "690"',
        "retention.toml: classes.0.list_article: «ст. 690» (статья Перечня), «вне Перечня» или "
        "«не определена»",
    ),
    "an article run together": (
        'list_article = "ст. 690"',
        'list_article = "ст.690 Перечня"',
        "retention.toml: classes.0.list_article: «ст. 690»",
    ),
    "unknown approver role": (
        'approver_roles = ["head", "deputy"]',
        'approver_roles = ["janitor"]',
        "retention.toml: classes.0.approver_roles.0: Must be one of:",
    ),
}


@pytest.mark.parametrize("name", BROKEN)
def test_each_broken_variant_names_the_file_and_key(folder: Path, name: str) -> None:
    old, new, expected = BROKEN[name]
    problems = break_journal_class(folder, old, new)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_missing_retention_file_is_named(folder: Path) -> None:
    (folder / "retention.toml").unlink()
    with pytest.raises(PolicyError) as info:
        load_policies(folder)
    assert "retention.toml: missing" in info.value.problems


def test_a_deployment_with_no_recorded_schedule_had_dates_from_the_cut_off(
    policies: Policies,
) -> None:
    closed = [
        ClosedSeries("journal/2025-26/5А", "class-journal", date(2026, 6, 30)),
        ClosedSeries("summary/2025-26/5А", "summary-sheet", date(2026, 12, 5)),
        ClosedSeries("retention", "retention-records", date(2026, 6, 30)),
    ]
    moved = changes(legacy(policies.retention.schedule()), policies.retention, closed)
    assert [(c.series, c.before, c.after, c.earlier) for c in moved] == [
        ("journal/2025-26/5А", date(2031, 7, 1), date(2032, 1, 1), False),
        ("summary/2025-26/5А", date(2051, 12, 6), date(2052, 1, 1), False),
    ]


def test_every_shipped_class_states_its_article_in_the_list_of_retention_periods() -> None:
    from ejournal.policyfiles import load_policies
    from tests.conftest import ROOT

    policy = load_policies(ROOT / "policies").retention
    articles = {c.name: c.article for c in policy.classes.values()}
    assert articles["class-journal"] == "ст. 690"
    assert articles["personal-data"] == "вне Перечня"
    assert all(a for a in articles.values())
