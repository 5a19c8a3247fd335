"""Batch screening of declared party names against the watch lists.

Stages: normalise every name (columnar), pull candidates from the index (joins on blocking
keys), drop the clearly different with a cheap vectorised similarity (rapidfuzz ``cpdist``),
then score the few survivors exactly, token by token, and weigh the country and address
evidence. Every output row carries its explanation and the list and algorithm versions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from tradeguard.screening.config import ALGORITHM_NAME, ALGORITHM_VERSION, ScreeningConfig
from tradeguard.screening.index import WatchlistIndex
from tradeguard.screening.normalise import normalise_names
from tradeguard.screening.places import xuar_mentioned
from tradeguard.screening.scorer import NameComparison, PreparedName, compare_names

MATCH_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "list": pl.String(),
    "entity_id": pl.String(),
    "matched_name": pl.String(),
    "score": pl.Float64(),
    "name_score": pl.Float64(),
    "matched_alias": pl.Boolean(),
    "matched_tokens": pl.String(),
    "unmatched_query_tokens": pl.String(),
    "unmatched_listed_tokens": pl.String(),
    "legal_form": pl.String(),
    "country_evidence": pl.String(),
    "address_evidence": pl.String(),
    "explanation": pl.String(),
    "list_version": pl.String(),
    "algorithm": pl.String(),
}


@dataclass(frozen=True, slots=True)
class Corroboration:
    """What the declared country and address said about a candidate, and the score change."""

    country: str
    address: str
    adjustment: float


def _country_evidence(
    query: str | None, listed: str | None, cfg: ScreeningConfig
) -> tuple[str, float]:
    q = (query or "").strip().upper()
    entry = (listed or "").strip().upper()
    if not q or not entry:
        return "not compared", 0.0
    if q == entry:
        return f"agrees ({q})", cfg.country_agree_bonus
    return f"differs (declared {q}, listed {entry})", -cfg.country_conflict_penalty


def _address_evidence(
    query: str | None, listed: list[str] | None, cfg: ScreeningConfig
) -> tuple[str, float]:
    q = (query or "").strip()
    addresses = [a for a in (listed or []) if a]
    if not q or not addresses:
        return "not compared", 0.0
    best = max(fuzz.token_set_ratio(q, a, processor=default_process) for a in addresses) / 100
    if best >= 0.85:
        return f"agrees ({best:.2f} with a listed address)", cfg.address_agree_bonus
    if xuar_mentioned(q) and any(xuar_mentioned(a) for a in addresses):
        return "both in the Xinjiang region", cfg.address_agree_bonus / 2
    return f"no listed address alike (best {best:.2f})", 0.0


def corroborate(
    country: str | None,
    address: str | None,
    listed_country: str | None,
    listed_addresses: list[str] | None,
    cfg: ScreeningConfig,
) -> Corroboration:
    """Country agreement raises, contradiction lowers; a matching address raises a little."""
    c_text, c_adj = _country_evidence(country, listed_country, cfg)
    a_text, a_adj = _address_evidence(address, listed_addresses, cfg)
    return Corroboration(c_text, a_text, c_adj + a_adj)


def _explain(comp: NameComparison) -> tuple[str, str, str, str, str]:
    tokens = "; ".join(f"{m.query}~{m.listed} ({m.how} {m.similarity:.2f})" for m in comp.matched)
    q_only = " ".join(comp.query_only)
    l_only = " ".join(comp.listed_only)
    agrees = comp.legal_form_agrees
    if agrees is None:
        form = f"{comp.query_legal_form or '-'} / {comp.listed_legal_form or '-'}"
    else:
        form = ("same " if agrees else "differs ") + (
            f"{comp.query_legal_form} / {comp.listed_legal_form}"
        )
    text = f"matched words: {tokens or 'none'}"
    if q_only:
        text += f"; only in declared name: {q_only}"
    if l_only:
        text += f"; only in listed name: {l_only}"
    return tokens, q_only, l_only, form, text


def empty_matches() -> pl.DataFrame:
    """A matches frame with no rows and the output schema."""
    return pl.DataFrame(schema=MATCH_SCHEMA)


def screen_names(
    names: pl.DataFrame, index: WatchlistIndex, config: ScreeningConfig | None = None
) -> pl.DataFrame:
    """Screen a frame with ``id, name`` (optional ``country, address``) against ``index``.

    Returns one row per (id, listed entity) at or above the threshold, best first per id,
    with the explanation columns of :data:`MATCH_SCHEMA`.
    """
    cfg = config or ScreeningConfig()
    for col in ("id", "name"):
        if col not in names.columns:
            raise ValueError(f"names frame lacks column {col!r}")
    frame = names.select(
        pl.col("id").cast(pl.String),
        pl.col("name").cast(pl.String),
        (pl.col("country") if "country" in names.columns else pl.lit(None))
        .cast(pl.String)
        .alias("country"),
        (pl.col("address") if "address" in names.columns else pl.lit(None))
        .cast(pl.String)
        .alias("address"),
    ).with_row_index("qid")
    queries = normalise_names(frame, "name").filter(pl.col("tokens").list.len() > 0)
    if queries.is_empty() or index.names.is_empty():
        return empty_matches()
    queries = queries.with_columns(flat=pl.col("tokens").list.join(" "))
    cands = index.candidates(queries, cfg)
    if cands.is_empty():
        return empty_matches()
    cands = cands.join(queries.select("qid", q_flat="flat"), on="qid").join(
        index.names.select("slot", l_flat="flat"), on="slot"
    )
    quick = process.cpdist(
        cands.get_column("q_flat").to_list(),
        cands.get_column("l_flat").to_list(),
        scorer=fuzz.token_set_ratio,
        workers=-1,
    )
    cands = cands.with_columns(quick=pl.Series(quick, dtype=pl.Float64) / 100).filter(
        pl.col("quick") >= cfg.prefilter_min
    )
    if cands.is_empty():
        return empty_matches()
    survivors = cands.join(
        queries.select("qid", "id", "name", "country", "address", "tokens", "keys", "legal_form"),
        on="qid",
    ).join(
        index.names.select(
            "slot",
            "entity_id",
            "list",
            "variant",
            "is_alias",
            "list_version",
            l_country="country",
            l_addresses="addresses",
        ),
        on="slot",
    )
    rows = []
    for rec in survivors.iter_rows(named=True):
        query = PreparedName(
            rec["name"], tuple(rec["tokens"]), tuple(rec["keys"]), rec["legal_form"]
        )
        comp = compare_names(query, index.prepared[rec["slot"]], cfg)
        if comp.score < cfg.threshold - cfg.country_agree_bonus - cfg.address_agree_bonus:
            continue
        evidence = corroborate(
            rec["country"], rec["address"], rec["l_country"], rec["l_addresses"], cfg
        )
        score = round(min(1.0, max(0.0, comp.score + evidence.adjustment)), 4)
        if score < cfg.threshold:
            continue
        tokens, q_only, l_only, form, text = _explain(comp)
        text += f"; country {evidence.country}; address {evidence.address}"
        lst = rec["list"]
        rows.append(
            {
                "id": rec["id"],
                "list": lst,
                "entity_id": rec["entity_id"],
                "matched_name": rec["variant"],
                "score": score,
                "name_score": comp.score,
                "matched_alias": rec["is_alias"],
                "matched_tokens": tokens,
                "unmatched_query_tokens": q_only,
                "unmatched_listed_tokens": l_only,
                "legal_form": form,
                "country_evidence": evidence.country,
                "address_evidence": evidence.address,
                "explanation": text,
                "list_version": rec["list_version"]
                or index.versions.get(lst)
                or index.versions.get("watchlists", "unversioned"),
                "algorithm": f"{ALGORITHM_NAME} {ALGORITHM_VERSION}",
            }
        )
    if not rows:
        return empty_matches()
    out = pl.DataFrame(rows, schema=MATCH_SCHEMA)
    return out.sort(["id", "score"], descending=[False, True]).unique(
        ["id", "list", "entity_id"], keep="first", maintain_order=True
    )


def match_evidence(row: dict[str, object]) -> str:
    """The evidence of one match row as JSON, for a finding's ``evidence`` field."""
    keys = (
        "list",
        "entity_id",
        "matched_name",
        "score",
        "matched_tokens",
        "country_evidence",
        "address_evidence",
        "list_version",
        "algorithm",
    )
    return json.dumps({k: row.get(k) for k in keys}, sort_keys=True, default=str)
