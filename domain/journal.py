"""``Journal``: the application service of the electronic journal.

One event store and one notification log for every aggregate. The commands are grouped by
feature and composed on the one application, so a call site names its group:
``journal.entry.record_marks(...)``, ``journal.grades.set_term_mark(...)``,
``journal.retention.place_hold(...)``. Commands take plain values and the acting account's
id, enforce the rules through the aggregates, and return a ``Receipt``; queries
(``journal.queries``) return frozen dataclasses. Loading, saving with retries, the acting
account and the fact cache stay on the application (``domain/service.py``).
"""

from __future__ import annotations

from domain.access_log import AccessLog
from domain.admin import Accounts, Classes, People, School
from domain.api_tokens import Tokens
from domain.archive import Archive
from domain.entry import Entry, Grades
from domain.notifications import Notifications
from domain.policy_set import Rules
from domain.queries import Queries
from domain.retention import Retention
from domain.scheduling import Scheduling
from domain.school_profile import Profiles
from domain.service import JournalBase


class Journal(JournalBase):
    """The electronic journal («электронный журнал успеваемости»)."""

    name = "ejournal"

    def compose(self) -> None:
        """The command groups, one per feature (``docs/adr/0010-command-groups.md``)."""
        #: The school year and its terms.
        self.school = School(self)
        #: Pupils and guardians.
        self.people = People(self)
        #: Accounts, roles, passwords, locks, failed sign-ins.
        self.accounts = Accounts(self)
        #: Classes, extracurricular groups, course journals, enrolment, class-list import.
        self.classes = Classes(self)
        #: Lessons, marks, attendance, corrections and correction requests.
        self.entry = Entry(self)
        #: The timetable (bells, days off, weekly patterns, substitutions), thematic plans.
        self.timetable = Scheduling(self)
        #: Term and year marks.
        self.grades = Grades(self)
        #: Who saw which pupils' personal data.
        self.access_log = AccessLog(self)
        #: The school year's cut-off, series files, holds, dispositions.
        self.retention = Retention(self)
        #: API tokens.
        self.tokens = Tokens(self)
        #: The school's details (name, address, head, OGRN, INN) printed on documents.
        self.profile = Profiles(self)
        #: The policies in force, recorded at start-up, and the head's approvals.
        self.rules = Rules(self)
        #: Volumes of the annual archive.
        self.archive = Archive(self)
        #: E-mail notifications: consent given and withdrawn (ADR 0023).
        self.notifications = Notifications(self)
        #: The current state of single records (lessons, people, accounts, histories).
        self.queries = Queries(self)
