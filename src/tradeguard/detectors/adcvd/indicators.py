"""Transshipment (EAPA) indicators on in-scope goods from third countries.

Each indicator is one reason code with its own evidence; all are computed for whole batches
with joins and group-bys. They fire on a (line, subject country) pair: the line's goods fall
under an order on the subject country but are declared as originating elsewhere. None is
proof alone; :mod:`tradeguard.detectors.adcvd.scoring` combines them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from scipy.special import pdtrc

from tradeguard.detectors.adcvd.baseline import EvasionBaseline, month
from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.parties import normalise_address

INDICATOR_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(), "line_number": pl.Int64(), "subject_country": pl.String(),
    "primary_case": pl.String(), "reason_code": pl.String(), "indicator_date": pl.Date(),
    "evidence": pl.String(),
}
_KEYS = ["entry_number", "line_number", "subject_country", "primary_case"]
# Street names reuse place names ("Zhongshan Road"); drop them before matching places.
_STREET = r"\b[a-z]+ (road|rd|street|st|avenue|ave|lu|boulevard|blvd|lane|highway)\b"
_GENERIC = (r"\b(sheng|shi|zizhiqu|province|state|region|district|county|tinh|thanh pho|city|"
            r"municipality|autonomous|special|administrative|prefecture)\b")


def emit(frame: pl.DataFrame, code: str, when: pl.Expr, evidence: dict[str, pl.Expr]
          ) -> pl.DataFrame:
    """Rows of one indicator in :data:`INDICATOR_SCHEMA`; evidence encoded as JSON."""
    fields = [(e.cast(pl.String) if name.endswith("date") or name.endswith("seen") else e)
              .alias(name) for name, e in evidence.items()]
    return frame.select(
        *[pl.col(k) for k in _KEYS], pl.lit(code).alias("reason_code"),
        when.cast(pl.Date).alias("indicator_date"),
        pl.struct(fields).struct.json_encode().alias("evidence"),
    )


def subject_places(ref: Any, countries: list[str], cfg: AdcvdConfig) -> pl.DataFrame:
    """(subject_country, place) names to look for in manufacturer addresses: the country's
    name, its provinces (reference subdivisions) and the configured manufacturing cities."""
    rows: list[dict[str, str]] = [{"subject_country": c, "place": p}
                                  for c in countries for p in cfg.subject_places.get(c, ())]
    parts = [pl.DataFrame(rows, schema={"subject_country": pl.String, "place": pl.String})]
    names = getattr(ref, "countries", None)
    if isinstance(names, pl.DataFrame) and {"iso2", "name"} <= set(names.columns):
        parts.append(names.filter(pl.col("iso2").is_in(countries)).select(
            pl.col("iso2").alias("subject_country"), pl.col("name").alias("place")))
    locode = getattr(ref, "locode", None)
    if callable(locode):
        try:
            subs = locode("subdivisions")
        except (KeyError, RuntimeError, OSError):
            subs = None
        if isinstance(subs, pl.DataFrame):
            parts.append(subs.filter(pl.col("SUCountry").is_in(countries)).select(
                pl.col("SUCountry").alias("subject_country"), pl.col("SUName").alias("place")))
    places = pl.concat(parts).with_columns(
        normalise_address("place").str.replace_all(_GENERIC, " ")
        .str.replace_all(r"\s+", " ").str.strip_chars().alias("place"))
    # A name that is also another country's ("Taiwan" is a CN subdivision in UN/LOCODE)
    # says nothing about the subject country.
    if isinstance(names, pl.DataFrame) and {"iso2", "name"} <= set(names.columns):
        others = names.select(pl.col("iso2").alias("other"),
                              normalise_address("name").alias("place"))
        clash = places.join(others, on="place").filter(pl.col("other") != pl.col(
            "subject_country")).select("subject_country", "place")
        places = places.join(clash, on=["subject_country", "place"], how="anti")
    return places.filter(pl.col("place").str.len_chars() >= cfg.min_place_name).unique()


def first_seen_dates(cand: pl.DataFrame, base: EvasionBaseline) -> pl.DataFrame:
    """When each candidate's manufacturer was first seen: by MID when the line has one (a MID
    is the plant's name, street number and city, so a re-registered plant is new even under a
    known name), else by normalised name; the batch's own first date when history lacks it."""
    out = cand
    if base.first_seen_mid.height:
        out = out.join(base.first_seen_mid.rename({"first_seen": "hist_mid"}), on="mid_key",
                       how="left")
    else:
        out = out.with_columns(pl.lit(None, pl.Date).alias("hist_mid"))
    if base.first_seen_name.height:
        out = out.join(base.first_seen_name.rename({"first_seen": "hist_name"}), on="name_key",
                       how="left")
    else:
        out = out.with_columns(pl.lit(None, pl.Date).alias("hist_name"))
    identity = pl.coalesce("mid_key", "name_key")
    hist = pl.when(pl.col("mid_key").is_not_null()).then(pl.col("hist_mid")).otherwise(
        pl.col("hist_name"))
    return out.with_columns(hist.alias("_hist")).with_columns(
        pl.min_horizontal("_hist", pl.when(identity.is_null()).then(pl.col("entry_date"))
                          .otherwise(pl.col("entry_date").min().over(identity)))
        .alias("first_seen"),
        pl.col("_hist").is_not_null().alias("in_history"),
        pl.col("hist_name").is_not_null().alias("name_in_history")).drop("_hist")


