"""Every SQL difference between SQLite and PostgreSQL lives here."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Executable,
    Float,
    Integer,
    Numeric,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.expression import TableClause


def json_text(dialect: str, column: ColumnClause[Any] | Any, key: str) -> ColumnElement[Any]:
    """The value under ``key`` of a JSON document column, as text (NULL when absent)."""
    if dialect == "postgresql":
        return column.op("->>")(literal(key, String))
    return func.json_extract(column, f'$."{key}"')


def json_number(dialect: str, column: Any, key: str) -> ColumnElement[Any]:
    """The value under ``key`` cast to a number, for comparisons and sorting."""
    text = json_text(dialect, column, key)
    if dialect == "postgresql":
        return cast(text, Numeric)
    return cast(text, Float)


def json_numeric(dialect: str, column: Any, key: str) -> ColumnElement[Any]:
    """The value under ``key`` as a number when it is a JSON number, else NULL: documents
    written by clients (event properties) may hold anything, and a cast must not fail."""
    if dialect == "postgresql":
        return case(
            (
                func.jsonb_typeof(column.op("->")(literal(key, String))) == "number",
                cast(column.op("->>")(literal(key, String)), Numeric),
            ),
            else_=null(),
        )
    return case(
        (
            func.json_type(column, f'$."{key}"').in_(("integer", "real")),
            cast(func.json_extract(column, f'$."{key}"'), Float),
        ),
        else_=null(),
    )


def json_has_key(dialect: str, column: Any, key: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        has_key: ColumnElement[bool] = column.op("?")(literal(key, String))
        return has_key
    return func.json_extract(column, f'$."{key}"').is_not(None)


def json_with_key(dialect: str, column: Any, key: str, value: str | None) -> ColumnElement[Any]:
    """The document with ``key`` set to the text ``value`` (removed when ``value`` is None),
    for set-based UPDATEs of one key across many rows."""
    if dialect == "postgresql":
        doc = func.coalesce(column, text("'{}'::jsonb"))
        if value is None:
            return doc.op("-")(literal(key, String))
        return doc.op("||")(func.jsonb_build_object(literal(key, String), literal(value, String)))
    doc = func.coalesce(column, text("'{}'"))
    if value is None:
        return func.json_remove(doc, f'$."{key}"')
    return func.json_set(doc, f'$."{key}"', literal(value, String))


# --- text search ------------------------------------------------------------------------
#
# Search matches text case-insensitively as substrings and whole words. Both engines get an
# index that answers "which rows contain this substring" without reading every row:
# PostgreSQL a GIN trigram index on ``lower(column)`` (pg_trgm), SQLite an external-content
# FTS5 table with the trigram tokenizer, kept in sync by triggers. The helpers below give the
# index-assisted conditions; callers add an exact condition on the base column wherever the
# index can only narrow the rows down (its matches are a superset).


def like_escape(text: str) -> str:
    r"""``text`` as a literal inside a LIKE pattern that uses ``\`` as its escape character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*\Z")


def fts_table_name(table: str) -> str:
    return f"{table}_fts"


def trigram_index_name(table: str, column: str) -> str:
    return f"ix_{table}_{column}_trgm"


def text_index_ddl(dialect: str, table: str, columns: Sequence[str]) -> list[str]:
    """Statements that create the substring index over ``columns`` of ``table``.

    Names are interpolated, so they must be plain identifiers (they come from migrations).
    """
    for name in (table, *columns):
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a plain SQL identifier: {name!r}")
    if dialect == "postgresql":
        return [
            f"CREATE INDEX IF NOT EXISTS {trigram_index_name(table, c)} "
            f"ON {table} USING gin (lower({c}) gin_trgm_ops)"
            for c in columns
        ]
    fts = fts_table_name(table)
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{table}', "
        f"content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        # Only changes to indexed columns touch the index (archiving, owner changes do not).
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # noqa: S608
    ]


def lower_index_name(table: str, column: str) -> str:
    return f"ix_{table}_{column}_lower"


