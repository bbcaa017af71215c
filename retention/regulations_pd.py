"""The personal-data documents generated from the rules in force (issue 18, §4): the list
of persons with access to personal data as of a date, the parent's consent form, and the
extract of the records schedule (``retention.toml``). See ``retention.regulations``."""

from __future__ import annotations

from domain.account import STAFF_ROLES
from retention.acts import NOT_ENTERED
from retention.regulations import Points, Sources, frame, roles_words, sources_note
from retention.transfer_act import render_pdfa
from retention.words import ACTIONS, TRIGGERS, period_words

#: What each count_from of retention.toml means in words.
COUNT_FROM = {
    "cut_off": "со дня наступления события",
    "january_after_cut_off": "с 1 января года, следующего за годом события",
}


def permissions_of(src: Sources, roles: tuple[str, ...]) -> list[str]:
    """The titles of the permissions ``roles`` hold, with «(все)» or «(свои)»."""
    found = []
    for permission in src.policies.access.permissions.values():
        scope = permission.scope_of(set(roles))
        if scope is not None and permission.code != "account.self":
            found.append(f"{permission.title} ({'все' if scope == 'all' else 'свои'})")
    return found


def access_list(src: Sources) -> bytes:
    """«Перечень лиц, имеющих доступ к персональным данным» on ``src.staff_as_of``: every
    staff or service account active on that day with its roles and what they reach."""
    day = src.staff_as_of or src.made_on
    doc = frame(
        "Перечень",
        f"лиц, имеющих доступ к персональным данным, по состоянию на {day:%d.%m.%Y}",
        src,
    )
    p = Points(doc)
    p.heading("Общие положения")
    p(
        "Перечень составлен по учётным записям информационной системы ejournal на дату, "
        "указанную в заголовке: их роли на эту дату и права ролей по правилам доступа "
        "(policies/access.toml). Доступ к персональным данным обучающихся и их родителей "
        "(законных представителей) имеют только перечисленные лица и только в пределах прав."
    )
    p(
        "Родители и обучающиеся в перечень не включены: они видят только свои сведения "
        "и сведения своих детей. Заблокированные учётные записи не включены."
    )
    rows = [
        [
            str(n),
            m.name if not m.service else f"{m.name} (служебная учётная запись)",
            roles_words(m.roles),
            m.login,
            "; ".join(permissions_of(src, m.roles)) or "—",
        ]
        for n, m in enumerate(src.staff, 1)
    ]
    doc.table(
        ["№ п/п", "ФИО", "Должность (роль)", "Учётная запись", "Доступ"], rows, [12, 40, 32, 26, 60]
    )
    p.heading("Обязанности")
    p(
        "Лица, включённые в перечень, обрабатывают персональные данные только для ведения "
        "журнала и дневника, не передают их третьим лицам и не раскрывают. Каждое обращение "
        "сотрудника к персональным данным обучающегося записывается в журнал доступа."
    )
    sources_note(doc, src)
    return render_pdfa(doc)


def staff_roles(roles: tuple[str, ...]) -> bool:
    """True when an account with ``roles`` belongs in the list (a staff role)."""
    return bool(set(roles) & STAFF_ROLES)


def consent_form(src: Sources) -> bytes:
    """The parent's consent to processing personal data (152-FZ art. 9), to be filled in
    and signed by hand; the e-mail consent is the text of ``notifications.toml``."""
    profile = src.profile
    doc = frame(
        "Согласие", "родителя (законного представителя) на обработку персональных данных", src
    )
    doc.paragraph(
        "Я, ____________________________________________ (фамилия, имя, отчество), "
        "паспорт ________ № ____________, выдан ______________________________________, "
        "проживающий(ая) по адресу: _______________________________________________, "
        "являясь родителем (законным представителем) обучающегося "
        "____________________________________________ (фамилия, имя, отчество, класс), "
        "в соответствии со ст. 9 Федерального закона от 27.07.2006 № 152-ФЗ «О персональных "
        f"данных» даю согласие оператору — {profile.operator() or NOT_ENTERED} — на обработку "
        "моих персональных данных и персональных данных моего ребёнка на следующих условиях."
    )
    p = Points(doc)
    p.heading("Условия")
    p(
        "Цель обработки: ведение электронного журнала успеваемости и электронного дневника, "
        "учёт успеваемости и посещаемости, информирование родителей."
    )
    p(
        "Персональные данные: фамилия, имя, отчество, дата рождения, класс, отметки, "
        "посещаемость, темы и задания уроков; мои фамилия, имя, отчество и учётная запись."
    )
    p(
        "Действия: сбор, запись, систематизация, хранение, уточнение, использование, "
        "блокирование, удаление и уничтожение, с использованием средств автоматизации."
    )
    p(_keeping(src))
    p("Согласие может быть отозвано мной письменным заявлением, поданным оператору.")
    p.heading("Уведомления по электронной почте (по желанию)")
    p(
        "Согласие на письма даётся отдельно, в профиле электронного дневника; его текст "
        f"(версия {src.notifications.consent_version}): «{src.notifications.consent_text}»"
    )
    doc.paragraph("[   ] Прошу включить уведомления; адрес: ______________________________")
    doc.signatures([("Родитель (законный представитель)", "/________________________/")])
    doc.paragraph("«___» ____________ 20___ г.")
    sources_note(doc, src)
    return render_pdfa(doc)


def _keeping(src: Sources) -> str:
    """How long the data are kept, from the schedule's classes."""
    classes = [
        c for c in src.policies.retention.classes.values() if c.trigger != "last_record_disposed"
    ]
    kept = "; ".join(f"{c.title.lower()} — {period_words(c.period)}" for c in classes)
    return (
        "Срок: персональные данные хранятся, пока хранится хотя бы один документ, где они "
        f"упомянуты (сроки хранения документов: {kept}), затем уничтожаются с составлением акта."
    )


def schedule_extract(src: Sources) -> bytes:
    """«Выписка из номенклатуры дел (сроки хранения)»: every record class of
    ``retention.toml`` with its series, period, counting, action and legal basis."""
    r = src.policies.retention
    doc = frame(
        "Выписка", "из номенклатуры дел: сроки хранения документов электронного журнала", src
    )
    p = Points(doc)
    p.heading("Сроки хранения")
    rows = [
        [
            str(n),
            f"{c.title} ({', '.join(s + '/…' for s in c.series_prefixes)})",
            f"{period_words(c.period)}; {TRIGGERS.get(c.trigger, c.trigger)}, "
            f"{COUNT_FROM.get(c.count_from, c.count_from)}",
            c.article,
            ACTIONS.get(c.action, c.action),
            "; ".join(c.legal_basis),
        ]
        for n, c in enumerate(r.classes.values(), 1)
    ]
    doc.table(
        ["№", "Документы (серии)", "Срок хранения", "Статья", "По истечении", "Основание"],
        rows,
        [8, 36, 34, 16, 20, 56],
    )
    p.heading("Порядок")
    p(
        f"Отбор документов к уничтожению предлагает {roles_words(r.proposer_roles)}, "
        "выполняет — " + roles_words(r.executor_roles) + "; уничтожение одобряет второе лицо "
        "по протоколу экспертной комиссии, о чём составляется акт."
    )
    p(f"Приостановить уничтожение (основание — проверка, спор) могут: {roles_words(r.hold_roles)}.")
    sources_note(doc, src)
    return render_pdfa(doc)