def new_manufacturer(cand: pl.DataFrame, base: EvasionBaseline, cfg: AdcvdConfig
                     ) -> pl.DataFrame:
    """Manufacturer first seen after the order date and after the start of history (+ grace);
    silent without history, when nothing can be said about who is new."""
    if base.start is None:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    settled = base.start + timedelta(days=cfg.established_after_days)
    hit = cand.filter((pl.col("first_seen") > pl.col("order_date"))
                      & (pl.col("first_seen") > settled))
    return emit(hit, "ADCVD_EVASION_NEW_MANUFACTURER", pl.col("first_seen"), {
        "manufacturer_id": pl.col("mid_key"), "manufacturer_name": pl.col("manufacturer_name"),
        "first_seen": pl.col("first_seen"), "order_date": pl.col("order_date"),
        "seen_in_history": pl.col("in_history"),
        "name_seen_in_history": pl.col("name_in_history"), "history_start": pl.lit(base.start)})


def mid_subject(cand: pl.DataFrame) -> pl.DataFrame:
    """MID country prefix (CBP MID rule: first two letters) names the subject country."""
    hit = cand.filter(pl.col("mid_key").str.slice(0, 2) == pl.col("subject_country"))
    return emit(hit, "ADCVD_EVASION_MID_SUBJECT", pl.col("entry_date"), {
        "manufacturer_id": pl.col("mid_key"), "origin": pl.col("origin"),
        "subject_country": pl.col("subject_country")})


def address_subject(cand: pl.DataFrame, places: pl.DataFrame) -> pl.DataFrame:
    """Manufacturer address names a place of the subject country (street names ignored)."""
    if places.height == 0 or "manufacturer_address" not in cand.columns:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    address = normalise_address("manufacturer_address").str.replace_all(_STREET, " ")
    patterns = places.group_by("subject_country").agg(
        (pl.lit(r"\b(") + pl.col("place").str.join("|") + pl.lit(r")\b")).alias("pattern"))
    # Addresses repeat along a plant's lines: each (subject country, address) is read once.
    pairs = cand.select("subject_country", "manufacturer_address").unique().join(
        patterns, on="subject_country", how="inner").with_columns(address.alias("_addr"))
    named = pairs.with_columns(
        pl.col("_addr").str.extract(pl.col("pattern"), 1).alias("place")
    ).filter(pl.col("place").is_not_null()).select(
        "subject_country", "manufacturer_address", "place")
    hit = cand.join(named, on=["subject_country", "manufacturer_address"], how="inner")
    return emit(hit, "ADCVD_EVASION_ADDRESS_SUBJECT", pl.col("entry_date"), {
        "manufacturer_address": pl.col("manufacturer_address"), "place": pl.col("place"),
        "subject_country": pl.col("subject_country")})


