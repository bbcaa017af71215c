"""Administration commands: the school year, people, accounts, classes, course journals."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

from domain import clock, errors, ids, passwords
from domain.account import Account, check_role
from domain.base import SYSTEM_ACTOR
from domain.groups import ActivityGroup, ClassGroup, CourseJournal
from domain.people import FullName, Guardian, Student
from domain.school_year import SchoolYear
from domain.service import JournalBase, Receipt

ADMIN = frozenset({"admin"})
#: Five failed logins within 15 minutes lock an account for 15 minutes.
LOCKOUT_LIMIT = 5
LOCKOUT = timedelta(minutes=15)


class AdminCommands(JournalBase):
    """Commands of the administrator (and of the deputy head for terms)."""

    # --- school year ---------------------------------------------------------------------
    def open_school_year(
        self, school: str, year: str, starts: date, ends: date, actor: UUID
    ) -> Receipt:
        """Open a school year («2025/26») running from ``starts`` to ``ends``."""
        self.require_role(actor, ADMIN)
        if starts >= ends:
            raise errors.InvalidInput("Дата начала учебного года должна быть раньше даты конца.")
        return self.create(
            lambda: SchoolYear(
                school=school,
                year=year,
                starts=starts,
                ends=ends,
                series=ids.year_series(year),
                actor=actor,
            ),
            exists_message=f"Учебный год {year} уже открыт.",
        )

    def define_term(
        self, year_id: UUID, number: int, title: str, starts: date, ends: date, actor: UUID
    ) -> Receipt:
        """Define term ``number`` of a school year."""
        self.require_role(actor, ADMIN)
        return self.change(
            SchoolYear, year_id, lambda y: y.define_term(number, title, starts, ends, actor)
        )

    def close_term(self, year_id: UUID, number: int, actor: UUID) -> Receipt:
        """Close a term (deputy head or head): its entries lock."""
        self.require_role(actor, self.policies.journal.period_roles)
        return self.change(SchoolYear, year_id, lambda y: y.close_term(number, actor))

    def reopen_term(
        self, year_id: UUID, number: int, reason: str, order_no: str, actor: UUID
    ) -> Receipt:
        """Re-open a closed term under a reason and an order number."""
        self.require_role(actor, self.policies.journal.period_roles)
        reg = self.policies.journal
        return self.change(
            SchoolYear,
            year_id,
            lambda y: y.reopen_term(
                number,
                reason,
                order_no,
                actor,
                min_reason=reg.min_reason_length,
                order_required=reg.reopen_requires_order,
            ),
        )

    # --- people --------------------------------------------------------------------------
    def register_student(
        self, surname: str, name: str, patronymic: str, birth_date: date, actor: UUID
    ) -> Receipt:
        """Register a pupil; the details are encrypted under the pupil's own key."""
        self.require_role(actor, ADMIN)
        full = FullName(surname.strip(), name.strip(), patronymic.strip())
        student_id = uuid4()
        return self.create(
            lambda: Student(
                id=student_id,
                surname=full.surname,
                name=full.name,
                patronymic=full.patronymic,
                birth_date=birth_date,
                series=ids.person_series(student_id),
                actor=actor,
            )
        )

    def correct_student_details(
        self,
        student_id: UUID,
        surname: str,
        name: str,
        patronymic: str,
        birth_date: date,
        reason: str,
        actor: UUID,
    ) -> Receipt:
        """Correct a pupil's details with a reason."""
        self.require_role(actor, ADMIN)
        minimum = self.policies.journal.min_reason_length
        return self.change(
            Student,
            student_id,
            lambda s: s.correct_details(
                surname, name, patronymic, birth_date, reason, actor, min_reason=minimum
            ),
            errors.StudentNotFound,
        )

    def register_guardian(
        self, surname: str, name: str, patronymic: str, phone: str, email: str, actor: UUID
    ) -> Receipt:
        """Register a parent or legal representative."""
        self.require_role(actor, ADMIN)
        full = FullName(surname.strip(), name.strip(), patronymic.strip())
        guardian_id = uuid4()
        return self.create(
            lambda: Guardian(
                id=guardian_id,
                surname=full.surname,
                name=full.name,
                patronymic=full.patronymic,
                phone=phone.strip(),
                email=email.strip(),
                series=ids.person_series(guardian_id),
                actor=actor,
            )
        )

    def link_guardian(
        self, student_id: UUID, guardian_id: UUID, relation: str, actor: UUID
    ) -> Receipt:
        """Link a guardian to a pupil (the guardian then sees the pupil's diary)."""
        self.require_role(actor, ADMIN)
        self.load(Guardian, guardian_id)
        return self.change(
            Student,
            student_id,
            lambda s: s.link_guardian(guardian_id, relation, actor),
            errors.StudentNotFound,
        )

    # --- accounts ------------------------------------------------------------------------
    def create_account(
        self,
        login: str,
        surname: str,
        name: str,
        patronymic: str,
        roles: list[str],
        password: str,
        actor: UUID,
        person_id: UUID | None = None,
    ) -> Receipt:
        """Create an account with roles; ``person_id`` links a parent or pupil account to
        the guardian or pupil it belongs to."""
        if actor != SYSTEM_ACTOR:
            self.require_role(actor, ADMIN)
        login = login.strip().lower()
        if not re.fullmatch(r"[a-z0-9][a-z0-9._]{0,63}", login):
            raise errors.InvalidInput("Логин: латинские буквы, цифры, точка и подчёркивание.")
        if not roles:
            raise errors.InvalidInput("Укажите хотя бы одну роль.")
        for role in roles:
            check_role(role)
        self._check_person(roles, person_id)
        FullName(surname.strip(), name.strip(), patronymic.strip())
        password_hash = passwords.hash_password(password)
        account_id = ids.account_id(login)
        return self.create(
            lambda: Account(
                login=login,
                surname=surname.strip(),
                name=name.strip(),
                patronymic=patronymic.strip(),
                roles=sorted(set(roles)),
                password_hash=password_hash,
                person_id=person_id,
                series=ids.person_series(account_id),
                actor=actor,
            ),
            exists_message=f"Логин «{login}» уже занят.",
        )

    def record_failed_login(self, login: str) -> bool:
        """Record a failed login of an existing account (unknown logins leave no trace);
        five failures within 15 minutes lock it for 15 minutes. True when it locked."""
        account_id = ids.account_id(login)
        if not self.exists(account_id):
            return False
        locked: list[bool] = []

        def fail(account: Account) -> None:
            locked[:] = [account.record_login_failure(clock.now(), LOCKOUT_LIMIT, LOCKOUT)]

        self.change(Account, account_id, fail, errors.AccountNotFound)
        return bool(locked and locked[0])

    def _check_person(self, roles: list[str], person_id: UUID | None) -> None:
        """A parent's account belongs to a guardian, a pupil's to a pupil."""
        expected = {"parent": Guardian, "pupil": Student}
        for role, cls in expected.items():
            if role in roles and (
                person_id is None
                or not self.exists(person_id)
                or not isinstance(self.repository.get(person_id), cls)
            ):
                raise errors.InvalidInput(
                    "Учётная запись родителя связывается с законным представителем, "
                    "учётная запись обучающегося — с обучающимся.",
                    role=role,
                )
        if person_id is not None and not (set(roles) & set(expected)):
            raise errors.InvalidInput("Связь с человеком нужна только родителю и обучающемуся.")

    def change_password(self, account_id: UUID, new_password: str, actor: UUID) -> Receipt:
        """Change a password: one's own, or anyone's by the administrator."""
        if actor != account_id:
            self.require_role(actor, ADMIN)
        return self.change(
            Account,
            account_id,
            lambda a: a.change_password(new_password, actor),
            errors.AccountNotFound,
        )

    def grant_role(self, account_id: UUID, role: str, actor: UUID) -> Receipt:
        """Grant a role to an account (a parent's or pupil's role only to an account linked
        to that guardian or pupil)."""
        self.require_role(actor, ADMIN)
        if role in ("parent", "pupil"):
            account = self.load(Account, account_id, errors.AccountNotFound, readonly=True)
            self._check_person([role], account.person_id)
        return self.change(
            Account, account_id, lambda a: a.grant(role, actor), errors.AccountNotFound
        )

    def revoke_role(self, account_id: UUID, role: str, actor: UUID) -> Receipt:
        """Revoke a role from an account (administrators keep their own admin role)."""
        self.require_role(actor, ADMIN)
        if account_id == actor and role == "admin":
            raise errors.OwnAccountProtected()
        return self.change(
            Account, account_id, lambda a: a.revoke(role, actor), errors.AccountNotFound
        )

    def lock_account(
        self, account_id: UUID, reason: str, actor: UUID, until: datetime | None = None
    ) -> Receipt:
        """Lock an account (for good, or until a moment); never one's own."""
        self.require_role(actor, ADMIN)
        if account_id == actor:
            raise errors.OwnAccountProtected()
        return self.change(
            Account, account_id, lambda a: a.lock(reason, until, actor), errors.AccountNotFound
        )

    def unlock_account(self, account_id: UUID, actor: UUID) -> Receipt:
        """Unlock an account."""
        self.require_role(actor, ADMIN)
        return self.change(Account, account_id, lambda a: a.unlock(actor), errors.AccountNotFound)

    # --- classes and groups --------------------------------------------------------------
    def form_class(self, year_id: UUID, name: str, grade: int, actor: UUID) -> Receipt:
        """Form a class («5А») in a school year."""
        self.require_role(actor, ADMIN)
        year = self.load(SchoolYear, year_id)
        year.check_open()
        name = name.strip()
        if not name or not 1 <= grade <= 11:
            raise errors.InvalidInput("Класс: название и параллель 1–11.")
        return self.create(
            lambda: ClassGroup(
                year_id=year_id,
                year=year.year,
                name=name,
                grade=grade,
                series=ids.journal_series(year.year, name),
                actor=actor,
            ),
            exists_message=f"Класс {name} уже сформирован.",
        )

    def assign_class_teacher(self, class_id: UUID, teacher_id: UUID, actor: UUID) -> Receipt:
        """Make a teacher the class teacher of a class."""
        self.require_role(actor, ADMIN)
        self.load(Account, teacher_id, errors.AccountNotFound)
        return self.change(
            ClassGroup, class_id, lambda c: c.assign_class_teacher(teacher_id, actor)
        )

    def enrol(self, class_id: UUID, student_id: UUID, on: date, actor: UUID) -> Receipt:
        """Enrol a pupil in a class from ``on``."""
        self.require_role(actor, ADMIN)
        self.load(Student, student_id, errors.StudentNotFound)
        return self.change(ClassGroup, class_id, lambda c: c.enrol(student_id, on, actor))

    def withdraw(
        self, class_id: UUID, student_id: UUID, on: date, reason: str, actor: UUID
    ) -> Receipt:
        """Withdraw a pupil from a class; ``on`` is the first day away."""
        self.require_role(actor, ADMIN)
        return self.change(
            ClassGroup, class_id, lambda c: c.withdraw(student_id, on, reason, actor)
        )

    def form_activity_group(self, year_id: UUID, code: str, title: str, actor: UUID) -> Receipt:
        """Form an extracurricular group (pupils of any class may join)."""
        self.require_role(actor, ADMIN)
        year = self.load(SchoolYear, year_id)
        code, title = code.strip(), title.strip()
        if not code or not title:
            raise errors.InvalidInput("Укажите код и название группы.")
        return self.create(
            lambda: ActivityGroup(
                year_id=year_id,
                year=year.year,
                code=code,
                title=title,
                series=ids.extracurricular_series(year.year, code),
                actor=actor,
            ),
            exists_message=f"Группа {code} уже сформирована.",
        )

    def add_member(self, group_id: UUID, student_id: UUID, on: date, actor: UUID) -> Receipt:
        """Add a pupil to an extracurricular group."""
        self.require_role(actor, ADMIN)
        self.load(Student, student_id, errors.StudentNotFound)
        return self.change(ActivityGroup, group_id, lambda g: g.add_member(student_id, on, actor))

    def remove_member(
        self, group_id: UUID, student_id: UUID, on: date, reason: str, actor: UUID
    ) -> Receipt:
        """Remove a pupil from an extracurricular group."""
        self.require_role(actor, ADMIN)
        return self.change(
            ActivityGroup, group_id, lambda g: g.remove_member(student_id, on, reason, actor)
        )

    def open_course_journal(self, group_id: UUID, subject: str, scale: str, actor: UUID) -> Receipt:
        """Open the journal of a subject for a class (or of an extracurricular group)."""
        self.require_role(actor, ADMIN)
        self.policies.grading.scale(scale)
        subject = subject.strip()
        if not subject:
            raise errors.InvalidInput("Укажите предмет.")
        group: ClassGroup | ActivityGroup
        if self.exists(group_id) and isinstance(self.repository.get(group_id), ActivityGroup):
            group, kind = self.load(ActivityGroup, group_id), "activity"
        else:
            group, kind = self.load(ClassGroup, group_id), "class"
        return self.create(
            lambda: CourseJournal(
                group_id=group_id,
                group_kind=kind,
                subject=subject,
                scale=scale,
                year_id=group.year_id,
                series=group.series,
                actor=actor,
            ),
            exists_message=f"Журнал по предмету «{subject}» уже открыт.",
        )

    def assign_teacher(self, course_journal_id: UUID, teacher_id: UUID, actor: UUID) -> Receipt:
        """Let a teacher keep a course journal."""
        self.require_role(actor, ADMIN)
        teacher = self.load(Account, teacher_id, errors.AccountNotFound)
        if "teacher" not in teacher.roles:
            raise errors.RoleRequired("Журнал может вести только учитель.")
        return self.change(
            CourseJournal, course_journal_id, lambda j: j.assign_teacher(teacher_id, actor)
        )

    def unassign_teacher(self, course_journal_id: UUID, teacher_id: UUID, actor: UUID) -> Receipt:
        """Stop a teacher keeping a course journal (what they entered stays theirs)."""
        self.require_role(actor, ADMIN)
        return self.change(
            CourseJournal, course_journal_id, lambda j: j.unassign_teacher(teacher_id, actor)
        )
