"""The database URLs of a deployment with a hot standby and failover (ADR 0028): several
servers in one URL with ``target_session_attrs``, and ``EJOURNAL_READ_DATABASE_URL``."""

from __future__ import annotations

import pytest

from ejournal.settings import DatabaseURL, Settings, SettingsError

PRIMARY = "postgresql://ej:p%27w@db1:5432/ejournal?schema=school"


def test_several_servers_in_one_url() -> None:
    db = DatabaseURL.parse(
        "postgresql://ej@db1:5432,db2:5433/ejournal?target_session_attrs=read-write&schema=s5"
    )
    assert db.hosts == [("db1", "5432"), ("db2", "5433")]
    assert db.where == "db1:5432,db2:5433/ejournal"
    assert db.schema == "s5" and db.target_session_attrs == "read-write"
    info = db.conninfo()
    assert "host='db1,db2'" in info and "port='5432,5433'" in info
    assert "target_session_attrs='read-write'" in info
    assert db.connect_options() == {
        "connect_timeout": "5",
        "fallback_application_name": "ejournal",
        "target_session_attrs": "read-write",
    }
    env = db.eventsourcing_env()
    assert env["POSTGRES_HOST"] == "db1,db2" and env["POSTGRES_PORT"] == "5432,5433"
    assert env["POSTGRES_PRE_PING"] == "y"  # a connection broken by a failover is replaced
    assert (
        DatabaseURL.parse("postgresql://ej@db1/x").eventsourcing_env()["POSTGRES_PRE_PING"] == "n"
    )


def test_one_port_for_every_server_and_the_default_port() -> None:
    assert DatabaseURL.parse("postgresql://ej@a,b/x").hosts == [("a", "5432"), ("b", "5432")]
    assert DatabaseURL.parse("postgresql://ej@[::1]:6000/x").hosts == [("::1", "6000")]


def test_a_password_with_a_quote_is_quoted_for_libpq() -> None:
    assert "password='p\\'w'" in DatabaseURL.parse(PRIMARY).conninfo()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql://ej@db1:5432,/x", "expected postgresql://"),
        ("postgresql://ej@db1:54x/x", "expected postgresql://"),
        ("postgresql://ej@db1/", "expected postgresql://"),
        ("postgresql://ej@db1/x?target_session_attrs=writable", "target_session_attrs"),
    ],
)
def test_malformed_urls_are_refused(url: str, problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        DatabaseURL.parse(url)


def test_the_standby_reads_the_primarys_schema() -> None:
    settings = Settings.from_env(
        {
            "EJOURNAL_DATABASE_URL": PRIMARY,
            "EJOURNAL_READ_DATABASE_URL": "postgresql://ej@db2:5432/ejournal",
            "EJOURNAL_REPLICA_WAIT_MS": "150",
        }
    )
    assert settings.read_database is not None
    assert settings.read_database.host == "db2" and settings.read_database.schema == "school"
    assert settings.replica_wait_seconds == 0.15
    moved = settings.with_database("postgresql://ej@db1:5432/ejournal?schema=other")
    assert moved.read_database is not None and moved.read_database.schema == "other"
    assert Settings.from_env({"EJOURNAL_DATABASE_URL": PRIMARY}).read_database is None


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"EJOURNAL_READ_DATABASE_URL": "postgresql://ej@db2/ejournal"}, "on PostgreSQL"),
        (
            {
                "EJOURNAL_DATABASE_URL": PRIMARY,
                "EJOURNAL_READ_DATABASE_URL": "postgresql://ej@db2/other",
            },
            "not the primary's",
        ),
        (
            {
                "EJOURNAL_DATABASE_URL": PRIMARY,
                "EJOURNAL_READ_DATABASE_URL": "postgresql://ej@db2/ejournal?schema=elsewhere",
            },
            "not the primary's",
        ),
        (
            {
                "EJOURNAL_DATABASE_URL": PRIMARY,
                "EJOURNAL_READ_DATABASE_URL": "postgresql://ej@db2/ejournal"
                "?target_session_attrs=read-write",
            },
            "never reach a standby",
        ),
        (
            {
                "EJOURNAL_DATABASE_URL": PRIMARY,
                "EJOURNAL_READ_DATABASE_URL": "sqlite:///x.sqlite",
            },
            "EJOURNAL_READ_DATABASE_URL: expected postgresql",
        ),
        (
            {"EJOURNAL_DATABASE_URL": PRIMARY, "EJOURNAL_REPLICA_WAIT_MS": "soon"},
            "EJOURNAL_REPLICA_WAIT_MS",
        ),
    ],
)
def test_a_standby_setting_that_cannot_work_is_refused(env: dict[str, str], problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        Settings.from_env(env)
