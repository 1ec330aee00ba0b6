"""The SQLAlchemy Core schema of the transactional store, shared by SQLite and PostgreSQL.

Alembic migrations in ``migrations/versions`` create exactly this; a test compares the two.
Money columns are integer pence (BigInteger); times are UTC ISO-8601 text so both databases agree.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
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
    # The area's population-weighted centre in British National Grid metres, for distances to services.
    Column("centre_x", Float, nullable=True),
    Column("centre_y", Float, nullable=True),
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

# -- web sessions and login throttling (issue 19) ----------------------------------------------------------
# A session is a row here, found by the SHA-256 of the random id in the cookie (a stolen copy of the table
# holds no usable cookie). Logging out, a password change, disabling the user or "log out everywhere" delete
# the rows, so a cookie captured earlier stops working at once, in every server process.
sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", String(40), nullable=False),
    Column("last_seen_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("address", String(64), nullable=True),
    Column("user_agent", String(200), nullable=True),
)

# Failed logins counted per user name and per client address (each keyed by a SHA-256, never the text), so
# the throttle holds across server processes.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", String(40), nullable=False),
    Column("blocked_until", String(40), nullable=True),
    Column("refusal_logged_for", String(40), nullable=True),
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
    # sha256 (plain, before the chain was keyed) or hmac-sha256:N (sealed with audit key N)
    Column("alg", String(40), nullable=False, server_default="sha256"),
)

# One row: the newest audit record. Appends lock it, so they are serialised on both databases, and a
# deleted tail record shows as a head that points at nothing.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    # the algorithm the next record must be sealed with (it changes only when the chain is keyed or rekeyed)
    Column("alg", String(40), nullable=False, server_default="sha256"),
)

# -- pooled funds (DESIGN.md §6.2) -------------------------------------------------------------------------
pools = Table(
    "pools",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(60), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("budget_type", String(20), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(80), nullable=False),
)

# Every version of an agreement, never overwritten: version 1 is the agreement as created, each variation
# adds the next version with the date it takes effect.
pool_versions = Table(
    "pool_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pool_id", Integer, ForeignKey("pools.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("effective_from", String(10), nullable=False),
    Column("agreement", Text, nullable=False),
    Column("source_yaml", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(80), nullable=False),
    UniqueConstraint("pool_id", "version", name="uq_pool_versions_pool_version"),
)

# A balanced double-entry transaction. The idempotency key is the client's: a retry finds the first posting.
ledger_txns = Table(
    "ledger_txns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pool_id", Integer, ForeignKey("pools.id"), nullable=False, index=True),
    Column("idem_key", String(200), nullable=False),
    Column("request_sha256", String(64), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("effective_date", String(10), nullable=False, index=True),
    Column("year", String(7), nullable=False),
    Column("memo", Text, nullable=False),
    Column("reverses_id", Integer, ForeignKey("ledger_txns.id"), nullable=True, unique=True),
    Column("posted_at", String(40), nullable=False),
    Column("posted_by", String(80), nullable=False),
    UniqueConstraint("pool_id", "idem_key", name="uq_ledger_txns_pool_key"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("txn_id", Integer, ForeignKey("ledger_txns.id"), nullable=False, index=True),
    Column("pool_id", Integer, ForeignKey("pools.id"), nullable=False),
    Column("account", String(120), nullable=False),
    Column("partner", String(200), nullable=True),
    Column("scheme", String(60), nullable=True),
    Column("amount", BigInteger, nullable=False),
)

# Stored running totals per account, updated in the same transaction as the postings; `pool check` compares
# them with the sum of the postings.
ledger_balances = Table(
    "ledger_balances",
    metadata,
    Column("pool_id", Integer, ForeignKey("pools.id"), primary_key=True),
    Column("account", String(120), primary_key=True),
    Column("balance", BigInteger, nullable=False),
    Column("postings", BigInteger, nullable=False),
)

# The years whose settlement has been posted: nothing more may be posted into them.
pool_settlements = Table(
    "pool_settlements",
    metadata,
    Column("pool_id", Integer, ForeignKey("pools.id"), primary_key=True),
    Column("year", String(7), primary_key=True),
    Column("txn_id", Integer, ForeignKey("ledger_txns.id"), nullable=True),
    Column("result", Text, nullable=False),
    Column("settled_at", String(40), nullable=False),
    Column("settled_by", String(80), nullable=False),
)

# The forecast outturn method a pool's fund manager chose: one row per version, the newest in force.
pool_forecast_methods = Table(
    "pool_forecast_methods",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pool_id", Integer, ForeignKey("pools.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("method", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("set_at", String(40), nullable=False),
    Column("set_by", String(80), nullable=False),
    UniqueConstraint("pool_id", "version", name="uq_pool_forecast_methods_pool_version"),
)

# Partners' own forecasts of a scheme's spend in a month; append-only, the newest entry for a month counts.
pool_forecast_entries = Table(
    "pool_forecast_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pool_id", Integer, ForeignKey("pools.id"), nullable=False, index=True),
    Column("year", String(7), nullable=False),
    Column("scheme", String(60), nullable=False),
    Column("month", String(7), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("partner", String(200), nullable=False),
    Column("entered_at", String(40), nullable=False),
    Column("entered_by", String(80), nullable=False),
)

# Settlements that were reopened: kept as they were posted, with who reopened them, when and why.
pool_reopened = Table(
    "pool_reopened",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pool_id", Integer, ForeignKey("pools.id"), nullable=False, index=True),
    Column("year", String(7), nullable=False),
    Column("txn_id", Integer, ForeignKey("ledger_txns.id"), nullable=True),
    Column("result", Text, nullable=False),
    Column("settled_at", String(40), nullable=False),
    Column("settled_by", String(80), nullable=False),
    Column("reopened_at", String(40), nullable=False),
    Column("reopened_by", String(80), nullable=False),
    Column("reason", Text, nullable=False),
)

segmentations = Table(
    "segmentations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(60), nullable=False, unique=True),
    Column("title", String(200), nullable=False),
    Column("method", String(10), nullable=False),
    Column("spec", String(60), nullable=False),
    Column("level", String(20), nullable=False),
    Column("levels", Text, nullable=False),
    Column("seed", Integer, nullable=True),
    Column("starts", Integer, nullable=True),
    Column("variables", Text, nullable=False),
    Column("ranges", Text, nullable=True),
    Column("detail", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(80), nullable=False),
)

segment_clusters = Table(
    "segment_clusters",
    metadata,
    Column("segmentation_id", Integer, ForeignKey("segmentations.id"), primary_key=True),
    Column("code", String(20), primary_key=True),
    Column("level", Integer, nullable=False),
    Column("parent_code", String(20), nullable=True),
    Column("name", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    Column("description", Text, nullable=False),
    Column("profile", Text, nullable=False),
    Column("centroid", Text, nullable=True),
)

segment_members = Table(
    "segment_members",
    metadata,
    Column("segmentation_id", Integer, ForeignKey("segmentations.id"), primary_key=True),
    Column("area_code", String(20), primary_key=True),
    Column("code", String(20), nullable=False),
    Column("distance", Float, nullable=True),
    Column("runner_up", String(20), nullable=True),
    Column("runner_up_distance", Float, nullable=True),
)

outcome_frameworks = Table(
    "outcome_frameworks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(60), nullable=False),
    Column("yaml", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(80), nullable=False),
)

exception_letters = Table(
    "exception_letters",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("indicator_id", String(60), nullable=False),
    Column("area_code", String(20), nullable=False),
    Column("period", String(40), nullable=False),
    Column("addressee", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("content", Text, nullable=False),
    Column("drafted_at", String(40), nullable=False),
    Column("drafted_by", String(80), nullable=False),
    Column("plan", Text, nullable=True),
    Column("remedy_by", String(10), nullable=True),
    Column("answered_at", String(40), nullable=True),
    Column("answered_by", String(80), nullable=True),
    UniqueConstraint("indicator_id", "area_code", "period", name="uq_exception_letters_indicator_id"),
)

comparator_sets = Table(
    "comparator_sets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(60), nullable=False),
    Column("area_code", String(20), nullable=False),
    Column("members", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(80), nullable=False),
)

# -- versioned objects (issue 15): models, libraries, rules, drafts, names, frameworks --------------------
# One row per version; rows are only ever inserted (never updated or deleted), each with an audit record in
# the same transaction whose detail carries the row's sha256 (``audit verify`` compares them).
object_versions = Table(
    "object_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("owner_id", Integer, ForeignKey("partners.id"), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(80), nullable=False),
    Column("reason", Text, nullable=False),
    Column("restored_from", Integer, nullable=True),
    UniqueConstraint("kind", "name", "version", name="uq_object_versions_kind"),
)


# -- records about people (issue 17): pseudonym key generations, batches' provenance, opt-out lists --------
# A purpose's pseudonym key lives outside the store (governance/keys.py); here only each generation's
# fingerprint, so a changed key is noticed and every batch names the generation it was pseudonymised with.
pseudonym_keys = Table(
    "pseudonym_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("purpose", String(40), nullable=False),
    Column("generation", Integer, nullable=False),
    Column("fingerprint", String(16), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("created_by", String(80), nullable=False),
    Column("reason", Text, nullable=False),
    UniqueConstraint("purpose", "generation", name="uq_pseudonym_keys_purpose"),
)

# What a person_records batch came through: its agreement (and version), purpose, the flow's source, the key
# generation, the columns dropped, what the opt-out did, and where the direct-care identities file is.
record_batches = Table(
    "record_batches",
    metadata,
    Column("batch_id", Integer, ForeignKey("batches.id"), primary_key=True),
    Column("agreement", String(63), nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("purpose", String(40), nullable=False, index=True),
    Column("source", String(63), nullable=False),
    Column("key_generation", Integer, nullable=False),
    Column("records_read", Integer, nullable=False),
    Column("dropped", Text, nullable=False),
    Column("opt_out", Text, nullable=False),
    Column("identities_path", String(500), nullable=True),
    Column("identities_sha256", String(64), nullable=True),
)

# Each response of the "check for national data opt-outs" service imported: its date, expiry and count, and
# the NHS numbers that may be used as pseudonyms under the optout key (never the numbers themselves).
optout_lists = Table(
    "optout_lists",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("list_date", String(10), nullable=False),
    Column("expires", String(10), nullable=False),
    Column("entries", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("key_generation", Integer, nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("imported_by", String(80), nullable=False),
)

optout_entries = Table(
    "optout_entries",
    metadata,
    Column("list_id", Integer, ForeignKey("optout_lists.id"), primary_key=True),
    Column("pseudonym", String(64), primary_key=True),
)

# -- people (issue 17): each run of a purpose's record linkage -------------------------------------------
# One row per run, only ever inserted; its people and links are parquet files (datasets/people.py) named here.
link_runs = Table(
    "link_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("purpose", String(40), nullable=False, index=True),
    Column("model_version", Integer, nullable=False),
    Column("threshold", Float, nullable=False),
    Column("backend", String(20), nullable=False),
    Column("records", Integer, nullable=False),
    Column("people", Integer, nullable=False),
    Column("households", Integer, nullable=False),
    Column("links", Integer, nullable=False),
    Column("people_issued", Integer, nullable=False),
    Column("households_issued", Integer, nullable=False),
    Column("detail", Text, nullable=False),
    Column("people_path", String(200), nullable=False),
    Column("links_path", String(200), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("run_at", String(40), nullable=False),
    Column("run_by", String(80), nullable=False),
)
