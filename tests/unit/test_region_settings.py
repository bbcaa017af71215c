"""A regional school's settings (ADR 0027), without a database: its schema on its cluster,
its own folder for keys, archive and PKI, its policies overlay, and clear refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ejournal.region import School, clusters, school_settings
from ejournal.settings import Settings, SettingsError

NOW = datetime(2026, 12, 5, tzinfo=UTC)


def _base(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "EJOURNAL_DATABASE_URL": "postgresql://u:secret@db1:5432/ej?schema=region",
            "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
            "EJOURNAL_PKI_DIR": "/srv/shared-pki",
        }
    )


def _school(cluster: str = "main") -> School:
    return School("lyceum1", "Лицей № 1", "active", "region_lyceum1", cluster, NOW, NOW)


def test_a_school_gets_its_schema_folder_and_keys_of_its_own(tmp_path: Path) -> None:
    base = _base(tmp_path)
    env = {"EJOURNAL_PKI_DIR": "/srv/shared-pki"}
    settings = school_settings(base, _school(), env)
    folder = tmp_path / "var" / "schools" / "lyceum1"
    assert settings.regional and settings.school == "lyceum1"
    assert (settings.database.host, settings.database.schema) == ("db1", "region_lyceum1")
    assert settings.database.path_per_transaction and settings.database.pool_size == 8
    assert settings.database.shared_pools  # the cluster's pools, shared by its schools
    assert settings.ledger_key_file == folder / "keys" / "ledger-ed25519.pem"
    assert settings.secret_key_file == folder / "keys" / "web-secret.key"
    assert settings.archive_dir == folder / "archive"
    assert settings.archiving.pki_dir == folder / "pki"  # never another school's signing keys
    assert settings.master_key_file == base.master_key_file  # the deployment's one
    assert settings.demo_logins_file == folder / "demo-logins.json"
    assert settings.policies_overlay is None
    (folder / "policies").mkdir(parents=True)
    assert school_settings(base, _school(), env).policies_overlay == folder / "policies"
    assert "secret" not in settings.database_url


def test_a_school_on_another_cluster_and_the_refusals(tmp_path: Path) -> None:
    base = _base(tmp_path)
    env = {
        "EJOURNAL_CLUSTERS": "db2=postgresql://u:pw@db2:6432/ej",
        "EJOURNAL_CLUSTER_POOL_SIZE": "1",
    }
    moved = school_settings(base, _school("db2"), env)
    assert (moved.database.host, moved.database.port) == ("db2", "6432")
    assert moved.database.schema == "region_lyceum1" and moved.database.pool_size == 1
    assert set(clusters(base, env)) == {"main", "db2"}
    with pytest.raises(SettingsError, match="does not name"):
        school_settings(base, _school("db3"), env)
    with pytest.raises(SettingsError, match="NAME=URL"):
        clusters(base, {"EJOURNAL_CLUSTERS": "Bad Name=postgresql://x/y"})
    with pytest.raises(SettingsError, match="not a PostgreSQL URL"):
        clusters(base, {"EJOURNAL_CLUSTERS": "lite=sqlite:///x.db"})
    with pytest.raises(SettingsError, match="EJOURNAL_CLUSTER_POOL_SIZE"):
        school_settings(base, _school(), {"EJOURNAL_CLUSTER_POOL_SIZE": "0"})


def test_the_standby_is_read_at_the_schools_own_schema_on_the_main_cluster_only(
    tmp_path: Path,
) -> None:
    """EJOURNAL_READ_DATABASE_URL names the main cluster's hot standby: a school there reads
    its own schema on it (not the region schema the URL names), a school on another cluster
    reads its primary."""
    base = Settings.from_env(
        {
            "EJOURNAL_DATABASE_URL": "postgresql://u@db1:5432/ej?schema=region",
            "EJOURNAL_READ_DATABASE_URL": "postgresql://u@db1-standby:5432/ej",
            "EJOURNAL_VAR_DIR": str(tmp_path / "var"),
        }
    )
    env = {"EJOURNAL_CLUSTERS": "db2=postgresql://u@db2:5432/ej"}
    here = school_settings(base, _school(), env)
    assert here.read_database is not None
    assert (here.read_database.host, here.read_database.schema) == (
        "db1-standby",
        "region_lyceum1",
    )
    assert here.read_database.path_per_transaction
    assert school_settings(base, _school("db2"), env).read_database is None
