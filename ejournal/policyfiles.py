"""Loading ``policies/*.toml`` through strict marshmallow schemas into domain policies.

Policies are data: every file in the folder must have a schema here, unknown keys are
errors, and each error names the file and the key. ``ejournal policies check`` and start-up
both go through ``load_policies``.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from domain.account import ROLES
from domain.policies import (
    SCOPES,
    AccessPolicy,
    AttendanceCode,
    AttendancePolicy,
    Duties,
    GradingPolicy,
    JournalRegulation,
    MarkKind,
    Permission,
    Policies,
    Scale,
)
from ejournal.policy_notifications import NotificationsSchema
from ejournal.policy_notifications import build as build_notifications
from ejournal.policyschema import DutiesSchema, Strict, StrictBool, StrictInt, roles, text, unique
from ejournal.retention_policy import RetentionSchema, build_retention


class PolicyError(Exception):
    """Raised when policy files are missing, unreadable or invalid; ``problems`` lists
    each as ``file: key: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ScaleSchema(Strict):
    code = text()
    title = text()
    values = fields.List(text(), required=True, validate=validate.Length(min=2))
    passing = fields.List(text(), required=True)
    numeric = StrictBool(required=True)
    colors = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.Regexp(r"^#[0-9a-f]{6}$", error="not #rrggbb")),
        load_default=dict,
    )

    @validates_schema
    def _passing_on_scale(self, data: dict[str, Any], **_: Any) -> None:
        if len(set(data["values"])) != len(data["values"]):
            raise ValidationError({"values": ["duplicate value"]})
        stray = set(data["passing"]) - set(data["values"])
        if stray:
            raise ValidationError({"passing": [f"not on the scale: {sorted(stray)}"]})
        off = set(data["colors"]) - set(data["values"])
        if off:
            raise ValidationError({"colors": [f"not on the scale: {sorted(off)}"]})


class KindSchema(Strict):
    code = text()
    title = text()
    weight = StrictInt(required=True, validate=validate.Range(min=1, max=10))
    short = fields.String(
        required=True,
        validate=validate.Regexp(r"^[а-яё]{1,6}$", error="1–6 lower-case Russian letters"),
    )


class ExamsSchema(Strict):
    grades = fields.List(
        StrictInt(validate=validate.Range(min=1, max=12)),
        required=True,
        validate=validate.Length(min=1),
    )

    @validates_schema
    def _unique_grades(self, data: dict[str, Any], **_: Any) -> None:
        if len(set(data["grades"])) != len(data["grades"]):
            raise ValidationError({"grades": ["a grade is listed twice"]})


