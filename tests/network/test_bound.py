"""The match-weight bound that keeps hopeless pairs out of the linkage blocks: never below a
pair's weight, and the same clusters and links with it as without it."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import duckdb
import polars as pl
import pytest

from tradeguard.network import linkage
from tradeguard.network.bound import weight_bound
from tradeguard.network.incremental import link_new_records
from tradeguard.network.linkage import (
    KEY_COLUMNS,
    SPLINK_COLUMNS,
    LinkageConfig,
    prepare_records,
    resolve_parties,
)
from tradeguard.network.records import FAMILY

WORDS = ["Ningbo", "Hengda", "Footwear", "Xinfeng", "Plastics", "Everbright", "Textile",
         "Qingdao", "Electric", "Apex", "Global", "Harbor", "Pacific", "Apparel", "Sunrise",
         "Golden", "Dragon", "Metal", "Works", "Lucky"]
FORMS = ["Co., Ltd.", "Company Limited", "LLC", "Inc.", "Factory", "Trading Co.", ""]
STREETS = ["Jiangnan Road", "Harbor Blvd", "Industrial Zone", "Binhai Avenue"]


def _typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text))
    return rng.choice([text[:i] + text[i + 1:], text[:i] + "x" + text[i + 1:],
                       text[:i] + text[i:i + 2][::-1] + text[i + 2:]])


def party_records(seed: int, firms: int = 60) -> pl.DataFrame:
    """Firms each declared under a few spellings: typos, other legal forms, another house
    number or importer-number suffix, missing fields; some firms share words."""
    rng = random.Random(seed)
    rows: list[tuple[str, str, str | None, str | None, str | None]] = []
    for _firm in range(firms):
        kind = rng.choice(["importer", "manufacturer", "seller"])
        country = "US" if kind == "importer" else rng.choice(["CN", "VN", "MY"])
        words = " ".join(rng.sample(WORDS, rng.choice([2, 3])))
        number = rng.randrange(1, 300)
        street = rng.choice(STREETS)
        ein = f"{rng.randrange(10, 99)}-{rng.randrange(10**6, 10**7)}"
        for _ in range(rng.choice([1, 2, 3, 4])):
            name = f"{words} {rng.choice(FORMS)}".strip()
            if rng.random() < 0.3:
                name = _typo(rng, name)
            house = number + rng.choice([0, 0, 2])
            address = None if kind == "seller" or rng.random() < 0.1 else \
                f"No. {house} {street}, Ningbo, {country}"
            identifier = {"importer": f"{ein}{rng.randrange(0, 3):02d}",
                          "manufacturer": f"{country}{words[:6].upper().replace(' ', '')}{house}",
                          "seller": None}[kind]
            rows.append((kind, name, address, None if rng.random() < 0.05 else country,
                         identifier))
    frame = pl.DataFrame(rows, schema={c: pl.String for c in (
        "kind", "name", "address", "country", "identifier")}, orient="row")
    return frame.with_columns(
        pl.concat_str([pl.col(c).fill_null("") for c in frame.columns], separator="|")
        .alias("record_id"),
        pl.col("kind").replace_strict(FAMILY, default="other").alias("family"),
    ).unique("record_id", keep="first", maintain_order=True)


@pytest.fixture
def unbounded(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Blocks without the bound, as before it was added."""
    rules = linkage._blocking_rules

    def drop() -> None:
        monkeypatch.setattr(linkage, "_blocking_rules",
                            lambda new_only, cfg, priors: rules(new_only, cfg, False))
    return drop


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_bound_is_never_below_a_pairs_match_weight(seed: int,
                                                      unbounded: Callable[[], None]) -> None:
    cfg = LinkageConfig()
    prepared = prepare_records(party_records(seed), cfg)
    unbounded()
    con = duckdb.connect()
    try:
        # Every candidate pair of the blocks, scored, whatever its probability.
        pairs = linkage._linker(prepared, cfg, con).inference.predict().as_duckdbpyrelation()
        con.register("pairs", pairs)
        con.register("rec", prepared.select(*SPLINK_COLUMNS).to_arrow())
        scored = con.execute(
            f"SELECT p.match_weight, p.match_probability, "
            f"{weight_bound(cfg.levels, cfg.prior)} AS bound FROM pairs p "
            "JOIN rec l ON l.rid = p.rid_l JOIN rec r ON r.rid = p.rid_r").pl()
    finally:
        con.close()
    assert scored.height > 100
    assert (scored["bound"] >= scored["match_weight"] - 1e-9).all()
    # Links and hopeless pairs both present: the bound is tested where it matters.
    assert (scored["match_probability"] >= cfg.threshold).sum() > 5
    hopeless = scored.filter(pl.col("bound") < math.log2(cfg.threshold / (1 - cfg.threshold)))
    assert hopeless.height > scored.height // 10


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    # A record's distinct name words come in no set order.
    if "words" in frame.columns:
        frame = frame.with_columns(pl.col("words").list.sort())
    return frame.sort(pl.all())


