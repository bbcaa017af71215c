"""The school's regulations, generated from the rules the product enforces (issue 18, §4).

Each document is written from ``Sources``: the policies of the **approved** version (the
texts recorded by ``PolicySet``, validated again by the composition root), the approving
order, the school's profile and live data (terms of the year, accounts as of a date). Every
number and list a document states is read from the policies — a changed file, once
recorded and approved, changes the text. Documents are PDF/A-2b (``render_pdfa``), signed
by the composition root like the acts.

This module writes the two regulations (journal, diary); ``retention.regulations_pd`` the
personal-data documents (persons with access, consent form, records schedule extract).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from domain.account import ROLES
from domain.notifications import EVENTS, NotificationPolicy
from domain.policies import Policies
from domain.school_profile import ProfileInfo
from retention.acts import NOT_ENTERED
from retention.pdf import Document
from retention.transfer_act import render_pdfa
from retention.words import russian_ngettext


@dataclass(frozen=True)
class Approval:
    """The approved version the documents are made from, and its order."""

    version: int
    order_no: str
    order_date: date
    #: File name → SHA-256 of the approved bytes.
    files: dict[str, str]

    @property
    def order(self) -> str:
        """«приказом № 12-од от 01.09.2026»."""
        return f"приказом № {self.order_no} от {self.order_date:%d.%m.%Y}"


@dataclass(frozen=True)
class TermRow:
    """A term of the current school year as the journal regulation lists it."""

    title: str
    starts: date
    ends: date
    closed: bool


@dataclass(frozen=True)
class StaffMember:
    """An account with access to personal data on the date of the list."""

    name: str
    login: str
    roles: tuple[str, ...]
    service: bool = False


@dataclass(frozen=True)
class Sources:
    """Everything a document is written from."""

    policies: Policies
    notifications: NotificationPolicy
    profile: ProfileInfo
    approval: Approval
    made_on: date
    year_label: str = ""
    terms: Sequence[TermRow] = ()
    staff: Sequence[StaffMember] = ()
    staff_as_of: date | None = None
    school: str = ""


def days(n: int) -> str:
    """Days after «не позднее», «в течение»: «1 дня», «3 дней», «21 дня»."""
    return f"{n} дня" if n % 10 == 1 and n % 100 != 11 else f"{n} дней"


def roles_words(roles: Iterable[str]) -> str:
    """Russian role names in the order of ``domain.account.ROLES``: «заместитель
    директора, директор»."""
    chosen = set(roles)
    return ", ".join(title for code, title in ROLES.items() if code in chosen) or "—"


class Points:
    """Numbered sections («1. Общие положения») and points («1.1. …») of a regulation."""

    def __init__(self, doc: Document) -> None:
        self.doc, self.section, self.point = doc, 0, 0

    def heading(self, text: str) -> None:
        """The next section."""
        self.section, self.point = self.section + 1, 0
        self.doc.heading(f"{self.section}. {text}")

    def __call__(self, text: str) -> None:
        """The next point of the section."""
        self.point += 1
        self.doc.paragraph(f"{self.section}.{self.point}. {text}")


def frame(kind: str, subject: str, src: Sources) -> Document:
    """A document with the school's name and details, «УТВЕРЖДЕНО приказом № … от …» at
    the right margin, then its kind («ПОЛОЖЕНИЕ») and subject centred."""
    profile = src.profile
    doc = Document(
        f"{kind} {subject}",
        subject=f"{kind} {subject}; правила редакции {src.approval.version}",
        show_title=False,
        author=profile.short_name or "ejournal",
    )
    doc.paragraph(profile.full_name or NOT_ENTERED)
    details = ProfileInfo(**(profile.to_dict() | {"full_name": ""})).operator()
    if details:
        doc.paragraph(details, small=True)
    doc.right(["УТВЕРЖДЕНО", src.approval.order])
    doc.centred(kind.upper())
    doc.centred(subject)
    return doc


def sources_note(doc: Document, src: Sources) -> None:
    """Where the text came from: the version, the files' SHA-256, the date it was made."""
    doc.heading("Приложение. Правила, из которых сформирован документ")
    doc.paragraph(
        f"Редакция правил № {src.approval.version}, утверждена {src.approval.order}. "
        f"Документ сформирован системой ejournal {src.made_on:%d.%m.%Y} из файлов правил, "
        "которые система применяет при каждой записи; числа и перечни документа взяты из них.",
        small=True,
    )
    doc.table(
        ["Файл правил", "SHA-256 содержимого"],
        [[name, digest] for name, digest in sorted(src.approval.files.items())],
        [40, 130],
    )