def lower_index_ddl(dialect: str, table: str, column: str) -> list[str]:
    """A B-tree on ``lower(column)`` for exact, case-insensitive lookups of values whose
    trigrams are too common for the GIN index to be quick (every email has "com").

    PostgreSQL only: SQLite answers those lookups from its FTS5 table (``indexed_equals``),
    and its schema reflection cannot read expression indexes (it warns on each one).
    """
    for name in (table, column):
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a plain SQL identifier: {name!r}")
    if dialect != "postgresql":
        return []
    name = lower_index_name(table, column)
    return [f"CREATE INDEX IF NOT EXISTS {name} ON {table} (lower({column}))"]


def drop_text_index_ddl(dialect: str, table: str, columns: Sequence[str]) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS {trigram_index_name(table, c)}" for c in columns]
    fts = fts_table_name(table)
    return [
        f"DROP TRIGGER IF EXISTS {fts}_ai",
        f"DROP TRIGGER IF EXISTS {fts}_ad",
        f"DROP TRIGGER IF EXISTS {fts}_au",
        f"DROP TABLE IF EXISTS {fts}",
    ]


def text_extension_ddl(dialect: str) -> list[str]:
    """What the engine needs before ``text_index_ddl`` can run."""
    if dialect == "postgresql":
        return ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
    return []


def _fts(table: Table) -> TableClause:
    name = fts_table_name(table.name)
    return TableClause(
        name,
        ColumnClause("rowid"),
        ColumnClause(name),
        *[ColumnClause(c.name) for c in table.columns],
    )


def indexed_like(dialect: str, table: Table, column: str, pattern: str) -> ColumnElement[bool]:
    """Rows whose ``column`` may match the case-insensitive LIKE ``pattern`` (``%`` and ``_``
    as wildcards, no escapes), answered from the substring index. A superset: refine it."""
    if dialect == "postgresql":
        escaped = pattern.replace("\\", "\\\\")
        return func.lower(table.c[column]).like(func.lower(escaped), escape="\\")
    fts = _fts(table)
    # No ESCAPE clause: FTS5 answers LIKE from the trigram index only without one.
    return table.c.id.in_(select(fts.c.rowid).where(fts.c[column].like(pattern)))


def indexed_words(
    dialect: str, table: Table, columns: Sequence[str], words: Sequence[str]
) -> ColumnElement[bool]:
    """Rows where every one of ``words`` is a case-insensitive substring of some ``columns``."""
    conditions: list[ColumnElement[bool]] = []
    short: list[str] = []
    long: list[str] = []
    for word in words:
        (long if dialect == "sqlite" and len(word) >= 3 else short).append(word)
    if long:
        # The trigram tokenizer turns a quoted phrase into a substring match on any column.
        query = " AND ".join('"' + w.replace('"', '""') + '"' for w in long)
        fts = _fts(table)
        conditions.append(
            table.c.id.in_(
                select(fts.c.rowid).where(fts.c[fts.name].op("MATCH")(literal(query, String)))
            )
        )
    for word in short:
        # Words under three characters have no trigram; PostgreSQL still uses its index.
        pattern = "%" + like_escape(word) + "%"
        conditions.append(
            or_(
                *[
                    func.lower(table.c[c]).like(func.lower(literal(pattern, String)), escape="\\")
                    for c in columns
                ]
            )
        )
    return and_(*conditions)


def indexed_equals(dialect: str, table: Table, column: str, value: str) -> ColumnElement[bool]:
    """``column`` equals ``value`` ignoring case, using the column's substring index."""
    exact = func.lower(table.c[column]) == func.lower(literal(value, String))
    if dialect == "postgresql":
        return exact  # pg_trgm's GIN operator class answers equality too (PostgreSQL 14+)
    # Without wildcards in the pattern, FTS5's LIKE is a case-insensitive equality; the
    # value's own % and _ only widen it, and ``exact`` decides.
    return and_(indexed_like(dialect, table, column, value), exact)


