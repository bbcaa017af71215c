"""Named domain errors.

Each error is raised by a rule of the domain and carries a Russian message for the user;
``web/errors.py`` maps the families below to HTTP codes in one place:
``NotFound`` → 404, ``Forbidden`` → 403, ``Conflict`` → 409, everything else → 422.
"""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """Base of every rule violation; ``message`` is shown to the user (in Russian)."""

    message = "Операция отклонена правилами журнала."

    def __init__(self, message: str | None = None, **details: object) -> None:
        self.details = details
        super().__init__(message or self.message)

    @property
    def text(self) -> str:
        """The user-facing message."""
        return str(self)


class NotFound(DomainError):
    """Raised when a requested record does not exist."""

    message = "Запись не найдена."


class Forbidden(DomainError):
    """Raised when the acting account may not perform the command."""

    message = "Недостаточно прав для этого действия."


class Conflict(DomainError):
    """Raised when the command conflicts with the current state of a record."""

    message = "Запись изменилась или уже существует."


# --- not found -------------------------------------------------------------------------
class LessonNotFound(NotFound):
    """Raised when no lesson has the given id."""

    message = "Урок не найден."


class StudentNotFound(NotFound):
    """Raised when no pupil has the given id."""

    message = "Обучающийся не найден."


class AccountNotFound(NotFound):
    """Raised when no account has the given id or login."""

    message = "Учётная запись не найдена."


class ApiTokenNotFound(NotFound):
    """Raised when no API token has the given id."""

    message = "Токен доступа к API не найден."


class RecordNotFound(NotFound):
    """Raised when no record (aggregate) has the given id."""

    message = "Запись не найдена."


class MarkNotFound(NotFound):
    """Raised when a lesson has no mark with the given id."""

    message = "Отметка не найдена."


class LateEntryRequestNotFound(NotFound):
    """Raised when a late-entry request does not exist."""

    message = "Запрос на внесение записей после срока не найден."


class CorrectionRequestNotFound(NotFound):
    """Raised when a lesson has no pending correction request with the given id."""

    message = "Запрос на исправление не найден."


class TermNotFound(NotFound):
    """Raised when the school year has no term with the given number or date."""

    message = "Учебный период не найден."


# --- forbidden -------------------------------------------------------------------------
class NotCourseTeacher(Forbidden):
    """Raised when an account that does not teach a course journal writes to it."""

    message = "Вы не ведёте этот журнал."


class NotMarkAuthor(Forbidden):
    """Raised when a teacher corrects or cancels a mark that another teacher entered."""

    message = (
        "Исправлять отметку может только учитель, который её выставил, или заместитель директора."
    )


class ApproverRoleRequired(Forbidden):
    """Raised when an account without an approver role approves or rejects a correction."""

    message = "Подтверждать исправления может только заместитель директора или директор."


class SelfApprovalForbidden(Forbidden):
    """Raised when the author of a correction request tries to approve it."""

    message = "Нельзя подтвердить собственный запрос на исправление."


class RoleRequired(Forbidden):
    """Raised when the acting account lacks the role a command needs."""

    message = "Для этого действия нужна другая роль."


class AccountLocked(Forbidden):
    """Raised when a locked account tries to act."""

    message = "Учётная запись заблокирована."


class InvalidToken(Forbidden):
    """Raised when a bearer token is malformed, unknown or revoked (the API answers 401)."""

    message = "Токен доступа недействителен или отозван."


# --- conflicts -------------------------------------------------------------------------
class ConcurrentUpdate(Conflict):
    """Raised when a record kept changing under a command after bounded retries."""

    message = "Запись одновременно изменяется другим пользователем. Повторите попытку."


class AlreadyExists(Conflict):
    """Raised when a record with the same identity already exists."""

    message = "Такая запись уже существует."


class PeriodClosed(Conflict):
    """Raised when a command would change a closed term or school year."""

    message = "Учебный период закрыт: изменения запрещены."


class YearClosed(PeriodClosed):
    """Raised when a command would change a closed school year."""

    message = "Учебный год закрыт: изменения запрещены."


