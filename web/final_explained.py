"""Why a term or year mark is what it is (issue 18 §2, ADR 0024): the page the grid, the
class teacher's and auditor's journal and the diary link from every term and year mark.

It shows the marks the mark was computed from with their kinds and weights, the weighted
average, the rounding rule, the version of ``grading.toml`` in force (its sha256, and the
head-approved version containing it when one is known), what was set and the reason beside
it — as of the moment it was set — then the inputs corrected after that («после выставления
исправлено»).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

from babel.numbers import format_decimal
from flask import abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from web.pages import services, viewed

#: ``app.extensions`` key of the function that names the head-approved version of the
#: policies containing a ``grading.toml`` content hash («приказ № … от …»), or None.
APPROVED_VERSION = "ejournal.approved_version"


def approved_version(content_hash: str) -> str | None:
    """The approved version of the policies («утверждены приказом № … от …») whose
    ``grading.toml`` has ``content_hash``, when the application knows one (the policy
    versions of issue 18 §4 register a function under ``APPROVED_VERSION``)."""
    find: Callable[[str], str | None] | None = current_app.extensions.get(APPROVED_VERSION)
    return find(content_hash) if find is not None and content_hash else None


def number(value: Fraction | str | int | None, pattern: str = "0.##") -> str:
    """A number in the reader's language («4,25» in Russian; "" for None)."""
    if value is None or value == "":
        return ""
    exact = (
        Decimal(value.numerator) / Decimal(value.denominator)
        if isinstance(value, Fraction)
        else Decimal(str(value))
    )
    return str(format_decimal(exact, pattern, locale=str(get_locale())))


def page(course_journal_id: UUID, term: int, student_id: UUID, back: str) -> ResponseReturnValue:
    """The explanation of a pupil's term (``term`` 1…) or year (``term`` 0) mark."""
    reads = services().reads
    course = reads.school.course(str(course_journal_id))
    if course is None:
        abort(404)
    found = reads.journal.explanation(str(course_journal_id), term or None, str(student_id))
    if found is None:
        abort(404)
    people = {str(student_id)} | {s.set_by for s in found.settings if s.set_by}
    names = reads.people.names(people, short=True)
    viewed(request.path, [str(student_id)])
    grading = services().policies.grading
    current = found.current
    policy = current.basis.policy if current.basis is not None else ""
    return render_template(
        "journal/explained.html",
        course=course,
        found=found,
        current=current,
        earlier=found.settings[:-1],
        name=names.get(str(student_id), ""),
        names=names,
        kinds={code: k.title for code, k in grading.kinds.items()},
        policy=policy,
        approved=approved_version(policy),
        policy_now=grading.content_hash,
        back=back,
        number=number,
    )
