"""``ejournal pd``: personal data under 152-FZ — the subject-access report of one pupil,
and the personal-data destruction act with its extract of the event log."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ejournal.cli_support import actor, as_option, parse_id, refused, system
from retention.service import act_stems
from retention.subject_access import NotAPupil, report_pdf


@click.group()
def pd() -> None:
    """Personal data (152-FZ): subject-access reports and destruction acts."""


@pd.command("report")
@click.argument("pupil_id")
@as_option
@click.option("--pdf", "pdf_file", type=click.Path(dir_okay=False), help="Also write a PDF.")
def report(pupil_id: str, login: str, pdf_file: str | None) -> None:
    """Print (JSON) everything held about one pupil: identity, guardians, accounts,
    classes, marks, attendance, term and year marks, the history of their records, who
    read their data, and how long each record is kept — for a parent's request.
    Personal data is decrypted: the report is written to the access log under --as."""
    with system() as built, refused():
        pupil = parse_id(pupil_id, "PUPIL_ID")
        who = actor(built, login)
        try:
            found = built.records.subject_access(str(pupil))
        except NotAPupil as error:
            raise click.ClickException(str(error)) from None
        built.journal.access_log.record_access(who, "ejournal pd report", [pupil])
        if pdf_file:
            Path(pdf_file).write_bytes(report_pdf(found, built.records.name))
    click.echo(json.dumps(found, ensure_ascii=False, indent=1))


@pd.command("act")
@click.argument("certificate_id", metavar="ID")
@click.option("--out", type=click.Path(file_okay=False), help="Folder to write the act in.")
def act(certificate_id: str, out: str | None) -> None:
    """Write the personal-data destruction act of certificate ID (the subjects by id, the
    categories of data, method, reason, date) with the matching extract of the event log."""
    with system() as built, refused():
        certificate = built.records.certificate(str(parse_id(certificate_id)))
        if not certificate["personal_data"]:
            raise click.ClickException("по этому акту персональные данные не уничтожались")
        files = built.records.act_files(certificate)
        folder = Path(out) if out else built.settings.certificates_dir
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{act_stems(certificate)[1]}.pdf"
    (folder / name).write_bytes(files[name])
    for subject in certificate["personal_data"]:
        click.echo(f"{subject['person_id']} ({subject['kind']}): событий {len(subject['events'])}")
    click.echo(folder / name)
