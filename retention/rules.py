"""The journal regulation's rules in words, each with its current value read from the loaded
policies (``policies/journal.toml`` as ``domain.policies.JournalRegulation``): the entry
deadline, the own-correction window, who approves later corrections, late entries, who closes
terms, the shortest reason.

One wording for every place that states the rules: the help pages (``web/help_pages.py``, in the
page's language) and the generated regulation documents (issue 18 §4, Russian). Nothing here
holds a number: change the policy file and every text changes with it.

As ``retention.words``: the message ids are Russian; the web passes Flask-Babel's ``gettext``
and ``ngettext`` (``make translations`` extracts this module), documents and the command line
use the Russian defaults. No web framework is imported (import-linter)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.policies import JournalRegulation
from retention.words import N_, Gettext, Ngettext, russian_ngettext

#: Role names as the rules use them (nominative, lower case; ``domain.account.ROLES``).
ROLE_WORDS = {
    "teacher": N_("учитель"),
    "class_teacher": N_("классный руководитель"),
    "deputy": N_("заместитель директора"),
    "head": N_("директор"),
    "admin": N_("администратор"),
    "auditor": N_("аудитор"),
    "archivist": N_("архивист"),
    "parent": N_("родитель (законный представитель)"),
    "pupil": N_("обучающийся"),
}

#: The order roles are named in («заместитель директора или директор»).
_ORDER = tuple(ROLE_WORDS)


@dataclass(frozen=True)
class Rule:
    """One rule of the regulation: a stable ``key`` (the help page's anchor, a document's
    paragraph), its ``title``, the sentence with the value in it, and the raw ``value``."""

    key: str
    title: str
    text: str
    value: object


def days_words(days: int, ngettext: Ngettext = russian_ngettext) -> str:
    """«1 день», «3 дня», «7 дней» (calendar days, as the domain counts them)."""
    return ngettext("%(num)s день", "%(num)s дней", days)


def roles_words(roles: Iterable[str], gettext: Gettext = N_) -> str:
    """«заместитель директора или директор»: the roles in a fixed order joined by «или»."""
    chosen = set(roles)
    names = [gettext(ROLE_WORDS[r]) for r in _ORDER if r in chosen]
    names += sorted(r for r in chosen if r not in ROLE_WORDS)  # a role the policy invented
    if not names:
        return gettext("никто")
    if len(names) == 1:
        return names[0]
    return gettext("%(some)s или %(last)s") % {"some": ", ".join(names[:-1]), "last": names[-1]}


def journal_rules(
    regulation: JournalRegulation, gettext: Gettext = N_, ngettext: Ngettext = russian_ngettext
) -> list[Rule]:
    """The rules of ``policies/journal.toml`` in words, in the order a regulation states
    them. Russian by default; pass the page's ``gettext``/``ngettext`` for its language."""
    deadline = regulation.entry_deadline_days
    if deadline == 0:
        entry = gettext(
            "Тему урока, домашнее задание, отметки и посещаемость учитель вносит в журнал "
            "в день урока."
        )
    else:
        entry = gettext(
            "Тему урока, домашнее задание, отметки и посещаемость учитель вносит в журнал "
            "не позднее чем через %(days)s после урока."
        ) % {"days": days_words(deadline, ngettext)}
    approvers = roles_words(regulation.approver_roles, gettext)
    rules = [
        Rule("entry-deadline", gettext("Срок внесения записей"), entry, deadline),
        Rule(
            "own-correction",
            gettext("Срок самостоятельного исправления"),
            gettext(
                "Свою отметку автор может исправить или отменить сам в течение %(days)s "
                "после её выставления, указав причину; исходная отметка остаётся в истории."
            )
            % {"days": days_words(regulation.own_correction_days, ngettext)},
            regulation.own_correction_days,
        ),
        Rule(
            "approvers",
            gettext("Кто согласует исправления"),
            gettext(
                "Позже исправление делается запросом; его согласует %(roles)s. Свой запрос "
                "согласовать нельзя."
            )
            % {"roles": approvers},
            tuple(r for r in _ORDER if r in regulation.approver_roles),
        ),
        Rule(
            "late-entry",
            gettext("Записи после срока"),
            gettext(
                "Учитель, не внёсший записи за урок в срок, просит разрешения; его даёт "
                "%(roles)s. После разрешения записи за этот урок можно внести в день "
                "разрешения и ещё %(days)s. Без разрешения после срока записи вносит "
                "%(late)s, и они отмечаются как внесённые после срока."
            )
            % {
                "roles": approvers,
                "days": days_words(regulation.late_entry_days, ngettext),
                "late": roles_words(regulation.late_entry_roles, gettext),
            },
            regulation.late_entry_days,
        ),
    ]
    if regulation.reopen_requires_order:
        periods = gettext(
            "Учебные периоды закрывает %(roles)s; закрытый период открывают вновь только "
            "с указанием причины и номера приказа."
        )
    else:
        periods = gettext(
            "Учебные периоды закрывает %(roles)s; закрытый период открывают вновь с "
            "указанием причины."
        )
    rules.append(
        Rule(
            "periods",
            gettext("Закрытие учебных периодов"),
            periods % {"roles": roles_words(regulation.period_roles, gettext)},
            tuple(r for r in _ORDER if r in regulation.period_roles),
        )
    )
    rules.append(
        Rule(
            "reason",
            gettext("Причина"),
            gettext(
                "Наименьшая длина причины исправления, отмены отметки или повторного "
                "открытия периода: %(length)s."
            )
            % {
                "length": ngettext(
                    "%(num)s символ", "%(num)s символов", regulation.min_reason_length
                )
            },
            regulation.min_reason_length,
        )
    )
    return rules
