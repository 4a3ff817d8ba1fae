"""Every SQL difference between SQLite and PostgreSQL lives here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Float, Numeric, String, cast, func, literal
from sqlalchemy.sql.elements import ColumnClause


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


def json_has_key(dialect: str, column: Any, key: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        has_key: ColumnElement[bool] = column.op("?")(literal(key, String))
        return has_key
    return func.json_extract(column, f'$."{key}"').is_not(None)