class Fraction01(fields.Field):  # type: ignore[type-arg]
    """A fraction written as a number (0.5) in the file — not a text, not a boolean —
    from 0.01 to 0.99 with at most two places; loaded as its decimal text ("0.5")."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("not a number")
        number = Decimal(str(value))
        if not Decimal("0.01") <= number <= Decimal("0.99"):
            raise ValidationError("must be from 0.01 to 0.99")
        if number != number.quantize(Decimal("0.01")):
            raise ValidationError("at most two decimal places")
        return str(number)


class FinalMarksSchema(Strict):
    """``[final_marks]``: how the weighted average of a term or year mark rounds, and
    whether a mark set otherwise needs a reason (ADR 0024)."""

    round_up_from = Fraction01(required=True)
    reason_when_differs = StrictBool(required=True)


class GradingSchema(Strict):
    default_scale = text()
    default_kind = text()
    final_extra_values = fields.List(text(), load_default=list)
    exams = fields.Nested(ExamsSchema, load_default=None)
    final_marks = fields.Nested(FinalMarksSchema, load_default=None)
    scales = fields.List(fields.Nested(ScaleSchema), required=True, validate=validate.Length(min=1))
    kinds = fields.List(fields.Nested(KindSchema), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _references(self, data: dict[str, Any], **_: Any) -> None:
        unique(data["scales"], "code", "scales")
        unique(data["kinds"], "code", "kinds")
        unique(data["kinds"], "short", "kinds")
        if data["default_scale"] not in {s["code"] for s in data["scales"]}:
            raise ValidationError({"default_scale": ["no scale with this code"]})
        if data["default_kind"] not in {k["code"] for k in data["kinds"]}:
            raise ValidationError({"default_kind": ["no kind with this code"]})


class CodeSchema(Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=4))
    title = text()
    absent = StrictBool(required=True)
    excused = StrictBool(required=True)
    sensitive = StrictBool(load_default=False)
    shown_as = fields.String(validate=validate.Length(min=1, max=4))

    @validates_schema
    def _shown_as_with_sensitive(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("sensitive") and "shown_as" not in data:
            raise ValidationError({"shown_as": ["a sensitive code needs the code shown instead"]})
        if not data.get("sensitive") and "shown_as" in data:
            raise ValidationError({"shown_as": ["only a sensitive code is shown as another"]})


class AttendanceSchema(Strict):
    codes = fields.List(fields.Nested(CodeSchema), required=True, validate=validate.Length(min=1))
    sensitive_roles = roles()

    @validates_schema
    def _unique_codes(self, data: dict[str, Any], **_: Any) -> None:
        unique(data["codes"], "code", "codes")

    @validates_schema
    def _shown_as_codes(self, data: dict[str, Any], **_: Any) -> None:
        """A sensitive code is shown as a code of the file that is not sensitive and means
        the same for the counts (absent, excused)."""
        by_code = {c["code"]: c for c in data["codes"]}
        for index, c in enumerate(data["codes"]):
            if not c.get("sensitive"):
                continue
            cover = by_code.get(c["shown_as"])
            if cover is None or cover.get("sensitive"):
                problem = "not a code of this file that is not sensitive"
            elif (cover["absent"], cover["excused"]) != (c["absent"], c["excused"]):
                problem = "must have the same absent and excused as the code it stands for"
            else:
                continue
            raise ValidationError({"codes": {index: {"shown_as": [problem]}}})


class JournalSchema(Strict):
    entry_deadline_days = StrictInt(required=True, validate=validate.Range(min=0, max=366))
    own_correction_days = StrictInt(required=True, validate=validate.Range(min=0, max=366))
    approver_roles = roles()
    late_entry_roles = roles()
    period_roles = roles()
    reopen_requires_order = StrictBool(required=True)
    min_reason_length = StrictInt(required=True, validate=validate.Range(min=1, max=200))
    late_entry_days = StrictInt(required=True, validate=validate.Range(min=0, max=31))


PermissionSchema = Strict.from_dict(
    {
        "title": text(),
        **{role: fields.String(validate=validate.OneOf(SCOPES)) for role in ROLES},
    },
    name="PermissionSchema",
)


class AccessSchema(Strict):
    permissions = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z_]*\.[a-z_]+$")),
        values=fields.Nested(PermissionSchema),
        required=True,
        validate=validate.Length(min=1),
    )

    @validates_schema
    def _held_by_someone(self, data: dict[str, Any], **_: Any) -> None:
        for code, permission in data["permissions"].items():
            if not set(permission) & set(ROLES):
                raise ValidationError({"permissions": {code: ["no role holds it"]}})

    duties = fields.Nested(DutiesSchema, required=True)

    @validates_schema
    def _auditor_independent(self, data: dict[str, Any], **_: Any) -> None:
        """The auditor is incompatible with every role that writes the journal."""
        writers = data["permissions"].get("journal.enter", {})
        against = set(data["duties"]["incompatible"].get("auditor", []))
        against |= {
            r for r, others in data["duties"]["incompatible"].items() if "auditor" in others
        }
        missing = sorted(r for r in ROLES if r in writers and r not in against)
        if "auditor" in ROLES and missing:
            raise ValidationError(
                {
                    "duties": {
                        "incompatible": [f"auditor must be incompatible with {', '.join(missing)}"]
                    }
                }
            )


def _access(d: dict[str, Any]) -> AccessPolicy:
    return AccessPolicy(
        {
            code: Permission(code, p["title"], {r: p[r] for r in ROLES if r in p})
            for code, p in d["permissions"].items()
        },
        _duties(d["duties"]),
    )


def _duties(d: dict[str, Any]) -> Duties:
    return Duties(
        privileged=frozenset(d["privileged"]),
        confirmers={role: frozenset(by) for role, by in d["confirmers"].items()},
        incompatible=frozenset(
            frozenset({role, other})
            for role, others in d["incompatible"].items()
            for other in others
        ),
        service_roles=frozenset(d["service_roles"]),
    )


def _grading(d: dict[str, Any]) -> GradingPolicy:
    return GradingPolicy(
        scales={
            s["code"]: Scale(
                s["code"],
                s["title"],
                tuple(s["values"]),
                tuple(s["passing"]),
                s["numeric"],
                tuple((v, s["colors"][v]) for v in s["values"] if v in s["colors"]),
            )
            for s in d["scales"]
        },
        kinds={
            k["code"]: MarkKind(k["code"], k["title"], k["weight"], k["short"]) for k in d["kinds"]
        },
        default_scale=d["default_scale"],
        default_kind=d["default_kind"],
        term_scale_extra=tuple(d["final_extra_values"]),
        exam_grades=frozenset(d["exams"]["grades"] if d["exams"] else ()),
        **(
            {
                "round_up_from": d["final_marks"]["round_up_from"],
                "reason_when_differs": d["final_marks"]["reason_when_differs"],
            }
            if d["final_marks"]
            else {}
        ),
    )


def _attendance(d: dict[str, Any]) -> AttendancePolicy:
    return AttendancePolicy(
        {
            c["code"]: AttendanceCode(
                c["code"],
                c["title"],
                c["absent"],
                c["excused"],
                sensitive=c["sensitive"],
                shown_as=c.get("shown_as", ""),
            )
            for c in d["codes"]
        },
        sensitive_roles=frozenset(d["sensitive_roles"]),
    )


def _journal(d: dict[str, Any]) -> JournalRegulation:
    return JournalRegulation(
        entry_deadline_days=d["entry_deadline_days"],
        own_correction_days=d["own_correction_days"],
        approver_roles=frozenset(d["approver_roles"]),
        late_entry_roles=frozenset(d["late_entry_roles"]),
        period_roles=frozenset(d["period_roles"]),
        reopen_requires_order=d["reopen_requires_order"],
        min_reason_length=d["min_reason_length"],
        late_entry_days=d["late_entry_days"],
    )


@dataclass(frozen=True)
class PolicyFile:
    """A policy file the product knows: its schema and how it becomes domain data."""

    schema: type[Schema]
    build: Callable[[dict[str, Any]], Any]
    required: bool = True


#: Every file allowed in the policies folder. Later issues add theirs here.
KNOWN: dict[str, PolicyFile] = {
    "grading.toml": PolicyFile(GradingSchema, _grading),
    "attendance.toml": PolicyFile(AttendanceSchema, _attendance),
    "journal.toml": PolicyFile(JournalSchema, _journal),
    "access.toml": PolicyFile(AccessSchema, _access),
    "retention.toml": PolicyFile(RetentionSchema, build_retention),
    "notifications.toml": PolicyFile(NotificationsSchema, build_notifications, required=False),
}
#: The files that become named fields of ``Policies`` (the others go to ``extra``).
_FIELDS = {
    "grading.toml": "grading",
    "attendance.toml": "attendance",
    "journal.toml": "journal",
    "access.toml": "access",
    "retention.toml": "retention",
}


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, Mapping):
        out = []
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix and key != "_schema" else (prefix or str(key))
            if key == "_schema":
                path = prefix or "(file)"
            out += _flatten(value, path)
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix}: {m}" for m in messages]
    if isinstance(messages, list):
        return [line for m in messages for line in _flatten(m, prefix)]
    return [f"{prefix}: {messages}"]


def load_file(path: Path, spec: PolicyFile) -> tuple[Any, list[str]]:
    """Parse and validate one file; return (built policy or None, problems)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return None, [f"{path.name}: cannot read: {error}"]
    except tomllib.TOMLDecodeError as error:
        return None, [f"{path.name}: TOML syntax: {error}"]
    try:
        data = spec.schema().load(raw)
    except ValidationError as error:
        return None, [f"{path.name}: {line}" for line in _flatten(error.messages)]
    return spec.build(data), []


