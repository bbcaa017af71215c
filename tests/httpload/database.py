"""PostgreSQL URLs and throwaway schemas, as the HTTP tests and the benchmarks use them."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def server_url(url: str) -> str:
    """The URL without a query (``?schema=…`` is ours, not libpq's)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def with_schema(server: str, schema: str) -> str:
    """The ``EJOURNAL_DATABASE_URL`` of ``schema`` on ``server``."""
    return f"{server}?schema={schema}"


def create_schema(server: str, schema: str) -> None:
    """Create an empty schema."""
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))


def drop_schema(server: str, schema: str) -> None:
    """Drop a schema made for a run, with everything in it."""
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def postgres_reachable(server: str) -> str:
    """Empty when the server answers; otherwise why not."""
    try:
        with psycopg.connect(server, connect_timeout=5):
            return ""
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]
