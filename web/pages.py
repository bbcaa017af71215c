"""What every blueprint needs: the services, the actor, today, read-your-writes after a
command, the access log, and the one form → command → redirect round trip every page
submits through (``attempt``, or ``submit`` for a form with a schema), which renders the
form again with its errors when the form or a rule refuses it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any
from uuid import UUID

from flask import current_app, flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from domain import clock, errors
from domain.service import Receipt
from projections.storage_errors import storage_problem
from web import forms
from web.config import Services
from web.errors import SavedNotShown, status_of


def services() -> Services:
    """The built application objects."""
    found: Services = current_app.extensions["services"]
    return found


def actor() -> UUID:
    """The signed-in account's id, as commands take it."""
    return UUID(current_user.id)


def today() -> date:
    """The school's date now (server clock, school time zone)."""
    return clock.today()


def saved(receipt: Receipt) -> Receipt:
    """Wait until the views hold the command's events, so the next page shows them.

    When they do not get there because the database filled up right after the command was
    committed, say so (``SavedNotShown``): the command IS stored — a refusal would invite
    entering it twice — and the views catch up once space returns."""
    views = services().views
    if not views.wait_for(receipt.position):
        try:
            views.nudge()
        except Exception as error:
            if storage_problem(error) is None:
                raise
            raise SavedNotShown(receipt.position) from None
    return receipt


def viewed(page: str, student_ids: Iterable[str]) -> None:
    """Append to the access log that the signed-in staff member saw these pupils' data."""
    if current_user.roles & {"parent", "pupil"} and not current_user.roles - {"parent", "pupil"}:
        return  # a family reading its own diary is not staff access
    shown = sorted({str(s) for s in student_ids if s})  # "": an entry with no pupil
    if shown:
        services().journal.access_log.record_access(actor(), page, [UUID(s) for s in shown])


def by_name(ids: Iterable[str], names: dict[str, str]) -> list[str]:
    """Pupils in the order of the class list: by name (Russian alphabet), then by id."""
    return sorted(ids, key=lambda i: (names.get(i, "").replace("ё", "е").lower(), i))


#: Renders a form's page again with its problems and the status to answer.
Again = Callable[[dict[str, str], int], ResponseReturnValue]


#: The page's own answer to a refusal it shows apart (a field's message for a lookup that
#: failed, the lines of a rejected file…).
Refusal = Callable[[Any], ResponseReturnValue]


def attempt(
    command: Callable[[], Receipt | None],
    again: Again,
    done: str | Callable[[], str] | None,
    to: str | Callable[[Receipt], str],
    *,
    refusals: Mapping[type[Exception], Refusal] | None = None,
    shown: Callable[[Receipt], ResponseReturnValue] | None = None,
) -> ResponseReturnValue:
    """Post/redirect/get, the one way every page runs a form's command: run ``command``
    (the form's parsing and one application command); then wait for the views, say
    ``done`` (nothing when ``None``) and go to ``to`` (or to ``to(receipt)``).

    A refused form (422) or rule renders the page again through ``again(problems,
    status)``; nothing is written then. ``refusals`` answers the errors a page shows apart
    (checked first, by the first class the error belongs to; other errors than forms' and
    rules' are refused only when named there). A command that has nothing to write returns
    ``None`` (then nothing is waited for). ``shown(receipt)`` answers instead of the
    redirect, for a page shown once (a new token is in no URL or cookie)."""
    special = tuple(refusals or {})
    try:
        receipt = command()
        if receipt is not None:
            saved(receipt)
    except special as error:
        answer = next(a for kind, a in (refusals or {}).items() if isinstance(error, kind))
        return answer(error)
    except forms.FormInvalid as error:
        return again(error.errors, 422)
    except errors.DomainError as error:
        return again({"_": error.text}, status_of(error))
    if shown is not None:
        assert receipt is not None, "a page shown after a command shows what it wrote"
        return shown(receipt)
    if done is not None:
        flash(done if isinstance(done, str) else done(), "ok")
    if isinstance(to, str):
        return redirect(to)
    assert receipt is not None, "a redirect to what was written needs a receipt"
    return redirect(to(receipt))


def submit(
    schema: forms.FormSchema,
    command: Callable[[dict[str, Any]], tuple[Receipt, str]],
    page: Again,
    to: str,
) -> ResponseReturnValue:
    """``attempt`` for a form parsed through ``schema``, whose ``command(data)`` returns its
    receipt and the message for the user."""
    said: list[str] = []

    def run() -> Receipt:
        receipt, message = command(forms.parse(schema, request.form))
        said.append(message)
        return receipt

    return attempt(run, page, lambda: said[0], to)
