"""The lines a batch run hands the AD/CVD detector: a quick test by HTS prefix and declared
case first, then the detector's own deposit and third-country rules on what passes."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from tradeguard.detectors.adcvd.baseline import third_country_scope
from tradeguard.detectors.adcvd.candidates import candidate_keys, may_be_candidate
from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.deposits import deposit_checks
from tradeguard.detectors.adcvd.detector import prepare_lines

KEYS = ["entry_number", "line_number"]


def _lines(kit):
    rows = [
        kit.line("E1", hts_code="7604.21.0000", country_of_origin="CN"),  # subject, dotted
        kit.line("E2", hts_code="7604210000", country_of_origin="VN"),  # third country
        kit.line("E3", hts_code="0304620000", country_of_origin="VN"),  # subject fish
        kit.line("E4"),  # furniture, nothing declared
        kit.line("E5", adcvd_case_number="A-570-967", entry_type="03"),  # case, out of scope
        kit.line("E6", hts_code=None),
        kit.line("E7", hts_code="7604 21 0000", country_of_origin="MY"),
        kit.line("E8", hts_code="7604210000", country_of_origin="VN",
                 entry_date=date(2010, 5, 1)),  # before the order
        kit.line("E9", hts_code="7610100000", country_of_origin="CN", entry_type="03",
                 adcvd_case_number="A-570-967", adcvd_deposit_usd=150.0),  # all in order
    ]
    return kit.frame(rows)


def test_only_lines_with_a_case_or_an_order_prefix_may_be_candidates(kit):
    lines = _lines(kit)
    maybe = lines.filter(may_be_candidate(lines, kit.orders()))
    assert maybe["entry_number"].to_list() == ["E1", "E2", "E3", "E5", "E7", "E8", "E9"]


def test_candidate_keys_are_the_deposit_checks_and_third_country_lines(kit):
    lines, orders, cfg = _lines(kit), kit.orders(), AdcvdConfig()
    prepared = prepare_lines(lines)
    want = pl.concat([deposit_checks(prepared, orders, cfg).select(KEYS),
                      third_country_scope(prepared, orders).select(KEYS)]).unique()
    # The detector's rules, on the lines that pass the quick test only.
    got = candidate_keys(lines.filter(may_be_candidate(lines, orders)), orders, cfg)
    assert got.sort(KEYS).equals(want.sort(KEYS))
    # A subject line, a third-country line and a declared case out of scope; not the line
    # entered before the order, the line declared in order or the furniture.
    assert set(got["entry_number"]) == {"E1", "E2", "E3", "E5", "E7"}


def test_no_line_no_candidate(kit):
    lines = _lines(kit).clear()
    assert may_be_candidate(lines, kit.orders()).len() == 0
    assert candidate_keys(lines, kit.orders(), AdcvdConfig()).is_empty()


@pytest.mark.slow
def test_the_detector_finds_the_same_from_the_fields_it_declares(tmp_path):
    """Batch engines gather only ``AdcvdDetector.reads`` for its candidate lines."""
    from tradeguard.detectors.adcvd.detector import AdcvdDetector
    from tradeguard.detectors.base import DetectionContext, declaration_lines
    from tradeguard.refdata import load_reference_data
    from tradeguard.rules import conform_lines

    demo = pytest.importorskip("tradeguard.demo")
    ref = load_reference_data()
    demo.generate_demo_data(tmp_path, entries=1000, seed=3, ref=ref)

    def read(name: str) -> pl.DataFrame:
        return pl.read_csv(tmp_path / f"{name}.csv", infer_schema_length=0)

    chain = read("supply_chain")
    ctx = DetectionContext(ref=ref, as_of=date(2026, 9, 30), supply_chain=chain)
    whole = conform_lines(declaration_lines(read("entries"), read("lines")))
    det = AdcvdDetector()
    det.fit(conform_lines(declaration_lines(read("history_entries"), read("history_lines"))),
            ctx)
    fields = [*KEYS, *AdcvdDetector.reads]
    entries, lines = read("entries"), read("lines")
    narrow = conform_lines(declaration_lines(
        entries.select(c for c in entries.columns if c in fields),
        lines.select(c for c in lines.columns if c in fields)))
    want = det.detect(whole, ctx)
    assert want.height > 50 and want["reason_code"].str.starts_with("ADCVD_EVASION").any()
    assert det.detect(narrow, ctx).sort(pl.all()).equals(want.sort(pl.all()))
