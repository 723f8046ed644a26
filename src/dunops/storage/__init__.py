"""Storage adapter: ORM models, engines, sessions and Alembic migrations."""

from dunops.storage.base import Base, utcnow
from dunops.storage.database import make_engine, make_session_factory, transaction, upgrade

__all__ = ["Base", "make_engine", "make_session_factory", "transaction", "upgrade", "utcnow"]
