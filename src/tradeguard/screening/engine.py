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
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from tradeguard.screening.cache import NAME_FORM
from tradeguard.screening.config import ALGORITHM_NAME, ALGORITHM_VERSION, ScreeningConfig
from tradeguard.screening.index import WatchlistIndex
from tradeguard.screening.normalise import normalise_names
from tradeguard.screening.places import xuar_mentioned
from tradeguard.screening.quick import TEXTS, name_texts, quick_screens
from tradeguard.screening.scorer import NameComparison, PreparedName, compare_names, name_score

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
    with the explanation columns of :data:`MATCH_SCHEMA`. Each distinct (name, country,
    address) is screened once per index and settings; repeats, in this call or a later one,
    reuse the remembered matches (see :class:`~tradeguard.screening.cache.ScreeningCache`).
    """
    cfg = config or ScreeningConfig()
    frame = party_queries(names)
    if frame.is_empty() or index.names.is_empty():
        return empty_matches()
    found = index.cache.matches(
        frame, cfg.model_dump_json(), lambda fresh: screen_parties(fresh, index, cfg))
    if found.is_empty():
        return empty_matches()
    return _best_first(found.select(list(MATCH_SCHEMA)))


def party_queries(names: pl.DataFrame) -> pl.DataFrame:
    """``id, name, country, address`` as text, from a frame with at least ``id`` and ``name``."""
    for col in ("id", "name"):
        if col not in names.columns:
            raise ValueError(f"names frame lacks column {col!r}")
    return names.select(
        pl.col("id").cast(pl.String),
        pl.col("name").cast(pl.String),
        (pl.col("country") if "country" in names.columns else pl.lit(None))
        .cast(pl.String)
        .alias("country"),
        (pl.col("address") if "address" in names.columns else pl.lit(None))
        .cast(pl.String)
        .alias("address"),
    )


def _best_first(matches: pl.DataFrame) -> pl.DataFrame:
    # Best first per id; equal scores in a fixed order so repeated runs agree row for row.
    return matches.sort(
        ["id", "score", "list", "entity_id", "matched_name"],
        descending=[False, True, False, False, False],
    ).unique(["id", "list", "entity_id"], keep="first", maintain_order=True)


def screen_parties(
    parties: pl.DataFrame, index: WatchlistIndex, cfg: ScreeningConfig
) -> pl.DataFrame:
    """Screen ``party_queries`` rows (no remembered party results): the matching itself.

    Candidates, the quick screens and the name score depend only on a name's normal form
    (:data:`~tradeguard.screening.cache.NAME_FORM`), and parties repeat names with other
    addresses, so each distinct form is matched once (:func:`_name_matches`; the index
    remembers the forms it has matched, see ``ScreeningCache.close_names``); the country and
    address evidence is then weighed per party for the few listed names its form came close to.
    A name's form is itself remembered (``index.forms``), so a name is normalised once.
    """
    names = index.forms.of(parties.get_column("name").unique(maintain_order=True),
                           lambda fresh: normalise_names(fresh, "name")).filter(
        pl.col("tokens").list.len() > 0
    )
    if names.is_empty() or index.names.is_empty():
        return empty_matches()
    form = list(NAME_FORM)
    close = index.cache.close_names(
        names.select(form).unique(maintain_order=True),
        cfg.model_dump_json(),
        lambda fresh: _name_matches(fresh, index, cfg),
    )
    if close.is_empty():
        return empty_matches()
    survivors = (
        parties.select("id", "name", "country", "address")
        .join(names.select("name", *form), on="name")
        .join(close, on=form, nulls_equal=True)
        .join(
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
    )
    rows = []
    prepared, vocabulary = index.prepared, index.commonness
    compared: dict[tuple[PreparedName, int], NameComparison] = {}
    columns = (
        *form,
        "slot",
        "id",
        "country",
        "address",
        "entity_id",
        "list",
        "variant",
        "is_alias",
        "list_version",
        "l_country",
        "l_addresses",
    )
    for (
        tokens,
        keys,
        legal_form,
        slot,
        row_id,
        country,
        address,
        entity_id,
        lst,
        variant,
        is_alias,
        list_version,
        l_country,
        l_addresses,
    ) in survivors.select(columns).iter_rows():
        query = _prepared(tokens, keys, legal_form)
        comp = compared.get((query, slot))
        if comp is None:
            comp = compare_names(query, prepared[slot], cfg, vocabulary)
            compared[(query, slot)] = comp
        evidence = corroborate(country, address, l_country, l_addresses, cfg)
        score = round(min(1.0, max(0.0, comp.score + evidence.adjustment)), 4)
        if score < cfg.threshold:
            continue
        tokens_text, q_only, l_only, form_text, text = _explain(comp)
        text += f"; country {evidence.country}; address {evidence.address}"
        rows.append(
            {
                "id": row_id,
                "list": lst,
                "entity_id": entity_id,
                "matched_name": variant,
                "score": score,
                "name_score": comp.score,
                "matched_alias": is_alias,
                "matched_tokens": tokens_text,
                "unmatched_query_tokens": q_only,
                "unmatched_listed_tokens": l_only,
                "legal_form": form_text,
                "country_evidence": evidence.country,
                "address_evidence": evidence.address,
                "explanation": text,
                "list_version": list_version
                or index.versions.get(lst)
                or index.versions.get("watchlists", "unversioned"),
                "algorithm": f"{ALGORITHM_NAME} {ALGORITHM_VERSION}",
            }
        )
    if not rows:
        return empty_matches()
    return _best_first(pl.DataFrame(rows, schema=MATCH_SCHEMA))


def _prepared(tokens: list[str], keys: list[str], legal_form: str | None) -> PreparedName:
    """A declared name's form as the scorer reads it (the text itself is not compared)."""
    return PreparedName(" ".join(tokens), tuple(tokens), tuple(keys), legal_form)


def _name_matches(forms: pl.DataFrame, index: WatchlistIndex, cfg: ScreeningConfig
                  ) -> pl.DataFrame:
    """:data:`~tradeguard.screening.cache.NAME_FORM` + ``slot`` of every listed name a
    distinct name form may match: name score at or above the threshold less the most the
    country and address evidence can add."""
    form = list(NAME_FORM)
    forms = forms.select(form).with_row_index("qid")
    cands = index.candidates(forms, cfg)
    if cands.is_empty():
        return forms.clear().select(*form, slot=pl.lit(None, dtype=pl.UInt32))
    # Row i of ``forms`` is qid i, and row j of the index's names is slot j.
    passed = quick_screens(forms.select(name_texts(pl.col("tokens"))), index.names.select(TEXTS),
                           cands.get_column("qid").to_numpy(),
                           cands.get_column("slot").to_numpy(), cfg.prefilter_min)
    cands = cands.filter(pl.Series(passed))
    floor = cfg.threshold - cfg.country_agree_bonus - cfg.address_agree_bonus
    scored = forms.join(cands.select("qid").unique(), on="qid", how="semi")
    queries = {qid: _prepared(tokens, keys, legal_form)
               for qid, tokens, keys, legal_form in scored.select("qid", *form).iter_rows()}
    prepared, vocabulary = index.prepared, index.commonness
    qids, slots = cands.get_column("qid").to_list(), cands.get_column("slot").to_list()
    near = [
        name_score(queries[qid], prepared[slot], cfg, vocabulary) >= floor
        for qid, slot in zip(qids, slots, strict=True)
    ]
    close = cands.select("qid", "slot").filter(pl.Series(near, dtype=pl.Boolean))
    return close.join(forms.select("qid", *form), on="qid").select(*form, "slot")


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
