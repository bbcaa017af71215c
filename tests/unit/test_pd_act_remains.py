"""The personal-data act says where a subject's data still is and until when: records that
named them and were transferred (with their act), and what stays of every subject."""

from __future__ import annotations

from retention.certificate import ALWAYS_REMAINS, remains_rows


def test_transferred_records_are_listed_with_their_act_and_everyone_s_leftovers() -> None:
    subject = {
        "person_id": "p-1",
        "remains": [
            {
                "series": "journal/2025-26/5А",
                "where": "передано на хранение в архив",
                "until": "по правилам принявшего архива",
                "certificate_id": "c-7",
            }
        ],
    }
    rows = remains_rows([subject, {"person_id": "p-2", "remains": []}])
    assert rows[0] == [
        "p-1",
        "передано на хранение в архив: journal/2025-26/5А, акт c-7",
        "по правилам принявшего архива",
    ]
    assert rows[1:] == [["все субъекты акта", where, until] for where, until in ALWAYS_REMAINS]
    assert not any(r[0] == "p-2" for r in rows)  # nothing of p-2 was kept anywhere
    wheres = " ".join(where for where, _ in ALWAYS_REMAINS)
    assert "реестр дел" in wheres and "журналы доступа" in wheres and "резервные копии" in wheres
