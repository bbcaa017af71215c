"""E-mail notifications on the pages (issue 18, ADR 0023): a parent's or pupil's own
settings and consent («Уведомления по почте» in the profile), opting out by the signed link
in a message (no sign-in), and the administrator's delivery record (``/admin/mail``).

The consent's text comes from ``policies/notifications.toml``; giving it and withdrawing it
are events (``domain.notifications``). The address is shown to its owner only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import fields

from domain import clock, errors
from domain.notifications import EVENTS, VIA, NotSubscribed
from domain.service import Receipt
from projections import mail
from web import forms
from web.access import permission, public
from web.pages import actor, attempt, saved, services

bp = Blueprint("notify", __name__)


class MailForm(forms.FormSchema):
    """The profile's notification settings: address, events, digest, and the consent."""

    email = forms.text(max_length=254)
    digest = fields.String(load_default="")
    consent = forms.choice(["yes"])


def register(app: Flask) -> None:
    """The blueprint; the opt-out by link takes no CSRF token (a mail client's one-click
    POST, RFC 8058: the signed token is what authorises it)."""
    app.register_blueprint(bp)
    app.extensions["csrf"].exempt(unsubscribe_by_link)

    @app.template_filter("mailed_at")
    def mailed_at(epoch: float) -> str:
        """«12.03 18:00» in the school's time."""
        moment = datetime.fromtimestamp(epoch, UTC).astimezone(clock.SCHOOL_TZ)
        return moment.strftime("%d.%m %H:%M")


def _secret() -> bytes:
    key = current_app.config["SECRET_KEY"]
    return key if isinstance(key, bytes) else str(key).encode()


def _page(problems: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    journal = services().journal
    me = actor()
    policy = journal.notifications.policy()
    return render_template(
        "notify/profile.html",
        consent=services().reads.notify.consent(str(me)),
        allowed=journal.notifications.allowed(me),
        policy=policy,
        events={code: EVENTS[code] for code in policy.events},
        via=VIA,
        problems=problems or {},
        labels={
            "email": _("Адрес электронной почты"),
            "consent": _("Согласие на обработку персональных данных"),
        },
        form=request.form,
    ), status


@bp.get("/profile/mail")
@permission("account.self")
def settings() -> ResponseReturnValue:
    """The person's own notification settings and consent."""
    return _page()


@bp.post("/profile/mail")
@permission("account.self")
def subscribe() -> ResponseReturnValue:
    """Opt in (or change the choices): the consent is recorded with its text's version."""

    def command() -> Receipt:
        data = forms.parse(MailForm(), request.form)
        chosen = [code for code in EVENTS if request.form.get(f"event_{code}") == "yes"]
        me = actor()
        receipt: Receipt = services().journal.notifications.subscribe(
            me, data["email"], chosen, data["digest"] == "yes", me
        )
        return receipt

    return attempt(command, _page, _("Уведомления включены."), url_for("notify.settings"))


@bp.post("/profile/mail/off")
@permission("account.self")
def unsubscribe() -> ResponseReturnValue:
    """Opt out with the switch on the page."""

    def command() -> Receipt:
        me = actor()
        receipt: Receipt = services().journal.notifications.unsubscribe(me, "page", me)
        return receipt

    return attempt(command, _page, _("Уведомления выключены."), url_for("notify.settings"))


@bp.get("/mail/unsubscribe/<token>")
@public
def unsubscribe_link(token: str) -> ResponseReturnValue:
    """The link of every message: asks to confirm (a GET changes nothing, so a mail
    scanner opening links does not opt anyone out)."""
    valid = mail.unsubscribe_account(_secret(), token) is not None
    return render_template(
        "notify/unsubscribe.html", token=token, valid=valid, done=False
    ), 200 if valid else 404


@bp.post("/mail/unsubscribe/<token>")
@public
def unsubscribe_by_link(token: str) -> ResponseReturnValue:
    """Opt out by the signed link: recorded as withdrawn «по ссылке в письме»."""
    account = mail.unsubscribe_account(_secret(), token)
    if account is None:
        return render_template("notify/unsubscribe.html", token=token, valid=False), 404
    try:
        saved(services().journal.notifications.unsubscribe(account, "link", account))
        already = False
    except NotSubscribed:
        already = True
    except errors.NotFound:
        return render_template("notify/unsubscribe.html", token=token, valid=False), 404
    return render_template(
        "notify/unsubscribe.html", token=token, valid=True, done=True, already=already
    )


@bp.get("/admin/mail")
@permission("admin.accounts")
def deliveries() -> ResponseReturnValue:
    """The delivery record: messages by state, failed messages, the latest attempts."""
    outbox = services().views.mail
    reads = services().reads
    failed = outbox.record(limit=100, state=mail.FAILED)
    latest = outbox.record(limit=100)
    now = clock.now()
    logins: dict[str, str] = {}
    for a in failed + latest:
        if a.account_id not in logins:
            found = reads.accounts.account(a.account_id, now)
            logins[a.account_id] = found.login if found else "—"
    active, withdrawn = reads.notify.counts()
    return render_template(
        "notify/admin.html",
        counts=outbox.counts(),
        active=active,
        withdrawn=withdrawn,
        failed=failed,
        latest=latest,
        logins=logins,
    )


def sent_beside(account_id: UUID, student_id: str) -> dict[str, Any]:
    """When each diary item of ``student_id`` was e-mailed to ``account_id`` (ref → epoch):
    the diary shows «отправлено 12.03 18:00» beside it."""
    return dict(services().views.mail.sent_refs(str(account_id), student_id))
