"""The destruction certificate («акт об уничтожении») and the personal-data destruction
act with its extract of the event log (152-FZ art. 21; Roskomnadzor order No. 179).

The certificate is plain data kept for ever in the ``Executed`` (or ``Transferred``)
event: which series, of which class, under which legal basis, how many events, records
and files, under which data key, who proposed, approved and executed it and when, and
the ledger checkpoint taken just before. It names people by account id only; names are
filled in when it is printed. JSON and PDF are renderings of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from domain import clock
from domain.policies import RetentionPolicy
from domain.retention import DispositionInfo
from domain.school_profile import ProfileInfo
from projections.queries.records_register import RegisterEntry
from retention.acts import ActBody, ActTable, render_act
from retention.words import russian_plural

#: v2 (issue 16): the act's number in the year's sequence and date, the expert
#: commission's protocol, the operator's details and the positions of the people.
FORMAT = "ejournal-destruction-certificate/v2"
SYSTEM = "ejournal — электронный журнал успеваемости"
METHOD = (
    "криптографическое уничтожение: ключ шифрования серии (AES-256) стёрт из хранилища "
    "ключей, записи представлений удалены, файлы архива удалены; зашифрованные события "
    "остаются в журнале событий и не могут быть расшифрованы"
)
KINDS = {
    "Student": ("обучающийся", "фамилия, имя, отчество, дата рождения"),
    "Guardian": ("законный представитель", "фамилия, имя, отчество, телефон, электронная почта"),
    "Account": ("учётная запись", "фамилия, имя, отчество, логин, роли, хэш пароля"),
}
Names = Callable[[str], str]


def build_certificate(
    info: DispositionInfo,
    entries: Mapping[str, RegisterEntry],
    policy: RetentionPolicy,
    *,
    school: str,
    executor: str,
    executed_at: datetime,
    keys: Mapping[str, str | None],
    records: Mapping[str, int],
    files: Mapping[str, Sequence[Mapping[str, Any]]],
    checkpoint: Mapping[str, Any],
    extract: Sequence[Mapping[str, Any]],
    numbers: tuple[int, int, int] = (0, 0, 0),
    operator: ProfileInfo | None = None,
    positions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The certificate of a disposition about to be executed: ``numbers`` (calendar year,
    act number, personal-data act number) from the year's sequence, the operator's
    details and the positions of the people (by account id)."""
    items: list[dict[str, Any]] = []
    for item in info.items:
        rc, entry = policy.record_class(item.record_class), entries[item.series]
        items.append(
            {
                "series": item.series,
                "record_class": rc.name,
                "title": rc.title,
                "article": rc.article,
                "legal_basis": list(rc.legal_basis),
                "period": str(rc.period),
                "cut_off": item.cut_off.isoformat(),
                "due_on": item.due_on.isoformat(),
                "events": entry.events,
                "records": records.get(item.series, 0),
                "files": [dict(f) for f in files.get(item.series, ())],
                "key_id": keys.get(item.series),
            }
        )
    year, number, pd_number = numbers
    return {
        "format": FORMAT,
        "certificate_id": str(info.id),
        "number": str(number) if number else str(info.id)[:8].upper(),
        "act_year": year,
        "act_date": executed_at.astimezone(clock.SCHOOL_TZ).date().isoformat(),
        "pd_number": str(pd_number) if pd_number else "",
        "protocol": {"number": info.protocol_no, "date": info.protocol_date},
        "operator": (operator or ProfileInfo()).to_dict(),
        "positions": dict(positions or {}),
        "disposition_id": str(info.id),
        "action": info.action,
        "school": school,
        "as_of": info.as_of.isoformat(),
        "proposed_by": str(info.proposed_by),
        "proposed_at": info.proposed_at.isoformat(),
        "approved_by": str(info.approved_by),
        "approved_at": info.approved_at.isoformat() if info.approved_at else None,
        "executed_by": executor,
        "executed_at": executed_at.isoformat(),
        "method": METHOD,
        "items": items,
        "totals": {
            "series": len(items),
            "events": sum(i["events"] for i in items),
            "records": sum(i["records"] for i in items),
            "files": sum(len(i["files"]) for i in items),
        },
        "ledger": dict(checkpoint),
        "personal_data": [dict(p) for p in extract],
    }


def _when(value: str | None) -> str:
    """School time, as people read it."""
    if not value:
        return "—"
    return datetime.fromisoformat(value).astimezone(clock.SCHOOL_TZ).strftime("%d.%m.%Y %H:%M")


def act_day(cert: Mapping[str, Any]) -> date:
    """The act's date (school-local day of the execution)."""
    if cert.get("act_date"):
        return date.fromisoformat(cert["act_date"])
    return datetime.fromisoformat(cert["executed_at"]).astimezone(clock.SCHOOL_TZ).date()


