"""Policy files: every shipped file loads through its schema; broken copies are named errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ejournal.policyfiles import KNOWN, PolicyError, load_file, load_policies
from tests.unit.conftest import POLICIES_DIR

SHIPPED = sorted(p for p in POLICIES_DIR.glob("*") if p.is_file())


def test_the_policies_folder_is_not_empty():
    assert {p.name for p in SHIPPED} >= set(KNOWN)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_file_loads_through_its_schema(path):
    assert path.name in KNOWN, f"{path.name} has no schema in ejournal.policyfiles.KNOWN"
    built, problems = load_file(path, KNOWN[path.name])
    assert problems == []
    assert built is not None


def test_shipped_policies_say_what_the_rules_rely_on(policies):
    assert policies.grading.scale("five_point").values == ("1", "2", "3", "4", "5")
    assert policies.grading.kind("test").weight == 3
    assert policies.grading.exam_grades == frozenset({9, 11})
    assert set(policies.attendance.codes) == {"Н", "Б", "УП", "ОП"}
    assert policies.journal.entry_deadline_days == 3
    assert policies.journal.own_correction_days == 7
    assert policies.journal.late_entry_roles == frozenset({"deputy", "head"})
    assert policies.journal.reopen_requires_order is True


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped policies to break."""
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, copy)
    return copy


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policies(folder)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def test_the_copy_loads_before_it_is_broken(folder):
    assert load_policies(folder).journal.entry_deadline_days == 3


def test_every_shipped_scale_colours_every_value_and_every_kind_has_a_short(policies):
    """The grid colours marks from grading.toml and types kinds by their short (ADR 0018)."""
    for scale in policies.grading.scales.values():
        assert [v for v, _ in scale.colors] == list(scale.values), scale.code
    shorts = [k.short for k in policies.grading.kinds.values()]
    assert all(shorts) and len(set(shorts)) == len(shorts)
    assert not set(shorts) & {c.lower() for c in policies.attendance.codes}


