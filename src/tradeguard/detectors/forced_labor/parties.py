"""Party screening for entry lines: every declared party against chosen watch lists.

Names repeat across a batch (one factory ships hundreds of lines), so each distinct
(name, country, address) is screened once and the matches are joined back to every party row.
A match counts only if the entity was listed on the entry date (added on or before it, not yet
removed), so a past entry is judged by the list of its day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from tradeguard.screening import MATCH_SCHEMA, ScreeningConfig, WatchlistIndex, screen_names

PARTY_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(),
    "line_number": pl.Int64(),
    "entry_date": pl.Date(),
    "role": pl.String(),
    "tier": pl.Int64(),
    "name": pl.String(),
    "country": pl.String(),
    "address": pl.String(),
}
# role -> (name column, country column, address column or None) on declaration lines
LINE_ROLES: dict[str, tuple[str, str, str | None]] = {
    "manufacturer": ("manufacturer_name", "manufacturer_country", "manufacturer_address"),
    "seller": ("seller_name", "seller_country", None),
    "importer": ("importer_name", "importer_country", "importer_address"),
}


def _col(frame: pl.DataFrame, name: str | None) -> pl.Expr:
    if name is None or name not in frame.columns:
        return pl.lit(None, dtype=pl.String)
    return pl.col(name).cast(pl.String)


def with_entry_date(lines: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """``entry_date`` as a Date (parsed when text; ``as_of`` where missing or unreadable)."""
    if "entry_date" not in lines.columns:
        return lines.with_columns(entry_date=pl.lit(as_of))
    col = pl.col("entry_date")
    if lines.schema["entry_date"] == pl.String:
        col = col.str.to_date("%Y-%m-%d", strict=False)
    return lines.with_columns(entry_date=col.cast(pl.Date).fill_null(as_of))


def line_parties(lines: pl.DataFrame, roles: Sequence[str]) -> pl.DataFrame:
    """One row per (line, role) with a declared name, in :data:`PARTY_SCHEMA`."""
    parts = []
    for role in roles:
        name_col, country_col, address_col = LINE_ROLES[role]
        if name_col not in lines.columns:
            continue
        parts.append(
            lines.select(
                pl.col("entry_number").cast(pl.String),
                pl.col("line_number").cast(pl.Int64),
                pl.col("entry_date"),
                role=pl.lit(role),
                tier=pl.lit(0, dtype=pl.Int64),
                name=_col(lines, name_col),
                country=_col(lines, country_col),
                address=_col(lines, address_col),
            )
        )
    if not parts:
        return pl.DataFrame(schema=PARTY_SCHEMA)
    frame = pl.concat(parts)
    return frame.filter(pl.col("name").str.strip_chars().str.len_chars() > 0)


@dataclass(frozen=True)
class ListScreen:
    """A screening index over some lists plus the listing dates of their entities."""

    index: WatchlistIndex
    entities: pl.DataFrame  # list, entity_id, date_added, date_removed, program
    config: ScreeningConfig

    @classmethod
    def build(
        cls,
        watchlists: pl.DataFrame,
        versions: Mapping[str, str],
        lists: Sequence[str],
        config: ScreeningConfig | None = None,
        keep: pl.Expr | None = None,
    ) -> ListScreen:
        """Index the entities of ``lists`` (and ``keep``, e.g. entity types) in ``watchlists``."""
        cfg = config or ScreeningConfig()
        chosen = watchlists.filter(pl.col("list").is_in(list(lists)))
        if keep is not None:
            chosen = chosen.filter(keep)
        entities = chosen.select(
            "list",
            "entity_id",
            _col(chosen, "program").alias("program"),
            *[
                (pl.col(c) if c in chosen.columns else pl.lit(None)).cast(pl.Date).alias(c)
                for c in ("date_added", "date_removed")
            ],
        ).unique(["list", "entity_id"], keep="first")
        return cls(WatchlistIndex.build(chosen, versions, cfg), entities, cfg)

    def screen(self, parties: pl.DataFrame) -> pl.DataFrame:
        """Matches of party rows listed on their entry date: party columns + match columns."""
        distinct = (
            parties.select("name", "country", "address")
            .unique()
            .with_row_index("qid")
            .with_columns(id=pl.col("qid").cast(pl.String))
        )
        matches = screen_names(distinct.drop("qid"), self.index, self.config)
        if matches.is_empty():
            return _empty_party_matches(parties)
        keyed = distinct.join(matches, on="id").drop("qid", "id")
        found = parties.join(keyed, on=["name", "country", "address"], nulls_equal=True)
        found = found.join(self.entities, on=["list", "entity_id"], how="left")
        added = pl.col("date_added").is_null() | (pl.col("date_added") <= pl.col("entry_date"))
        kept = pl.col("date_removed").is_null() | (pl.col("date_removed") > pl.col("entry_date"))
        return found.filter(added & kept)


def _empty_party_matches(parties: pl.DataFrame) -> pl.DataFrame:
    schema = dict(parties.schema)
    schema.update({k: v for k, v in MATCH_SCHEMA.items() if k != "id"})
    schema.update({"program": pl.String(), "date_added": pl.Date(), "date_removed": pl.Date()})
    return pl.DataFrame(schema=schema)
