"""The auditor's trail in people's words: a history row's event as a Russian phrase
(«Отметка выставлена: 5 (контрольная работа)», «Исправлена: 4 → 5, причина: …») and its
values with Russian labels and people's names — never an event class name, a field code
or a pupil's id where a name can be shown. Pupils' names only to a reader whose access
policy lets them see every pupil's diary (``diary.view`` with scope ``all``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from domain.policies import GradingPolicy
from projections.views.history import CANCELLED, HistoryRow
from web import access

#: Every event's name («Aggregate.Type» as the history stores it). An event not listed
#: (a newer one) is «Изменение записи», never its class name.
EVENTS: dict[str, Any] = {
    "AccessEntry.Recorded": _l("Просмотр персональных данных"),
    "Account.Created": _l("Учётная запись создана"),
    "Account.PasswordChanged": _l("Пароль изменён владельцем"),
    "Account.PasswordReset": _l("Пароль сброшен администратором"),
    "Account.ServiceDesignated": _l("Назначена служебной"),
    "Account.RoleGrantRequested": _l("Запрошено назначение роли"),
    "Account.RoleGrantConfirmed": _l("Назначение роли подтверждено"),
    "Account.RoleGrantRejected": _l("Назначение роли отклонено"),
    "Account.PasswordRehashed": _l("Пароль перехеширован"),
    "Account.RoleGranted": _l("Роль назначена"),
    "Account.RoleRevoked": _l("Роль снята"),
    "Account.Locked": _l("Учётная запись заблокирована"),
    "Account.Unlocked": _l("Учётная запись разблокирована"),
    "Account.LoginFailed": _l("Неудачная попытка входа"),
    "ApiToken.Issued": _l("API-токен выдан"),
    "ApiToken.Revoked": _l("API-токен отозван"),
    "ArchiveVolume.Captured": _l("Том архива сохранён"),
    "ArchiveVolume.MentionsRecorded": _l("Упоминания людей в томе учтены"),
    "ArchiveVolume.DetachedSignatureAdded": _l("Добавлена открепленная подпись"),
    "ArchiveVolume.ValidityNoted": _l("Отмечена проверка подписей тома"),
    "ArchiveVolume.Refreshed": _l("Подписи тома обновлены"),
    "ActRegister.Opened": _l("Книга актов открыта"),
    "ActRegister.Issued": _l("Акту присвоен номер"),
    "Disposition.Proposed": _l("Предложено уничтожение или передача"),
    "Disposition.Approved": _l("Уничтожение или передача утверждены"),
    "Disposition.Rejected": _l("Предложение отклонено"),
    "Disposition.ExecutionRefused": _l("Исполнение отказано"),
    "Disposition.Executed": _l("Документы уничтожены"),
    "Disposition.Transferred": _l("Документы переданы в архив"),
    "Disposition.Numbered": _l("Акт пронумерован"),
    "Disposition.ActFiled": _l("Подписанный акт сохранён"),
    "Disposition.ActRefreshed": _l("Подписи акта обновлены"),
    "MailConsent.Started": _l("Согласие на рассылку заведено"),
    "MailConsent.ConsentGiven": _l("Дано согласие на уведомления по электронной почте"),
    "MailConsent.ConsentWithdrawn": _l("Согласие на уведомления отозвано"),
    "SchoolCalendar.Opened": _l("Календарь учебного года заведён"),
    "SchoolCalendar.BellsSet": _l("Расписание звонков задано"),
    "SchoolCalendar.DaysOffDeclared": _l("Объявлены нерабочие дни"),
    "SchoolCalendar.DaysOffWithdrawn": _l("Нерабочие дни отменены"),
    "SchoolProfile.Recorded": _l("Сведения о школе внесены"),
    "SchoolProfile.Changed": _l("Сведения о школе изменены"),
    "ThematicPlan.Opened": _l("Тематическое планирование заведено"),
    "ThematicPlan.Imported": _l("Тематическое планирование загружено"),
    "Timetable.Opened": _l("Расписание журнала заведено"),
    "Timetable.PatternSet": _l("Недельное расписание задано"),
    "Timetable.SubstituteAssigned": _l("Назначена замена"),
    "Timetable.SubstitutionCancelled": _l("Замена отменена"),
    "TermGrades.Opened": _l("Ведомость четверти открыта"),
    "TermGrades.TermMarkSet": _l("Отметка за четверть выставлена"),
    "TermGrades.TermMarkCorrected": _l("Отметка за четверть исправлена"),
    "YearGrades.Opened": _l("Годовая ведомость открыта"),
    "YearGrades.YearMarkSet": _l("Годовая отметка выставлена"),
    "YearGrades.YearMarkCorrected": _l("Годовая отметка исправлена"),
    "YearGrades.ResultMarkSet": _l("Экзаменационная или итоговая отметка выставлена"),
    "YearGrades.DecisionRecorded": _l("Решение педагогического совета"),
    "ClassGroup.Formed": _l("Класс сформирован"),
    "ClassGroup.ClassTeacherAssigned": _l("Назначен классный руководитель"),
    "ClassGroup.StudentEnrolled": _l("Обучающийся зачислен в класс"),
    "ClassGroup.StudentWithdrawn": _l("Обучающийся выбыл из класса"),
    "ActivityGroup.Formed": _l("Группа сформирована"),
    "ActivityGroup.MemberAdded": _l("Обучающийся включён в группу"),
    "ActivityGroup.MemberRemoved": _l("Обучающийся исключён из группы"),
    "CourseJournal.Opened": _l("Журнал предмета открыт"),
    "CourseJournal.TeacherAssigned": _l("Назначен учитель"),
    "CourseJournal.TeacherUnassigned": _l("Учитель снят с журнала"),
    "HoldRegister.Opened": _l("Реестр удержаний открыт"),
    "HoldRegister.Placed": _l("Удержание установлено"),
    "HoldRegister.Released": _l("Удержание снято"),
    "Lesson.Held": _l("Урок записан"),
    "Lesson.TopicChanged": _l("Тема или задание изменены"),
    "Lesson.MarkRecorded": _l("Отметка выставлена"),
    "Lesson.MarkCorrected": _l("Исправлена"),
    "Lesson.MarkCancelled": _l("Аннулирована"),
    "Lesson.AttendanceMarked": _l("Посещаемость отмечена"),
    "Lesson.AttendanceCorrected": _l("Посещаемость исправлена"),
    "Lesson.CorrectionRequested": _l("Запрошено исправление"),
    "Lesson.CorrectionApproved": _l("Исправление согласовано"),
    "Lesson.CorrectionRejected": _l("Исправление отклонено"),
    "Lesson.LateEntryRequested": _l("Запрошен ввод после срока"),
    "Lesson.LateEntryApproved": _l("Ввод после срока разрешён"),
    "Lesson.LateEntryRejected": _l("Ввод после срока отклонён"),
    "Student.Registered": _l("Обучающийся внесён"),
    "Student.DetailsCorrected": _l("Данные обучающегося исправлены"),
    "Student.GuardianLinked": _l("Указан законный представитель"),
    "Guardian.Registered": _l("Законный представитель внесён"),
    "RecordSeries.Registered": _l("Дело зарегистрировано"),
    "RecordSeries.FileRegistered": _l("Файл дела зарегистрирован"),
    "RecordSeries.Claimed": _l("Дело удержано"),
    "RecordSeries.Released": _l("Удержание дела снято"),
    "RecordSeries.Rescheduled": _l("Срок хранения пересчитан"),
    "RecordSeries.Disposed": _l("Дело уничтожено или передано"),
    "RetentionSchedule.Recorded": _l("Номенклатура дел записана"),
    "RetentionSchedule.Adopted": _l("Номенклатура дел утверждена"),
    "PolicySet.Started": _l("Учёт редакций правил начат"),
    "PolicySet.PoliciesChanged": _l("Записана новая редакция правил"),
    "PolicySet.Approved": _l("Редакция правил утверждена приказом"),
    "PolicySet.DocumentIssued": _l("Сформирован документ по утверждённым правилам"),
    "SchoolYear.Opened": _l("Учебный год открыт"),
    "SchoolYear.TermDefined": _l("Четверть задана"),
    "SchoolYear.TermClosed": _l("Четверть закрыта"),
    "SchoolYear.TermReopened": _l("Четверть открыта снова"),
    "SchoolYear.Closed": _l("Учебный год закрыт"),
    "SchoolYear.Reopened": _l("Учебный год открыт снова"),
}

#: Russian labels of the values an event carries; a value not listed is shown under
#: «Прочее» by its position, never by its field code.
FIELDS: dict[str, Any] = {
    "student_id": _l("Обучающийся"),
    "value": _l("Отметка"),
    "kind": _l("Вид работы"),
    "mark_id": _l("Отметка (идентификатор)"),
    "supersedes": _l("Заменяет отметку"),
    "approver": _l("Согласовал(а)"),
    "request_id": _l("Запрос"),
    "code": _l("Код посещаемости"),
    "topic": _l("Тема"),
    "homework": _l("Домашнее задание"),
    "homework_due": _l("Задание к"),
    "day": _l("Дата"),
    "period": _l("Урок №"),
    "course_journal_id": _l("Журнал предмета"),
    "term": _l("Четверть"),
    "decision": _l("Решение"),
    "protocol_no": _l("Протокол №"),
    "protocol_date": _l("Дата протокола"),
    "surname": _l("Фамилия"),
    "name": _l("Имя"),
    "patronymic": _l("Отчество"),
    "birth_date": _l("Дата рождения"),
    "roles": _l("Роли"),
    "role": _l("Роль"),
    "login": _l("Логин"),
    "until": _l("До"),
    "group_id": _l("Класс или группа"),
    "teacher_id": _l("Учитель"),
    "guardian_id": _l("Законный представитель"),
    "relation": _l("Кем приходится"),
    "series": _l("Дело"),
    "record_series": _l("Дело"),
}

#: Values holding a person's id: shown as the person's name.
_PEOPLE = frozenset({"student_id", "approver", "teacher_id", "guardian_id", "person_id"})
#: Ids of the record itself or of its series: the page shows them once, not per row.
_FRAME = frozenset({"series", "mark_id", "supersedes", "request_id", "course_journal_id"})


def event_title(row: HistoryRow) -> str:
    """The event's Russian name («Отметка выставлена»); «Изменение записи» for one not
    listed; a destroyed event keeps its name."""
    found = EVENTS.get(f"{row.aggregate}.{row.type}")
    return str(found) if found is not None else _("Изменение записи")


def pupils_shown() -> bool:
    """True when the signed-in reader may see every pupil's name (``diary.view`` all)."""
    return access.scope("diary.view") == "all"


