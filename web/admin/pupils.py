"""Pupils and guardians: registering a pupil (and enrolling in the same save), enrolment in
and withdrawal from a class, membership of extracurricular groups, and guardians registered
and linked to a pupil. Every page that shows pupils' data writes the access log."""

from __future__ import annotations

from uuid import UUID

from flask import request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from domain.enrolment import GuardianDetails, PupilRow
from domain.service import Receipt
from web import forms
from web.access import permission
from web.admin import forms as admin_forms
from web.admin.base import bp, found, page
from web.admin.school import group_again
from web.forms import is_uuid
from web.pages import Again, actor, attempt, services, today, viewed


# --- enrolment in a class or group -------------------------------------------------------
@bp.post("/groups/<uuid:group_id>/members")
@permission("admin.school")
def enrol(group_id: UUID) -> ResponseReturnValue:
    """Enrol a pupil in a class, or add one to an extracurricular group, from a date."""
    reads = services().reads
    row = found(reads.school.group(str(group_id)))
    journal = services().journal

    def command() -> Receipt:
        known = reads.people.of_kind("student")
        schema = forms.FormSchema.from_dict({"student_id": forms.choice(known), "on": forms.day()})
        data = forms.parse(schema(), request.form)
        join = journal.classes.enrol if row["kind"] == "class" else journal.classes.add_member
        receipt: Receipt = join(group_id, UUID(data["student_id"]), data["on"], actor())
        return receipt

    done = (
        _("Обучающийся зачислен.")
        if row["kind"] == "class"
        else _("Обучающийся добавлен в группу.")
    )
    return attempt(command, group_again(group_id), done, url_for("admin.group", group_id=group_id))


@bp.post("/groups/<uuid:group_id>/members/<uuid:student_id>/leave")
@permission("admin.school")
def withdraw(group_id: UUID, student_id: UUID) -> ResponseReturnValue:
    """Withdraw a pupil from a class (or a group) from a date, with a reason."""
    reads = services().reads
    row = found(reads.school.group(str(group_id)))
    found(reads.people.kind_of(str(student_id)) == "student" or None)
    journal = services().journal

    def command() -> Receipt:
        data = forms.parse(admin_forms.WithdrawForm(), request.form)
        leave = (
            journal.classes.withdraw if row["kind"] == "class" else journal.classes.remove_member
        )
        receipt: Receipt = leave(group_id, student_id, data["on"], data["reason"], actor())
        return receipt

    done = (
        _("Обучающийся выбыл.") if row["kind"] == "class" else _("Обучающийся исключён из группы.")
    )
    return attempt(command, group_again(group_id), done, url_for("admin.group", group_id=group_id))


# --- pupils ------------------------------------------------------------------------------
@bp.get("/pupils")
@permission("admin.school")
def pupils() -> ResponseReturnValue:
    """Registering a pupil, and the pupils who are in no class now."""
    return _pupils_page()


#: Guardians the picker lists at most (a narrower search finds the rest).
GUARDIANS_SHOWN = 30

#: Pupils found by a search, on one page.
FOUND_PAGE = 50


