"""A request-sized batch screened in plain Python gives the findings of the general checks.

Every demo entry is checked alone twice (its manufacturers first new, then remembered) on the
screened path and on the general one (forced by a size threshold below one line), as it is
and broken in the ways the checks look for; findings, run statistics and the line frame the
flagged checks read must be equal. The plain MID verdicts, expected duties and cent rounding
are compared with their frame forms.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.request_demo import (
    demo_declarations,
    one_by_one,
    split_latest,
)

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.entry_checks import EntryChecks, detector, mid_checks, request
from tradeguard.detectors.entry_checks.entry_level import check_digit, check_digits
from tradeguard.detectors.entry_checks.frame import prepare_lines
from tradeguard.detectors.entry_checks.mid_plain import plain_verdict
from tradeguard.detectors.entry_checks.request_duty import DutyRates, round_cents
from tradeguard.detectors.entry_checks.tariff_checks import with_tariff
from tradeguard.refdata import ReferenceData, load_reference_data
from tradeguard.refdata.duty_frame import expected_duty_frame

from .conftest import ON

Breaks = Callable[[pl.DataFrame, int], pl.DataFrame]


@pytest.fixture(scope="module")
def demo(demo_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(all demo declarations, those of the latest ENTRIES_USED entries)."""
    decl = demo_declarations(demo_dir)
    return decl, split_latest(decl)[1]


