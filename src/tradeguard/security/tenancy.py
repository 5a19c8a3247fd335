"""Tenant isolation: an importer principal only ever sees its own importer_id's rows.

One rule, two renderings — a Polars expression and a SQLAlchemy clause — so the batch engine
and the database apply the same filter. Staff principals are not tenant-scoped. Rows with no
importer id are never shown to an importer (null never equals the id), so the filter fails
closed on incomplete data.
"""

from __future__ import annotations

from typing import Any, TypeVar

import polars as pl
import sqlalchemy as sa

from tradeguard.security.roles import AccessDenied, Permission, Principal

IMPORTER_COLUMN = "importer_id"
_Frame = TypeVar("_Frame", pl.DataFrame, pl.LazyFrame)
_Select = TypeVar("_Select", bound="sa.Select[Any]")


def tenant_of(principal: Principal) -> str | None:
    """The importer id the principal is confined to, or None for unscoped staff."""
    if not principal.is_importer:
        return None
    if not principal.importer_id:
        raise AccessDenied(
            principal, Permission.ENTRY_READ, None, "importer user without importer id"
        )
    return principal.importer_id


def tenant_expr(principal: Principal, column: str = IMPORTER_COLUMN) -> pl.Expr:
    """A Polars predicate selecting the rows the principal may see."""
    tenant = tenant_of(principal)
    if tenant is None:
        return pl.lit(True)
    return pl.col(column).eq(pl.lit(tenant, dtype=pl.String)).fill_null(False)


def restrict_frame(frame: _Frame, principal: Principal, column: str = IMPORTER_COLUMN) -> _Frame:
    """Filter a DataFrame or LazyFrame to the principal's rows; a frame with no importer
    column cannot be scoped and is refused for an importer."""
    if principal.is_importer:
        names = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
        if column not in names:
            raise AccessDenied(
                principal, Permission.ENTRY_READ, None, f"data has no {column} column to scope by"
            )
    return frame.filter(tenant_expr(principal, column))


def tenant_clause(principal: Principal, column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """A SQL WHERE clause selecting the rows the principal may see."""
    tenant = tenant_of(principal)
    if tenant is None:
        return sa.true()
    return column == tenant


def restrict_select(stmt: _Select, principal: Principal, column: sa.ColumnElement[str]) -> _Select:
    """Add the tenant clause to a SELECT."""
    return stmt.where(tenant_clause(principal, column))