def seller_subject(cand: pl.DataFrame) -> pl.DataFrame:
    """The seller is in the subject country while the goods claim another origin."""
    if "seller_country" not in cand.columns:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    hit = cand.filter(pl.col("seller_country").cast(pl.String).str.to_uppercase()
                      == pl.col("subject_country"))
    return emit(hit, "ADCVD_EVASION_SELLER_SUBJECT", pl.col("entry_date"), {
        "seller_name": pl.col("seller_name"), "seller_country": pl.col("seller_country")})


def origin_switch(cand: pl.DataFrame, base: EvasionBaseline) -> pl.DataFrame:
    """The importer bought this product (HTS 6) from the subject country before, never from
    this origin, and now buys it from the third country."""
    if base.importer_origins.height == 0:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    hist = base.importer_origins
    from_subject = hist.rename({"origin": "subject_country", "lines": "subject_lines",
                                "last_seen": "subject_last_seen"})
    from_origin = hist.select("importer", "hts6", "origin", pl.lit(True).alias("had_origin"))
    hit = (cand.join(from_subject, on=["importer", "hts6", "subject_country"], how="inner")
           .join(from_origin, on=["importer", "hts6", "origin"], how="left")
           .filter(pl.col("had_origin").is_null()))
    return emit(hit, "ADCVD_EVASION_ORIGIN_SWITCH", pl.col("entry_date"), {
        "importer": pl.col("importer"), "hts6": pl.col("hts6"),
        "subject_lines_in_history": pl.col("subject_lines"),
        "subject_last_seen": pl.col("subject_last_seen"), "origin": pl.col("origin")})


def start_up_rates(base: EvasionBaseline, cfg: AdcvdConfig) -> pl.DataFrame:
    """(primary_case, peer_rate, start_ups, reference): shipments per month that plants which
    started in history made in their first ``new_plant_window_days``, at
    ``new_plant_peer_quantile`` (a busy start-up). Per order when it has ``new_plant_min_peers``
    start-ups, else over the start-ups of every order (``reference`` says which, ``start_ups``
    how many were compared); one row per order seen in history."""
    schema = {"primary_case": pl.String, "peer_rate": pl.Float64, "start_ups": pl.UInt32,
              "reference": pl.String}
    if base.start is None or base.end is None or base.plants.height == 0:
        return pl.DataFrame(schema=schema)
    key = ["origin", "primary_case", "plant"]
    window = cfg.new_plant_window_days
    settled = base.start + timedelta(days=cfg.established_after_days)
    first = base.plants.group_by(key).agg(pl.col("entry_date").min().alias("first"))
    started = first.filter((pl.col("first") > settled)
                           & (pl.col("first") <= base.end - timedelta(days=window)))
    rates = base.plants.join(started, on=key).filter(
        pl.col("entry_date") <= pl.col("first") + pl.duration(days=window)
    ).group_by(key).agg(pl.col("entry_number").n_unique().alias("shipments")).with_columns(
        (pl.col("shipments") / (window / 30.44)).alias("rate"))
    q = cfg.new_plant_peer_quantile
    pooled = rates["rate"].quantile(q) if rates.height else None
    per_case = rates.group_by("primary_case").agg(
        pl.col("rate").quantile(q).alias("case_rate"), pl.len().alias("start_ups"))
    own = pl.col("start_ups").fill_null(0) >= cfg.new_plant_min_peers
    return first.select("primary_case").unique().join(
        per_case, on="primary_case", how="left").select(
        "primary_case",
        pl.when(own).then(pl.col("case_rate")).otherwise(pl.lit(pooled, pl.Float64))
        .alias("peer_rate"),
        pl.when(own).then(pl.col("start_ups")).otherwise(pl.lit(rates.height))
        .cast(pl.UInt32).alias("start_ups"),
        pl.when(own).then(pl.lit("order")).otherwise(pl.lit("all orders")).alias("reference"))