def _compare(entries: list[pl.DataFrame], ref: ReferenceData,
             monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """Checks each entry on both paths (twice: parties new, then remembered); the number of
    entries the screen decided and of those with findings."""
    screened, general = EntryChecks(), EntryChecks()
    decided = flagged = 0
    for one in entries:
        day = one["entry_date"].max()
        ctx = DetectionContext(ref=ref, as_of=day if isinstance(day, date) else ON)
        monkeypatch.setattr(detector, "REQUEST_LINES", -1)
        want = general.detect(one, ctx)
        monkeypatch.undo()
        tables = screened.tables(ref, screened.config)
        screen = request.screen(one, tables, screened.config, {}, ctx.as_of)
        if screen is not None:  # the line frame the flagged checks read is the general one
            decided += 1
            frame = with_tariff(prepare_lines(one, ctx.as_of), tables, ctx.as_of)
            assert_frame_equal(request.line_frame(screen), frame, check_exact=True)
        for _ in range(2):
            got = screened.detect(one, ctx)
            assert got.equals(want), (one, got, want)
            assert screened.last_stats == general.last_stats
        flagged += got.height > 0
    return decided, flagged


def test_demo_entries_give_the_general_findings(
        demo: tuple[pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch) -> None:
    _, current = demo
    entries = one_by_one(current)
    decided, flagged = _compare(entries, load_reference_data(), monkeypatch)
    assert decided == len(entries), "demo entries are read on the plain path"
    assert 0 < flagged < len(entries)


def _declared_duty(one: pl.DataFrame, i: int) -> pl.DataFrame:
    """Duty declared at the line's rate, some lines short or over, some undeclared."""
    factor = (1.0, 0.5, 1.3, 1.004)[i % 4]
    duty = (pl.col("entered_value_usd") * pl.col("duty_rate") * factor).round(2)
    return one.with_columns(pl.when(pl.int_range(pl.len()) % 3 < 2).then(duty)
                            .otherwise(None).alias("duty_usd"))


_ORIGINS = ["CN", "HK", "MX", "CA", "RU", "VN", "IN", "BR", "KE", "JO", "cn", None]
_SPIS = ["A", "A+", "S", "S+", "JO", "D", "XX", None, None, " a "]
_UNITS = ["kg", "DOZ", "NO.", " no ", "M3", "L", "PRS", "MWH", "X", "T", None]


def _shuffled(one: pl.DataFrame, i: int) -> pl.DataFrame:
    """Origins, SPI claims, units, entry types and days the demo rarely combines."""
    n = one.height
    return one.with_columns(
        pl.Series("country_of_origin", [_ORIGINS[(i + k) % len(_ORIGINS)] for k in range(n)],
                  dtype=pl.String),
        pl.Series("spi", [_SPIS[(i * 3 + k) % len(_SPIS)] for k in range(n)], dtype=pl.String),
        pl.Series("quantity_unit", [_UNITS[(i + 2 * k) % len(_UNITS)] for k in range(n)],
                  dtype=pl.String),
        pl.lit("01" if i % 2 else "03").alias("entry_type"),
        pl.lit(date(2025, 1, 5) + timedelta(days=37 * i % 700)).alias("entry_date"),
        (pl.col("entered_value_usd") * pl.col("duty_rate")).round(2).alias("duty_usd"),
    )


_BREAKS: list[Breaks] = [
    lambda f, i: f.with_columns(pl.lit(None, pl.String).alias("manufacturer_id")),
    lambda f, i: f.with_columns(pl.lit("  ").alias("seller_name")),
    lambda f, i: f.with_columns(pl.lit(None, pl.String).alias("importer_name")),
    lambda f, i: f.with_columns(pl.col("entry_number").str.replace(r"\d$", str(i % 10))),
    lambda f, i: f.with_columns(pl.lit("ab1-234567-8").alias("entry_number")),
    lambda f, i: f.with_columns(pl.col("hts_code").str.slice(0, 6 + i % 5)),
    lambda f, i: f.with_columns(pl.lit("9999.99.9999").alias("hts_code")),
    lambda f, i: f.with_columns(pl.lit(None, pl.String).alias("hts_code")),
    lambda f, i: f.with_columns(quantity=pl.lit((0.0, -3.0, 1e-9, 1e9)[i % 4])),
    lambda f, i: f.with_columns(gross_weight_kg=pl.lit((0.0, -1.0, 1e-6, 1e8, None)[i % 5])),
    lambda f, i: f.with_columns(entered_value_usd=pl.lit((0.0, -5.0, 0.001, 1e12)[i % 4])),
    lambda f, i: f.with_columns(pl.col("manufacturer_id").str.to_lowercase()),
    lambda f, i: f.with_columns(pl.col("manufacturer_id").str.slice(0, 2 + i % 8)),
    lambda f, i: f.with_columns(pl.lit("CA").alias("manufacturer_country")),
    lambda f, i: f.with_columns(pl.lit(None, pl.String).alias("manufacturer_address")),
    lambda f, i: f.with_columns(pl.lit(None, pl.String).alias("entry_date").cast(pl.Date)),
    lambda f, i: f.with_columns(pl.lit(None, pl.String).alias("entry_type")),
    lambda f, i: f.with_columns(pl.lit("11").alias("entry_type"), pl.lit(None, pl.String)
                                .alias("seller_name")),
    lambda f, i: f.with_columns(pl.col("quantity").cast(pl.Int64)),
    lambda f, i: f.with_columns(pl.lit(None, pl.Int64).alias("line_number")),
    lambda f, i: f.drop("seller_name", "manufacturer_address"),
    lambda f, i: f.with_columns(pl.col("hts_code").str.replace_all(".", " ", literal=True)),
    lambda f, i: f.with_columns(pl.lit("Ünïcödé Works, 12 Straße, Köln").alias(
        "manufacturer_address")),
    # white space by Unicode's definition (blank), and a separator that is not white space
    lambda f, i: f.with_columns(pl.lit("\u3000\xa0").alias("seller_name"),
                                pl.col("manufacturer_name") + "\x1c"),
]


@pytest.mark.parametrize("variant", ["duty", "shuffled", "broken"])
def test_varied_entries_give_the_general_findings(
        demo: tuple[pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
        variant: str) -> None:
    _, current = demo
    entries = one_by_one(current)[::3]
    if variant == "duty":
        varied = [_declared_duty(one, i) for i, one in enumerate(entries)]
    elif variant == "shuffled":
        varied = [_shuffled(one, i) for i, one in enumerate(entries)]
    else:
        varied = [_BREAKS[i % len(_BREAKS)](one, i) for i, one in enumerate(entries)]
    decided, flagged = _compare(varied, load_reference_data(), monkeypatch)
    assert decided > len(entries) // 2 and flagged > 0


def test_inputs_the_plain_path_does_not_read_take_the_general_path(
        demo: tuple[pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch) -> None:
    _, current = demo
    one = one_by_one(current)[0]
    odd = [
        one.with_columns(pl.col("entry_date").cast(pl.String)),  # text dates
        one.with_columns(pl.lit(float("nan")).alias("quantity")),
        one.with_columns(pl.lit("VNΩ").alias("country_of_origin")),
        one.with_columns(pl.col("line_number").cast(pl.String)),
    ]
    ref = load_reference_data()
    checks = EntryChecks()
    tables = checks.tables(ref, checks.config)
    ancient = one.with_columns(pl.lit(-800_000).cast(pl.Int32).cast(pl.Date).alias("entry_date"))
    for frame in [*odd, ancient]:
        assert request.screen(frame, tables, checks.config, {}, ON) is None
    _compare(odd, ref, monkeypatch)
    empty = one.clear()
    assert EntryChecks().detect(empty, DetectionContext(ref=ref, as_of=ON)).is_empty()


def test_plain_mid_verdicts_are_the_frame_verdicts(
        demo: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    decl, _ = demo
    ref = load_reference_data()
    iso2 = EntryChecks().tables(ref, EntryChecks().config).iso2_not_ca
    parties = prepare_lines(decl, ON).filter(pl.col("manufacturer_id").is_not_null()).select(
        mid_checks.KEY).unique(maintain_order=True)
    edge = pl.DataFrame([
        ("XOMAPLE12TOR", "Maple Leaf Ltd", "12 King St, Toronto, Ontario", "CA"),
        ("XQMAPLE12TOR", "Maple Leaf Ltd", "12 King St, Toronto, Ontario", "ca"),
        ("CAMAPLE12TOR", "Maple Leaf Ltd", "12 King St, Toronto", "CA"),
        ("CNABC", None, None, None),
        ("CN", "The An Co", "No. 99999999999999999999 Rd, 7, Shenzhen", "CN"),
        ("cnabc12she", "ABC", "12 Road, Shenzhen", "CN"),
        ("DEMULLE12KOL", "Müller-Lüdenscheidt GmbH", "Straße 12, Köln", "DE"),
        ("VNTHEAN1234HAN", "The An", "1234, Hanoi", "VN"),
        ("ZZ-1", "...", ",,,", "ZZ"),
        ("CNABCDEF1234567890", "A B", "1", "CN"),
    ], schema=dict.fromkeys(mid_checks.KEY, pl.String()), orient="row")
    parties = pl.concat([parties, edge])
    want = {row[:4]: row[4:] for row in mid_checks._checked(parties, iso2).iter_rows()}
    countries = frozenset(iso2.to_list())
    assert len(want) > 100
    for key, verdict in want.items():
        assert plain_verdict(key, countries) == verdict, key


def test_plain_expected_duty_is_the_duty_frame(
        demo: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    _, current = demo
    ref = load_reference_data()
    varied = pl.concat([_shuffled(one, i) for i, one in enumerate(one_by_one(current))])
    # numbers of every rate kind (conditional, specific, compound), in several units
    kinds = ref.tariff.frame.group_by("general_kind").head(6)["hts10"]
    template = varied.head(1).drop("hts_code", "quantity_unit", "country_of_origin")
    rated = pl.concat([template.with_columns(
        hts_code=pl.lit(code), quantity_unit=pl.lit(_UNITS[k % len(_UNITS)]),
        country_of_origin=pl.lit(_ORIGINS[k % len(_ORIGINS)], pl.String))
        for k, code in enumerate([*kinds.to_list(), "9999.99.9999", "n/a"] * 3)]
                      ).select(varied.columns)
    lines = prepare_lines(pl.concat([varied, rated]), ON)
    frame = expected_duty_frame(lines.select(
        "hts_code", "country_of_origin", "entered_value_usd", "quantity", "quantity_unit",
        "spi", "adcvd_case_number", "entry_date"), ref, on=ON)
    rates = DutyRates.build(ref)
    reasons = set()
    for row, want in zip(lines.iter_rows(named=True), frame.iter_rows(named=True), strict=True):
        hts10 = None if row["hts_code"] is None else "".join(
            c for c in row["hts_code"] if c.isdigit())
        got = rates.expected(hts10, row["country_of_origin"], row["entered_value_usd"],
                             row["quantity"], row["quantity_unit"], row["spi"],
                             row["entry_date"])
        assert got == (want["expected_duty_usd"], want["duty_undetermined_reason"],
                       want["rate_column"], want["rate_text"]), row
        reasons.add(got[1])
    assert {None, "conditional_rate", "quantity_not_in_rate_unit", "hts_not_in_schedule",
            "chapter99_alternatives"} <= reasons


def test_cents_are_rounded_as_polars_rounds() -> None:
    rng = random.Random(7)
    values = [k / 1000 for k in range(-3000, 3000)] + [2.675, 0.125, 0.135, 1e15 + 0.125,
                                                       1e300, -1e300, 5e-324, 0.0, -0.0]
    values += [rng.uniform(-1e7, 1e7) for _ in range(20_000)]
    want = pl.Series(values, dtype=pl.Float64).round(2).to_list()
    assert [round_cents(v) for v in values] == want


def test_one_check_digit_is_the_batch_check_digit() -> None:
    rng = random.Random(3)
    chars = string.ascii_uppercase + string.digits
    bases = ["".join(rng.choices(chars, k=3)) + "".join(rng.choices(string.digits, k=7))
             for _ in range(2000)]
    assert [check_digit(b) for b in bases] == check_digits(pl.Series(bases)).to_list()
