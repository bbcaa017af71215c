"""``SchoolProfile``: the school as its documents name it — full and short name, address,
the head's name and position, OGRN and INN — set by the administrator, kept as events.

The profile is printed on the annual archive's title and certification pages and on every
act (the operator's details of a personal-data act). One profile per deployment (its id
derives from the school's code); every change records the whole profile, so a document
made on a date can be traced to the details in force then. The profile lives in the
series ``school/<code>`` (permanent, with the retention records: acts cite it).

OGRN (13 digits) and INN of an organisation (10 digits) are optional, but when entered
their check digits must match.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import errors, ids
from domain.base import Aggregate
from domain.service import CommandGroup, Receipt

#: Lengths the fields may have (characters).
LIMITS = {
    "full_name": 300,
    "short_name": 120,
    "address": 300,
    "head_name": 120,
    "head_position": 120,
    "ogrn": 13,
    "inn": 10,
}
REQUIRED = ("full_name", "short_name", "address", "head_name", "head_position")
LABELS = {
    "full_name": "полное наименование",
    "short_name": "краткое наименование",
    "address": "адрес",
    "head_name": "ФИО руководителя",
    "head_position": "должность руководителя",
    "ogrn": "ОГРН",
    "inn": "ИНН",
}


@dataclass(frozen=True)
class ProfileInfo:
    """The school's details as documents print them."""

    full_name: str = ""
    short_name: str = ""
    address: str = ""
    head_name: str = ""
    head_position: str = ""
    ogrn: str = ""
    inn: str = ""

    @property
    def entered(self) -> bool:
        """True once the administrator has set the profile."""
        return bool(self.full_name)

    def operator(self) -> str:
        """The organisation on one line: name, address, OGRN and INN when known."""
        parts = [self.full_name, self.address]
        parts += [f"ОГРН {self.ogrn}"] if self.ogrn else []
        parts += [f"ИНН {self.inn}"] if self.inn else []
        return ", ".join(p for p in parts if p)

    def head(self) -> str:
        """«Директор Иванова Мария Петровна» (empty when not entered)."""
        return " ".join(p for p in (self.head_position, self.head_name) if p)

    def to_dict(self) -> dict[str, str]:
        """Plain values (the stored form)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProfileInfo:
        """Back from the stored form (unknown keys ignored)."""
        return cls(**{k: str(data.get(k) or "") for k in LIMITS})


def ogrn_valid(value: str) -> bool:
    """An organisation's OGRN: 13 digits, the last = (first 12 as a number mod 11) mod 10."""
    if len(value) != 13 or not value.isdigit():
        return False
    return int(value[:12]) % 11 % 10 == int(value[12])


_INN_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def inn_valid(value: str) -> bool:
    """An organisation's INN: 10 digits, the last = weighted sum of the first 9 mod 11 mod 10."""
    if len(value) != 10 or not value.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value, _INN_WEIGHTS, strict=False))
    return total % 11 % 10 == int(value[9])


def checked(values: dict[str, str]) -> ProfileInfo:
    """The profile from entered values, trimmed; ``ProfileInvalid`` naming the first field
    that is missing, too long or (OGRN, INN) fails its check digit."""
    clean = {k: " ".join(str(values.get(k) or "").split()) for k in LIMITS}
    for key in REQUIRED:
        if not clean[key]:
            raise errors.ProfileInvalid(f"Заполните поле «{LABELS[key]}».", field=key)
    for key, limit in LIMITS.items():
        if len(clean[key]) > limit:
            raise errors.ProfileInvalid(
                f"Поле «{LABELS[key]}» длиннее {limit} символов.", field=key
            )
    if clean["ogrn"] and not ogrn_valid(clean["ogrn"]):
        raise errors.ProfileInvalid(
            "ОГРН: 13 цифр, последняя — контрольная; проверьте номер.", field="ogrn"
        )
    if clean["inn"] and not inn_valid(clean["inn"]):
        raise errors.ProfileInvalid(
            "ИНН организации: 10 цифр, последняя — контрольная; проверьте номер.", field="inn"
        )
    return ProfileInfo(**clean)


class SchoolProfile(Aggregate):
    """The school's details (one per deployment)."""

    closes_with_year = False

    @staticmethod
    def create_id(school: str, **_: object) -> UUID:
        return ids.school_profile_id(school)

    class Recorded(Aggregate.Created):
        school: str
        profile: dict[str, str]
        series: str
        actor: UUID

    @event(Recorded)
    def __init__(self, school: str, profile: dict[str, str], series: str, actor: UUID) -> None:
        self.school, self.series = school, series
        self.profile = ProfileInfo.from_dict(profile)

    def change(self, profile: ProfileInfo, actor: UUID) -> None:
        """Record the new details (nothing when they are the same)."""
        if profile != self.profile:
            self._changed(profile=profile.to_dict(), actor=actor)

    class Changed(Aggregate.Event):
        profile: dict[str, str]
        actor: UUID

    @event(Changed)
    def _changed(self, profile: dict[str, str], actor: UUID) -> None:
        self.profile = ProfileInfo.from_dict(profile)


class Profiles(CommandGroup):
    """The administrator sets the school's profile."""

    def set_profile(self, school: str, values: dict[str, str], actor: UUID) -> Receipt:
        """Record the school's details (``ProfileInvalid`` when a field is wrong)."""
        self.app.require_permission(actor, "admin.school")
        profile = checked(values)
        profile_id = ids.school_profile_id(school)

        def command() -> list[Aggregate]:
            if not self.app.exists(profile_id):
                return [
                    SchoolProfile(
                        school=school,
                        profile=profile.to_dict(),
                        series=ids.school_series(school),
                        actor=actor,
                    )
                ]
            found = self.app.load(SchoolProfile, profile_id)
            found.change(profile, actor)
            return [found]

        return self.app.run(command, profile_id)

    def profile(self, school: str) -> ProfileInfo:
        """The profile as recorded (empty when never set)."""
        profile_id = ids.school_profile_id(school)
        if not self.app.exists(profile_id):
            return ProfileInfo()
        return self.app.load(SchoolProfile, profile_id, readonly=True).profile
