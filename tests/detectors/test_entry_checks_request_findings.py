"""Findings of a request written in plain Python are the general checks' findings.

When the screen flags a request's lines, the detector writes their findings in Python
(:mod:`tradeguard.detectors.entry_checks.request_findings`) instead of running the flagged
checks. Every demo entry with a finding, and demo entries edited to give every reason code
(each severity, each SPI reason, every AD/CVD order's prefix), is checked on that path and on
the general one (forced by a size threshold below one line): the frames and run statistics
must be equal, and the plain path must have written them (not declined). The writers of
numbers, dollars and evidence are compared with Polars' own.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from tests.request_demo import demo_declarations, one_by_one, split_latest

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.entry_checks import EntryChecks, EntryChecksConfig, detector
from tradeguard.detectors.entry_checks.frame import usd
from tradeguard.detectors.entry_checks.reasons import REASONS
from tradeguard.detectors.entry_checks.request_text import (
    Declined,
    evidence,
    round_sig_figs,
    text,
)
from tradeguard.detectors.entry_checks.request_text import usd as plain_usd
from tradeguard.refdata import ReferenceData, load_reference_data

Edit = Callable[[pl.DataFrame], pl.DataFrame]
LATE = date(2026, 6, 30)


@pytest.fixture(scope="module")
def ref() -> ReferenceData:
    return load_reference_data()


@pytest.fixture(scope="module")
def decl(demo_dir: Path) -> pl.DataFrame:
    return demo_declarations(demo_dir)


class _Paths:
    """One detector per path; counts what the plain writing built and declined."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, config: EntryChecksConfig | None = None
                 ) -> None:
        self.monkeypatch = monkeypatch
        self.plain, self.general = EntryChecks(config), EntryChecks(config)
        self.built: Counter[str] = Counter()
        self.declined = 0
        write = detector.plain_findings

        def counted(*args: Any) -> tuple[pl.DataFrame, dict[str, int]] | None:
            out = write(*args)
            if out is None:
                self.declined += 1
            else:
                self.built.update(out[0]["reason_code"].to_list())
            return out

        monkeypatch.setattr(detector, "plain_findings", counted)

    def compare(self, one: pl.DataFrame, ref: ReferenceData) -> pl.DataFrame:
        day = one["entry_date"].max()
        ctx = DetectionContext(ref=ref, as_of=day if isinstance(day, date) else LATE)
        with self.monkeypatch.context() as patch:
            patch.setattr(detector, "REQUEST_LINES", -1)
            want = self.general.detect(one, ctx)
        got = self.plain.detect(one, ctx)
        assert got.equals(want), (one, got, want)
        assert self.plain.last_stats == self.general.last_stats
        return got