def new_plant_volume(cand: pl.DataFrame, base: EvasionBaseline, cfg: AdcvdConfig,
                     batch_span: tuple[date, date] | None = None,
                     rates: pl.DataFrame | None = None) -> pl.DataFrame:
    """A plant first seen after the order (and after the start of history) shipped, in its first
    ``new_plant_window_days``, more often than a busy start-up does: its shipments (entries; the
    lines of one entry are one shipment) in that window, history and batch together, against a
    Poisson count at the start-up rate of :func:`start_up_rates`. Capacity is the EAPA question
    (a plant that did not exist cannot ship at full volume at once), and plants that started in
    history show how fast a real plant ramps up. Only a start-up the batch sees counts (the
    window reaches into ``batch_span``, the batch's first and last entry dates): a plant that
    started a year ago was judged on earlier batches and has shown its capacity since.
    ``rates`` is :func:`start_up_rates` of ``base`` and ``cfg`` when the caller keeps it."""
    if base.start is None or base.plants.height == 0:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    settled = base.start + timedelta(days=cfg.established_after_days)
    first, end = batch_span if batch_span is not None else (
        cand["entry_date"].min(), cand["entry_date"].max())
    if not isinstance(first, date) or not isinstance(end, date):
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    key = ["origin", "primary_case", "plant"]
    plant = pl.coalesce("mid_key", "name_key")
    new = cand.filter((pl.col("first_seen") > settled) & (pl.col("first_seen") > pl.col(
        "order_date")) & plant.is_not_null()).with_columns(plant.alias("plant"))
    window = new.group_by(key).agg(pl.col("first_seen").min()).with_columns(
        pl.col("first_seen").dt.offset_by(f"{cfg.new_plant_window_days}d").alias("until")
    ).filter(pl.col("until") >= first)
    shipments = pl.concat([
        base.plants.select(*key, "entry_number", "entry_date", "entered_value_usd"),
        new.select(*key, "entry_number", "entry_date", "entered_value_usd"),
    ], how="vertical_relaxed").join(window, on=key, how="inner").filter(
        pl.col("entry_date").is_between(pl.col("first_seen"), pl.col("until")))
    rated = shipments.group_by(key).agg(
        pl.col("entry_number").n_unique().alias("shipments"),
        pl.col("entered_value_usd").sum().alias("window_value"),
        pl.col("first_seen").first(), pl.col("until").first(),
    ).with_columns(
        ((pl.min_horizontal("until", pl.lit(end)) - pl.col("first_seen")).dt.total_days()
         / 30.44).clip(lower_bound=1.0).alias("months_observed")
    ).join(rates if rates is not None else start_up_rates(base, cfg), on="primary_case",
           how="inner").filter(
        pl.col("peer_rate") > 0).with_columns(
        (pl.col("peer_rate") * pl.col("months_observed")).alias("expected"))
    if rated.height == 0:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    p = pdtrc(rated["shipments"].to_numpy() - 1, rated["expected"].to_numpy())
    rated = rated.with_columns(pl.Series("p", p, pl.Float64)).filter(
        (pl.col("shipments") >= cfg.new_plant_min_shipments) & (pl.col("p") < cfg.new_plant_max_p))
    hit = new.join(rated.select(*key, "shipments", "months_observed", "peer_rate", "start_ups",
                                "reference", "expected", "p", "window_value"), on=key, how="inner")
    return emit(hit, "ADCVD_EVASION_NEW_PLANT_VOLUME", pl.col("first_seen"), {
        "plant": pl.col("plant"), "first_seen": pl.col("first_seen"),
        "shipments_in_first_months": pl.col("shipments"),
        "months_observed": pl.col("months_observed").round(2),
        "start_up_shipments_per_month": pl.col("peer_rate").round(3),
        "start_ups_compared": pl.col("start_ups"), "start_ups_of": pl.col("reference"),
        "expected_shipments": pl.col("expected").round(3), "p_value": pl.col("p"),
        "value_in_first_months_usd": pl.col("window_value").round(2)})