def journal_regulation(src: Sources) -> bytes:
    """«Положение о ведении электронного журнала успеваемости» as PDF/A-2b bytes."""
    doc = frame("Положение", "о ведении электронного журнала успеваемости", src)
    p = Points(doc)
    _journal_general(p, src)
    _journal_entries(p, src)
    _journal_corrections(p, src)
    _journal_periods(p, doc, src)
    _journal_marks(p, doc, src)
    _journal_attendance(p, doc, src)
    _journal_access(p, doc, src)
    sources_note(doc, src)
    return render_pdfa(doc)


def _journal_general(p: Points, src: Sources) -> None:
    school = src.profile.short_name or src.profile.full_name or src.school
    p.heading("Общие положения")
    p(
        "Положение устанавливает порядок ведения электронного журнала успеваемости "
        f"(далее — журнал) в {school} (далее — Школа) в информационной системе ejournal."
    )
    p(
        "Журнал — документ Школы. Каждая запись хранится с указанием автора и времени; "
        "записи не удаляются и не перезаписываются: исправление и отмена сохраняются как "
        "новые записи с причиной, прежнее значение остаётся в истории записи."
    )
    p(
        "Правила, изложенные в Положении, система применяет автоматически: запись, "
        "нарушающая их, не принимается, а пользователю показывается причина отказа."
    )


def _journal_entries(p: Points, src: Sources) -> None:
    j = src.policies.journal
    p.heading("Сроки внесения записей")
    p(
        "Учитель вносит тему урока, домашнее задание, отметки и посещаемость не позднее "
        f"{days(j.entry_deadline_days)} после даты урока."
    )
    p(
        f"После этого срока записи вносят: {roles_words(j.late_entry_roles)}. Учитель может "
        "подать заявку на позднее внесение; одобренная заявка разрешает записи за этот урок "
        f"в день одобрения и в течение {days(j.late_entry_days)} после него."
    )


def _journal_corrections(p: Points, src: Sources) -> None:
    j = src.policies.journal
    p.heading("Исправление и отмена отметок")
    p(
        "Автор отметки может исправить или отменить её, указав причину, в течение "
        f"{days(j.own_correction_days)} после её внесения."
    )
    p(
        "Позднее исправление вносится только после согласования; согласуют: "
        f"{roles_words(j.approver_roles)}. Заявка, её согласование или отклонение "
        "сохраняются в истории записи."
    )
    p(
        "Причина исправления, отмены, позднего внесения или повторного открытия периода "
        f"указывается не короче {j.min_reason_length} символов."
    )


def _journal_periods(p: Points, doc: Document, src: Sources) -> None:
    j = src.policies.journal
    p.heading("Учебные периоды")
    p(
        f"Учебные периоды (четверти) и учебный год закрывают: {roles_words(j.period_roles)}. "
        "В закрытый период записи не вносятся и не исправляются."
    )
    order = " и номера приказа" if j.reopen_requires_order else ""
    p(f"Закрытый период открывается вновь с указанием причины{order}.")
    if src.terms:
        p(f"Учебные периоды {src.year_label} учебного года по данным журнала:")
        doc.table(
            ["Период", "Начало", "Окончание", "Состояние"],
            [
                [t.title, f"{t.starts:%d.%m.%Y}", f"{t.ends:%d.%m.%Y}", _state(t.closed)]
                for t in src.terms
            ],
            [50, 35, 35, 50],
        )


def _state(closed: bool) -> str:
    return "закрыт" if closed else "открыт"


def _journal_marks(p: Points, doc: Document, src: Sources) -> None:
    g = src.policies.grading
    p.heading("Отметки")
    p("Отметки выставляются по шкалам:")
    doc.table(
        ["Шкала", "Отметки", "Положительные"],
        [[s.title, ", ".join(s.values), ", ".join(s.passing)] for s in g.scales.values()],
        [60, 60, 50],
    )
    default = g.scales[g.default_scale].title
    p(f"Шкала по умолчанию — «{default}». Каждая отметка относится к виду работы с весом:")
    doc.table(
        ["Вид работы", "Обозначение", "Вес"],
        [[k.title, k.short, str(k.weight)] for k in g.kinds.values()],
        [100, 35, 35],
    )
    p(
        "Средний балл по предмету за период — средневзвешенный: сумма произведений отметок "
        "на веса их видов работы, делённая на сумму весов."
    )
    if g.term_scale_extra:
        extra = ", ".join(f"«{v}»" for v in g.term_scale_extra)
        p(f"Итоговые отметки выставляются по шкале журнала; допускается также {extra}.")
    if g.exam_grades:
        grades = ", ".join(str(n) for n in sorted(g.exam_grades))
        p(
            f"В {grades} классах сводная ведомость содержит по каждому предмету "
            "экзаменационную и итоговую отметки."
        )


