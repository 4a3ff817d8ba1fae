"""Database plumbing: engine, unit of work, column types, dialect differences."""

from revline.kit.db.base import Base
from revline.kit.db.engine import Database
from revline.kit.db.types import JSONDocument, Number, UTCDateTime

__all__ = ["Base", "Database", "JSONDocument", "Number", "UTCDateTime"]
