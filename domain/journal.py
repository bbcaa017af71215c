"""``Journal``: the application service of the electronic journal.

One event store and one notification log for every aggregate. Commands take plain values
and the acting account's id, enforce the rules through the aggregates, and return a
``Receipt``; queries return frozen dataclasses.
"""

from __future__ import annotations

from domain.access_log import AccessLogCommands
from domain.admin import AdminCommands
from domain.api_tokens import ApiTokenCommands
from domain.archive import ArchiveCommands
from domain.enrolment import EnrolmentCommands
from domain.entry import EntryCommands
from domain.queries import Queries
from domain.retention import RetentionCommands


class Journal(
    AdminCommands,
    EnrolmentCommands,
    EntryCommands,
    AccessLogCommands,
    RetentionCommands,
    ApiTokenCommands,
    ArchiveCommands,
    Queries,
):
    """The electronic journal («электронный журнал успеваемости»)."""

    name = "ejournal"