def _profile(cert: Mapping[str, Any]) -> ProfileInfo:
    return ProfileInfo.from_dict(cert.get("operator") or {"short_name": cert["school"]})


def _person(cert: Mapping[str, Any], who: str, names: Names) -> str:
    """«архивист Петрова Анна Сергеевна» for the account under ``cert[who]``."""
    account = cert[who]
    position = (cert.get("positions") or {}).get(account, "")
    return " ".join(p for p in (position, names(account)) if p)


def _protocol(cert: Mapping[str, Any]) -> str:
    protocol = cert.get("protocol") or {}
    if not protocol.get("number"):
        return "протокол экспертной комиссии не указан (утверждено до его введения)"
    day = date.fromisoformat(protocol["date"]).strftime("%d.%m.%Y") if protocol["date"] else "—"
    return f"протокол экспертной комиссии № {protocol['number']} от {day}"


def _series_title(item: Mapping[str, Any]) -> str:
    """«Классный журнал … 5А, 2025/26» — the series in words, its code after."""
    year, _, group = item["series"].partition("/")[2].partition("/")
    where = ", ".join(p for p in (group, year.replace("-", "/", 1)) if p)
    return f"{item['title']}{f' ({where})' if where else ''}"


def _period(item: Mapping[str, Any]) -> str:
    """«5 лет», «25 лет», «3 года», «постоянно» (the ISO period as people write it)."""
    found = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?", str(item["period"]))
    if found is None:
        return "постоянно"
    words = (("год", "года", "лет"), ("мес.", "мес.", "мес."), ("день", "дня", "дней"))
    parts = [
        f"{n} {russian_plural(int(n), *w)}" for n, w in zip(found.groups(), words, strict=True) if n
    ]
    return " ".join(parts) or "0 дней"


def certificate_pdf(cert: Mapping[str, Any], names: Names) -> bytes:
    """The certificate as a PDF/A-2b act (names filled in by ``names``), unsigned."""
    transfer = cert["action"] == "transfer"
    title = "Акт о передаче документов" if transfer else "Акт об уничтожении документов"
    rows = [
        [
            str(n),
            f"{_series_title(i)}; {i['series']}",
            i.get("article") or "—",
            _period(i),
            f"{_ru(i['cut_off'])} / {_ru(i['due_on'])}",
            f"{i['events']} / {len(i['files'])}",
        ]
        for n, i in enumerate(cert["items"], 1)
    ]
    totals = cert["totals"]
    verb = "переданы" if transfer else "уничтожены"
    body = ActBody(
        pairs=[
            ("Основание", _protocol(cert) + "; истечение сроков хранения"),
            ("Способ", "передача архивного пакета BagIt" if transfer else cert["method"]),
            ("Предложил", f"{_person(cert, 'proposed_by', names)}, {_when(cert['proposed_at'])}"),
            ("Утвердил", f"{_person(cert, 'approved_by', names)}, {_when(cert['approved_at'])}"),
            (
                "Передал" if transfer else "Уничтожил",
                f"{_person(cert, 'executed_by', names)}, {_when(cert['executed_at'])}",
            ),
            (
                "Контрольная точка реестра",
                f"размер {cert['ledger'].get('size')}, корень {cert['ledger'].get('root')}",
            ),
            ("Идентификатор акта", cert["certificate_id"]),
        ],
        tables=[
            ActTable(
                "Переданные дела (серии)" if transfer else "Уничтоженные дела (серии)",
                [
                    "№",
                    "Заголовок дела; серия",
                    "Статья Перечня",
                    "Срок",
                    "Отсечка / срок истёк",
                    "Событий / файлов",
                ],
                rows,
                [8, 62, 38, 16, 25, 21],
            )
        ],
        closing=[
            f"Итого {verb}: дел (серий) {totals['series']}, записей {totals['records']}, "
            f"событий {totals['events']}, файлов {totals['files']}. Сведения о них "
            "хранятся постоянно в реестре дел.",
        ],
        notes=[
            "Статьи — по Перечню типовых управленческих архивных документов (приказ Росархива "
            "от 20.12.2019 № 236) и сроки хранения policies/retention.toml: "
            + "; ".join(
                sorted({f"{i['title']}: {'; '.join(i['legal_basis'])}" for i in cert["items"]})
            ),
        ],
        signatures=[
            (
                cert.get("positions", {}).get(cert["executed_by"], "Исполнитель").capitalize(),
                names(cert["executed_by"]),
            ),
            (
                cert.get("positions", {}).get(cert["approved_by"], "Утвердил").capitalize(),
                names(cert["approved_by"]),
            ),
        ],
        subject=f"ejournal-act={cert['certificate_id']}",
    )
    return render_act(title, cert["number"], act_day(cert), _profile(cert), body)


