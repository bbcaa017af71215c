"""``ejournal documents`` and the head's page: the school's regulations made from the
approved policies and live data, as signed PDF/A (ADR 0025).

The approved version's texts are validated again by the schemas (``policies_from_texts``),
the documents are written by ``retention.regulations``/``regulations_pd`` and signed by the
acts' signer (PAdES B-LTA, the head's stamp) when the deployment has signing keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from uuid import UUID

from domain import clock
from domain.base import SYSTEM_ACTOR
from domain.notifications import DEFAULT_POLICY, NotificationPolicy
from ejournal.bootstrap import System
from ejournal.policy_record import policies_from_texts, running_files
from ejournal.policyfiles import PolicyError
from ejournal.retention_wiring import certificate_signer
from projections.views import accounts
from projections.views.policy_versions import PolicyVersion
from retention import regulations, regulations_pd
from retention.regulations import Approval, Sources, StaffMember, TermRow


class NotApproved(LookupError):
    """Raised when no version of the policies is approved yet: documents are made only
    from approved rules (``ejournal policies approve``)."""


@dataclass(frozen=True)
class Kind:
    """One document: its file stem, its Russian title and how it is written."""

    stem: str
    title: str
    render: Callable[[Sources], bytes]


_ALL = (
    Kind(
        "journal-regulation",
        "Положение о ведении электронного журнала",
        regulations.journal_regulation,
    ),
    Kind("diary-regulation", "Положение об электронном дневнике", regulations.diary_regulation),
    Kind(
        "pd-access-list",
        "Перечень лиц, имеющих доступ к персональным данным",
        regulations_pd.access_list,
    ),
    Kind(
        "parent-consent",
        "Согласие родителя на обработку персональных данных",
        regulations_pd.consent_form,
    ),
    Kind(
        "records-schedule",
        "Выписка из номенклатуры дел (сроки хранения)",
        regulations_pd.schedule_extract,
    ),
)
#: Every document by its file stem, in the order they are written.
KINDS: dict[str, Kind] = {k.stem: k for k in _ALL}


def approval_of(version: PolicyVersion) -> Approval:
    """The approval the documents print, from the view's row."""
    assert version.order_date is not None
    return Approval(version.number, version.order_no, version.order_date, dict(version.files))


def _terms(system: System, today: date) -> tuple[str, list[TermRow]]:
    year = system.views.reads.school.current_year(today)
    if year is None:
        return "", []
    terms = system.views.reads.school.terms(str(year["year_id"]))
    rows = [
        TermRow(t.title, date.fromisoformat(t.starts), date.fromisoformat(t.ends), t.closed)
        for t in terms
    ]
    return str(year["year"]), rows


def staff_on(system: System, day: date) -> list[StaffMember]:
    """Staff and service accounts active at the end of ``day``, their roles then (the
    accounts views replayed as of that moment)."""
    moment = datetime.combine(day, time(23, 59, 59), tzinfo=clock.SCHOOL_TZ).astimezone(UTC)
    if day >= clock.today():
        moment = clock.now()
    with system.views.reader(moment, ("catalog", "accounts")) as reader:
        items = accounts.accounts(reader, system.views.sealer, moment)
    found = [
        StaffMember(a.name, a.login, a.roles, a.service)
        for a in items
        if regulations_pd.staff_roles(a.roles) and not (a.locked and a.locked_until is None)
    ]
    return sorted(found, key=lambda m: (m.name, m.login))


def sources(system: System, as_of: date | None = None) -> Sources:
    """What the documents are written from; ``NotApproved`` when nothing is approved."""
    system.views.catch_up()
    version = system.views.reads.policies.in_force()
    if version is None:
        raise NotApproved(
            "правила не утверждены: утвердите редакцию (ejournal policies approve … или "
            "страница «Правила и положения»)"
        )
    try:
        policies = policies_from_texts(version.texts)
    except PolicyError as error:  # the schemas changed since it was approved
        raise NotApproved(
            f"утверждённая редакция {version.number} не проходит проверку правил этой версии "
            f"программы ({error.problems[0]}): утвердите новую редакцию"
        ) from None
    found = policies.extra.get("notifications.toml")
    notifications = found if isinstance(found, NotificationPolicy) else DEFAULT_POLICY
    today = clock.today()
    year_label, terms = _terms(system, today)
    day = as_of or today
    return Sources(
        policies=policies,
        notifications=notifications,
        profile=system.views.reads.school.profile(system.settings.school),
        approval=approval_of(version),
        made_on=today,
        year_label=year_label,
        terms=terms,
        staff=staff_on(system, day),
        staff_as_of=day,
        school=system.settings.school,
    )


def render(system: System, stem: str, src: Sources, actor: UUID = SYSTEM_ACTOR) -> bytes:
    """One document, signed when the deployment has signing keys, and recorded as issued
    (``PolicySet.DocumentIssued``: ``archive verify`` finds it by its hash)."""
    rendered = KINDS[stem].render(src)
    signed = certificate_signer(system.settings, system.views)(rendered)
    system.journal.rules.issue_document(
        src.approval.version,
        stem,
        {
            "file_name": file_name(stem, src),
            "sha256": hashlib.sha256(signed).hexdigest(),
            "size": len(signed),
            "rendered_sha256": hashlib.sha256(rendered).hexdigest(),
            "rendered_size": len(rendered),
        },
        actor,
    )
    return signed


def file_name(stem: str, src: Sources) -> str:
    """«journal-regulation-v3.pdf»; the access list carries its date too."""
    if stem == "pd-access-list" and src.staff_as_of is not None:
        return f"{stem}-{src.staff_as_of.isoformat()}-v{src.approval.version}.pdf"
    return f"{stem}-v{src.approval.version}.pdf"


def write_all(
    system: System, folder: Path, as_of: date | None = None, only: tuple[str, ...] = ()
) -> list[Path]:
    """Write the documents (all, or ``only`` these stems) into ``folder``."""
    src = sources(system, as_of)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for stem in only or tuple(KINDS):
        path = folder / file_name(stem, src)
        path.write_bytes(render(system, stem, src))
        written.append(path)
    return written


def running_differs(system: System) -> bool:
    """True when the files on disk are not the latest recorded version, or that version
    is not approved (pages warn the head and the administrator)."""
    return Maker(system).running_differs()


class Maker:
    """The documents for the web pages (``web.config.RegulationDocuments``): made on
    request from the approved version and the live data, signed like the acts."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.titles = {stem: kind.title for stem, kind in KINDS.items()}
        #: The files the deployment started with (what it runs with).
        self.running = {n: f.sha256 for n, f in running_files(system.settings.policies_dir).items()}

    def make(self, stem: str, as_of: date | None, actor: UUID) -> tuple[str, bytes]:
        """One document made for ``actor`` (``KeyError`` for an unknown stem,
        ``NotApproved`` — a ``LookupError`` — when nothing is approved)."""
        kind = KINDS[stem]
        src = sources(self.system, as_of)
        return file_name(kind.stem, src), render(self.system, kind.stem, src, actor)

    def running_differs(self) -> bool:
        """True when the running files are not the latest approved version."""
        latest = self.system.views.reads.policies.latest()
        return latest is None or not latest.approved or latest.files != self.running
