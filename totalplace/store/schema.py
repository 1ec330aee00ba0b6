"""The SQLAlchemy Core schema of the transactional store, shared by SQLite and PostgreSQL.

Alembic migrations in ``migrations/versions`` create exactly this; a test compares the two.
Money columns are integer pence (BigInteger); times are UTC ISO-8601 text so both databases agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

partners = Table(
    "partners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("code", String(40), nullable=True),
    Column("created_at", String(40), nullable=False),
)

areas = Table(
    "areas",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("level", String(20), nullable=False, index=True),
    Column("parent_code", String(20), nullable=True, index=True),
    Column("population", BigInteger, nullable=True),
    Column("boundary", Text, nullable=True),
    Column("batch_id", Integer, ForeignKey("batches.id"), nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(80), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", String(40), nullable=False),
)

role_grants = Table(
    "role_grants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("role", String(40), nullable=False),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=True),
    Column("purpose", String(80), nullable=False),
    UniqueConstraint("user_id", "role", "partner_id", "purpose", name="uq_role_grants_scope"),
)

batches = Table(
    "batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False, index=True),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=True),
    Column("source_name", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("importer", String(80), nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("row_count", BigInteger, nullable=False),
    Column("totals", Text, nullable=False),
    Column("parquet_path", String(500), nullable=False),
    Column("parquet_sha256", String(64), nullable=False),
    Column("status", String(20), nullable=False, default="active"),
    Column("superseded_by", Integer, ForeignKey("batches.id"), nullable=True),
    UniqueConstraint("kind", "sha256", name="uq_batches_kind_sha256"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(80), nullable=False),
    Column("object_type", String(40), nullable=False),
    Column("object_id", String(80), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# One row: the newest audit record. Appends lock it, so they are serialised on both databases, and a
# deleted tail record shows as a head that points at nothing.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)