def _ru(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d.%m.%Y")


def pd_act_pdf(cert: Mapping[str, Any], names: Names, log: Sequence[Mapping[str, Any]]) -> bytes:
    """The personal-data destruction act (Roskomnadzor order No. 179, p. 3) with the extract
    of the event log: the operator and its address, the subjects — by their identifier in
    the system, with the kind of person and the categories of data (never their names: the
    act is kept permanently and would re-create what it says is destroyed; ADR 0007), the
    person who destroyed them (position, name, signature), the information system, method,
    reason and date, and every event of their destroyed records (plus the disposition's own
    events, ``log``)."""
    subjects = cert["personal_data"]
    profile = _profile(cert)
    kinds: dict[str, int] = {}
    for s in subjects:
        label = KINDS.get(s["kind"], (s["kind"], ""))[0]
        kinds[label] = kinds.get(label, 0) + 1
    extract = [
        [str(e["position"]), e["record"], str(e["version"]), e["type"], _when(e.get("time"))]
        for s in subjects
        for e in s["events"]
    ]
    extract += [
        [str(e["position"]), e["record"], str(e["version"]), e["type"], _when(e.get("time"))]
        for e in log
    ]
    body = ActBody(
        pairs=[
            ("Оператор", profile.operator() or cert["school"]),
            ("Обработка по поручению оператора", "не осуществлялась"),
            ("Информационная система персональных данных", SYSTEM),
            (
                "Субъекты",
                f"{len(subjects)}: "
                + ", ".join(f"{k} — {v}" for k, v in sorted(kinds.items()))
                + " (по идентификатору в системе, см. таблицу)",
            ),
            (
                "Причина",
                "достижение целей обработки: документы, где упомянут субъект, уничтожены "
                "или переданы в архив (см. «Где сведения остаются»)",
            ),
            ("Основание", _protocol(cert) + f"; акт № {cert['number']}"),
            ("Способ", cert["method"]),
            ("Дата уничтожения", _when(cert["executed_at"])),
            ("Уничтожил", _person(cert, "executed_by", names)),
        ],
        tables=[
            ActTable(
                "Субъекты и категории персональных данных",
                ["№", "Субъект (идентификатор)", "Кто", "Категории данных", "Событий"],
                [
                    [
                        str(n),
                        s["person_id"],
                        KINDS.get(s["kind"], (s["kind"], ""))[0],
                        KINDS.get(s["kind"], ("", "—"))[1],
                        str(len(s["events"])),
                    ]
                    for n, s in enumerate(subjects, 1)
                ],
                [8, 60, 28, 58, 16],
            ),
            ActTable(
                "Где сведения о субъектах остаются",
                ["Субъект (идентификатор)", "Где", "До"],
                remains_rows(subjects),
                [60, 80, 30],
            ),
            ActTable(
                "Выгрузка из журнала регистрации событий",
                ["№ события", "Запись", "Версия", "Событие", "Время"],
                extract,
                [18, 62, 14, 40, 36],
            ),
        ],
        signatures=[
            (
                cert.get("positions", {}).get(cert["executed_by"], "Ответственный").capitalize(),
                names(cert["executed_by"]),
            )
        ],
        subject=f"ejournal-pd-act={cert['certificate_id']}",
    )
    number = cert.get("pd_number") or cert["number"]
    return render_act(
        "Акт об уничтожении персональных данных", number, act_day(cert), profile, body
    )


#: What stays of every subject after the act, whatever the records: stated, not implied.
ALWAYS_REMAINS = (
    (
        "идентификатор (UUID, без ФИО и иных сведений): реестр дел и настоящий акт",
        "постоянно",
    ),
    (
        "идентификатор (UUID, без ФИО): журналы доступа к персональным данным",
        "истечение их срока хранения",
    ),
    (
        "резервные копии, сделанные до уничтожения: в зашифрованном виде; при восстановлении "
        "из них уничтожение повторяется",
        "уничтожение копий по графику резервного копирования",
    ),
)


def remains_rows(subjects: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """Where the subjects' data still is after the act, and until when: records that
    mention them and were transferred (with the act), then what stays of everyone. The act
    claims destroyed only what its own series held."""
    rows = []
    for s in subjects:
        for r in s.get("remains", ()):
            act = f", акт {r['certificate_id']}" if r.get("certificate_id") else ""
            rows.append([s["person_id"], f"{r['where']}: {r['series']}{act}", str(r["until"])])
    rows += [["все субъекты акта", where, until] for where, until in ALWAYS_REMAINS]
    return rows
