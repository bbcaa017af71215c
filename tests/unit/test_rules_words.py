"""The regulation's rules in words (``retention.rules``): every value comes from the loaded
``JournalRegulation``, in Russian plural forms, roles named in a fixed order."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ejournal.policyfiles import load_policies
from retention.rules import days_words, journal_rules, roles_words

POLICIES = Path(__file__).resolve().parents[2] / "policies"


def _texts(regulation) -> dict[str, str]:
    return {rule.key: rule.text for rule in journal_rules(regulation)}


def test_the_rules_state_the_values_of_the_policy_files():
    regulation = load_policies(POLICIES).journal
    texts = _texts(regulation)
    assert list(texts) == [
        "entry-deadline",
        "own-correction",
        "approvers",
        "late-entry",
        "periods",
        "reason",
    ]
    assert days_words(regulation.entry_deadline_days) in texts["entry-deadline"]
    assert days_words(regulation.own_correction_days) in texts["own-correction"]
    assert roles_words(regulation.approver_roles) in texts["approvers"]


def test_changed_values_change_every_text():
    regulation = load_policies(POLICIES).journal
    changed = replace(
        regulation,
        entry_deadline_days=1,
        own_correction_days=12,
        approver_roles=frozenset({"head"}),
        late_entry_days=22,
        period_roles=frozenset({"head", "deputy"}),
        reopen_requires_order=False,
        min_reason_length=21,
    )
    texts = _texts(changed)
    assert "не позднее чем через 1 день после урока" in texts["entry-deadline"]
    assert "в течение 12 дней после её выставления" in texts["own-correction"]
    assert "его согласует директор." in texts["approvers"]
    assert "и ещё 22 дня" in texts["late-entry"]
    assert texts["periods"].startswith(
        "Учебные периоды закрывает заместитель директора или директор"
    )
    assert "приказа" not in texts["periods"]
    assert texts["reason"].endswith(": 21 символ.")
    assert _texts(replace(regulation, min_reason_length=3))["reason"].endswith(": 3 символа.")
    same_day = _texts(replace(regulation, entry_deadline_days=0))["entry-deadline"]
    assert same_day.endswith("в день урока.") and "через" not in same_day


def test_role_lists_read_as_russian():
    assert (
        roles_words(["head", "deputy", "admin"])
        == "заместитель директора, директор или администратор"
    )
    assert roles_words([]) == "никто"
    assert [days_words(n) for n in (1, 2, 5, 11, 21, 24)] == [
        "1 день",
        "2 дня",
        "5 дней",
        "11 дней",
        "21 день",
        "24 дня",
    ]
