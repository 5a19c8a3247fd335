"""Origin: declared country of origin contradicted by the line's own paperwork.

Transshipment to dodge duties or orders shows up as a declared origin that the rest of the
declaration does not support: the manufacturer's MID, country and address, the port of lading,
the country of export and the seller all point elsewhere. Each signal is weak alone (goods are
legitimately routed through hubs), so a finding needs several signals agreeing on one other
country, at least one of them about the manufacturer. Free-trade claims (SPI) are checked
against the dated program table of the reference data (partner countries, dates in force)
and the tariff line's eligible programs.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl
from pydantic import BaseModel, Field

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.origin_reference import NON_ALNUM, place_gazetteer, program_table
from tradeguard.detectors.origin_request import SMALL_REQUEST, OriginScreen
from tradeguard.findings import FINDINGS_SCHEMA, Category, conform, empty_findings
from tradeguard.refdata.trade_programs import TABLES_VERSION

MANUFACTURER_SIGNALS = ("mid", "manufacturer_country", "manufacturer_address")
#: Batches with at most this many distinct addresses search only the places whose first word
#: occurs in them; building the matcher over all ~4,400 places costs milliseconds per call.
_SMALL_BATCH = 1_000

# The empty result of a request with nothing to find (a clone costs under 1 us).
_NO_FINDINGS = empty_findings()


class OriginConfig(BaseModel):
    """Signal weights and the bar for a finding (defaults: two manufacturer signals, or one
    plus a route signal, are enough; route and seller signals alone never are)."""

    weights: dict[str, float] = Field(default_factory=lambda: {
        "mid": 1.0, "manufacturer_country": 1.0, "manufacturer_address": 1.0,
        "port_of_lading": 0.75, "country_of_export": 0.75, "seller_country": 0.5,
    })
    min_score: float = Field(2.0, description="Summed weight of signals naming one country")
    min_signals: int = Field(2, description="Distinct signals naming that country")
    min_place_name: int = Field(5, description="Shortest place name matched in addresses")


def _iso2(expr: pl.Expr) -> pl.Expr:
    code = expr.cast(pl.String).str.strip_chars().str.to_uppercase()
    return pl.when(code.str.contains(r"^[A-Z]{2}$")).then(code)


def _iso2_of(values: pl.Series, name: str) -> pl.Series:
    """:func:`_iso2` of each value, worked out once per distinct value: a batch of 50,000
    lines names a few dozen countries."""
    text = values.cast(pl.String)
    distinct = text.unique().drop_nulls()
    codes = pl.select(_iso2(pl.lit(distinct))).to_series()
    return text.replace_strict(distinct, codes, default=None, return_dtype=pl.String).alias(name)


class OriginDetector:
    """Origin contradictions and free-trade claims that the origin does not support."""

    name: ClassVar[str] = "origin_signals"
    version: ClassVar[str] = "1.1.0"

    def __init__(self, config: OriginConfig | None = None) -> None:
        self.config = config or OriginConfig()
        self.gazetteer: pl.DataFrame | None = None
        self._patterns: tuple[pl.DataFrame, pl.DataFrame] | None = None
        self._screen: OriginScreen | None = None

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """Build the place gazetteer once; origin needs no price history."""
        self.gazetteer = place_gazetteer(ctx.ref, self.config.min_place_name)

    def _place_patterns(self, gaz: pl.DataFrame) -> pl.DataFrame:
        """The gazetteer as whole-word patterns with their first word (built once per
        gazetteer)."""
        cached = self._patterns
        if cached is None or cached[0] is not gaz:
            patterns = gaz.select(
                pattern=pl.lit(" ") + pl.col("place") + pl.lit(" "), country=pl.col("country"),
                first=pl.col("place").str.split(" ").list.first())
            cached = self._patterns = (gaz, patterns)
        return cached[1]

    def _address_country(self, address: pl.Series) -> pl.Series:
        """The country of the first gazetteer place named in each address.

        A batch repeats its manufacturers' addresses line after line (48,000 lines, ~7,500
        addresses), so each distinct address is searched once and the answers joined back.
        """
        gaz = self.gazetteer
        none = pl.Series("manufacturer_address", [None] * len(address), dtype=pl.String)
        if gaz is None or gaz.is_empty():
            return none
        distinct = address.unique()
        found = self._first_place_country(distinct, self._place_patterns(gaz))
        if found is None:
            return none
        return (address.rename("address").to_frame()
                .join(pl.DataFrame({"address": distinct, "country": found}), on="address",
                      how="left", nulls_equal=True, maintain_order="left")
                .get_column("country").alias("manufacturer_address"))

    @staticmethod
    def _first_place_country(address: pl.Series, places: pl.DataFrame) -> pl.Series | None:
        """Per address, the country of the first place found (None: no place can occur)."""
        padded = (" " + address.fill_null("").str.to_lowercase()
                  .str.replace_all(NON_ALNUM.pattern, " ") + " ")
        if len(address) <= _SMALL_BATCH:
            # A place can only occur in an address that has its first word: the matcher is
            # built over those few places, and finds exactly what the full one would.
            words = padded.str.split(" ").explode()
            places = places.filter(pl.col("first").is_in(words.implode()))
            if places.is_empty():
                return None
        patterns = places["pattern"].to_list()
        found = padded.str.extract_many(patterns, overlapping=True)
        lookup = dict(zip(patterns, places["country"].to_list(), strict=True))
        return found.list.eval(pl.element().replace_strict(lookup, default=None)).list.first()

    def __getstate__(self) -> dict[str, object]:
        # The patterns and the request screen are derived from the gazetteer and config;
        # rebuilt on first use after unpickling.
        return {**self.__dict__, "_patterns": None, "_screen": None}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_screen", None)

    def screen(self) -> OriginScreen:
        """The request screen over this detector's config and gazetteer (kept while
        they are the same objects: it remembers addresses' countries)."""
        screen, cfg = self._screen, self.config
        if screen is None or not screen.built_from(cfg, self.gazetteer):
            screen = self._screen = OriginScreen(
                cfg.weights, cfg.min_score, cfg.min_signals, MANUFACTURER_SIGNALS,
                self._address_country, built_for=(cfg, self.gazetteer))
        return screen

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        """Findings for contradicted origins and unsupported FTA claims."""
        if lines.is_empty():
            return empty_findings()
        if self.gazetteer is None:
            self.fit(pl.DataFrame(), ctx)
        if lines.height <= SMALL_REQUEST and not self.screen().may_find(
                lines, ctx.ref, ctx.as_of):
            # A request with nothing to find: settled without the batch path's queries.
            return _NO_FINDINGS.clone()
        frame = lines.with_row_index("_row")
        cols = set(frame.columns)

        address = self._address_country(
            frame["manufacturer_address"].cast(pl.String) if "manufacturer_address" in cols
            else pl.Series([None] * frame.height, dtype=pl.String))

        sources = [("origin", "country_of_origin", False), ("mid", "manufacturer_id", True),
                   ("manufacturer_country", "manufacturer_country", False),
                   ("port_of_lading", "port_of_lading", True),
                   ("country_of_export", "country_of_export", False),
                   ("seller_country", "seller_country", False)]

        def iso2(name: str, source: str, prefix: bool = False) -> pl.Series:
            if source not in cols:
                return pl.Series(name, [None] * frame.height, dtype=pl.String)
            values = frame.get_column(source).cast(pl.String)
            return _iso2_of(values.str.slice(0, 2) if prefix else values, name)

        if frame.height <= _SMALL_BATCH:
            # Few lines: every code in one pass (the same element-wise expression) costs
            # less than finding each column's distinct values first.
            signals = frame.select("_row", *[
                _iso2(pl.col(source).cast(pl.String).str.slice(0, 2) if prefix
                      else pl.col(source)).alias(name) if source in cols
                else pl.lit(None, dtype=pl.String).alias(name)
                for name, source, prefix in sources]).with_columns(address)
        else:
            signals = pl.DataFrame([
                frame.get_column("_row"), *[iso2(*s) for s in sources], address])
        parts = [self._contradictions(frame, signals), self._spi(frame, ctx)]
        out = pl.concat([p for p in parts if not p.is_empty()]) if any(
            not p.is_empty() for p in parts) else empty_findings()
        return conform(out)

    def _contradictions(self, frame: pl.DataFrame, signals: pl.DataFrame) -> pl.DataFrame:
        cfg = self.config
        names = list(cfg.weights)
        raw = signals.select("_row", "origin", *names)
        long = raw.unpivot(index=["_row", "origin"], on=names, variable_name="signal",
                           value_name="country").filter(
            pl.col("country").is_not_null() & pl.col("origin").is_not_null()
            & (pl.col("country") != pl.col("origin"))
        ).with_columns(
            pl.col("signal").replace_strict(cfg.weights, return_dtype=pl.Float64).alias("w"))
        best = long.group_by("_row", "origin", "country").agg(
            pl.col("w").sum().alias("score"), pl.col("signal").n_unique().alias("k"),
            pl.col("signal").is_in(list(MANUFACTURER_SIGNALS)).sum().alias("mfr"),
            pl.col("signal").sort().alias("signals"),
        ).filter(
            (pl.col("score") >= cfg.min_score) & (pl.col("k") >= cfg.min_signals)
            & (pl.col("mfr") >= 1)
        ).sort("score", descending=True).unique("_row", keep="first")
        if best.is_empty():
            return empty_findings()
        declared = raw.rename({n: f"declared_{n}" for n in names})
        hit = best.join(declared.drop("origin"), on="_row").join(
            frame.select("_row", "entry_number", "line_number",
                         *[c for c in ("spi",) if c in frame.columns]), on="_row")
        has_spi = (pl.col("spi").cast(pl.String).str.len_chars() > 0).fill_null(False) \
            if "spi" in hit.columns else pl.lit(False)
        severity = (pl.when(has_spi | ((pl.col("mfr") >= 2) & (pl.col("k") >= 3)))
                    .then(pl.lit("high")).otherwise(pl.lit("medium")))
        evidence = pl.struct(
            pl.col("origin").alias("declared_origin"), pl.col("country").alias("indicated_country"),
            pl.col("signals").alias("contradicting_signals"), pl.col("score").round(2),
            pl.struct([pl.col(f"declared_{n}").alias(n) for n in names]).alias("signal_countries"),
            *([pl.col("spi").cast(pl.String).alias("spi_claimed")] if "spi" in hit.columns else []),
        ).struct.json_encode()
        text = pl.concat_str([
            pl.lit("Declared origin "), pl.col("origin"), pl.lit(" is contradicted by "),
            pl.col("k").cast(pl.String), pl.lit(" signals pointing to "), pl.col("country"),
            pl.lit(" ("), pl.col("signals").list.join(", "), pl.lit(")."),
            pl.when(has_spi).then(pl.lit(" A preference (SPI) is claimed on this origin."))
            .otherwise(pl.lit("")),
        ])
        return self._rows(hit, pl.lit("ORG_CONTRADICTED"), severity, text, evidence)

    def _spi(self, frame: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        if "spi" not in frame.columns:
            return empty_findings()
        claims = frame.select(
            "_row", "entry_number", "line_number",
            pl.col("spi").cast(pl.String).str.strip_chars().str.to_uppercase().alias("spi"),
            _iso2(pl.col("country_of_origin")).alias("origin"),
            pl.col("hts_code").cast(pl.String).str.replace_all(r"\.", "").alias("hts10"),
        ).filter(pl.col("spi").str.len_chars() > 0)
        if claims.is_empty():
            return empty_findings()
        partners = program_table(ctx.as_of)
        tariff = getattr(getattr(ctx.ref, "tariff", None), "frame", None)
        claims = claims.join(partners, on="spi", how="left")
        if isinstance(tariff, pl.DataFrame) and "special_programs" in tariff.columns:
            lines = tariff.select("hts10", "special_programs").filter(
                pl.col("hts10").is_in(claims.get_column("hts10").implode()))
            claims = claims.join(lines, on="hts10", how="left")
        else:
            claims = claims.with_columns(pl.lit(None, dtype=pl.List(pl.String))
                                         .alias("special_programs"))
        not_party = pl.col("in_force").fill_null(False) & ~pl.col("origin").is_in(
            pl.col("partners")).fill_null(False)
        not_on_line = pl.col("special_programs").is_not_null() & ~pl.col("special_programs") \
            .list.contains(pl.col("spi"))
        lapsed = ~pl.col("in_force").fill_null(True)
        checked = claims.with_columns(
            pl.when(lapsed).then(pl.lit("ORG_SPI_PROGRAM_LAPSED"))
            .when(not_party).then(pl.lit("ORG_SPI_ORIGIN_NOT_PARTY"))
            .when(not_on_line).then(pl.lit("ORG_SPI_NOT_ELIGIBLE_FOR_HTS"))
            .alias("reason"),
        ).filter(pl.col("reason").is_not_null())
        if checked.is_empty():
            return empty_findings()
        text = pl.concat_str([
            pl.lit("Preference claimed under SPI "), pl.col("spi"), pl.lit(" for origin "),
            pl.col("origin").fill_null("?"), pl.lit(" on HTS "), pl.col("hts10"), pl.lit(": "),
            pl.when(pl.col("reason") == "ORG_SPI_PROGRAM_LAPSED")
            .then(pl.concat_str([pl.lit("the program ("), pl.col("program"),
                                 pl.lit(") is not in force on the evaluation date.")]))
            .when(pl.col("reason") == "ORG_SPI_ORIGIN_NOT_PARTY")
            .then(pl.lit("the origin is not a party to that agreement."))
            .otherwise(pl.lit("the tariff line does not grant that program.")),
        ])
        evidence = pl.struct(
            "spi", "origin", "hts10", "program", "legal_basis",
            pl.col("partners").alias("program_partners"),
            pl.col("special_programs").alias("line_programs"),
            pl.lit(TABLES_VERSION).alias("program_table_version"),
        ).struct.json_encode()
        return self._rows(checked, pl.col("reason"), pl.lit("medium"), text, evidence)

    def _rows(self, hit: pl.DataFrame, reason: pl.Expr, severity: pl.Expr, text: pl.Expr,
              evidence: pl.Expr) -> pl.DataFrame:
        return hit.select(
            pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
            pl.lit(Category.ORIGIN.value).alias("category"), reason.alias("reason_code"),
            severity.alias("severity"), text.alias("text"), evidence.alias("evidence"),
            pl.lit(self.name).alias("detector"), pl.lit(self.version).alias("detector_version"),
        ).select(list(FINDINGS_SCHEMA))
