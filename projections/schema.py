"""Table definitions of the views: plain data, turned into DDL for each backend."""

from __future__ import annotations

from dataclasses import dataclass, field

TYPES = {
    "text": ("TEXT", "TEXT"),
    "int": ("INTEGER", "BIGINT"),
    "real": ("REAL", "DOUBLE PRECISION"),
    "blob": ("BLOB", "BYTEA"),
}


@dataclass(frozen=True)
class Table:
    """A view table: ``columns`` as (name, type) pairs, ``key`` the primary key columns,
    ``indexes`` extra indexes (each a tuple of columns). Blob columns hold sealed values;
    ``sealed_with`` names the columns whose values, joined by "/", were the sealing
    context (the first key column when not given)."""

    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    sealed_with: tuple[str, ...] = ()
    column_names: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(name for name, _ in self.columns))

    def seal_context(self, row: dict[str, object]) -> bytes:
        """The context a sealed value of ``row`` was sealed with."""
        return "/".join(str(row[c]) for c in (self.sealed_with or self.key[:1])).encode()

    def key_of(self, row: dict[str, object]) -> tuple[object, ...]:
        """The primary key of ``row``."""
        return tuple(row[k] for k in self.key)

    def ddl(self, dialect: str) -> list[str]:
        """CREATE statements for ``dialect`` (``sqlite`` or ``postgres``)."""
        index = 0 if dialect == "sqlite" else 1
        cols = ", ".join(f"{name} {TYPES[kind][index]}" for name, kind in self.columns)
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.name} ({cols}, PRIMARY KEY ({', '.join(self.key)}))"
        ]
        for columns in self.indexes:
            statements.append(
                f"CREATE INDEX IF NOT EXISTS ix_{self.name}_{'_'.join(columns)} "
                f"ON {self.name} ({', '.join(columns)})"
            )
        return statements