class MarkAlreadyCancelled(Conflict):
    """Raised when a cancelled mark is corrected or cancelled again."""

    message = "Отметка уже аннулирована."


class RequestAlreadyDecided(Conflict):
    """Raised when a correction request that was already decided is decided again."""

    message = "По этому запросу уже принято решение."


class PendingRequestExists(Conflict):
    """Raised when a mark already has a correction request awaiting a decision."""

    message = "По этой отметке уже есть запрос на исправление, ожидающий решения."


class MarkIdTaken(Conflict):
    """Raised when a mark is sent with the id of a recorded mark of other contents (a
    form's key reused for another mark)."""

    message = "Эта форма уже сохранена с другими отметками. Обновите страницу урока."


class SubmissionTaken(Conflict):
    """Raised when a form's key (its idempotency key) names a correction or request already
    recorded with other contents."""

    message = "Эта форма уже отправлена с другими данными. Обновите страницу урока."


class PendingLateEntryExists(Conflict):
    """Raised when a teacher asks for a late entry while their request waits for a decision."""

    message = "Запрос на внесение записей после срока уже отправлен и ожидает решения."


class LateEntryNotNeeded(Conflict):
    """Raised when a late entry is asked for a lesson the teacher may still enter."""

    message = "Срок внесения записей за этот урок не истёк: записи можно вносить без запроса."


class TokenAlreadyRevoked(Conflict):
    """Raised when an API token that was already revoked is revoked again."""

    message = "Токен уже отозван."


class TermNotClosed(Conflict):
    """Raised when a term that is open is re-opened."""

    message = "Учебный период не закрыт."


# --- rule violations (422) -------------------------------------------------------------
class InvalidInput(DomainError):
    """Raised when a value is syntactically acceptable but meaningless (empty name, bad date)."""

    message = "Неверные данные."


class ProfileInvalid(InvalidInput):
    """Raised when the school's profile lacks a required field, or its OGRN or INN fails
    the check digit (``field`` names the field)."""

    message = "Проверьте сведения о школе."


class CommissionProtocolRequired(InvalidInput):
    """Raised when a destruction is approved without the expert commission's protocol
    (its number and date), or with a date in the future."""

    message = (
        "Укажите номер и дату протокола экспертной комиссии: без них уничтожение не утверждается."
    )


class HomeworkDueTooEarly(DomainError):
    """Raised when a homework's due date is not after the lesson that sets it."""

    message = "Срок домашнего задания должен быть позже дня урока."


class MarkOffScale(DomainError):
    """Raised when a mark is not a value of the course journal's grading scale."""

    message = "Отметка вне шкалы оценивания."


class UnknownMarkKind(DomainError):
    """Raised when a mark kind is not defined in policies/grading.toml."""

    message = "Неизвестный вид работы."


class UnknownAttendanceCode(DomainError):
    """Raised when an attendance code is not defined in policies/attendance.toml."""

    message = "Неизвестная отметка посещаемости."


class NotEnrolled(DomainError):
    """Raised when a pupil is not enrolled in the lesson's class or group on its date."""

    message = "Обучающийся не зачислен в класс (группу) на дату урока."


class EntryDeadlinePassed(DomainError):
    """Raised when a teacher enters a mark or attendance after the regulation's deadline."""

    message = "Срок внесения отметок за этот урок истёк (см. регламент ведения журнала)."


class LessonNotYetHeld(DomainError):
    """Raised when marks or attendance are entered for a lesson dated in the future."""

    message = "Нельзя выставлять отметки за урок, который ещё не проведён."


class ColumnRefused(DomainError):
    """Raised when a grid column (one lesson, typed into the journal grid) is refused:
    ``problems`` maps each refused pupil's id to the message of the rule their cell broke;
    nothing of the column is written."""

    message = "Столбец не сохранён: исправьте отмеченные ячейки. Ничего не записано."

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems=problems)
        self.problems = problems