@pytest.mark.parametrize("seed", [4, 5])
def test_resolving_finds_the_same_clusters_and_links_with_the_bound(
        seed: int, unbounded: Callable[[], None]) -> None:
    records = party_records(seed, firms=80)
    bounded = resolve_parties(records)
    unbounded()
    plain = resolve_parties(records)
    assert bounded[1].height > 5
    assert _sorted(bounded[0]).equals(_sorted(plain[0]))
    assert _sorted(bounded[1]).equals(_sorted(plain[1]))


@pytest.mark.parametrize("seed", [6, 7])
def test_linking_new_records_finds_the_same_with_the_bound(
        seed: int, unbounded: Callable[[], None]) -> None:
    records = party_records(seed, firms=80)
    half = records.height // 2
    known = resolve_parties(records.head(half))[0].select(*KEY_COLUMNS, "cluster")
    new = records.slice(half)
    bounded = link_new_records(new, known)
    unbounded()
    plain = link_new_records(new, known)
    assert bounded[2].height > 5
    for got, want in zip(bounded, plain, strict=True):
        assert _sorted(got).equals(_sorted(want))


def test_no_string_one_edit_apart_differs_in_length_by_more_than_a_byte() -> None:
    """The name level's length guard in front of Levenshtein: DuckDB counts edits in bytes,
    so strings one edit apart are at most one byte apart in length (``strlen``)."""
    rng = random.Random(8)
    alphabet = "abcé€😀 "
    words = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 5)))
             for _ in range(400)]
    pairs = pl.DataFrame({"a": words, "b": rng.sample(words, len(words))})
    edits: list[Any] = []
    for a in words[:200]:  # every one-character edit of a word, besides random pairs
        i = rng.randrange(len(a) + 1)
        edits.append((a, a[:i] + rng.choice(alphabet) + a[i:]))
        if a:
            edits.append((a, a[:i] + a[i + 1:]))
            edits.append((a, a[:i] + rng.choice(alphabet) + a[i + 1:]))
    pairs = pl.concat([pairs, pl.DataFrame(edits, schema=["a", "b"], orient="row")])
    con = duckdb.connect()
    try:
        con.register("pairs", pairs.to_arrow())
        near, guarded = con.execute(
            "SELECT count(*) FILTER (WHERE levenshtein(a, b) <= 1), "
            "count(*) FILTER (WHERE levenshtein(a, b) <= 1 "
            "AND abs(strlen(a) - strlen(b)) <= 1) FROM pairs").fetchone() or (0, 0)
    finally:
        con.close()
    assert near > 100
    assert guarded == near


def test_a_certain_level_leaves_every_pair_in_the_blocks() -> None:
    from tradeguard.network.bound import weight_bound_sql

    levels = {k: dict(v) for k, v in LinkageConfig().levels.items()}
    assert "jaro" not in weight_bound_sql(levels, 0.01, 0.9).lower()
    levels["identifier"]["same"] = (0.98, 0.0)
    assert weight_bound_sql(levels, 0.01, 0.9) == "TRUE"
