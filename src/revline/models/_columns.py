"""Column shapes shared by several models."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer

# SQLite only aliases the rowid for INTEGER PRIMARY KEY; PostgreSQL gets bigint identities.
BigId = BigInteger().with_variant(Integer, "sqlite")