class CorrectionChangesNothing(DomainError):
    """Raised by the rule «a correction changes something»: the new value and kind are those
    of the mark that stands."""

    message = "Новое значение совпадает с выставленной отметкой: исправлять нечего."

    def __init__(self, value: str = "") -> None:
        super().__init__(
            f"Отметка уже «{value}» этого вида работы: выберите другое значение "
            "или другой вид работы (или отмените отметку)."
            if value
            else None,
            value=value,
        )


class ReasonRequired(DomainError):
    """Raised when a correction, cancellation or re-opening has no reason."""

    message = "Укажите причину исправления."


class FinalMarkDiffers(DomainError):
    """Raised when a term or year mark differs from the rounded weighted average and the
    policy (``[final_marks] reason_when_differs``) asks a reason that was not given."""

    message = "Отметка отличается от округлённого среднего: укажите причину."

    def __init__(
        self, value: str = "", average: str = "", rounded: str = "", student_id: str = ""
    ) -> None:
        super().__init__(
            f"Отметка «{value}» отличается от округлённого среднего "
            f"({average.replace('.', ',')} → «{rounded}»): укажите причину."
            if value
            else None,
            value=value,
            average=average,
            rounded=rounded,
            student_id=student_id,
        )


class TermMarksMissing(DomainError):
    """Raised when a year mark is set for a pupil without a term mark for a period of the
    year they belonged to the class in: a year mark is set from the term marks (a pupil not
    attested for a period has «н/а» for it)."""

    message = "Годовая отметка выставляется по отметкам за учебные периоды: не все выставлены."

    def __init__(self, terms: list[str] | None = None, student_id: str = "") -> None:
        super().__init__(
            f"Годовая отметка выставляется по отметкам за учебные периоды: нет отметки за "
            f"{', '.join(f'«{t}»' for t in terms)}. Сначала выставьте "
            f"{'её' if len(terms) == 1 else 'их'} (не аттестован за период — «н/а»)."
            if terms
            else None,
            terms=list(terms or []),
            student_id=student_id,
        )


class OrderNumberRequired(DomainError):
    """Raised when a term or year is re-opened without the number of the head's order."""

    message = "Для открытия периода укажите номер приказа."


class CorrectionNeedsApproval(DomainError):
    """Raised when a teacher corrects a mark after the own-correction window: request approval."""

    message = (
        "Срок самостоятельного исправления истёк: "
        "направьте запрос на исправление заместителю директора."
    )


class DateOutsideYear(DomainError):
    """Raised when a date does not fall into the school year or any of its terms."""

    message = "Дата вне учебного года."


class InvalidTerms(DomainError):
    """Raised when terms overlap, are out of order or fall outside the school year."""

    message = "Учебные периоды заданы неверно."


class ClassListRejected(InvalidInput):
    """Raised when rows of an imported class list are invalid; ``problems`` holds
    (line, message) for every bad row, and nothing of the list is imported."""

    message = "Список не импортирован: исправьте строки с ошибками и загрузите файл снова."

    def __init__(self, problems: Iterable[tuple[int, str]]) -> None:
        self.problems = tuple(sorted(problems))
        lines = sorted({line for line, _ in self.problems})
        super().__init__(
            f"Список не импортирован: ошибки в строках {', '.join(map(str, lines))}. "
            "Ни один обучающийся не зачислен.",
            lines=lines,
        )


class OwnAccountProtected(DomainError):
    """Raised when administrators would lock their own account or take their own
    administrator role away (the school could be left without an administrator)."""

    message = "Нельзя заблокировать свою учётную запись или снять с себя роль администратора."


class WrongPassword(DomainError):
    """Raised when a password does not match (the caller must not say which part was wrong)."""

    message = "Неверный логин или пароль."


class WeakPassword(DomainError):
    """Raised when a new password is too short, contains the login or the person's name, or
    is too easy to guess; the message names which (``domain/passwords.py``)."""

    message = "Пароль слишком простой."


class RecordDestroyed(DomainError):
    """Raised when a record's data key was destroyed under a disposition (crypto-shredding)."""

    message = "Запись уничтожена по акту об уничтожении; данные недоступны."