def _pupils_page(problems: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    reads = services().reads
    unplaced = reads.people.persons(reads.people.without_class())
    query = request.args.get("q", "").strip()
    found_ids = reads.people.search(query, "student") if query else []
    pages = max(1, -(-len(found_ids) // FOUND_PAGE))
    number = max(1, min(request.args.get("page", 1, int), pages))
    found_people = reads.people.persons(found_ids)[(number - 1) * FOUND_PAGE : number * FOUND_PAGE]
    classes_of = {
        p.person_id: ", ".join(
            x.group_name
            for x in reads.people.periods(student_id=p.person_id)
            if x.group_kind == "class" and x.until is None
        )
        for p in found_people
    }
    viewed(request.full_path, [p.person_id for p in unplaced + found_people])
    year = reads.school.current_year(today())
    classes = reads.school.groups(str(year["year_id"])) if year else []
    return page(
        "admin/pupils.html",
        problems,
        status,
        query=query,
        found=found_people,
        classes_of=classes_of,
        number=number,
        pages=pages,
        total=len(found_ids),
        unplaced=unplaced,
        classes=[(c["group_id"], c["name"]) for c in classes if c["kind"] == "class"],
        today=today().isoformat(),
    )


@bp.post("/pupils")
@permission("admin.school")
def register_pupil() -> ResponseReturnValue:
    """Register a pupil; with a class chosen, enrol them in the same transaction."""
    reads, journal = services().reads, services().journal

    def command() -> Receipt:
        data = forms.parse(admin_forms.PupilForm(), request.form)
        names = (data["surname"], data["name"], data["patronymic"])
        if not data["group_id"]:
            receipt: Receipt = journal.people.register_student(*names, data["birth_date"], actor())
            return receipt
        group = reads.school.group(data["group_id"]) if is_uuid(data["group_id"]) else None
        if group is None or group["kind"] != "class":
            raise forms.FormInvalid({"group_id": _("Выберите класс из списка.")})
        row = PupilRow(1, *names, data["birth_date"])
        done = journal.classes.import_class_list(UUID(data["group_id"]), [row], data["on"], actor())
        return Receipt(done.created[0], done.position)

    return attempt(
        command,
        _pupils_page,
        _("Обучающийся зарегистрирован."),
        lambda receipt: url_for("admin.pupil", student_id=receipt.id),
    )


@bp.get("/pupils/<uuid:student_id>")
@permission("admin.school")
def pupil(student_id: UUID) -> ResponseReturnValue:
    """A pupil: details, classes and groups with dates, guardians, family accounts."""
    return _pupil_page(student_id)


def _pupil_page(
    student_id: UUID, problems: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    reads = services().reads
    key = str(student_id)
    found(reads.people.kind_of(key) == "student" or None)
    person = reads.people.persons([key])[0]
    guardians = reads.people.guardians_of(key)
    linked = reads.people.persons(list(guardians))
    query = request.args.get("guardian", "").strip()
    matched = [g for g in reads.people.search(query, "guardian") if g not in guardians]
    chosen = request.form.get("guardian_id", "") if request.method == "POST" else ""
    if chosen and chosen not in matched and reads.people.kind_of(chosen) == "guardian":
        matched.append(chosen)  # a refused link keeps the guardian it chose
    family = {g: reads.accounts.of_person(g) for g in [key, *guardians]}
    viewed(request.path, [key])
    return page(
        "admin/pupil.html",
        problems,
        status,
        pupil=person,
        periods=reads.people.periods(student_id=key),
        guardians=linked,
        relations=guardians,
        guardian_query=query,
        guardian_total=len(matched),
        others=[
            (g.person_id, f"{g.name}{', ' + g.phone if g.phone else ''}")
            for g in reads.people.persons(matched)[:GUARDIANS_SHOWN]
        ],
        family=family,
    )


def _pupil_again(student_id: UUID) -> Again:
    return lambda problems, status: _pupil_page(student_id, problems, status)


@bp.post("/pupils/<uuid:student_id>/guardians")
@permission("admin.school")
def add_guardian(student_id: UUID) -> ResponseReturnValue:
    """Register a new guardian and link them to the pupil (one transaction)."""
    found(services().reads.people.kind_of(str(student_id)) == "student" or None)

    def command() -> Receipt:
        data = forms.parse(admin_forms.GuardianForm(), request.form)
        details = GuardianDetails(
            data["surname"],
            data["name"],
            data["patronymic"],
            data["phone"],
            data["email"],
            data["relation"],
        )
        receipt: Receipt = services().journal.people.register_guardian_for(
            student_id, details, actor()
        )
        return receipt

    to = url_for("admin.pupil", student_id=student_id)
    return attempt(command, _pupil_again(student_id), _("Представитель добавлен."), to)


@bp.post("/pupils/<uuid:student_id>/guardians/link")
@permission("admin.school")
def link_guardian(student_id: UUID) -> ResponseReturnValue:
    """Link an already registered guardian (a sibling's parent) to the pupil."""
    reads = services().reads
    found(reads.people.kind_of(str(student_id)) == "student" or None)

    def command() -> Receipt:
        known = reads.people.of_kind("guardian")
        schema = forms.FormSchema.from_dict(
            {"guardian_id": forms.choice(known), "relation": forms.text(max_length=50)}
        )
        data = forms.parse(schema(), request.form)
        receipt: Receipt = services().journal.people.link_guardian(
            student_id, UUID(data["guardian_id"]), data["relation"], actor()
        )
        return receipt

    to = url_for("admin.pupil", student_id=student_id)
    return attempt(command, _pupil_again(student_id), _("Представитель привязан."), to)
