"""The regulation's rules in words (``retention.rules``): every value comes from the loaded
``JournalRegulation``, in Russian plural forms, roles named in a fixed order."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import retention.rules
import retention.words
from ejournal.policyfiles import load_policies
from retention.archive.render import sheets_noun
from retention.rules import days_words, journal_rules, roles_words
from retention.words import russian_ngettext, russian_plural

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


def test_one_russian_plural_table_serves_the_rules_and_the_retention_words():
    """``retention.rules`` and ``retention.words`` share ``russian_ngettext`` and its table of
    «few» forms: every plural message either module writes has its «few» form there."""
    for module in (retention.rules, retention.words):
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        singulars = re.findall(r'ngettext\(\s*"([^"]+)"', source)
        assert singulars, module.__name__
        for singular in singulars:
            assert russian_ngettext(singular, "-", 3) != "-", (module.__name__, singular)
    assert [russian_ngettext("%(num)s символ", "%(num)s символов", n) for n in (1, 3, 12)] == [
        "1 символ",
        "3 символа",
        "12 символов",
    ]
    assert [russian_ngettext("%(num)s год", "%(num)s лет", n) for n in (21, 22, 25)] == [
        "21 год",
        "22 года",
        "25 лет",
    ]


def test_the_russian_plural_rule_is_written_once():
    """``russian_plural`` (CLDR one, few, many) serves the messages, the destruction act's
    periods and the archive volume's sheet count."""
    numbers = (0, 1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 112, 122)
    assert "".join(russian_plural(n, "o", "f", "m") for n in numbers) == "moffmmmmofmommf"
    assert [sheets_noun(n) for n in (1, 3, 11, 21, 24, 111)] == [
        "лист",
        "листа",
        "листов",
        "лист",
        "листа",
        "листов",
    ]