class RecordUnauthentic(Conflict):
    """Raised when a stored event of a record fails authentication (AES-GCM with its
    associated data): it was inserted or altered in the database, bypassing the
    application. Nothing is written; the operator quarantines the row
    (docs/operations.md, «Карантин подложного события»)."""

    message = (
        "Событие записи не прошло проверку подлинности: вставлено или изменено в обход "
        "приложения. Ничего не записано; сообщите администратору (карантин события, "
        "docs/operations.md)."
    )


# --- retention and disposition ------------------------------------------------------------
class DispositionNotFound(NotFound):
    """Raised when no disposition (proposal to destroy or transfer) has the given id."""

    message = "Предложение об уничтожении (передаче) не найдено."


class HoldNotFound(NotFound):
    """Raised when no hold has the given id."""

    message = "Приостановка уничтожения не найдена."


class DispositionSelfApproval(Forbidden):
    """Raised when the archivist who proposed a disposition tries to approve it."""

    message = "Утвердить уничтожение может только другой уполномоченный сотрудник, не автор."


class YearNotClosed(Conflict):
    """Raised when a school year that is open is re-opened."""

    message = "Учебный год не закрыт."


class DispositionDecided(Conflict):
    """Raised when a disposition is approved, rejected or executed out of turn."""

    message = "По этому предложению уже принято решение или оно ещё не утверждено."


class SeriesOnHold(Conflict):
    """Raised when a proposal or an execution touches a series under a hold."""

    message = "Уничтожение приостановлено: часть документов находится под запретом (hold)."


class SeriesNotDue(Conflict):
    """Raised when a series is proposed or disposed of before its retention period ended,
    or while it is open, already proposed or already disposed of."""

    message = "Срок хранения серии не истёк или она уже в работе."


class ScheduleNotAdopted(Conflict):
    """Raised when a disposition is proposed while the retention schedule of
    ``policies/retention.toml`` differs from the one recorded: the due dates it moves must
    be recorded first (at start-up, or ``ejournal retention reschedule``)."""

    message = (
        "Сроки хранения в policies/retention.toml изменены, но пересчёт сроков не записан: "
        "выполните «ejournal retention reschedule»."
    )


class ScheduleShortens(Conflict):
    """Raised when new retention rules would let series go sooner than the recorded ones
    and no one has taken that decision with a reason (``ejournal retention reschedule
    --allow-earlier``)."""

    message = (
        "Новые сроки хранения сокращают срок уже закрытых дел; это решение принимается "
        "явно, с основанием (ejournal retention reschedule --allow-earlier)."
    )


class HoldAlreadyReleased(Conflict):
    """Raised when a hold that was released is released again."""

    message = "Приостановка уже снята."


class NoRetentionSchedule(DomainError):
    """Raised when a record series would be created for a class without a retention
    schedule in policies/retention.toml."""

    message = "Для этого вида документов не установлен срок хранения."


class YearIncomplete(DomainError):
    """Raised when a school year is closed without ``force`` while marks are missing;
    ``details["missing"]`` lists them."""

    message = "Учебный год нельзя закрыть: не выставлены отметки."


class DecisionsMissing(DomainError):
    """Raised when a school year is closed without ``force`` while pupils have no decision
    of the pedagogical council; ``details["undecided"]`` lists them."""

    message = "Учебный год нельзя закрыть: нет решений педагогического совета."


class UnknownDecision(DomainError):
    """Raised when a council decision is not one of the known ones."""

    message = (
        "Неизвестное решение педагогического совета (допустимо: переведён, переведён условно, "
        "оставлен на повторное обучение, выпущен)."
    )


class ProtocolRequired(DomainError):
    """Raised when a council decision is recorded without its protocol number."""

    message = "Укажите номер протокола педагогического совета."


class ProtocolDateInvalid(DomainError):
    """Raised when the protocol date is in the future or before the school year."""

    message = (
        "Дата протокола педагогического совета не может быть позже сегодняшнего дня "
        "или раньше начала учебного года."
    )