BROKEN = {
    "a colour not #rrggbb": (
        "grading.toml",
        '"5" = "#1b7f3b"',
        '"5" = "green"',
        "grading.toml: scales.0.colors.5.value: not #rrggbb",
    ),
    "a colour of a value off the scale": (
        "grading.toml",
        '"5" = "#1b7f3b"',
        '"6" = "#1b7f3b"',
        "grading.toml: scales.0.colors: not on the scale",
    ),
    "a kind without its short": (
        "grading.toml",
        'short = "дз"\n',
        "",
        "grading.toml: kinds.1.short:",
    ),
    "a short twice": (
        "grading.toml",
        'short = "дз"',
        'short = "отв"',
        "grading.toml: kinds.1.short: duplicate short",
    ),
    "unknown key": (
        "grading.toml",
        'default_kind = "answer"',
        'default_kind = "answer"\ncolour = "red"',
        "grading.toml: colour:",
    ),
    "weight as a string": (
        "grading.toml",
        "weight = 2",
        'weight = "2"',
        "grading.toml: kinds.2.weight:",
    ),
    "weight as a boolean": (
        "grading.toml",
        "weight = 2",
        "weight = true",
        "grading.toml: kinds.2.weight:",
    ),
    "weight out of range": (
        "grading.toml",
        "weight = 2",
        "weight = 0",
        "grading.toml: kinds.2.weight:",
    ),
    "duplicate kind code": (
        "grading.toml",
        'code = "homework"',
        'code = "answer"',
        "grading.toml: kinds.1.code:",
    ),
    "duplicate scale code": (
        "grading.toml",
        'code = "pass_fail"',
        'code = "five_point"',
        "grading.toml: scales.1.code:",
    ),
    "passing value not on the scale": (
        "grading.toml",
        'passing = ["3", "4", "5"]',
        'passing = ["3", "4", "5", "6"]',
        "grading.toml: scales.0.passing:",
    ),
    "default scale not defined": (
        "grading.toml",
        'default_scale = "five_point"',
        'default_scale = "ten_point"',
        "grading.toml: default_scale:",
    ),
    "numeric as a string": (
        "grading.toml",
        "numeric = true",
        'numeric = "yes"',
        "grading.toml: scales.0.numeric:",
    ),
    "exam grade as a string": (
        "grading.toml",
        "grades = [9, 11]",
        'grades = ["9", 11]',
        "grading.toml: exams.grades.0:",
    ),
    "exam grade out of range": (
        "grading.toml",
        "grades = [9, 11]",
        "grades = [9, 13]",
        "grading.toml: exams.grades.1:",
    ),
    "exam grade twice": (
        "grading.toml",
        "grades = [9, 11]",
        "grades = [9, 9]",
        "grading.toml: exams.grades:",
    ),
    "no exam grade": (
        "grading.toml",
        "grades = [9, 11]",
        "grades = []",
        "grading.toml: exams.grades:",
    ),
    "unknown key under exams": (
        "grading.toml",
        "grades = [9, 11]",
        "grades = [9, 11]\nsubjects = []",
        "grading.toml: exams.subjects:",
    ),
    "duplicate attendance code": (
        "attendance.toml",
        'code = "Б"',
        'code = "Н"',
        "attendance.toml: codes.1.code:",
    ),
    "sensitive as a string": (
        "attendance.toml",
        "sensitive = true",
        'sensitive = "yes"',
        "attendance.toml: codes.1.sensitive:",
    ),
    "sensitive code without shown_as": (
        "attendance.toml",
        'shown_as = "УП"',
        "",
        "attendance.toml: codes.1.shown_as:",
    ),
    "shown_as meaning something else": (
        "attendance.toml",
        'shown_as = "УП"',
        'shown_as = "Н"',
        "attendance.toml: codes.1.shown_as: must have the same absent and excused",
    ),
    "shown_as not a code": (
        "attendance.toml",
        'shown_as = "УП"',
        'shown_as = "отс."',
        "attendance.toml: codes.1.shown_as: not a code",
    ),
    "unknown role may see sensitive codes": (
        "attendance.toml",
        'sensitive_roles = ["pupil",',
        'sensitive_roles = ["nurse",',
        "attendance.toml: sensitive_roles.0:",
    ),
    "absent as a number": (
        "attendance.toml",
        "absent = true",
        "absent = 1",
        "attendance.toml: codes.0.absent:",
    ),
    "unknown role": (
        "journal.toml",
        'approver_roles = ["deputy", "head"]',
        'approver_roles = ["deputy", "janitor"]',
        "journal.toml: approver_roles.1:",
    ),
    "deadline as a string": (
        "journal.toml",
        "entry_deadline_days = 3",
        'entry_deadline_days = "3"',
        "journal.toml: entry_deadline_days:",
    ),
    "deadline as a boolean": (
        "journal.toml",
        "entry_deadline_days = 3",
        "entry_deadline_days = true",
        "journal.toml: entry_deadline_days:",
    ),
    "deadline as a float": (
        "journal.toml",
        "entry_deadline_days = 3",
        "entry_deadline_days = 3.0",
        "journal.toml: entry_deadline_days:",
    ),
    "TOML syntax error": (
        "journal.toml",
        "entry_deadline_days = 3",
        "entry_deadline_days = = 3",
        "journal.toml: TOML syntax:",
    ),
    "digest time not HH:MM": (
        "notifications.toml",
        'digest_at = "18:00"',
        'digest_at = "25:00"',
        "notifications.toml: digest_at:",
    ),
    "unknown notification event": (
        "notifications.toml",
        '"final_mark"]',
        '"final_mark", "weather"]',
        "notifications.toml: events.4:",
    ),
    "rounding fraction as a string": (
        "grading.toml",
        "round_up_from = 0.5",
        'round_up_from = "0.5"',
        "grading.toml: final_marks.round_up_from: not a number",
    ),
    "rounding fraction of a whole mark": (
        "grading.toml",
        "round_up_from = 0.5",
        "round_up_from = 1.0",
        "grading.toml: final_marks.round_up_from: must be from 0.01 to 0.99",
    ),
    "rounding fraction with three places": (
        "grading.toml",
        "round_up_from = 0.5",
        "round_up_from = 0.555",
        "grading.toml: final_marks.round_up_from: at most two decimal places",
    ),
    "reason switch as a string": (
        "grading.toml",
        "reason_when_differs = true",
        'reason_when_differs = "yes"',
        "grading.toml: final_marks.reason_when_differs:",
    ),
    "unknown key of final marks": (
        "grading.toml",
        "reason_when_differs = true",
        "reason_when_differs = true\nround_to = 1",
        "grading.toml: final_marks.round_to:",
    ),
    "final marks without the reason switch": (
        "grading.toml",
        "reason_when_differs = true",
        "",
        "grading.toml: final_marks.reason_when_differs:",
    ),
    "pupil age as a string": (
        "notifications.toml",
        "pupil_min_age = 14",
        'pupil_min_age = "14"',
        "notifications.toml: pupil_min_age:",
    ),
    "no retries": (
        "notifications.toml",
        "retry_minutes = [1, 5, 30, 120, 480]",
        "retry_minutes = []",
        "notifications.toml: retry_minutes:",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_copy_is_reported_with_file_and_key(folder, case):
    name, old, new, expected = BROKEN[case]
    edit(folder, name, old, new)
    problems = problems_of(folder)
    assert any(p.startswith(expected) for p in problems), problems
    assert all(p.startswith(f"{name}: ") for p in problems), problems


def test_final_marks_rules_and_the_files_version_are_read(folder):
    """ADR 0024: ``[final_marks]`` sets the rounding and the reason rule (a reason is asked
    by default, when the section is absent); the version is sha256 of the file's bytes."""
    import hashlib

    policies = load_policies(folder)
    grading = policies.grading
    assert (grading.round_up_from, grading.reason_when_differs) == ("0.5", True)
    raw = (folder / "grading.toml").read_bytes()
    assert grading.content_hash == hashlib.sha256(raw).hexdigest()
    edit(folder, "grading.toml", "round_up_from = 0.5", "round_up_from = 0.6")
    edit(folder, "grading.toml", "reason_when_differs = true", "reason_when_differs = false")
    changed = load_policies(folder).grading
    assert (changed.round_up_from, changed.reason_when_differs) == ("0.6", False)
    assert changed.content_hash != grading.content_hash
    edit(folder, "grading.toml", "[final_marks]", "")
    edit(folder, "grading.toml", "round_up_from = 0.6", "")
    edit(folder, "grading.toml", "reason_when_differs = false", "")
    default = load_policies(folder).grading
    assert (default.round_up_from, default.reason_when_differs) == ("0.5", True)
    # a byte that changes no rule is still another version
    path = folder / "grading.toml"
    path.write_bytes(path.read_bytes() + b"\n# comment\n")
    assert load_policies(folder).grading.content_hash != default.content_hash


def test_missing_file_is_reported(folder):
    (folder / "journal.toml").unlink()
    assert problems_of(folder) == ["journal.toml: missing"]


def test_unreadable_file_is_reported_by_load_file(tmp_path):
    built, problems = load_file(tmp_path / "grading.toml", KNOWN["grading.toml"])
    assert built is None
    assert len(problems) == 1 and problems[0].startswith("grading.toml: cannot read:")


def test_file_without_a_schema_is_reported(folder):
    (folder / "holidays.toml").write_text('start = "2025-10-27"\n', encoding="utf-8")
    [problem] = problems_of(folder)
    assert problem.startswith("holidays.toml: unknown policy file")


def test_every_problem_of_every_file_is_listed(folder):
    edit(folder, "grading.toml", "weight = 2", 'weight = "2"')
    edit(folder, "attendance.toml", 'code = "Б"', 'code = "Н"')
    (folder / "journal.toml").unlink()
    (folder / "extra.toml").write_text("", encoding="utf-8")
    problems = problems_of(folder)
    assert [p.split(":", 1)[0] for p in problems] == [
        "extra.toml",
        "grading.toml",
        "attendance.toml",
        "journal.toml",
    ]


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path / "nowhere")
    assert "policies folder not found" in info.value.problems[0]


def test_non_toml_file_without_a_schema_is_reported(folder):
    (folder / "grading.yml").write_text("default_scale: ten_point\n", encoding="utf-8")
    problems_of(folder)


def test_notifications_are_read_from_the_file_and_optional(folder):
    edit(folder, "notifications.toml", 'digest_at = "18:00"', 'digest_at = "19:30"')
    edit(folder, "notifications.toml", "pupil_min_age = 14", "pupil_min_age = 16")
    policy = load_policies(folder).extra["notifications.toml"]
    assert (policy.digest_at.hour, policy.digest_at.minute, policy.pupil_min_age) == (19, 30, 16)
    assert len(policy.consent_version) == 16 and "согласие" in policy.consent_text
    (folder / "notifications.toml").unlink()
    assert "notifications.toml" not in load_policies(folder).extra  # the defaults apply


def test_sensitive_codes_are_read_from_the_file(folder):
    attendance = load_policies(folder).attendance
    assert [c for c, v in attendance.codes.items() if v.sensitive] == ["Б"]
    assert attendance.shown("Б") == "УП" and attendance.shown("Н") == "Н"
    assert attendance.may_see_sensitive({"teacher"}) and not attendance.may_see_sensitive(
        {"auditor", "archivist", "admin"}
    )


def test_a_role_entering_attendance_must_see_sensitive_codes(folder):
    """It would otherwise save the «УП» it is shown over a pupil's «Б»."""
    edit(folder, "attendance.toml", '"teacher", ', "")
    problems = problems_of(folder)
    assert problems == [
        "attendance.toml: sensitive_roles: lacks teacher, who enters attendance "
        "(access.toml journal.enter) and would save the code shown over a sensitive one"
    ]