@dataclass(frozen=True)
class Words:
    """What a history page needs to put values in words: names of people (pupils only when
    ``pupils`` allows) and titles of kinds of work."""

    name: Callable[[str], str]
    grading: GradingPolicy
    pupils: bool

    def person(self, person_id: object, field: str = "") -> str:
        """A person's name; a pupil's only when allowed («обучающийся» otherwise)."""
        if not person_id:
            return "—"
        if field == "student_id" and not self.pupils:
            return str(_("обучающийся (имя скрыто)"))
        return self.name(str(person_id)) or str(person_id)

    def mark(self, value: object, kind: object = "") -> str:
        """«5 (контрольная работа)»; «аннулирована» as is."""
        if not value:
            return "—"
        found = self.grading.kinds.get(str(kind)) if kind else None
        title = found.title.lower() if found is not None else ""
        return f"{value} ({title})" if title else str(value)

    def value(self, field: str, value: Any) -> str:
        """One value in people's words: names, titles of kinds, dates as ДД.ММ.ГГГГ."""
        if field in _PEOPLE:
            return self.person(value, field)
        if field == "kind" and value in self.grading.kinds:
            return self.grading.kinds[value].title
        return _plain(value)

    def summary(self, row: HistoryRow) -> str:
        """The event as one phrase: what it did to the mark, with the reason."""
        title = event_title(row)
        if row.redacted:
            return str(_("%(title)s (данные уничтожены)", title=title))
        reason = _(", причина: %(reason)s", reason=row.reason) if row.reason else ""
        values = row.values
        if row.type == "MarkRecorded":
            phrase = f"{title}: {self.mark(values.get('value'), values.get('kind'))}"
        elif row.type in ("MarkCorrected", "CorrectionRequested"):
            before = self.mark(row.before.get("value"), row.before.get("kind"))
            if row.type == "CorrectionRequested":
                before = _("текущая")
            after = self.mark(values.get("value"), values.get("kind"))
            phrase = f"{title}: {before} → {after}"
        elif row.type == "MarkCancelled":
            was = self.mark(row.before.get("value"), row.before.get("kind"))
            phrase = f"{title}: {was} → {CANCELLED}"
        else:
            phrase = title
        return phrase + reason

    def details(self, row: HistoryRow) -> list[tuple[str, str]]:
        """The event's values as (label, text), in the order of ``FIELDS``; unlisted
        values under «Прочее»."""
        values = {k: v for k, v in row.values.items() if k not in _FRAME}
        shown = [(str(FIELDS[k]), self.value(k, values[k])) for k in FIELDS if k in values]
        other = [str(v) for k, v in values.items() if k not in FIELDS and v not in (None, "")]
        if other:
            shown.append((_("Прочее"), "; ".join(other)))
        return shown

    def changes(self, part: Mapping[str, Any]) -> list[tuple[str, str]]:
        """A before or after part: (label, text)."""
        return [(str(FIELDS.get(k, k)), self.value(k, v)) for k, v in part.items()]


def _plain(value: Any) -> str:
    """A list joined, an ISO day as ДД.ММ.ГГГГ, nothing as «—»."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if value is None or value == "":
        return "—"
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return date.fromisoformat(text).strftime("%d.%m.%Y")
        except ValueError:
            return text
    return text


def pupils_of(rows: Sequence[HistoryRow]) -> set[str]:
    """The pupils whose data ``rows`` show (for the access log): those named in values, and
    the pupil whose own record it is."""
    found = {str(r.values["student_id"]) for r in rows if r.values.get("student_id")}
    return found | {r.record_id for r in rows if r.aggregate == "Student" and r.record_id}