def _journal_attendance(p: Points, doc: Document, src: Sources) -> None:
    a = src.policies.attendance
    p.heading("Посещаемость")
    p("Посещаемость отмечается кодами:")
    doc.table(
        ["Код", "Значение", "Пропуск", "Уважительная причина"],
        [[c.code, c.title, _yes(c.absent), _yes(c.excused)] for c in a.codes.values()],
        [20, 90, 25, 35],
    )
    for c in (c for c in a.codes.values() if c.sensitive):
        p(
            f"Код «{c.code}» — сведения о здоровье (ст. 10 152-ФЗ): его видят только "
            f"{roles_words(a.sensitive_roles)}; остальным показывается «{c.shown_as}»."
        )


def _yes(flag: bool) -> str:
    return "да" if flag else "нет"


#: The permissions of ``access.toml`` the journal regulation lists, in this order.
JOURNAL_PERMISSIONS = (
    "journal.view",
    "journal.enter",
    "corrections.approve",
    "classes.view",
    "terms.manage",
    "council.decide",
)


def scope_rows(src: Sources, codes: Sequence[str]) -> list[list[str]]:
    """Rows «what — who (всё / своё)» for the permissions ``codes`` present in access.toml."""
    rows = []
    for code in codes:
        permission = src.policies.access.permissions.get(code)
        if permission is None:
            continue
        reach = [
            f"{title} ({'все' if permission.scopes[role] == 'all' else 'свои'})"
            for role, title in ROLES.items()
            if role in permission.scopes
        ]
        rows.append([permission.title, "; ".join(reach)])
    return rows


def _journal_access(p: Points, doc: Document, src: Sources) -> None:
    p.heading("Доступ к журналу")
    p(
        "Права пользователей по ролям («все» — все записи Школы; «свои» — журналы своих "
        "предметов и классов):"
    )
    doc.table(["Действие", "Роли"], scope_rows(src, JOURNAL_PERMISSIONS), [80, 90])


def diary_regulation(src: Sources) -> bytes:
    """«Положение об электронном дневнике обучающегося» as PDF/A-2b bytes."""
    doc = frame("Положение", "об электронном дневнике обучающегося", src)
    p = Points(doc)
    p.heading("Общие положения")
    p(
        "Электронный дневник показывает обучающемуся и его родителям (законным "
        "представителям) отметки, посещаемость, темы уроков и домашние задания из "
        "электронного журнала Школы, в том виде, в каком они внесены в журнал."
    )
    _diary_who_sees(p, doc, src)
    _diary_notifications(p, src)
    sources_note(doc, src)
    return render_pdfa(doc)


def _diary_who_sees(p: Points, doc: Document, src: Sources) -> None:
    a = src.policies.attendance
    p.heading("Кто что видит")
    p(
        "Родитель видит дневник только своих детей, обучающийся — только свой; сотрудники — "
        "в пределах своих прав:"
    )
    doc.table(["Действие", "Роли"], scope_rows(src, ("diary.view",)), [80, 90])
    for c in (c for c in a.codes.values() if c.sensitive):
        p(
            f"Пропуск по коду «{c.code}» ({c.title.lower()}) видят: "
            f"{roles_words(a.sensitive_roles)}; остальные видят «{c.shown_as}»."
        )


def _diary_notifications(p: Points, src: Sources) -> None:
    n = src.notifications
    p.heading("Уведомления по электронной почте")
    events = "; ".join(EVENTS[e] for e in n.events if e in EVENTS) or "не предлагаются"
    p(
        "Родитель, а также обучающийся с "
        f"{russian_ngettext('%(num)s год', '%(num)s лет', n.pupil_min_age)}, может включить "
        f"в своём профиле письма о событиях ({events}) и (или) ежедневную сводку, которая "
        f"отправляется в {n.digest_at:%H:%M}."
    )
    p(
        "Включение уведомлений — согласие на обработку адреса электронной почты (ст. 9 "
        "152-ФЗ); текст согласия и его версия сохраняются. Отозвать согласие можно "
        "переключателем в профиле или по ссылке в любом письме."
    )
    tries = ", ".join(str(m) for m in n.retry_minutes)
    p(
        "Письмо содержит не больше сведений, чем дневник адресата. При временной ошибке "
        f"почтового сервера отправка повторяется через {tries} мин.; каждая попытка "
        "записывается, и в дневнике у записи видно, когда письмо отправлено."
    )
