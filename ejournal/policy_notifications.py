"""``policies/notifications.toml``: its strict schema and the domain policy it builds."""

from __future__ import annotations

from datetime import time
from typing import Any

from marshmallow import ValidationError, fields, validate, validates

from domain.notifications import EVENTS, NotificationPolicy
from ejournal.policyschema import Strict, StrictInt


class NotificationsSchema(Strict):
    """Digest time, the pupils' age, the events offered, retries and the consent text."""

    digest_at = fields.String(required=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"))
    pupil_min_age = StrictInt(required=True, validate=validate.Range(min=6, max=18))
    events = fields.List(
        fields.String(validate=validate.OneOf(list(EVENTS))),
        required=True,
        validate=validate.Length(max=len(EVENTS)),
    )
    retry_minutes = fields.List(
        StrictInt(validate=validate.Range(min=1, max=1440)),
        required=True,
        validate=validate.Length(min=1, max=20),
    )
    consent_text = fields.String(required=True, validate=validate.Length(min=50, max=4000))

    @validates("events")
    def _unique(self, value: list[str], **_: Any) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("an event listed twice")


def build(d: dict[str, Any]) -> NotificationPolicy:
    """The domain policy from a validated file."""
    hour, minute = (int(part) for part in d["digest_at"].split(":"))
    return NotificationPolicy(
        digest_at=time(hour, minute),
        pupil_min_age=d["pupil_min_age"],
        events=tuple(d["events"]),
        consent_text=" ".join(d["consent_text"].split()),
        retry_minutes=tuple(d["retry_minutes"]),
    )
