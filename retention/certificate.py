"""The destruction certificate («акт об уничтожении») and the personal-data destruction
act with its extract of the event log (152-FZ art. 21; Roskomnadzor order No. 179).

The certificate is plain data kept for ever in the ``Executed`` (or ``Transferred``)
event: which series, of which class, under which legal basis, how many events, records
and files, under which data key, who proposed, approved and executed it and when, and
the ledger checkpoint taken just before. It names people by account id only; names are
filled in when it is printed. JSON and PDF are renderings of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from domain import clock
from domain.policies import RetentionPolicy
from domain.retention import DispositionInfo
from projections.queries.records_register import RegisterEntry
from retention.pdf import Document

FORMAT = "ejournal-destruction-certificate/v1"
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
) -> dict[str, Any]:
    """The certificate of a disposition about to be executed."""
    items: list[dict[str, Any]] = []
    for item in info.items:
        rc, entry = policy.record_class(item.record_class), entries[item.series]
        items.append(
            {
                "series": item.series,
                "record_class": rc.name,
                "title": rc.title,
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
    return {
        "format": FORMAT,
        "certificate_id": str(info.id),
        "number": str(info.id)[:8].upper(),
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


def certificate_pdf(cert: Mapping[str, Any], names: Names) -> bytes:
    """The certificate as a printable PDF (names filled in by ``names``)."""
    transfer = cert["action"] == "transfer"
    title = "Акт о передаче документов" if transfer else "Акт об уничтожении документов"
    doc = Document(f"{title} № {cert['number']}", subject=cert["certificate_id"])
    doc.pairs(
        [
            ("Организация", cert["school"]),
            ("Основание", "истечение сроков хранения (policies/retention.toml)"),
            ("Способ", "передача архивного пакета BagIt" if transfer else cert["method"]),
            ("Предложил", f"{names(cert['proposed_by'])}, {_when(cert['proposed_at'])}"),
            ("Утвердил", f"{names(cert['approved_by'])}, {_when(cert['approved_at'])}"),
            ("Исполнил", f"{names(cert['executed_by'])}, {_when(cert['executed_at'])}"),
            (
                "Контрольная точка реестра",
                f"размер {cert['ledger'].get('size')}, корень {cert['ledger'].get('root')}",
            ),
        ]
    )
    doc.heading("Уничтоженные серии" if not transfer else "Переданные серии")
    rows = [
        [
            i["series"],
            f"{i['title']} ({i['record_class']}, {i['period']})",
            f"{i['cut_off']} / {i['due_on']}",
            str(i["events"]),
            str(len(i["files"])),
            "; ".join(i["legal_basis"]),
        ]
        for i in cert["items"]
    ]
    doc.table(
        ["Серия", "Класс, срок", "Отсечка / срок истёк", "Событий", "Файлов", "Основание"],
        rows,
        [30, 30, 22, 17, 15, 56],
    )
    totals = cert["totals"]
    doc.paragraph(
        f"Итого: серий {totals['series']}, записей {totals['records']}, событий "
        f"{totals['events']}, файлов {totals['files']}. Сведения об уничтоженных сериях "
        "хранятся постоянно в реестре дел."
    )
    doc.signatures(
        [
            ("Архивист", names(cert["executed_by"])),
            ("Утвердил", names(cert["approved_by"])),
        ]
    )
    return doc.render()


def pd_act_pdf(cert: Mapping[str, Any], names: Names, log: Sequence[Mapping[str, Any]]) -> bytes:
    """The personal-data destruction act with the extract of the event log: the subjects
    (by id), categories of data, the system, method, reason and date, and every event of
    their destroyed records (plus the disposition's own events, ``log``)."""
    doc = Document(f"Акт об уничтожении персональных данных № {cert['number']}")
    subjects = cert["personal_data"]
    doc.pairs(
        [
            ("Оператор", cert["school"]),
            ("Информационная система", "ejournal — электронный журнал успеваемости"),
            (
                "Причина",
                "достижение целей обработки: документы, где упомянут субъект, уничтожены "
                "или переданы в архив (см. «Где сведения остаются»)",
            ),
            ("Способ", cert["method"]),
            ("Дата уничтожения", _when(cert["executed_at"])),
            ("Уничтожил", names(cert["executed_by"])),
        ]
    )
    doc.heading("Субъекты и категории персональных данных")
    doc.table(
        ["Субъект (id)", "Кто", "Категории данных", "Событий"],
        [
            [
                s["person_id"],
                KINDS.get(s["kind"], (s["kind"], ""))[0],
                KINDS.get(s["kind"], ("", "—"))[1],
                str(len(s["events"])),
            ]
            for s in subjects
        ],
        [60, 30, 60, 20],
    )
    doc.heading("Где сведения о субъектах остаются")
    doc.table(["Субъект (id)", "Где", "До"], remains_rows(subjects), [60, 80, 30])
    doc.heading("Выгрузка из журнала регистрации событий")
    rows = [
        [str(e["position"]), e["record"], str(e["version"]), e["type"], _when(e.get("time"))]
        for s in subjects
        for e in s["events"]
    ]
    rows += [
        [str(e["position"]), e["record"], str(e["version"]), e["type"], _when(e.get("time"))]
        for e in log
    ]
    doc.table(["№ события", "Запись", "Версия", "Событие", "Время"], rows, [18, 62, 14, 40, 36])
    doc.signatures([("Ответственный", names(cert["executed_by"]))])
    return doc.render()


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
