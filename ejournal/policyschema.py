"""Building blocks of the strict policy-file schemas: strict scalars, texts, role lists."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from domain.account import ROLES


class StrictInt(fields.Integer):
    """An integer that must be written as an integer in the file (no "2", no true)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictBool(fields.Boolean):
    """A boolean written as true/false, not as a string or a number."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def text(**kwargs: Any) -> fields.String:
    """A required, non-empty text of at most 200 characters."""
    return fields.String(required=True, validate=validate.Length(min=1, max=200), **kwargs)


def roles() -> fields.List[str]:
    """A required, non-empty list of known roles."""
    return fields.List(
        fields.String(validate=validate.OneOf(list(ROLES))),
        required=True,
        validate=validate.Length(min=1),
    )


def unique(items: list[dict[str, Any]], key: str, where: str) -> None:
    """Raise ``ValidationError`` naming the first item whose ``key`` repeats."""
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item[key] in seen:
            raise ValidationError({where: {index: {key: [f"duplicate {key} '{item[key]}'"]}}})
        seen.add(item[key])


class Strict(Schema):
    """A schema that rejects unknown keys."""

    class Meta:
        unknown = RAISE


def role_map() -> fields.Dict:
    """A table of known roles, each with a non-empty list of known roles."""
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(list(ROLES))),
        values=roles(),
        required=True,
    )


class DutiesSchema(Strict):
    """``[duties]`` of ``access.toml``: privileged roles and who confirms each, the roles
    of service accounts, incompatible roles (separation of duties, issue 14)."""

    privileged = roles()
    service_roles = roles()
    confirmers = role_map()
    incompatible = role_map()

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        privileged = set(data["privileged"])
        missing = sorted(privileged - set(data["confirmers"]))
        if missing:
            raise ValidationError({"confirmers": [f"no confirmers for {', '.join(missing)}"]})
        extra = sorted(set(data["confirmers"]) - privileged)
        if extra:
            raise ValidationError({"confirmers": [f"not privileged: {', '.join(extra)}"]})
        for role, others in data["incompatible"].items():
            if role in others:
                raise ValidationError({"incompatible": {role: ["a role with itself"]}})
        both = sorted(privileged & set(data["service_roles"]))
        if both:
            raise ValidationError(
                {"service_roles": [f"privileged roles for services: {', '.join(both)}"]}
            )
