"""Values in people's words: days as «ДД.ММ.ГГГГ» and moments in the school's time zone,
retention periods as «5 лет» or «постоянно» (Russian plural forms through Babel's
``ngettext``), and the Russian names of record and disposition states. Installed as Jinja
filters by ``install``; templates never show a stored code or an ISO text."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from domain import clock
from domain.policies import Period
from retention import words as shared

#: A series' state in the register (``projections.queries.records_register.STATES``).
RECORD_STATES = {
    "open": _l("открыт"),
    "closed": _l("закрыт"),
    "due": _l("подлежит уничтожению"),
    "proposed": _l("предложено к уничтожению"),
    "approved": _l("уничтожение одобрено"),
    "destroyed": _l("уничтожено"),
    "transferred": _l("передано в архив"),
    "permanent": _l("хранится постоянно"),
}

#: A disposition's state (``domain.disposition``), in the page's language.
DISPOSITION_STATES = {code: _l(words) for code, words in shared.DISPOSITION_STATES.items()}

#: What starts a retention period, in the page's language (``retention.words.TRIGGERS``).
TRIGGERS = {code: _l(words) for code, words in shared.TRIGGERS.items()}


def school_day(value: date | datetime | str | None) -> str:
    """A day as «ДД.ММ.ГГГГ»: a moment is taken in the school's time zone, an ISO text is
    read first; nothing gives «—»."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = clock.local_date(value) if value.tzinfo else value.date()
    return value.strftime("%d.%m.%Y")


def period_words(period: Period | None) -> str:
    """A retention period in words in the page's language: «5 лет», «1 год 6 месяцев»,
    «30 дней»; None (kept permanently) is «постоянно» (``retention.words``)."""
    return shared.period_words(period, ngettext, gettext)


def install(app: Flask) -> None:
    """The filters and names for every template."""
    app.add_template_filter(school_day, "school_day")
    app.add_template_filter(period_words, "period_words")
    app.jinja_env.globals.update(
        record_states=RECORD_STATES, disposition_states=DISPOSITION_STATES, triggers=TRIGGERS
    )
