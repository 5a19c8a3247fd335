"""Whole-batch evaluation: findings, treatments and hits for a small declaration batch."""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from tradeguard.findings import FINDINGS_SCHEMA, Finding
from tradeguard.rules import (
    TREATMENT_SCHEMA,
    FieldValueError,
    declaration_lines,
    evaluate,
    profile_set_from_yaml,
)

PROFILES = """
lists:
  watched:
    kind: firms
    items: [IOR-9]
profiles:
  - id: WATCH
    title: Watched importer
    owner: Targeting unit
    rationale: Open referral.
    when: {field: importer_id, op: in, list: watched}
    treatment: {lane: red, category: watchlist, reason_code: REFERRAL, reason: Under referral.}
  - id: CHEAP
    title: Low unit value apparel
    owner: Valuation team
    rationale: Undervaluation.
    when:
      - {field: hts_code, op: prefix, value: '61'}
      - {field: unit_value_usd, op: lt, value: 2}
    treatment: {weight: 0.5, category: valuation, reason_code: LOW_UV, reason: Value is low.}
  - id: TRUSTED
    title: Trusted trader relief
    owner: Facilitation office
    rationale: Validated controls.
    when: {field: trusted_trader, op: eq, value: true}
    treatment: {weight: 0.3, effect: lower, reason_code: TT, reason: Trusted trader.}
"""

# As read from CSV: every column is text.
ENTRIES = pl.DataFrame(
    {
        "entry_number": ["E1", "E2"],
        "entry_date": ["2025-03-01", "2025-03-02"],
        "importer_id": ["IOR-9", "IOR-1"],
        "trusted_trader": ["false", "true"],
    }
)
LINES = pl.DataFrame(
    {
        "entry_number": ["E1", "E1", "E2", "E2"],
        "line_number": ["1", "2", "1", "2"],
        "hts_code": ["6109.10.0012", "8471.30.0100", "6110.20.0020", "6109.10.0012"],
        "entered_value_usd": ["100", "900", "10", "500"],
        "quantity": ["100", "1", "10", "50"],
        "extra_column": ["kept", "kept", "kept", "kept"],
    }
)


def test_batch_findings_and_treatments() -> None:
    pset = profile_set_from_yaml(PROFILES)
    result = evaluate(pset, declaration_lines(ENTRIES, LINES), on=date(2025, 3, 5))

    assert result.findings.schema == pl.Schema(FINDINGS_SCHEMA)
    got = result.findings.select("entry_number", "line_number", "reason_code").rows()
    # E1 lines are the watched importer's; E1/1 (1.00 per unit) and E2/1 (1.00) are cheap apparel.
    assert got == [("E1", 1, "CHEAP"), ("E1", 1, "WATCH"), ("E1", 2, "WATCH"), ("E2", 1, "CHEAP")]
    watch = Finding.from_row(result.findings.row(1, named=True))
    assert watch.category.value == "watchlist" and watch.severity.value == "critical"
    assert watch.detector == "rules" and watch.detector_version == pset.version
    assert watch.text == "Under referral."
    assert watch.evidence == {
        "profile_id": "WATCH",
        "profile_version": pset.profile_versions["WATCH"],
        "profile_set_version": pset.version,
        "reason_code": "REFERRAL",
        "matched": {"importer_id": "IOR-9"},
    }
    cheap = json.loads(result.findings["evidence"][0])
    assert cheap["matched"] == {"hts_code": "6109100012", "unit_value_usd": 1.0}

    t = result.treatments
    assert t.schema == pl.Schema(TREATMENT_SCHEMA)
    rows = {(r["entry_number"], r["line_number"]): r for r in t.to_dicts()}
    assert set(rows) == {("E1", 1), ("E1", 2), ("E2", 1), ("E2", 2)}
    assert rows[("E1", 1)]["lane"] == "red" and rows[("E1", 1)]["risk_weight"] == 0.5
    assert rows[("E1", 1)]["profile_ids"] == ["CHEAP", "WATCH"]
    # The trusted trader's lines get relief only; relief makes no finding.
    assert rows[("E2", 2)] == {
        "entry_number": "E2",
        "line_number": 2,
        "lane": None,
        "risk_weight": None,
        "relief_weight": 0.3,
        "profile_ids": ["TRUSTED"],
    }
    assert rows[("E2", 1)]["risk_weight"] == 0.5 and rows[("E2", 1)]["relief_weight"] == 0.3
    assert "TRUSTED" in result.hits["profile_id"].to_list()
    assert "TRUSTED" not in result.findings["reason_code"].to_list()


def test_no_hits_gives_empty_frames_with_schema() -> None:
    pset = profile_set_from_yaml(PROFILES)
    lines = LINES.with_columns(pl.lit("9999").alias("hts_code"))
    entries = ENTRIES.with_columns(
        pl.lit("IOR-1").alias("importer_id"), pl.lit("false").alias("trusted_trader")
    )
    result = evaluate(pset, declaration_lines(entries, lines), on=date(2025, 3, 5))
    assert result.findings.height == 0 and result.findings.schema == pl.Schema(FINDINGS_SCHEMA)
    assert result.treatments.height == 0 and result.hits.height == 0


def test_unparsable_value_is_an_error_naming_row_and_field() -> None:
    bad = LINES.with_columns(pl.Series("quantity", ["100", "1", "ten", "50"]))
    pset = profile_set_from_yaml(PROFILES)
    try:
        evaluate(pset, declaration_lines(ENTRIES, bad), on=None)
    except FieldValueError as exc:
        assert (exc.field, exc.row, exc.value) == ("quantity", 3, "ten")
    else:  # pragma: no cover - the assertion is the point
        raise AssertionError("a non-numeric quantity must be rejected")
