"""Administration commands, in four groups of the journal: ``School`` (the school year and
its terms), ``People`` (pupils and guardians), ``Accounts`` (accounts, roles, passwords, locks,
failed sign-ins) and ``Classes`` (classes, extracurricular groups, course journals, enrolment,
class-list import)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

from domain import clock, errors, ids, passwords
from domain.account import ROLES, Account, check_role
from domain.base import SYSTEM_ACTOR, Aggregate
from domain.enrolment import GuardianDetails, PupilRow, guardian_from, row_problems, student_from
from domain.groups import ActivityGroup, ClassGroup, CourseJournal
from domain.people import FullName, Guardian, Student
from domain.school_year import SchoolYear
from domain.service import CommandGroup, JournalBase, Receipt

#: Five failed logins within 15 minutes lock an account for 15 minutes.
LOCKOUT_LIMIT = 5
LOCKOUT = timedelta(minutes=15)


class School(CommandGroup):
    """The school year and its terms: the administrator opens them, the deputy head or
    head closes and re-opens terms."""

    def open_school_year(
        self, school: str, year: str, starts: date, ends: date, actor: UUID
    ) -> Receipt:
        """Open a school year («2025/26») running from ``starts`` to ``ends``."""
        self.app.require_permission(actor, "admin.school")
        if starts >= ends:
            raise errors.InvalidInput("Дата начала учебного года должна быть раньше даты конца.")
        return self.app.create(
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
        self.app.require_permission(actor, "admin.school")
        return self.app.change(
            SchoolYear, year_id, lambda y: y.define_term(number, title, starts, ends, actor)
        )

    def close_term(self, year_id: UUID, number: int, actor: UUID) -> Receipt:
        """Close a term (deputy head or head): its entries lock."""
        self.app.require_role(actor, self.app.policies.journal.period_roles)
        return self.app.change(SchoolYear, year_id, lambda y: y.close_term(number, actor))

    def reopen_term(
        self, year_id: UUID, number: int, reason: str, order_no: str, actor: UUID
    ) -> Receipt:
        """Re-open a closed term under a reason and an order number."""
        self.app.require_role(actor, self.app.policies.journal.period_roles)
        reg = self.app.policies.journal
        return self.app.change(
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


class People(CommandGroup):
    """Pupils and guardians: registering them, correcting details, linking a guardian."""

    def register_student(
        self, surname: str, name: str, patronymic: str, birth_date: date, actor: UUID
    ) -> Receipt:
        """Register a pupil; the details are encrypted under the pupil's own key."""
        self.app.require_permission(actor, "admin.school")
        full = FullName(surname.strip(), name.strip(), patronymic.strip())
        student_id = uuid4()
        return self.app.create(
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
        self.app.require_permission(actor, "admin.school")
        minimum = self.app.policies.journal.min_reason_length
        return self.app.change(
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
        self.app.require_permission(actor, "admin.school")
        full = FullName(surname.strip(), name.strip(), patronymic.strip())
        guardian_id = uuid4()
        return self.app.create(
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
        self.app.require_permission(actor, "admin.school")
        self.app.load(Guardian, guardian_id)
        return self.app.change(
            Student,
            student_id,
            lambda s: s.link_guardian(guardian_id, relation, actor),
            errors.StudentNotFound,
        )

    def register_guardian_for(
        self, student_id: UUID, guardian: GuardianDetails, actor: UUID
    ) -> Receipt:
        """Register a parent or legal representative and link them to a pupil, in one
        transaction (no unlinked guardian is left behind when the link is refused)."""
        self.app.require_permission(actor, "admin.school")
        holder: list[UUID] = []

        def command() -> list[Aggregate]:
            pupil = self.app.load(Student, student_id, errors.StudentNotFound)
            found = guardian_from(guardian, actor)
            pupil.link_guardian(found.id, guardian.relation, actor)
            holder[:] = [found.id]
            return [found, pupil]

        receipt = self.app.run(command, student_id)
        return Receipt(holder[0], receipt.position)


class Accounts(CommandGroup):
    """Accounts: creating them, roles, passwords, locks, failed sign-ins."""

    def __init__(self, app: JournalBase) -> None:
        super().__init__(app)
        #: The strength estimate of new passwords (zxcvbn), given by the composition root
        #: (``ejournal/password_strength.py``); None: only the rules of ``domain.passwords``.
        self.strength: passwords.StrengthCheck | None = None
        #: Called with an account's id after its password changed (not after a rehash):
        #: the server-side sessions end the account's other sessions there (issue 14, item
        #: 3: the session store registers its hook; today none is registered).
        self.password_changed_listeners: list[Callable[[UUID], None]] = []

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
        the guardian or pupil it belongs to. Privileged roles (``[duties]`` of
        ``access.toml``) asked for by an administrator are pending until a second person
        confirms them; the operator (the system actor) grants them at once."""
        if actor != SYSTEM_ACTOR:
            self.app.require_permission(actor, "admin.accounts")
        login = self._login(login)
        if not roles:
            raise errors.InvalidInput("Укажите хотя бы одну роль.")
        for role in roles:
            check_role(role)
        self._check_compatible(set(roles))
        self._check_person(roles, person_id)
        FullName(surname.strip(), name.strip(), patronymic.strip())
        passwords.check_password(password, login, (surname, name, patronymic), self.strength)
        password_hash = passwords.hash_password(password)
        privileged = self.app.policies.access.duties.privileged
        asked = sorted(set(roles) & privileged) if actor != SYSTEM_ACTOR else []
        account_id = ids.account_id(login)

        def make() -> Account:
            account = Account(
                login=login,
                surname=surname.strip(),
                name=name.strip(),
                patronymic=patronymic.strip(),
                roles=sorted(set(roles) - set(asked)),
                password_hash=password_hash,
                person_id=person_id,
                series=ids.person_series(account_id),
                actor=actor,
            )
            for role in asked:
                account.request_grant(role, actor)
            return account

        return self.app.create(make, exists_message=f"Логин «{login}» уже занят.")

    def create_service_account(
        self, login: str, title: str, roles: list[str], actor: UUID
    ) -> Receipt:
        """Create a service account: another system that uses the JSON API with tokens an
        administrator issues for it. It has no password (never signs in on the pages) and
        holds only the roles ``service_roles`` of ``access.toml`` allows."""
        self.app.require_permission(actor, "admin.accounts")
        login = self._login(login)
        title = title.strip()
        if not title or len(title) > 100:
            raise errors.InvalidInput("Укажите название системы (до 100 символов).")
        if not roles:
            raise errors.InvalidInput("Укажите хотя бы одну роль.")
        for role in roles:
            self._check_service_role(check_role(role))
        account_id = ids.account_id(login)

        def make() -> Account:
            account = Account(
                login=login,
                surname=title,
                name="",
                patronymic="",
                roles=sorted(set(roles)),
                password_hash="",
                person_id=None,
                series=ids.person_series(account_id),
                actor=actor,
            )
            account.designate_service(actor)
            return account

        return self.app.create(make, exists_message=f"Логин «{login}» уже занят.")

    @staticmethod
    def _login(login: str) -> str:
        login = login.strip().lower()
        if not re.fullmatch(r"[a-z0-9][a-z0-9._]{0,63}", login):
            raise errors.InvalidInput("Логин: латинские буквы, цифры, точка и подчёркивание.")
        return login

    def _check_compatible(self, roles: set[str]) -> None:
        """``IncompatibleRoles`` when ``roles`` hold a pair ``access.toml`` forbids."""
        conflicts = self.app.policies.access.duties.conflicts(roles)
        if conflicts:
            first, second = conflicts[0]
            raise errors.IncompatibleRoles(
                f"Роли «{ROLES[first]}» и «{ROLES[second]}» несовместимы: одна учётная "
                "запись не может совмещать их (policies/access.toml, [duties.incompatible]).",
                roles=[first, second],
            )

    def _check_service_role(self, role: str) -> None:
        if role not in self.app.policies.access.duties.service_roles:
            raise errors.ServiceAccountRole(
                f"Служебной учётной записи нельзя назначить роль «{ROLES[role]}».", role=role
            )

    def record_failed_login(self, login: str) -> bool:
        """Record a failed login of an existing account (unknown logins leave no trace);
        five failures within 15 minutes lock it for 15 minutes. True when it locked."""
        account_id = ids.account_id(login)
        if not self.app.exists(account_id):
            return False
        locked: list[bool] = []

        def fail(account: Account) -> None:
            locked[:] = [account.record_login_failure(clock.now(), LOCKOUT_LIMIT, LOCKOUT)]

        self.app.change(Account, account_id, fail, errors.AccountNotFound)
        return bool(locked and locked[0])

    def _check_person(self, roles: list[str], person_id: UUID | None) -> None:
        """A parent's account belongs to a guardian, a pupil's to a pupil."""
        expected = {"parent": Guardian, "pupil": Student}
        for role, cls in expected.items():
            if role in roles and (
                person_id is None
                or not self.app.exists(person_id)
                or not isinstance(self.app.repository.get(person_id), cls)
            ):
                raise errors.InvalidInput(
                    "Учётная запись родителя связывается с законным представителем, "
                    "учётная запись обучающегося — с обучающимся.",
                    role=role,
                )
        if person_id is not None and not (set(roles) & set(expected)):
            raise errors.InvalidInput("Связь с человеком нужна только родителю и обучающемуся.")

    def change_password(self, account_id: UUID, new_password: str, actor: UUID) -> Receipt:
        """Change a password: one's own (``PasswordChanged``), or anyone's by the
        administrator — recorded as a reset (``PasswordReset``), and the owner must change
        it at the next sign-in. The new one must suit the account
        (``domain.passwords.check_password``)."""
        if actor not in (account_id, SYSTEM_ACTOR):
            self.app.require_permission(actor, "admin.accounts")
        account = self.app.load(Account, account_id, errors.AccountNotFound, readonly=True)
        if account.service:
            raise errors.ServiceAccountNoPassword()
        account.check_new_password(new_password, self.strength)
        password_hash = passwords.hash_password(new_password)
        own = actor == account_id
        receipt = self.app.change(
            Account,
            account_id,
            lambda a: (
                a.change_password(password_hash, actor)
                if own
                else a.reset_password(password_hash, actor)
            ),
            errors.AccountNotFound,
        )
        for listener in self.password_changed_listeners:
            listener(account_id)
        return receipt

    def change_own_password(self, account_id: UUID, current: str, new_password: str) -> Receipt:
        """Change one's own password, knowing the current one (``WrongPassword`` otherwise;
        the same password again is refused)."""
        account = self.app.load(Account, account_id, errors.AccountNotFound, readonly=True)
        if not passwords.verify_password(current, account.password_hash):
            raise errors.WrongPassword("Текущий пароль введён неверно.")
        if new_password == current:
            raise errors.WeakPassword("Новый пароль совпадает с текущим.")
        return self.change_password(account_id, new_password, account_id)

    def grant_role(self, account_id: UUID, role: str, actor: UUID) -> Receipt:
        """Grant a role to an account (a parent's or pupil's role only to an account linked
        to that guardian or pupil). Never one's own; never a role incompatible with the
        account's (``IncompatibleRoles``); a privileged role is only asked for, and takes
        effect when a second person confirms it (``confirm_role_grant``)."""
        self.app.require_permission(actor, "admin.accounts")
        if account_id == actor:
            raise errors.OwnRolesProtected()
        check_role(role)
        account = self.app.load(Account, account_id, errors.AccountNotFound, readonly=True)
        if role in ("parent", "pupil"):
            self._check_person([role], account.person_id)
        if account.service:
            self._check_service_role(role)
        privileged = role in self.app.policies.access.duties.privileged and actor != SYSTEM_ACTOR

        def grant(a: Account) -> None:
            self._check_compatible(set(a.roles) | set(a.pending) | {role})
            if privileged:
                a.request_grant(role, actor)
            else:
                a.grant(role, actor)

        return self.app.change(Account, account_id, grant, errors.AccountNotFound)

    def confirm_role_grant(self, account_id: UUID, role: str, actor: UUID) -> Receipt:
        """Confirm a pending privileged grant (by one holding a role of
        ``[duties.confirmers]`` for it; not by the one who asked, nor by the grantee)."""
        self._check_confirmer(account_id, role, actor)

        def confirm(a: Account) -> None:
            self._check_compatible(set(a.roles) | {role})
            a.confirm_grant(role, actor)

        return self.app.change(Account, account_id, confirm, errors.AccountNotFound)

    def reject_role_grant(self, account_id: UUID, role: str, actor: UUID) -> Receipt:
        """Reject a pending privileged grant (a confirmer, or the one who asked)."""
        account = self.app.load(Account, account_id, errors.AccountNotFound, readonly=True)
        if account.pending.get(role) != actor:
            self._check_confirmer(account_id, role, actor)
        return self.app.change(
            Account, account_id, lambda a: a.reject_grant(role, actor), errors.AccountNotFound
        )

    def _check_confirmer(self, account_id: UUID, role: str, actor: UUID) -> None:
        if account_id == actor:
            raise errors.OwnRolesProtected()
        confirmers = self.app.policies.access.duties.confirmers.get(check_role(role), frozenset())
        if actor == SYSTEM_ACTOR:
            return
        if not self.app.actor(actor).has_any(confirmers):
            raise errors.ConfirmerRoleRequired(
                "Подтвердить назначение роли «{}» может: {}.".format(
                    ROLES[role], ", ".join(ROLES[r] for r in sorted(confirmers)) or "никто"
                ),
                role=role,
            )

    def revoke_role(self, account_id: UUID, role: str, actor: UUID) -> Receipt:
        """Revoke a role from an account (never one's own)."""
        self.app.require_permission(actor, "admin.accounts")
        if account_id == actor:
            raise errors.OwnRolesProtected()
        return self.app.change(
            Account, account_id, lambda a: a.revoke(role, actor), errors.AccountNotFound
        )

    def lock_account(
        self, account_id: UUID, reason: str, actor: UUID, until: datetime | None = None
    ) -> Receipt:
        """Lock an account (for good, or until a moment); never one's own."""
        self.app.require_permission(actor, "admin.accounts")
        if account_id == actor:
            raise errors.OwnAccountProtected()
        return self.app.change(
            Account, account_id, lambda a: a.lock(reason, until, actor), errors.AccountNotFound
        )

    def unlock_account(self, account_id: UUID, actor: UUID) -> Receipt:
        """Unlock an account."""
        self.app.require_permission(actor, "admin.accounts")
        return self.app.change(
            Account, account_id, lambda a: a.unlock(actor), errors.AccountNotFound
        )


class Classes(CommandGroup):
    """Classes, extracurricular groups and course journals: forming them, teachers,
    enrolment and withdrawal, and a whole class list imported in one transaction."""

    def form_class(self, year_id: UUID, name: str, grade: int, actor: UUID) -> Receipt:
        """Form a class («5А») in a school year."""
        self.app.require_permission(actor, "admin.school")
        year = self.app.load(SchoolYear, year_id)
        year.check_open()
        name = name.strip()
        if not name or not 1 <= grade <= 11:
            raise errors.InvalidInput("Класс: название и параллель 1–11.")
        return self.app.create(
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
        self.app.require_permission(actor, "admin.school")
        self.app.load(Account, teacher_id, errors.AccountNotFound)
        return self.app.change(
            ClassGroup, class_id, lambda c: c.assign_class_teacher(teacher_id, actor)
        )

    def enrol(self, class_id: UUID, student_id: UUID, on: date, actor: UUID) -> Receipt:
        """Enrol a pupil in a class from ``on``."""
        self.app.require_permission(actor, "admin.school")
        self.app.load(Student, student_id, errors.StudentNotFound)
        return self.app.change(ClassGroup, class_id, lambda c: c.enrol(student_id, on, actor))

    def withdraw(
        self, class_id: UUID, student_id: UUID, on: date, reason: str, actor: UUID
    ) -> Receipt:
        """Withdraw a pupil from a class; ``on`` is the first day away."""
        self.app.require_permission(actor, "admin.school")
        return self.app.change(
            ClassGroup, class_id, lambda c: c.withdraw(student_id, on, reason, actor)
        )

    def form_activity_group(self, year_id: UUID, code: str, title: str, actor: UUID) -> Receipt:
        """Form an extracurricular group (pupils of any class may join)."""
        self.app.require_permission(actor, "admin.school")
        year = self.app.load(SchoolYear, year_id)
        code, title = code.strip(), title.strip()
        if not code or not title:
            raise errors.InvalidInput("Укажите код и название группы.")
        return self.app.create(
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
        self.app.require_permission(actor, "admin.school")
        self.app.load(Student, student_id, errors.StudentNotFound)
        return self.app.change(
            ActivityGroup, group_id, lambda g: g.add_member(student_id, on, actor)
        )

    def remove_member(
        self, group_id: UUID, student_id: UUID, on: date, reason: str, actor: UUID
    ) -> Receipt:
        """Remove a pupil from an extracurricular group."""
        self.app.require_permission(actor, "admin.school")
        return self.app.change(
            ActivityGroup, group_id, lambda g: g.remove_member(student_id, on, reason, actor)
        )

    def open_course_journal(self, group_id: UUID, subject: str, scale: str, actor: UUID) -> Receipt:
        """Open the journal of a subject for a class (or of an extracurricular group)."""
        self.app.require_permission(actor, "admin.school")
        self.app.policies.grading.scale(scale)
        subject = subject.strip()
        if not subject:
            raise errors.InvalidInput("Укажите предмет.")
        group: ClassGroup | ActivityGroup
        if self.app.exists(group_id) and isinstance(
            self.app.repository.get(group_id), ActivityGroup
        ):
            group, kind = self.app.load(ActivityGroup, group_id), "activity"
        else:
            group, kind = self.app.load(ClassGroup, group_id), "class"
        return self.app.create(
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
        self.app.require_permission(actor, "admin.school")
        teacher = self.app.load(Account, teacher_id, errors.AccountNotFound)
        if "teacher" not in teacher.roles:
            raise errors.RoleRequired("Журнал может вести только учитель.")
        return self.app.change(
            CourseJournal, course_journal_id, lambda j: j.assign_teacher(teacher_id, actor)
        )

    def unassign_teacher(self, course_journal_id: UUID, teacher_id: UUID, actor: UUID) -> Receipt:
        """Stop a teacher keeping a course journal (what they entered stays theirs)."""
        self.app.require_permission(actor, "admin.school")
        return self.app.change(
            CourseJournal, course_journal_id, lambda j: j.unassign_teacher(teacher_id, actor)
        )

    def import_class_list(
        self, class_id: UUID, rows: Sequence[PupilRow], on: date, actor: UUID
    ) -> Receipt:
        """Register every pupil of ``rows``, enrol them in the class from ``on`` and link
        the guardians given — in one transaction. Raises ``ClassListRejected`` naming every
        bad row (empty name, birth date not before ``on``, a repeated row, a pupil already
        in the class); then nothing is saved. The receipt lists the new pupils' ids."""
        self.app.require_permission(actor, "admin.school")
        if not rows:
            raise errors.InvalidInput("В списке нет ни одного обучающегося.")
        created: list[UUID] = []

        def command() -> list[Aggregate]:
            group = self.app.load(ClassGroup, class_id)
            self.app.load(SchoolYear, group.year_id, readonly=True).check_open()
            problems = row_problems(rows, on) + self._already_in(group, rows)
            if problems:
                raise errors.ClassListRejected(problems)
            guardians: dict[tuple[str, ...], Guardian] = {}
            pupils = []
            for row in rows:
                pupil = student_from(row, actor)
                group.enrol(pupil.id, on, actor)
                if row.guardian is not None:
                    found = guardians.get(row.guardian.key)
                    if found is None:
                        found = guardians[row.guardian.key] = guardian_from(row.guardian, actor)
                    pupil.link_guardian(found.id, row.guardian.relation, actor)
                pupils.append(pupil)
            created[:] = [p.id for p in pupils]
            return [*guardians.values(), *pupils, group]

        receipt = self.app.run(command, class_id)
        return Receipt(class_id, receipt.position, tuple(created))

    def _already_in(self, group: ClassGroup, rows: Sequence[PupilRow]) -> list[tuple[int, str]]:
        """Rows naming a pupil who already belongs to the class (a list imported twice)."""
        current = {s for s, periods in group.members.items() if periods[-1][1] is None}
        known = set()
        for student_id in current:
            pupil = self.app.load(Student, student_id, errors.StudentNotFound, readonly=True)
            row = PupilRow(0, pupil.surname, pupil.name, pupil.patronymic, pupil.birth_date)
            known.add(row.key)
        return [
            (row.line, "Такой обучающийся уже зачислен в этот класс.")
            for row in rows
            if row.key in known
        ]