def test_demo_entries_with_findings_are_written_in_plain_python(
        decl: pl.DataFrame, ref: ReferenceData, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = DetectionContext(ref=ref, as_of=decl["entry_date"].max())
    batch = EntryChecks().detect(decl, ctx)
    flagged = set(batch["entry_number"].to_list())
    entries = one_by_one(decl)
    chosen = [one for k, one in enumerate(entries)
              if one["entry_number"][0] in flagged or k % 25 == 0]
    paths = _Paths(monkeypatch)
    for one in chosen:
        paths.compare(one, ref)
    assert paths.declined == 0
    assert set(paths.built) == set(batch["reason_code"].to_list())
    assert len(set(paths.built)) >= 10


def _duty(factor: float, extra: float) -> Edit:
    def edit(one: pl.DataFrame) -> pl.DataFrame:
        duty = pl.col("entered_value_usd") * pl.col("duty_rate") * factor + extra
        return one.with_columns(duty.round(2).alias("duty_usd"))
    return edit


def _set(**values: Any) -> Edit:
    def edit(one: pl.DataFrame) -> pl.DataFrame:
        return one.with_columns(**{k: pl.lit(v, dtype=one.schema[k]) for k, v in values.items()})
    return edit


def _first_line(**values: Any) -> Edit:
    """Only the first line edited: the others keep their values."""
    def edit(one: pl.DataFrame) -> pl.DataFrame:
        first = pl.int_range(pl.len()) == 0
        return one.with_columns(**{k: pl.when(first).then(pl.lit(v, dtype=one.schema[k]))
                                   .otherwise(pl.col(k)) for k, v in values.items()})
    return edit


_EDITS: dict[str, list[Edit]] = {
    "DQ_HTS_NOT_STAT": [lambda f: f.with_columns(pl.col("hts_code").str.slice(0, 7)),
                        _set(hts_code="61 09.10")],
    "DQ_HTS_UNKNOWN": [_set(hts_code="9999.99.9999"), _first_line(hts_code="0000000000")],
    "DQ_UNIT_MISMATCH": [_set(quantity_unit="xyz."), _first_line(quantity_unit="M3")],
    "DQ_DUTY_MISMATCH": [_duty(0.5, -30.0), _duty(1.0, 2500.0), _duty(0.0, -5000.0),
                         _duty(1.0, -1234.565)],
    "DQ_SPI_INELIGIBLE": [_set(spi="XX"), _set(spi="A", country_of_origin="CN"),
                          _set(spi=" s+ ", country_of_origin="mx"), _set(spi="JO"),
                          _set(spi="A", entry_date=date(1970, 1, 2)), _set(spi="A+")],
    "DQ_ENTRY_NUMBER_FORMAT": [_set(entry_number="ab1-234567-8"),
                               _set(entry_number=' ab1 "x\\y"/2 ')],
    "DQ_ENTRY_CHECK_DIGIT": [lambda f: f.with_columns(pl.col("entry_number").str.slice(0, 12)
                                                      + "0"),
                             lambda f: f.with_columns(pl.col("entry_number").str.slice(0, 12)
                                                      + "7")],
    "DQ_PARTY_MISSING": [_set(importer_name=None), _set(importer_id=" ", importer_name=None),
                         _set(seller_name="\u3000"), _set(manufacturer_id=None),
                         _set(manufacturer_id=None, manufacturer_address=None),
                         _set(entry_type=None, seller_name=None),
                         lambda f: f.drop("seller_name")],
    "DQ_MID_MALFORMED": [lambda f: f.with_columns(pl.col("manufacturer_id").str.to_lowercase()),
                         _set(manufacturer_id="ZZ-1234567890123456")],
    "DQ_MID_COUNTRY": [_set(manufacturer_country="CA"), _set(manufacturer_country="de")],
    "DQ_MID_NAME": [_set(manufacturer_name="Qwerty Zxcvb Industrial Co.")],
    "DQ_MID_ADDRESS": [_set(manufacturer_address="No. 9 Nowhere Rd, Qqq, Zzz"),
                       _set(manufacturer_address="Straße 7, Köln")],
    "DQ_IMPLAUSIBLE_QUANTITY": [_set(quantity=0.0), _first_line(quantity=-3.0)],
    "DQ_IMPLAUSIBLE_WEIGHT": [_set(gross_weight_kg=0.0), _set(gross_weight_kg=1e-6),
                              _set(gross_weight_kg=1e8), _set(quantity_unit="KG",
                                                              gross_weight_kg=0.5),
                              _set(quantity_unit="M3", gross_weight_kg=0.123456),
                              _set(quantity_unit="DOZ", gross_weight_kg=12345678.9)],
    "DQ_IMPLAUSIBLE_VALUE": [_set(entered_value_usd=0.0), _set(entered_value_usd=-12.345),
                             _set(entered_value_usd=0.0013), _set(entered_value_usd=1e13),
                             _set(entered_value_usd=2.5e-7)],
}


@pytest.mark.parametrize("code", sorted(_EDITS))
def test_each_reason_code_is_written_in_plain_python(
        decl: pl.DataFrame, ref: ReferenceData, monkeypatch: pytest.MonkeyPatch,
        code: str) -> None:
    entries = one_by_one(split_latest(decl, 40)[1])
    paths = _Paths(monkeypatch)
    severities: set[str] = set()
    for k, one in enumerate(entries):
        edit = _EDITS[code][k % len(_EDITS[code])]
        got = paths.compare(edit(one), ref)
        severities |= set(got.filter(pl.col("reason_code") == code)["severity"].to_list())
    assert paths.built[code] > 0 and paths.declined == 0, paths.built
    if code == "DQ_DUTY_MISMATCH":
        assert severities == {"high", "medium", "low"}
    if code == "DQ_PARTY_MISSING":
        assert severities == {"high", "medium", "low"}


def test_every_adcvd_order_prefix_lists_its_cases_as_the_joins_do(
        decl: pl.DataFrame, ref: ReferenceData, monkeypatch: pytest.MonkeyPatch) -> None:
    orders = (ref.adcvd_orders.select("country", pl.col("hts_prefixes").alias("prefix"))
              .explode("prefix").drop_nulls().unique(maintain_order=True))
    one = one_by_one(split_latest(decl, 5)[1])[0].head(1)
    paths = _Paths(monkeypatch)
    for country, prefix in orders.iter_rows():
        hts = (prefix + "0" * 10)[:10]
        paths.compare(_set(entry_type="01", adcvd_case_number=None, country_of_origin=country,
                           hts_code=hts, entry_date=LATE)(one), ref)
    assert paths.built["ADCVD_TYPE01_IN_SCOPE"] == orders.height
    assert paths.declined == 0
    # lines matching orders at several prefix lengths, one entry of several lines
    several = pl.concat([_set(line_number=k + 1, entry_type="01", adcvd_case_number=None,
                              country_of_origin=country, hts_code=(prefix + "9" * 10)[:10],
                              entry_date=LATE)(one)
                         for k, (country, prefix) in enumerate(orders.head(12).iter_rows())])
    paths.compare(several, ref)


def test_findings_alike_in_the_sort_columns_take_the_general_path(
        decl: pl.DataFrame, ref: ReferenceData, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = [one for one in one_by_one(split_latest(decl, 60)[1]) if one.height > 1][:5]
    assert entries
    paths = _Paths(monkeypatch)
    for one in entries:
        paths.compare(_set(line_number=None, seller_name=None)(one), ref)
    assert paths.declined == len(entries) and not paths.built


def test_disabled_reason_codes_are_left_out_on_both_paths(
        decl: pl.DataFrame, ref: ReferenceData, monkeypatch: pytest.MonkeyPatch) -> None:
    config = EntryChecksConfig(disabled=frozenset({"DQ_PARTY_MISSING", "DQ_MID_COUNTRY"}))
    paths = _Paths(monkeypatch, config)
    for k, one in enumerate(one_by_one(split_latest(decl, 20)[1])):
        edit = (_set(seller_name=None, manufacturer_country="CA") if k % 2
                else _set(seller_name=None, quantity=0.0))
        paths.compare(edit(one), ref)
    assert "DQ_PARTY_MISSING" not in paths.built and paths.built["DQ_IMPLAUSIBLE_QUANTITY"]
    assert set(paths.built) <= set(REASONS)


def _floats() -> list[float]:
    rng = random.Random(11)
    values = [rng.uniform(-1, 1) * 10 ** rng.uniform(-250, 250) for _ in range(20_000)]
    values += [rng.uniform(0, 1000) for _ in range(20_000)]
    values += [k / 1000 for k in range(-3000, 3000)] + [k + 0.5 for k in range(-500, 500)]
    values += [0.0, -0.0, 1.0, 0.125, 2.675, 999.5, 9995.0, 0.0015, 1234.565, 1e16, 1e-5,
               2.5e-7, 123456789012.345]
    return values


def test_numbers_are_written_as_polars_writes_them() -> None:
    values = _floats()
    series = pl.Series(values, dtype=pl.Float64)
    assert [round_sig_figs(v, 3) for v in values] == series.round_sig_figs(3).to_list()
    assert [text(v) for v in values] == series.cast(pl.String).to_list()
    frame = pl.DataFrame({"v": values})
    assert [evidence(["v"], [v]) for v in values] == frame.select(
        pl.struct("v").struct.json_encode()).to_series().to_list()
    dollars = [v for v in values if abs(v) < 1e15]
    assert [plain_usd(v) for v in dollars] == pl.DataFrame({"v": dollars}).select(
        usd(pl.col("v"))).to_series().to_list()
    for unwritable in (float("nan"), float("inf"), 1e-300):
        with pytest.raises(Declined):
            round_sig_figs(unwritable, 3)


def test_evidence_is_written_as_polars_writes_it() -> None:
    chars = [chr(c) for c in range(0x3000) if not 0xD800 <= c < 0xE000]
    texts = [*chars, "".join(chars[:300]), "a\"b\\c", "\U0001F600", ""]
    frame = pl.DataFrame({"s": texts, "d": [date(2026, 1, 31)] * len(texts),
                          "l": [[t, None] for t in texts], "n": [None] * len(texts),
                          "i": list(range(len(texts))), "b": [True] * len(texts)},
                         schema={"s": pl.String, "d": pl.Date, "l": pl.List(pl.String),
                                 "n": pl.Null, "i": pl.Int64, "b": pl.Boolean})
    want = frame.select(pl.struct(pl.all()).struct.json_encode()).to_series().to_list()
    got = [evidence(frame.columns, row) for row in frame.iter_rows()]
    assert got == want


def test_columns_of_other_types_are_read_one_by_one(
        decl: pl.DataFrame, ref: ReferenceData, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = _Paths(monkeypatch)
    for k, one in enumerate(one_by_one(split_latest(decl, 8)[1])):
        broken = _set(seller_name=None, quantity=0.0)(one) if k % 2 else one
        extra = [pl.lit(-800_000).cast(pl.Int32).cast(pl.Date).alias("release_date"),
                 pl.lit([date(2026, 1, 2)]).alias("exam_dates"),
                 pl.lit(1, pl.Int64).cast(pl.Datetime("us")).alias("arrived_at"),
                 pl.lit(7, pl.Int64).cast(pl.Duration("ms")).alias("dwell")]
        paths.compare(broken.with_columns(extra[k % len(extra)]), ref)
    assert paths.built["DQ_PARTY_MISSING"] > 0