def new_importer(cand: pl.DataFrame, base: EvasionBaseline) -> pl.DataFrame:
    """The importer never bought goods within this order's scope before, from any country: a
    buyer new to the merchandise (EAPA cases often involve importers of record with no history
    in the product). Silent without history."""
    if base.start is None or base.rows == 0:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    known = base.importer_cases.select(
        "importer", pl.col("case_number").alias("primary_case"), pl.lit(True).alias("_known"))
    hit = cand.filter(pl.col("importer").is_not_null()).join(
        known, on=["importer", "primary_case"], how="left").filter(pl.col("_known").is_null())
    return emit(hit, "ADCVD_EVASION_NEW_IMPORTER", pl.col("entry_date"), {
        "importer": pl.col("importer"), "case_number": pl.col("primary_case"),
        "history_start": pl.lit(base.start), "history_end": pl.lit(base.end)})


def surge(cand: pl.DataFrame, base: EvasionBaseline, cfg: AdcvdConfig) -> pl.DataFrame:
    """In-scope lines per (origin, order) in a batch month far above the baseline month: the
    pre-order months when history covers them, else all history months. Poisson upper tail,
    with a minimum count and ratio so small numbers never fire."""
    if base.start is None or base.end is None:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    start = pl.lit(base.start).dt.truncate("1mo")
    pre_order = pl.col("order_date").dt.truncate("1mo") > start
    window_end = pl.when(pre_order).then(pl.col("order_date").dt.truncate("1mo")) \
        .otherwise(pl.lit(base.end).dt.truncate("1mo").dt.offset_by("1mo"))
    months = ((window_end.dt.year() - start.dt.year()) * 12
              + window_end.dt.month().cast(pl.Int32) - start.dt.month().cast(pl.Int32))
    cells = cand.with_columns(month().alias("month")).group_by(
        "origin", "subject_country", "primary_case", "month").agg(
        pl.len().alias("count"), pl.col("order_date").min())
    flows = base.flows if base.flows.height else pl.DataFrame(schema={
        "origin": pl.String, "subject_country": pl.String, "primary_case": pl.String,
        "month": pl.Date, "lines": pl.UInt32, "order_date": pl.Date})
    cells = cells.with_columns(months.clip(lower_bound=1).alias("base_months"))
    base_counts = cells.select("origin", "subject_country", "primary_case", "order_date",
                               "base_months").unique().join(
        flows.drop("order_date"), on=["origin", "subject_country", "primary_case"], how="left"
    ).filter(pl.col("month").is_null() | ~pre_order | (pl.col("month") < pl.col("order_date"))
             ).group_by("origin", "subject_country", "primary_case").agg(
        pl.col("lines").sum().fill_null(0).alias("base_lines"))
    scored = cells.join(base_counts, on=["origin", "subject_country", "primary_case"],
                        how="left").with_columns(
        ((pl.col("base_lines").fill_null(0) + 0.5) / pl.col("base_months")).alias("expected"))
    counts = scored["count"].to_numpy()
    expected = scored["expected"].to_numpy()
    scored = scored.with_columns(pl.Series("p", pdtrc(counts - 1, expected), pl.Float64))
    fired = scored.filter((pl.col("count") >= cfg.surge_min_count)
                          & (pl.col("count") >= cfg.surge_min_ratio * pl.col("expected"))
                          & (pl.col("p") < cfg.surge_max_p))
    hit = cand.with_columns(month().alias("month")).join(
        fired.select("origin", "subject_country", "primary_case", "month", "count",
                     "expected", "p", "base_months"),
        on=["origin", "subject_country", "primary_case", "month"], how="inner")
    return emit(hit, "ADCVD_EVASION_SURGE", pl.col("month"), {
        "month": pl.col("month").cast(pl.String), "lines_in_month": pl.col("count"),
        "baseline_per_month": pl.col("expected").round(3),
        "baseline_months": pl.col("base_months"), "p_value": pl.col("p")})
