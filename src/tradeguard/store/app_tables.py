"""Tables of the service: user accounts, API keys, stored assessments and findings, jobs.

The API and the web UI keep here what the contract tables do not hold: who may log in (with
an argon2 hash, never a password), which systems hold API keys (a SHA-256 of the secret), the
assessments the scoring pipeline produced (one row per line with its full explanation as
JSON, so a later page or appeal shows exactly what was decided), their findings, and batch
jobs with their progress. Migration ``0090_app`` creates exactly these tables.
"""

from __future__ import annotations

import sqlalchemy as sa

from tradeguard.store.tables import BigId, metadata

users = sa.Table(
    "app_users",
    metadata,
    sa.Column("username", sa.String(120), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("roles", sa.String(200), nullable=False),  # comma-separated Role values
    sa.Column("importer_id", sa.String(100), nullable=True),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(120), nullable=False),
)

api_keys = sa.Table(
    "app_api_keys",
    metadata,
    sa.Column("key_id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("roles", sa.String(200), nullable=False),
    sa.Column("importer_id", sa.String(100), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

assessments = sa.Table(
    "app_assessments",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(40), nullable=False),
    sa.Column("entry_number", sa.String(40), nullable=False),
    sa.Column("line_number", sa.Integer, nullable=False),
    sa.Column("importer_id", sa.String(100), nullable=True),
    sa.Column("port_of_entry", sa.String(10), nullable=True),
    sa.Column("entry_date", sa.Date, nullable=True),
    sa.Column("risk_score", sa.Double, nullable=False),
    sa.Column("lane", sa.String(10), nullable=False),
    sa.Column("categories", sa.Text, nullable=False),  # ;-separated
    sa.Column("model_version", sa.String(200), nullable=False),
    sa.Column("input_digest", sa.String(64), nullable=False),
    sa.Column("record", sa.Text, nullable=False),  # Assessment.to_record() as JSON
    sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("log_seq", sa.BigInteger, nullable=True),
    sa.Index(None, "entry_number", "line_number"),
    sa.Index(None, "importer_id"),
    sa.Index(None, "port_of_entry", "entry_date"),
)

findings = sa.Table(
    "app_findings",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(40), nullable=False),
    sa.Column("entry_number", sa.String(40), nullable=False),
    sa.Column("line_number", sa.Integer, nullable=True),
    sa.Column("importer_id", sa.String(100), nullable=True),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("reason_code", sa.String(80), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("evidence", sa.Text, nullable=True),
    sa.Column("detector", sa.String(80), nullable=False),
    sa.Column("detector_version", sa.String(40), nullable=False),
    sa.Index(None, "entry_number"),
    sa.Index(None, "importer_id"),
    sa.Index(None, "category"),
)

jobs = sa.Table(
    "app_jobs",
    metadata,
    sa.Column("job_id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # queued | running | done | failed
    sa.Column("done", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("total", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("importer_id", sa.String(100), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("result", sa.Text, nullable=True),  # JSON
    sa.Column("error", sa.Text, nullable=True),
)

APP_TABLES = (users, api_keys, assessments, findings, jobs)