def _across_files(loaded: dict[str, Any]) -> list[str]:
    """Rules between files: a role that enters attendance (``journal.enter``) sees the
    sensitive codes, or saving a lesson form would write the code it is shown («УП") over
    the pupil's «Б»."""
    attendance, access = loaded.get("attendance.toml"), loaded.get("access.toml")
    if attendance is None or access is None or "journal.enter" not in access.permissions:
        return []
    entering = access.permissions["journal.enter"].scopes
    return [
        f"attendance.toml: sensitive_roles: lacks {role}, who enters attendance "
        "(access.toml journal.enter) and would save the code shown over a sensitive one"
        for role in entering
        if role not in attendance.sensitive_roles
    ]


def content_hash(path: Path) -> str:
    """The version of a policy file: sha256 of its bytes, hex (kept with every term and
    year mark computed under ``grading.toml``, ADR 0024)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_policies(folder: Path, overlay: Path | None = None) -> Policies:
    """Load every policy file of ``folder``; raise ``PolicyError`` listing all problems.

    ``overlay`` (a school's policies in a regional deployment, ADR 0027): a file there
    replaces the same-named file of ``folder``; the result is checked as a whole."""
    if not folder.is_dir():
        raise PolicyError([f"{folder}: policies folder not found"])
    problems: list[str] = []
    loaded: dict[str, Any] = {}
    for where in (folder, overlay) if overlay is not None else (folder,):
        for path in sorted(where.iterdir()):
            if path.name.startswith(".") or path.is_dir():
                continue
            if path.name not in KNOWN:
                shown = path.name if where is folder else str(path)
                problems.append(f"{shown}: unknown policy file (known: {', '.join(KNOWN)})")
    for name, spec in KNOWN.items():
        path = folder / name
        if overlay is not None and (overlay / name).is_file():
            path = overlay / name
        if not path.exists():
            if spec.required:
                problems.append(f"{name}: missing")
            continue
        built, found = load_file(path, spec)
        problems += found
        loaded[name] = built
    problems += _across_files(loaded)
    if problems:
        raise PolicyError(problems)
    loaded["grading.toml"] = replace(
        loaded["grading.toml"], content_hash=content_hash(folder / "grading.toml")
    )
    return Policies(
        **{field: loaded[name] for name, field in _FIELDS.items()},
        extra={k: v for k, v in loaded.items() if k not in _FIELDS},
    )
