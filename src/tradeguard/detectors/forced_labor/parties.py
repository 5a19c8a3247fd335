"""Party screening for entry lines: every declared party against chosen watch lists.

Names repeat across a batch (one factory ships hundreds of lines), so each distinct
(name, country, address) is screened once and the matches are joined back to every party row.
A match counts only if the entity was listed on the entry date (added on or before it, not yet
removed), so a past entry is judged by the list of its day.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from tradeguard.screening import MATCH_SCHEMA, ScreeningConfig, WatchlistIndex, screen_names
from tradeguard.screening.entry import MatchRow, PartyQuery, best_first, entry_match_rows

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


#: Columns of the party queries screened.
QUERY_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(), "name": pl.String(), "country": pl.String(), "address": pl.String()}
#: Batches with at most this many distinct parties go through the per-party cache; larger
#: ones are screened in one vectorised call (repeat parties there are rare and cheap).
CACHED_BATCH = 64
#: Distinct parties remembered per list index (least recently used dropped first).
CACHE_SIZE = 20_000

PartyKey = tuple[str | None, str | None, str | None]


@dataclass
class ScreenCache:
    """Screening results per distinct (name, country, address), for one list index.

    A party's matches depend only on its own fields, the lists and the screening settings;
    the index is rebuilt (with an empty cache) whenever list versions or settings change,
    so a cached answer is exactly what screening it again would give.
    """

    size: int = CACHE_SIZE
    entries: OrderedDict[PartyKey, tuple[MatchRow, ...]] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: PartyKey) -> tuple[MatchRow, ...] | None:
        """The cached matches of ``key`` (marked recently used), or None."""
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found

    def put(self, key: PartyKey, matches: tuple[MatchRow, ...]) -> None:
        """Remember ``key``'s match rows (``MATCH_SCHEMA`` order, without the query id)."""
        with self.lock:
            self.entries[key] = matches
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


@dataclass(frozen=True)
class ListScreen:
    """A screening index over some lists plus the listing dates of their entities."""

    index: WatchlistIndex
    entities: pl.DataFrame  # list, entity_id, date_added, date_removed, program
    config: ScreeningConfig
    cache: ScreenCache = field(default_factory=ScreenCache, compare=False, repr=False)

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
        matches = self._screen_distinct(distinct.drop("qid"))
        if matches.is_empty():
            return _empty_party_matches(parties)
        keyed = distinct.join(matches, on="id").drop("qid", "id")
        # Few parties match: their rows are found by name before the three-key join.
        found = parties.filter(pl.col("name").is_in(keyed.get_column("name").implode())).join(
            keyed, on=["name", "country", "address"], nulls_equal=True)
        found = found.join(self.entities, on=["list", "entity_id"], how="left")
        added = pl.col("date_added").is_null() | (pl.col("date_added") <= pl.col("entry_date"))
        kept = pl.col("date_removed").is_null() | (pl.col("date_removed") > pl.col("entry_date"))
        return found.filter(added & kept)

    def remember(self, parties: pl.DataFrame) -> None:
        """Screen the parties (``name, country, address``) not yet remembered, so a later
        :meth:`screen` of any of them is a lookup (the results are those ``screen`` gives)."""
        distinct = parties.select("name", "country", "address").unique()
        if distinct.height:
            screen_names(distinct.with_row_index("id"), self.index, self.config)

    def any_listed(self, parties: Sequence[PartyKey]) -> bool:
        """Whether any of a few parties matches a listed name (on any date): when none does,
        :meth:`screen` finds nothing for them."""
        return any(self._party_rows(parties).values())

    def _party_rows(self, parties: Sequence[PartyKey]) -> dict[PartyKey, tuple[MatchRow, ...]]:
        """Match rows (without query id, best first) of a few parties: from the cache, else
        screened name by name (``entry_match_rows``: a request's parties, where ~60 frame
        queries would cost milliseconds) or, in a process that screened batches ahead, looked
        up among those; then remembered."""
        found = {key: self.cache.get(key) for key in parties}
        missing = [key for key, hit in found.items() if hit is None]
        if missing:
            fresh: dict[str, list[MatchRow]] = {str(i): [] for i in range(len(missing))}
            queries = [(str(i), *key) for i, key in enumerate(missing)]
            if self.index.cache.remembers(self.config.model_dump_json()):
                # Parties were screened ahead in batches (see engines/prescreen.py): look
                # them up there rather than screen them again.
                ahead = screen_names(pl.DataFrame(queries, schema=QUERY_SCHEMA, orient="row"),
                                     self.index, self.config)
                matches: list[MatchRow] = ahead.rows()
            else:
                matches = entry_match_rows(queries, self.index, self.config)
            for match in matches:
                fresh[match[0]].append(match[1:])
            for i, key in enumerate(missing):
                mine = found[key] = tuple(fresh[str(i)])
                self.cache.put(key, mine)
        return {key: hit or () for key, hit in found.items()}

    def _screen_distinct(self, queries: pl.DataFrame) -> pl.DataFrame:
        """``screen_names`` of distinct parties; small batches (one entry's parties) through
        the cache and, for parties not in it, the name-by-name path (``entry_match_rows``)."""
        if queries.height > CACHED_BATCH:
            return screen_names(queries, self.index, self.config)
        rows: list[PartyQuery] = queries.select("id", "name", "country", "address").rows()
        found = self._party_rows([(n, c, a) for _, n, c, a in rows])
        # The order ``screen_names`` gives: by query id, best first.
        matches = best_first([(qid, *match) for qid, n, c, a in rows
                              for match in found[(n, c, a)]])
        return pl.DataFrame(matches, schema=MATCH_SCHEMA, orient="row")


def _empty_party_matches(parties: pl.DataFrame) -> pl.DataFrame:
    schema = dict(parties.schema)
    schema.update({k: v for k, v in MATCH_SCHEMA.items() if k != "id"})
    schema.update({"program": pl.String(), "date_added": pl.Date(), "date_removed": pl.Date()})
    return pl.DataFrame(schema=schema)