def insert_many(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows with the driver's own executemany and one pre-built statement.

    SQLAlchemy's executemany compiles and processes parameters row by row in Python; for the
    hundreds of history rows of one batch that is most of the write's cost. Values still go
    through each column type's bind processor, so they are stored exactly as the ORM would.
    """
    if not rows:
        return
    columns, values = _bound_columns(connection, table, rows)
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(f'"{c}"' for c in columns)
    sql = (
        f'INSERT INTO "{table.name}" ({names}) '  # noqa: S608 - names come from the model
        f"VALUES ({', '.join([marker] * len(columns))})"
    )
    params = list(zip(*values, strict=True))
    connection.exec_driver_sql(sql, params)


def _bound_columns(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> tuple[list[str], list[list[Any]]]:
    """The column names of ``rows`` and, per column, its values through the column type's
    bind processor. Column by column: most columns need no conversion and are taken as they
    are, and the converted ones repeat the same objects (one timestamp, one source) in every
    row, so each distinct object is converted once."""
    columns = list(rows[0])
    dialect = connection.dialect
    values = [[row[c] for row in rows] for c in columns]
    for i, c in enumerate(columns):
        proc = table.c[c].type.dialect_impl(dialect).bind_processor(dialect)
        if proc is None:
            continue
        memo: dict[int, Any] = {}
        converted: list[Any] = []
        for value in values[i]:
            if value is None:
                converted.append(None)
                continue
            key = id(value)
            if key not in memo:
                memo[key] = proc(value)
            converted.append(memo[key])
        values[i] = converted
    return columns, values


def _json_default(value: Any) -> Any:
    """What ``json.dumps`` cannot write itself (it asks only for those values)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} into a bulk insert")


