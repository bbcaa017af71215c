"""The strict schema of ``policies/retention.toml`` and how it becomes a ``RetentionPolicy``.

Every error names the key: an unknown key, a missing or malformed ``period``, an unknown
``action`` or ``trigger``, a series prefix claimed twice, a permanent class with a trigger.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from domain.policies import ACTIONS, COUNT_FROM, TRIGGERS, Period, RecordClass, RetentionPolicy
from ejournal.policyschema import Strict, roles, text, unique

PERMANENT = "permanent"
_PERIOD = re.compile(r"P(?:(\d{1,3})Y)?(?:(\d{1,3})M)?(?:(\d{1,4})D)?")
_PREFIX = re.compile(r"[a-z][a-z0-9-]{0,31}")
#: «ст. 690», «ст. 690а», «ст. 19 п. б»; or «вне Перечня»; or «не определена».
ARTICLE = re.compile(r"ст\. [1-9][0-9]{0,3}[а-я]?(?: п\. [а-я0-9]{1,2})?|вне Перечня|не определена")


def parse_period(value: str) -> Period | None:
    """``"P5Y"`` → ``Period(5)``; ``"permanent"`` → None; ``ValueError`` otherwise."""
    if value == PERMANENT:
        return None
    match = _PERIOD.fullmatch(value)
    if match is None or value == "P":
        raise ValueError(value)
    years, months, days = (int(g) if g else 0 for g in match.groups())
    return Period(years, months, days)


class PeriodField(fields.String):
    """A retention period: ISO 8601 years/months/days (``P5Y``) or ``permanent``."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text_value = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_period(text_value)
        except ValueError:
            raise ValidationError(
                f"not a period: {text_value!r} (use P5Y, P6M, P30D or {PERMANENT})"
            ) from None
        return text_value


class RecordClassSchema(Strict):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9-]{0,47}$"))
    title = text()
    description = fields.String(required=True, validate=validate.Length(min=1, max=500))
    legal_basis = fields.List(
        fields.String(validate=validate.Length(min=1, max=500)),
        required=True,
        validate=validate.Length(min=1),
    )
    trigger = fields.String(required=True, validate=validate.OneOf(TRIGGERS))
    period = PeriodField(required=True)
    count_from = fields.String(load_default=None, validate=validate.OneOf(COUNT_FROM))
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    approver_roles = roles()
    series_prefixes = fields.List(
        fields.String(validate=validate.Regexp(_PREFIX)),
        required=True,
        validate=validate.Length(min=1),
    )
    list_article = fields.String(
        required=True,
        validate=validate.Regexp(
            r"\A(?:" + ARTICLE.pattern + r")\Z",
            error="«ст. 690» (статья Перечня), «вне Перечня» или «не определена»",
        ),
    )

    @validates_schema
    def _permanent_has_no_trigger(self, data: dict[str, Any], **_: Any) -> None:
        permanent = data["period"] == PERMANENT
        if permanent != (data["trigger"] == "none"):
            raise ValidationError({"trigger": [f'"none" exactly when period is "{PERMANENT}"']})


class RetentionSchema(Strict):
    proposer_roles = roles()
    executor_roles = roles()
    hold_roles = roles()
    classes = fields.List(
        fields.Nested(RecordClassSchema), required=True, validate=validate.Length(min=1)
    )

    @validates_schema
    def _each_prefix_once(self, data: dict[str, Any], **_: Any) -> None:
        unique(data["classes"], "name", "classes")
        owner: dict[str, str] = {}
        for index, item in enumerate(data["classes"]):
            for prefix in item["series_prefixes"]:
                if prefix in owner:
                    raise ValidationError(
                        {
                            "classes": {
                                index: {
                                    "series_prefixes": [
                                        f"'{prefix}' already belongs to class '{owner[prefix]}'"
                                    ]
                                }
                            }
                        }
                    )
                owner[prefix] = item["name"]


def default_count_from(trigger: str) -> str:
    """Where a period runs from when the file does not say: 1 January of the year after
    the cut-off for records closed with the school year (archival practice, ADR 0007); the
    cut-off itself for personal data, which 152-FZ art. 21 has destroyed once its purpose is
    achieved, not at the next new year."""
    return "january_after_cut_off" if trigger == "school_year_closed" else "cut_off"


def build_retention(data: dict[str, Any]) -> RetentionPolicy:
    """The validated file as domain policy."""
    classes = {
        c["name"]: RecordClass(
            name=c["name"],
            title=c["title"],
            description=c["description"],
            legal_basis=tuple(c["legal_basis"]),
            trigger=c["trigger"],
            period=parse_period(c["period"]),
            action=c["action"],
            approver_roles=frozenset(c["approver_roles"]),
            series_prefixes=tuple(c["series_prefixes"]),
            count_from=c["count_from"] or default_count_from(c["trigger"]),
            article=c["list_article"],
        )
        for c in data["classes"]
    }
    return RetentionPolicy(
        classes=classes,
        proposer_roles=frozenset(data["proposer_roles"]),
        executor_roles=frozenset(data["executor_roles"]),
        hold_roles=frozenset(data["hold_roles"]),
    )