class NoExams(DomainError):
    """Raised when an exam or final mark is set in a class whose grade has no exams in
    policies/grading.toml."""

    message = "В этом классе нет экзаменов: экзаменационная и итоговая отметки не ставятся."


class NothingToPropose(DomainError):
    """Raised when a disposition is proposed with no series in it."""

    message = "Нет документов, срок хранения которых истёк."


class CertificateNotSigned(DomainError):
    """Raised when the destruction certificate cannot be signed (the signing key or the
    timestamp authority failed): nothing is destroyed then."""

    message = (
        "Акт об уничтожении не удалось подписать — ничего не уничтожено. Проверьте ключ "
        "подписи и службу меток времени и повторите."
    )


# --- separation of duties, acting in one's own name (issue 14) -------------------------------
class TokenForAnotherPerson(Forbidden):
    """Raised when an API token would be issued for a person's account by anyone but that
    person (administrators issue tokens only for service accounts)."""

    message = (
        "Токен доступа к API выпускает для себя только сам владелец учётной записи; "
        "администратор выпускает токены только для служебных учётных записей."
    )


class OwnRolesProtected(Forbidden):
    """Raised when someone would grant or remove their own roles, or confirm a grant of
    their own."""

    message = "Нельзя назначать или снимать роли самому себе."


class IncompatibleRoles(Conflict):
    """Raised when a grant would give an account two roles that ``policies/access.toml``
    declares incompatible (separation of duties)."""

    message = "Эти роли несовместимы: одна учётная запись не может совмещать их."


class ConfirmerRoleRequired(Forbidden):
    """Raised when an account that may not confirm a privileged grant confirms or rejects it."""

    message = "Подтвердить назначение этой роли может только другой уполномоченный сотрудник."


class GrantConfirmedBySameActor(Forbidden):
    """Raised when the administrator who asked for a privileged grant confirms it."""

    message = "Назначение роли подтверждает другой человек, а не тот, кто его запросил."


class NoPendingGrant(Conflict):
    """Raised when a grant is confirmed or rejected that nobody asked for (or that was
    already decided)."""

    message = "Нет ожидающего подтверждения назначения этой роли."


class ServiceAccountRole(Conflict):
    """Raised when a service account would hold a role ``policies/access.toml`` does not
    allow service accounts."""

    message = "Служебной учётной записи нельзя назначить эту роль."


class ServiceAccountNoPassword(Conflict):
    """Raised when a password would be set for a service account (it never signs in)."""

    message = "У служебной учётной записи нет пароля: она работает только через токены API."


# --- timetable and thematic plans (ADR 0019) --------------------------------------------------
class RowsRejected(InvalidInput):
    """Raised when rows of an imported file are invalid; ``problems`` holds (line, message)
    for every bad row, and nothing of the file is imported."""

    message = "Файл не импортирован: исправьте строки с ошибками и загрузите его снова."
    what = "Файл"

    def __init__(self, problems: Iterable[tuple[int, str]]) -> None:
        self.problems = tuple(sorted(problems))
        lines = sorted({line for line, _ in self.problems})
        super().__init__(
            f"{self.what} не импортирован: ошибки в строках {', '.join(map(str, lines))}. "
            "Ничего не сохранено.",
            lines=lines,
        )


class TimetableRejected(RowsRejected):
    """Raised when an imported timetable has bad rows (nothing of it is saved)."""

    what = "Файл расписания"


class ThematicPlanRejected(RowsRejected):
    """Raised when an imported thematic plan has bad rows (nothing of it is saved)."""

    what = "Тематический план"


class InvalidTimetable(InvalidInput):
    """Raised when a bell schedule, a weekly pattern or days off are inconsistent."""

    message = "Расписание задано неверно."


class NotScheduled(NotFound):
    """Raised when a lesson is held or substituted that the timetable does not have."""

    message = "По расписанию такого урока нет."


class LessonAlreadyHeld(Conflict):
    """Raised when a substitution of a lesson already held would be assigned or cancelled
    (the lesson records who held it)."""

    message = "Урок уже проведён: замену для него изменить нельзя."