def _bulk_insert_sql(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> tuple[str, Any]:
    """``INSERT INTO table (columns) <rows>`` as driver SQL and its parameters.

    PostgreSQL gets the rows as one JSON document unpacked by ``json_to_recordset``: one
    parameter whatever the number of rows, so the statement text never changes and the
    driver adapts a single string (``json.dumps`` in C) instead of thousands of values.
    SQLite gets a multi-row VALUES list (its limit of 32,766 parameters holds a few thousand
    rows of a narrow table), each value through its column type's bind processor."""
    dialect = connection.dialect
    if dialect.name == "postgresql":
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        shape = ", ".join(f'"{c}" {table.c[c].type.compile(dialect=dialect)}' for c in columns)
        document = json.dumps(list(rows), separators=(",", ":"), default=_json_default)
        # Names and types come from the model, never from input.
        sql = (
            f'INSERT INTO "{table.name}" ({names}) '  # noqa: S608
            f"SELECT {names} FROM json_to_recordset(%s::json) AS r({shape})"
        )
        return sql, (document,)
    columns, values = _bound_columns(connection, table, rows)
    names = ", ".join(f'"{c}"' for c in columns)
    marker = "(" + ", ".join(["?"] * len(columns)) + ")"
    flat = [v for row in zip(*values, strict=True) for v in row]
    head = f'INSERT INTO "{table.name}" ({names}) VALUES '  # noqa: S608
    sql = head + ", ".join([marker] * len(rows))
    return sql, tuple(flat)


def in_values(dialect: str, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` for long lists: on PostgreSQL ``column = ANY(array)``, one
    parameter instead of one per value (which the driver would have to splice into the
    statement, and which gives a new statement text for every list length)."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(list(values))  # type: ignore[no-any-return]


def insert_returning(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    returning: Sequence[str],
    *,
    skip_conflicts: bool = False,
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` in one statement and answer ``returning`` of each inserted row; with
    ``skip_conflicts``, rows that would break a unique index are left out (ON CONFLICT DO
    NOTHING), so concurrent writers of one key store it once. The answer's order is not
    guaranteed: callers match rows by a returned key (or by ascending id, which follows the
    order of ``rows`` within one statement on both engines)."""
    if not rows:
        return []
    sql, params = _bulk_insert_sql(connection, table, rows)
    if skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    sql += " RETURNING " + ", ".join(f'"{c}"' for c in returning)
    return [tuple(r) for r in connection.exec_driver_sql(sql, params)]


def add_to_counters(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    column: str,
) -> None:
    """Insert ``rows``, or add their ``column`` to the row with the same ``keys`` where one
    exists (``count = count + excluded.count``), in one statement. No two rows may share
    their keys (PostgreSQL refuses to touch one row twice in a statement): sum them first."""
    if not rows:
        return
    sql, params = _bulk_insert_sql(connection, table, rows)
    target = ", ".join(f'"{k}"' for k in keys)
    sql += (
        f' ON CONFLICT ({target}) DO UPDATE SET "{column}" = '
        f'"{table.name}"."{column}" + excluded."{column}"'
    )
    connection.exec_driver_sql(sql, params)


# --- queues and locks -------------------------------------------------------------------

_S = TypeVar("_S", bound=Select[Any])


def skip_locked(dialect: str, statement: _S) -> _S:
    """``statement`` locking the rows it returns and passing over rows another transaction
    holds (PostgreSQL ``FOR UPDATE SKIP LOCKED``), so concurrent claimers never wait on or
    take the same row. SQLite has no row locks: its transactions start with ``BEGIN
    IMMEDIATE``, which already makes each claimer the only writer until it commits."""
    if dialect == "postgresql":
        return statement.with_for_update(skip_locked=True)
    return statement


def insert_missing(dialect: str, table: Table, rows: Sequence[dict[str, Any]]) -> Executable:
    """An INSERT of ``rows`` that leaves rows whose key already exists untouched (two
    processes may both find a row missing and both insert it)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).values(list(rows)).on_conflict_do_nothing()


def insert_missing_from(
    dialect: str, table: Table, columns: Sequence[str], rows: Select[Any]
) -> Executable:
    """INSERT .. SELECT that skips rows whose key already exists. Cheaper than excluding
    them in the SELECT with NOT EXISTS, which PostgreSQL may plan as a scan of the table
    being filled for every row."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # SQLite cannot tell "SELECT .. ON CONFLICT" from a join constraint without a WHERE.
    return insert(table).from_select(list(columns), rows.where(true())).on_conflict_do_nothing()


def key_lock(dialect: str, key: str) -> Executable | None:
    """A statement holding a lock on ``key`` until the transaction ends, so that a
    check-then-insert on the key is not raced by another transaction (PostgreSQL advisory
    lock). None on SQLite, whose writers are already serialised by ``BEGIN IMMEDIATE``."""
    if dialect == "postgresql":
        return select(func.pg_advisory_xact_lock(func.hashtextextended(literal(key, String), 0)))
    return None


def seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[int]:
    """Whole seconds from ``start`` to ``end`` (timestamps), rounded to the nearest second.

    Integers keep sums and averages of durations exact and equal on both engines."""
    if dialect == "postgresql":
        return cast(func.round(func.extract("epoch", end - start)), BigInteger)
    # SQLite keeps UTC timestamps as text; julianday() reads them as fractional days.
    return cast(func.round((func.julianday(end) - func.julianday(start)) * 86400), BigInteger)


def utc_day(dialect: str, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    # SQLite keeps UTC timestamps as naive ISO text.
    return func.date(column)


def days_before(dialect: str, day: date, column: Any) -> ColumnElement[Any]:
    """Whole days from the date ``column`` to ``day`` (0 on the day itself)."""
    if dialect == "postgresql":
        elapsed: ColumnElement[Any] = literal(day, Date) - column
        return elapsed
    return cast(func.julianday(day.isoformat()) - func.julianday(column), Integer)


def timestamp_number(dialect: str, column: Any) -> ColumnElement[Any]:
    """A number that moves with a timestamp, for sums that fingerprint rows (cache stamps):
    seconds since the epoch on PostgreSQL (exact to the microsecond); on SQLite, which keeps
    timestamps as text, the fractional day number of ``julianday()`` (exact to ~20 µs)."""
    if dialect == "postgresql":
        return func.extract("epoch", column)
    return func.julianday(column)


def report_memory(dialect: str) -> Executable | None:
    """A statement giving the rest of the transaction room to sort and hash in memory
    (PostgreSQL ``SET LOCAL work_mem``): report queries over a year of stage transitions sort
    a few hundred thousand rows, which spill to disk at the default 4 MB. Local to the
    transaction, so ordinary requests keep the server's setting. None on SQLite, which sorts
    in its page cache."""
    if dialect == "postgresql":
        return text("SET LOCAL work_mem = '64MB'")
    return None


def rebuild_memory(dialect: str) -> Executable | None:
    """Room for a whole-population set operation (a segment rebuild over a million contacts
    hashes a million ids; below the memory it needs PostgreSQL would fall back to plans that
    compare row by row). Local to the transaction; None on SQLite."""
    if dialect == "postgresql":
        return text("SET LOCAL work_mem = '256MB'")
    return None
