"""Words of the records that the command line and the web UI share: retention periods as
«5 лет» or «постоянно» (Russian plural forms), and what starts a period.

The message ids are Russian, as everywhere in the UI. The web passes its own ``gettext`` and
``ngettext`` (Flask-Babel: the page's language, the catalogues in ``web/translations``, to
which ``make translations`` extracts this module too); the command line, the plan and its
JSON use the Russian defaults here. No web framework is imported (import-linter)."""

from __future__ import annotations

from collections.abc import Callable

from domain.policies import Period

#: ``gettext(message)`` and ``ngettext(singular, plural, num)`` (``%(num)s`` filled in).
Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


def N_(message: str) -> str:  # noqa: N802 (the usual name of the marker for extraction)
    """Marks a message for the catalogue; translated where it is shown."""
    return message


#: The «few» form (2–4, 22–24 …) of each plural message of this module and of
#: ``retention.rules``; Russian has three. A message missing here falls back to its plural.
_FEW = {
    "%(num)s год": "%(num)s года",
    "%(num)s месяц": "%(num)s месяца",
    "%(num)s день": "%(num)s дня",
    "%(num)s символ": "%(num)s символа",
}


def russian_plural(num: int, one: str, few: str, many: str) -> str:
    """The Russian plural form for ``num`` (CLDR): ``one`` for 1, 21, 101 …, ``few`` for
    2–4, 22–24 …, ``many`` for the rest (0, 5–20, 25 …, 111 …)."""
    n10, n100 = num % 10, num % 100
    if n10 == 1 and n100 != 11:
        return one
    if 2 <= n10 <= 4 and not 12 <= n100 <= 14:
        return few
    return many


def russian_ngettext(singular: str, plural: str, num: int) -> str:
    """Russian plural forms (CLDR: one, few, many) of the messages of this module and of
    ``retention.rules``."""
    return russian_plural(num, singular, _FEW.get(singular, plural), plural) % {"num": num}


def period_words(
    period: Period | None, ngettext: Ngettext = russian_ngettext, gettext: Gettext = N_
) -> str:
    """A retention period in words: «5 лет», «1 год 6 месяцев», «30 дней»; None (kept
    permanently) is «постоянно»."""
    if period is None:
        return gettext("постоянно")
    parts = []
    if period.years:
        parts.append(ngettext("%(num)s год", "%(num)s лет", period.years))
    if period.months:
        parts.append(ngettext("%(num)s месяц", "%(num)s месяцев", period.months))
    if period.days or not parts:
        parts.append(ngettext("%(num)s день", "%(num)s дней", period.days))
    return " ".join(parts)


#: What starts a retention period (``policies/retention.toml``, ``trigger``).
TRIGGERS = {
    "school_year_closed": N_("закрытие учебного года"),
    "last_record_disposed": N_("уничтожены последние документы, где упомянут человек"),
    "none": N_("не наступает"),
}

#: What a disposition does with a due series (``policies/retention.toml``, ``action``).
ACTIONS = {
    "destroy": N_("уничтожение"),
    "transfer": N_("передача в архив"),
    "review": N_("экспертиза ценности"),
}

#: A disposition's state (``domain.disposition``).
DISPOSITION_STATES = {
    "proposed": N_("предложено"),
    "approved": N_("одобрено"),
    "rejected": N_("отклонено"),
    "executed": N_("уничтожено"),
    "transferred": N_("передано"),
}

#: The kinds of an annual archive volume (``retention.archive``).
VOLUME_KINDS = {
    "journal": N_("классный журнал"),
    "summary": N_("сводная ведомость"),
    "extracurricular": N_("журнал внеурочной деятельности"),
}

#: What ``archive refresh`` did with a volume (``retention.archive.refresh.Outcome.state``).
REFRESH_STATES = {
    "current": N_("действует"),
    "refreshed": N_("обновлён"),
    "failed": N_("не обновлён"),
}
