"""A scoring request's framing steps give on one entry what the general (batch) path gives.

A request holds one entry and a few lines, so contract validation, risk combination,
redaction and lanes take shortcuts on such small frames (Python instead of dozens of Polars
queries). Each test runs both paths on the demo's recent entries, one at a time, and on edge
cases, and compares the results: the same rows, columns, types, values and texts, and for
rejected input the same problem (status, message and every reject).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tradeguard.api import intake
from tradeguard.api.problems import ApiProblem
from tradeguard.contract.schema import schema_for

ENTRIES_USED = 120


def _read(d: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(d / f"{name}.csv", infer_schema_length=0)


@pytest.fixture(scope="module")
def bodies(demo_dir: Path) -> list[dict[str, Any]]:
    """The latest ENTRIES_USED demo entries as score requests (cells as the files have them)."""
    entries = _read(demo_dir, "entries").sort("entry_date", "entry_number").tail(ENTRIES_USED)
    lines = _read(demo_dir, "lines")
    by_entry: dict[str, list[dict[str, Any]]] = {}
    for ln in lines.filter(pl.col("entry_number").is_in(entries["entry_number"].implode())
                           ).to_dicts():
        by_entry.setdefault(ln["entry_number"], []).append(ln)
    return [{"entry": {k: v for k, v in e.items() if v is not None},
             "lines": [{k: v for k, v in ln.items() if v is not None}
                       for ln in by_entry.get(e["entry_number"], [])]}
            for e in entries.to_dicts()]


# ---------------------------------------------------------------------------------------------
# Contract validation


def _validate(body: dict[str, Any]) -> tuple[pl.DataFrame, ...] | tuple[Any, ...]:
    """As the score endpoint validates a request: the accepted frames, or the problem."""
    try:
        entries = intake.validated("entries", [body["entry"]], label="entry")
        number = body["entry"].get("entry_number")
        lines = intake.validated(
            "lines", [{**ln, "entry_number": ln.get("entry_number", number)}
                      for ln in body["lines"]],
            label="line", known_entries=entries.get_column("entry_number"))
    except ApiProblem as problem:
        return ("problem", problem.status, problem.detail, problem.kind, problem.extra)
    return entries, lines


def _same_validation(body: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both paths on ``body`` agree; whether the plain path accepted the request itself."""
    from tradeguard.contract import plain_rows

    taken: list[bool] = []
    accept = plain_rows.accept_plain_rows

    def spy(*args: Any, **kwargs: Any) -> pl.DataFrame | None:
        out = accept(*args, **kwargs)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(plain_rows, "accept_plain_rows", spy)
    got = _validate(body)
    monkeypatch.setattr(intake, "PLAIN_ROWS_MAX", -1)  # the general path only
    want = _validate(body)
    monkeypatch.undo()
    assert len(got) == len(want)
    if isinstance(want[0], pl.DataFrame):
        for g, w in zip(got, want, strict=True):
            assert isinstance(g, pl.DataFrame)
            assert g.schema == w.schema
            assert g.equals(w), (g, w)
    else:
        assert got == want
    return bool(taken) and all(taken)


def test_plain_rows_validate_as_the_general_path(
    bodies: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = [_same_validation(body, monkeypatch) for body in bodies]
    assert sum(plain) > 0.9 * len(bodies), "most demo requests are plain"


def _edge_cases(body: dict[str, Any]) -> list[dict[str, Any]]:
    """``body`` with one cell changed, for every kind of cell the plain path leaves alone or
    reads itself, valid or not."""
    future = (date.today() + timedelta(days=3)).isoformat()
    entry_cells: dict[str, list[Any]] = {
        "entry_number": ["", None, " " + body["entry"]["entry_number"],
                         body["entry"]["entry_number"].replace("-", ""),
                         body["entry"]["entry_number"].lower(), "AB-1234567-8", "|||-1234567-8"],
        "entry_type": ["1", "001", "", "ab", "\u0661\u0662"],
        "entry_date": ["2024-02-30", "20240105", "2024-01-05T10:00:00", future, "2024-1-5",
                       "0000-01-01", "", "03/04/2024"],
        "port_of_entry": ["301", "30", "3001 ", "30011", "\u0663\u0660\u0660\u0661"],
        "importer_id": ["ab-12", "=cmd", "-12", "+HYPERLINK(x)", "x" * 65, "a\x1bb", "é12", ""],
        "importer_name": ["Acme\tCorp", "Société Générale", "@evil", "x" * 501, "\u00a0Acme",
                          "Acme\u2028", "Acme\x1c", "Ac\u0085me"],
        "importer_country": ["us", "XX", "U S", "ＵＳ", ""],
        "trusted_trader": ["Y", "yes", "TRUE", "maybe", "1", "0", "", True, False],
        "port_of_lading": ["cnsha", "CN SHA", "CNSH", "CNSHA1"],
        "mode_of_transport": ["1", "100"],
        "importer_address": ["=1+1", "x" * 2001, "Line1\nLine2", " padded ", None, ""],
        "__read_error": ["boom"],
        "unknown_column": ["fine", "@no"],
    }
    line_cells: dict[str, list[Any]] = {
        "line_number": ["1.0", "1.5", "0", "-1", "1e0", "99999999999999999999", "", 2.0, 3],
        "hts_code": ["3923.21.0030", "39232100", "3923210030 ", "39232100300", "abcdefghij",
                     "\u0663923210030"],
        "description": ["two\nlines", "=SUM(A1)", "- 20 PCS", "x" * 2001, "a\x07b", ""],
        "country_of_origin": ["cn", "ZZ", None],
        "quantity": ["1,000", "1,000.5", "1e3", "inf", "nan", "-1", "+5", ".5", "5.", "0",
                     "12.50", "007.50", "00", "1" * 400, 7, 7.25, 1e-7, True],
        "entered_value_usd": ["", "0.1", "123456789012345678901234567890.5", "0x10"],
        "duty_rate": ["0.035", "3.5%", None],
        "adcvd_case_number": ["a-570-979", "A-570-97", "B-570-979", "A-570-979"],
        "related_party": ["N", "no", "x"],
        "quantity_unit": ["kg", "KG", "k g"],
        "entry_number": ["ZZZ-0000000-0", "", None],
    }
    out = []
    for name, cells in entry_cells.items():
        for cell in cells:
            entry = {**body["entry"], name: cell}
            out.append({"entry": entry, "lines": body["lines"]})
    for name, cells in line_cells.items():
        for cell in cells:
            lines = [dict(ln) for ln in body["lines"]]
            lines[-1][name] = cell
            out.append({"entry": body["entry"], "lines": lines})
    if len(body["lines"]) > 1:  # a duplicate key
        lines = [dict(ln) for ln in body["lines"]]
        lines[-1]["line_number"] = lines[0]["line_number"]
        out.append({"entry": body["entry"], "lines": lines})
    out.append({"entry": body["entry"], "lines": []})
    return out


def test_every_kind_of_cell_validates_as_the_general_path(
    bodies: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = next(b for b in bodies if len(b["lines"]) > 1)
    cases = _edge_cases(body)
    plain = [_same_validation(case, monkeypatch) for case in cases]
    assert 0 < sum(plain) < len(cases), "some edge cases are plain, others are not"


def test_python_strips_every_character_polars_strips() -> None:
    """The plain path refuses any cell Python would strip, which covers Polars' strip."""
    chars = [chr(c) for c in range(0x3000 + 1) if not 0xD800 <= c < 0xE000]
    cells = pl.Series([f"{c}x{c}" for c in chars])
    kept = cells.str.strip_chars().to_list()
    for c, polars_kept in zip(chars, kept, strict=True):
        if polars_kept != f"{c}x{c}":
            assert f"{c}x{c}".strip() != f"{c}x{c}", repr(c)


def test_plain_decimals_read_as_the_general_cast() -> None:
    rng = random.Random(5)
    cells = [f"{rng.randrange(10 ** rng.randrange(1, 18))}."
             f"{rng.randrange(10**6):0{rng.randrange(1, 9)}d}" for _ in range(20_000)]
    cells += [str(rng.randrange(10**rng.randrange(1, 25))) for _ in range(5_000)]
    cast = pl.Series(cells).cast(pl.Float64, strict=False).to_list()
    assert cast == [float(c) for c in cells]


def test_known_entries_and_unknown_kinds_of_rows_go_the_general_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tradeguard.contract.plain_rows import accept_plain_rows

    schema = schema_for("lines")
    today = date.today()
    assert accept_plain_rows([], schema, today=today) is None
    row = {"entry_number": "ABC-1234567-6", "line_number": "1", "hts_code": "3923210030",
           "description": "BAGS", "country_of_origin": "CN", "quantity": "1",
           "quantity_unit": "KG", "entered_value_usd": "10"}
    got = accept_plain_rows([row], schema, today=today, known_entries={"ABC-1234567-6"})
    assert got is not None and got.height == 1
    assert accept_plain_rows([row], schema, today=today, known_entries=set()) is None
    assert accept_plain_rows([{**row, "__row": "3"}], schema, today=today) is None
    for kind in ("packages", "supply_chain", "outcomes", "package_outcomes"):
        assert accept_plain_rows([{}], schema_for(kind), today=today) is None  # required


# ---------------------------------------------------------------------------------------------
# Risk combination and redaction


@pytest.fixture(scope="module")
def found(demo_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(recent declaration lines, their findings, their rules treatments) from detectors
    fitted on the rest of the demo (the detectors that fit in about a second)."""
    from tradeguard.detectors.base import DetectionContext
    from tradeguard.pipeline import Scorer
    from tradeguard.pipeline.registry import default_registry
    from tradeguard.pipeline.run import declarations

    entries, lines = _read(demo_dir, "entries"), _read(demo_dir, "lines")
    recent = (entries.sort("entry_date", "entry_number").tail(ENTRIES_USED)["entry_number"]
              .implode())
    mine = pl.col("entry_number").is_in(recent)
    scorer = Scorer(history_entries=entries.filter(~mine), history_lines=lines.filter(~mine),
                    outcomes=_read(demo_dir, "outcomes"), pin_baseline=True,
                    registry=default_registry().without("classification", "watchlist",
                                                        "network"))
    decl = declarations(entries.filter(mine), lines.filter(mine))
    day = decl.get_column("entry_date").max()
    assert isinstance(day, date)
    batch = scorer.find(decl, DetectionContext(ref=scorer.ref, as_of=day))
    return decl, batch.findings(), batch.treatments


_PROBABILITIES = (0.0, 0.004, 0.005, 0.125, 0.5, 0.5049, 0.73, 0.999, 1.0)
_MODEL_REASONS = {"model_weight": "declared gross weight", "model_value": "declared value",
                  "model_importer": "importer's past discrepancy rate"}


def _model(keys: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Model scores for ``keys`` in :data:`MODEL_SCHEMA` (probabilities at rounding edges,
    zero to three reasons)."""
    from tradeguard.targeting.risk import MODEL_SCHEMA

    rng = random.Random(seed)
    codes = list(_MODEL_REASONS)
    reasons = [rng.sample(codes, rng.randrange(4)) for _ in range(keys.height)]
    return pl.DataFrame({
        "entry_number": keys["entry_number"], "line_number": keys["line_number"],
        "probability": [rng.choice(_PROBABILITIES) for _ in range(keys.height)],
        "model_reasons": reasons,
        "model_reason_texts": [[_MODEL_REASONS[c] for c in r] for r in reasons],
    }, schema=MODEL_SCHEMA)


def _same_risk(keys: pl.DataFrame, findings: pl.DataFrame, treatments: pl.DataFrame,
               model: pl.DataFrame | None, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both paths of combine_risk agree; whether the few-lines path answered."""
    from tradeguard.targeting import risk as risk_module
    from tradeguard.targeting import risk_request
    from tradeguard.targeting.config import load_targeting_config

    cfg = load_targeting_config()
    answered: list[bool] = []
    few = risk_request.few_lines_risk

    def spy(*args: Any) -> pl.DataFrame | None:
        out = few(*args)
        answered.append(out is not None)
        return out

    monkeypatch.setattr(risk_request, "few_lines_risk", spy)
    got = risk_module.combine_risk(keys, findings, treatments, cfg, model)
    monkeypatch.setattr(risk_module, "SMALL_RISK_LINES", -1)
    want = risk_module.combine_risk(keys, findings, treatments, cfg, model)
    monkeypatch.undo()
    assert got.schema == want.schema
    assert got.equals(want), (got.to_dicts(), want.to_dicts())
    return bool(answered) and all(answered)


def _keys(decl: pl.DataFrame) -> pl.DataFrame:
    return decl.select(pl.col("entry_number").cast(pl.String),
                       pl.col("line_number").cast(pl.Int64))


def _per_entry(decl: pl.DataFrame, frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    parts = {str(k[0]): p for k, p in frame.group_by("entry_number", maintain_order=True)}
    return {e: parts.get(e, frame.clear()) for e in decl["entry_number"].unique().to_list()}


def test_risk_of_each_entry_as_the_general_path(
    found: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
) -> None:
    decl, findings, treatments = found
    assert findings.height > 20, "the demo's recent entries have findings"
    by_finding, by_treatment = _per_entry(decl, findings), _per_entry(decl, treatments)
    answered = 0
    for i, (number, one) in enumerate(decl.group_by("entry_number", maintain_order=True)):
        keys = _keys(one)
        for model in (None, _model(keys, i)):
            answered += _same_risk(keys, by_finding[str(number[0])],
                                   by_treatment[str(number[0])], model, monkeypatch)
    assert answered == 2 * decl["entry_number"].n_unique()
    # The batch's findings as they come (other entries' findings among them).
    one = decl.filter(pl.col("entry_number") == findings["entry_number"][0])
    assert _same_risk(_keys(one), findings, treatments, None, monkeypatch)


def _finding(entry: str, line: int | None, category: str, code: str, severity: str,
             text: str, detector: str = "valuation") -> dict[str, Any]:
    return {"entry_number": entry, "line_number": line, "category": category,
            "reason_code": code, "severity": severity, "text": text,
            "evidence": '{"quote": "a \\"b\\" é"}', "detector": detector,
            "detector_version": "1"}


def test_risk_edge_cases_as_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from tradeguard.findings import FINDINGS_SCHEMA

    entry, other = "AAA-0000001-1", "BBB-0000002-2"
    keys = pl.DataFrame({"entry_number": [entry] * 3, "line_number": [1, 2, 3]})
    rows = [
        _finding(entry, 1, "valuation", "VAL_LOW", "high", "value 40% under peers"),
        _finding(entry, 1, "valuation", "VAL_LOW_2", "high", "value 40% under peers"),
        _finding(entry, 1, "origin", "ORIGIN", "medium", "origin \u00e9 \"quoted\"\n"),
        _finding(entry, None, "data_quality", "CHECK_DIGIT", "low", "entry-level"),
        _finding(entry, None, "data_quality", "BAD_ENTRY", "critical", "entry-level, critical"),
        _finding(entry, 2, "forced_labor", "UFLPA_ENTITY", "high", "UFLPA entity"),
        _finding(entry, 3, "watchlist", "SDN", "critical", "critical match"),
        _finding(entry, 2, "valuation", "A_TIE", "medium", "tie"),
        _finding(entry, 2, "adcvd", "A_TIE", "medium", "tie"),
        _finding(entry, 3, "rules", "PROFILE_HIT", "high", "profile P-1", detector="rules"),
        _finding(entry, 2, "unknown_category", "ODD", "unheard", "odd"),
        _finding(other, 1, "valuation", "ELSEWHERE", "high", "another entry"),
        _finding(other, None, "valuation", "ELSEWHERE", "high", "another entry"),
    ]
    findings = pl.DataFrame(rows, schema=FINDINGS_SCHEMA)
    treat_schema = {"entry_number": pl.String(), "line_number": pl.Int64(),
                    "lane": pl.String(), "risk_weight": pl.Float64(),
                    "relief_weight": pl.Float64(), "profile_ids": pl.List(pl.String())}
    treatments = pl.DataFrame([
        {"entry_number": entry, "line_number": 3, "lane": "red", "risk_weight": 0.7,
         "relief_weight": None, "profile_ids": ["P-2", "P-1"]},
        {"entry_number": entry, "line_number": 1, "lane": "red", "risk_weight": None,
         "relief_weight": 0.4, "profile_ids": ["P-3"]},
        {"entry_number": entry, "line_number": 2, "lane": None, "risk_weight": 1.5,
         "relief_weight": 2.0, "profile_ids": ["FAC-001"]},
        {"entry_number": other, "line_number": 1, "lane": "red", "risk_weight": 0.1,
         "relief_weight": 0.1, "profile_ids": ["P-9"]},
    ], schema=treat_schema)
    none = treatments.clear()
    model = _model(keys, 3)
    for f, t, m in [(findings, treatments, model), (findings, none, None),
                    (findings.clear(), none, None), (findings.clear(), treatments, model),
                    (findings, treatments, model.reverse()), (findings, none, model.head(2)),
                    (findings.filter(pl.col("line_number").is_null()), none, model.clear()),
                    (findings.reverse(), treatments.reverse(), model)]:
        assert _same_risk(keys, f, t, m, monkeypatch)
        assert _same_risk(keys.reverse(), f, t, m, monkeypatch)
        assert _same_risk(keys.head(1), f, t, m, monkeypatch)
    # What only the general path models: it answers.
    assert not _same_risk(pl.concat([keys, keys.head(1)]), findings, none, None, monkeypatch)
    assert not _same_risk(keys, findings.with_columns(
        severity=pl.when(pl.col("line_number") == 2).then(pl.col("severity"))), none, None,
        monkeypatch)
    assert not _same_risk(keys, findings, pl.concat([treatments, treatments]), None,
                          monkeypatch)
    assert not _same_risk(keys.with_columns(pl.col("line_number").cast(pl.Int32)), findings,
                          none, None, monkeypatch)
    assert not _same_risk(keys.clear(), findings, none, None, monkeypatch)


# ---------------------------------------------------------------------------------------------
# Lanes


def _configs() -> list[Any]:
    """The shipped targeting configuration and variants that take every branch of lanes."""
    from tradeguard.targeting.config import LaneRates, load_targeting_config

    cfg = load_targeting_config()
    cap, sample = cfg.capacity, cfg.random_sample
    out = [cfg]
    for rounding in ("round", "ceil", "floor"):
        out.append(cfg.model_copy(update={"capacity": cap.model_copy(
            update={"rounding": rounding, "default": LaneRates(red=0.5, yellow=0.25)})}))
    out.append(cfg.model_copy(update={
        "capacity": cap.model_copy(update={"ports": {"3001": LaneRates(red=1.0, yellow=1.0)}}),
        "random_sample": sample.model_copy(update={"rate": 0.4, "include_trusted": False,
                                                   "lane": "yellow"}),
        "trusted_traders": cfg.trusted_traders.model_copy(update={"fast_track": False})}))
    out.append(cfg.model_copy(update={"random_sample": sample.model_copy(
        update={"rate": 0.3, "seed": 7})}))
    return out


_RISKS = (0.0, 0.1, 0.15, 0.2999999, 0.3, 0.3, 0.55, 0.9, 1.0)


def _lane_input(decl: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Lane input for ``decl``'s lines: risk scores at the minimums and tied, some lines
    forced, trusted traders as declared."""
    rng = random.Random(seed)
    n = decl.height
    return decl.select(
        pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
        pl.col("port_of_entry").cast(pl.String), pl.col("entry_date").cast(pl.Date),
        pl.col("trusted_trader").cast(pl.Boolean),
    ).with_columns(
        risk_score=pl.Series([rng.choice(_RISKS) for _ in range(n)], dtype=pl.Float64),
        forced_lane=pl.Series([rng.choice([None, None, None, "red", "yellow", "green"])
                               for _ in range(n)], dtype=pl.String),
        reasons=pl.Series([["R"]] * n, dtype=pl.List(pl.String)),
    )


def test_lanes_of_each_entry_as_the_general_path(
    found: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    from tradeguard.targeting.lanes import assign_lanes
    from tradeguard.targeting.lanes_request import few_lines_lanes

    decl = found[0]
    parts = [p for _, p in decl.group_by("entry_number", maintain_order=True)]
    # One entry at a time, and a few entries together (several ports and days).
    frames = [_lane_input(p, i) for i, p in enumerate(parts)]
    frames += [_lane_input(pl.concat(parts[i:i + 12]), i) for i in range(0, len(parts), 12)]
    frames.append(frames[0].with_columns(port_of_entry=pl.lit("3001")))
    for cfg in _configs():
        for frame in frames:
            got = few_lines_lanes(frame, cfg)
            assert got is not None
            want = assign_lanes(frame, cfg)
            assert got.schema == want.schema
            assert got.equals(want), (got.to_dicts(), want.to_dicts())
    assert few_lines_lanes(frames[0].clear(), _configs()[0]) is None
    assert few_lines_lanes(frames[0].with_columns(port_of_entry=None), _configs()[0]) is None
    assert few_lines_lanes(frames[0].with_columns(lane=pl.lit("red")), _configs()[0]) is None


# ---------------------------------------------------------------------------------------------
# Redaction


def _same_redaction(frames: tuple[pl.DataFrame | None, ...], texts: pl.DataFrame,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    from tradeguard.security import redaction

    small_values = redaction.confidential_values(*frames)
    small = {c: redaction.redact_texts(texts, c, small_values) for c in texts.columns}
    declared = {c: redaction.redact_declared(texts, c, *frames) for c in texts.columns}
    monkeypatch.setattr(redaction, "SMALL_FRAME_ROWS", -1)
    values = redaction.confidential_values(*frames)
    general = {c: redaction.redact_texts(texts, c, values) for c in texts.columns}
    monkeypatch.undo()
    assert small_values.schema == values.schema
    assert small_values.equals(values), (small_values.to_dicts(), values.to_dicts())
    for c in texts.columns:
        assert small[c].equals(general[c]), (small[c].to_dicts(), general[c].to_dicts())
        assert declared[c].schema == general[c].schema
        assert declared[c].equals(general[c]), (declared[c].to_dicts(), general[c].to_dicts())


def test_redaction_of_each_entry_as_the_general_path(
    found: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
) -> None:
    decl, findings, _ = found
    parties = ("importer_name", "manufacturer_name", "seller_name", "manufacturer_address")
    for i, (_, one) in enumerate(decl.group_by("entry_number", maintain_order=True)):
        declared = [v for c in parties for v in one[c].drop_nulls().to_list()]
        mine = findings.filter(pl.col("entry_number") == one["entry_number"][0])
        texts = [*mine["text"].to_list(), "no party here", f"seller {declared[i % 3]}".upper(),
                 f"from {declared[-1]} via {declared[0]}"]
        frame = pl.DataFrame({"reason_texts": [texts, [], None],
                              "text": [texts[-1], texts[-2], None]})
        _same_redaction((one, None), frame, monkeypatch)


def test_redaction_edge_cases_as_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    decl = pl.DataFrame({
        "importer_name": ["Acme", "Acme", "ACME"],
        "manufacturer_name": ["Acme Park", "Ning Bo Co", None],
        "manufacturer_address": ["Acme Park 12, Shenzhen", "abc", "  padded name  "],
        "seller_name": ["Zeta Ltd", "İstanbul Trade", "Kelvin \u212a Co"],
    })
    chain = pl.DataFrame({"supplier_name": ["Zeta Ltd", "Cotton Farm 9"],
                          "buyer_name": ["ning bo co", None]})
    texts = pl.DataFrame({
        "reason_texts": [["made by ACME PARK 12, SHENZHEN", "acme sells"],
                         ["İstanbul trade and kelvin \u212a co", "cotton farm 9 supplies"],
                         ["nothing to hide", "ning bo co"]],
        "text": ["Zeta Ltd", "zeta ltd.", "acm"],
    })
    _same_redaction((decl.head(2), None), texts, monkeypatch)
    _same_redaction((decl.slice(1, 2), chain), texts, monkeypatch)
    _same_redaction((decl, chain), texts, monkeypatch)  # a value to strip: the general path
    _same_redaction((decl.head(0), None), texts, monkeypatch)
    _same_redaction((None,), texts, monkeypatch)
    _same_redaction((decl.with_columns(pl.col("seller_name").cast(pl.Categorical)), None),
                    texts, monkeypatch)


# ---------------------------------------------------------------------------------------------
# Input digest


def test_input_digest_of_each_entry_as_the_general_path(
    found: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tradeguard.pipeline import run as run_module
    from tradeguard.pipeline.run import input_digest

    decl = found[0]
    odd = decl.head(3).with_columns(
        quantity=pl.Series([1e-5, 1e15, 123456789.125]), duty_rate=pl.Series([None, 0.0, -0.0]),
        importer_name=pl.Series(["Ünïcode\u2028name", None, "x\x1fy"]))
    frames = [p for _, p in decl.group_by("entry_number", maintain_order=True)]
    plain = odd.with_columns(quantity=pl.Series([1e-4, 999999999999999.9, 0.1 + 0.2]))
    frames += [odd, odd.tail(2), plain, plain.drop("spi", "seller_name"), decl.head(0),
               decl.head(2).with_columns(pl.col("entry_date").cast(pl.Datetime))]
    for frame in frames:
        got = input_digest(frame)
        monkeypatch.setattr(run_module, "PLAIN_DIGEST_LINES", -1)
        want = input_digest(frame)
        monkeypatch.undo()
        assert got.dtype == want.dtype and got.name == want.name
        assert got.to_list() == want.to_list()


# ---------------------------------------------------------------------------------------------
# Declarations


def _same_declarations(entries: pl.DataFrame, lines: pl.DataFrame,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    from tradeguard.pipeline import run as run_module

    def both() -> Any:
        try:
            return run_module.declarations(entries, lines)
        except ValueError as exc:
            return str(exc)

    got = both()
    monkeypatch.setattr(run_module, "PLAIN_DECLARATION_LINES", -1)
    want = both()
    monkeypatch.undo()
    if isinstance(want, str):
        assert got == want
        return
    assert got.schema == want.schema
    assert got.equals(want), (got.to_dicts(), want.to_dicts())


def test_declarations_of_each_request_as_the_general_path(
    bodies: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    typed = [v for v in (_validate(b) for b in bodies) if isinstance(v[0], pl.DataFrame)]
    assert len(typed) > 0.9 * len(bodies)
    for entries, lines in typed:
        _same_declarations(entries, lines, monkeypatch)
    entries, lines = typed[0]
    other = typed[1][0]
    for e, ln in [
        (pl.concat([entries, other]), lines),  # an entry without lines
        (other, lines),  # lines without their entry
        (pl.concat([entries, entries]), lines),  # an entry twice: refused
        (entries, lines.head(0)),
        (entries.head(0), lines),
        (entries, lines.with_columns(pl.lit("3923.21.0030").alias("hts_code"))),
        (entries, lines.with_columns(pl.col("quantity").cast(pl.String))),
        (entries, lines.with_columns(pl.lit(0.0).alias("quantity"))),
        (entries, lines.with_columns(pl.lit("US").alias("importer_country"))),  # shared
        (entries.drop("trusted_trader"), lines.drop("gross_weight_kg")),
        (entries, lines.with_columns(pl.lit(1.0).alias("unit_value_usd"))),
        # Derived fields: NaN, infinite, negative, zero and tiny divisors and values.
        (entries, lines.with_columns(pl.lit(float("nan")).alias("quantity"))),
        (entries, lines.with_columns(pl.lit(float("nan")).alias("entered_value_usd"))),
        (entries, lines.with_columns(pl.lit(float("inf")).alias("gross_weight_kg"))),
        (entries, lines.with_columns(pl.lit(float("inf")).alias("entered_value_usd"))),
        (entries, lines.with_columns(pl.lit(-2.5).alias("quantity"),
                                     pl.lit(-0.0).alias("gross_weight_kg"))),
        (entries, lines.with_columns(pl.lit(5e-324).alias("quantity"),
                                     pl.lit(1e308).alias("entered_value_usd"))),
        (entries, lines.with_columns(pl.lit(None, dtype=pl.Float64).alias("quantity"))),
        (entries, lines.drop("entered_value_usd")),
        # Several entries: lines of the second only, interleaved, or one line each.
        (pl.concat([other, entries]), lines),
        (pl.concat([entries, other]),
         pl.concat([lines, typed[1][1]], how="diagonal").reverse()),
        (pl.concat([other, entries]), lines.head(1)),
        (pl.concat([other, entries]),
         pl.concat([typed[1][1].head(1), lines.head(1)], how="diagonal")),
    ]:
        _same_declarations(e, ln, monkeypatch)


# ---------------------------------------------------------------------------------------------
# Assessments (lanes stamped with versions)


def test_assessments_of_each_entry_as_the_general_path(
    found: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tradeguard.pipeline import run as run_module
    from tradeguard.pipeline.run import input_digest
    from tradeguard.targeting.config import load_targeting_config
    from tradeguard.targeting.lanes import assign_lanes
    from tradeguard.targeting.risk import combine_risk

    decl, findings, treatments = found
    cfg = load_targeting_config()
    versions: dict[str, Any] = {
        "model": "m@1", "rules": "r@2", "targeting": cfg.version, "lists": {"uflpa": "2024"},
        "refdata": {"hts": "2025", "a": "é"}, "detectors": {"valuation": "V@1"}}
    blocks = [versions, {**versions, "model": None}, {**versions, "rules": 3}]
    for i, (_, one) in enumerate(decl.group_by("entry_number", maintain_order=True)):
        keys = _keys(one)
        model = _model(keys, i)
        risk = combine_risk(keys, findings, treatments, cfg, model)
        header = one.select(
            pl.col("port_of_entry").cast(pl.String), pl.col("entry_date").cast(pl.Date),
            pl.col("trusted_trader").cast(pl.Boolean), input_digest(one))
        frame = pl.concat([risk, header], how="horizontal").join(
            model.select("entry_number", "line_number",
                         pl.col("probability").alias("model_probability")),
            on=["entry_number", "line_number"], how="left", maintain_order="left")
        laned = assign_lanes(frame, cfg)
        for block in blocks[:1] if i % 10 else blocks:
            for variant in ([laned] if i % 10 else [laned, laned.drop("relief"),
                                                    laned.with_columns(pl.col("lane").cast(
                                                        pl.Categorical))]):
                got = run_module.finish_assessments(variant, block)
                monkeypatch.setattr(run_module, "PLAIN_FINISH_LINES", -1)
                want = run_module.finish_assessments(variant, block)
                monkeypatch.undo()
                assert got.schema == want.schema
                assert got.equals(want), (got.to_dicts(), want.to_dicts())


_OTHER_KINDS: dict[str, dict[str, Any]] = {
    "packages": {"package_id": "PKG123", "arrival_date": "2024-05-01", "port_of_entry": "4701",
                 "shipper_name": "Shenzhen X", "shipper_country": "CN", "consignee_name": "Jo",
                 "consignee_address": "1 Main St\nApt 2", "declared_value_usd": "45.5",
                 "description": "phone case", "hts_code": "392690", "weight_kg": "0.2",
                 "country_of_origin": "cn", "carrier_code": "dhl", "seller_id": "S-1"},
    "supply_chain": {"entry_number": "ABC-1234567-6", "line_number": "1", "tier": "1",
                     "supplier_name": "Farm", "supplier_country": "CN",
                     "supplier_address": "Xinjiang", "material": "cotton",
                     "buyer_name": "Mill"},
    "outcomes": {"entry_number": "ABC-1234567-6", "line_number": "", "examined": "Y",
                 "discrepancy": "n", "category": "valuation", "recovered_duty_usd": "0",
                 "decided_on": "2024-01-01", "selection_probability": "0.25"},
    "package_outcomes": {"package_id": "PKG1", "discrepancy": "yes", "category": "VALUATION",
                         "recovered_duty_usd": "10", "decided_on": "2024-01-01",
                         "selection": "random"},
}
_OTHER_CELLS: dict[str, list[Any]] = {
    "category": ["Valuation", "bogus", None], "selection_probability": ["0", "1", "1.5", ""],
    "hts_code": ["3926.90", "3926901000", "39269"], "tier": ["0", "2"], "line_number": ["", "3"],
    "weight_kg": ["-1", "1e2"], "package_id": ["=HYPERLINK(1)", "P" * 65],
}


def _validated_or_problem(kind: str, rows: list[dict[str, Any]], known: pl.Series) -> Any:
    try:
        return intake.validated(kind, rows, label="row", known_entries=known)
    except ApiProblem as problem:
        return (problem.status, problem.detail, problem.extra)


def test_other_kinds_of_rows_validate_as_the_general_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    known = pl.Series(["ABC-1234567-6"])
    plain = total = 0
    for kind, row in _OTHER_KINDS.items():
        variants = [row] + [{**row, k: v} for k, cells in _OTHER_CELLS.items() if k in row
                            for v in cells]
        for variant in variants:
            rows = [variant, {**variant, "tier": "3"}] if kind == "supply_chain" else [variant]

            got = _validated_or_problem(kind, rows, known)
            monkeypatch.setattr(intake, "PLAIN_ROWS_MAX", -1)
            want = _validated_or_problem(kind, rows, known)
            monkeypatch.undo()
            total += 1
            if isinstance(want, pl.DataFrame):
                assert isinstance(got, pl.DataFrame)
                assert got.schema == want.schema
                assert got.equals(want), (got.to_dicts(), want.to_dicts())
                plain += 1
            else:
                assert got == want
    assert 0 < plain < total


def test_online_lanes_of_each_entry_as_the_general_path(
    found: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tradeguard.targeting import online
    from tradeguard.targeting.online import LaneCutoffs, assign_lanes_online

    decl = found[0]
    parts = [p for _, p in decl.group_by("entry_number", maintain_order=True)]
    frames = [_lane_input(p, i) for i, p in enumerate(parts)]
    frames.append(_lane_input(pl.concat(parts[:12]), 99))
    ports = decl["port_of_entry"].unique().sort().to_list()
    cutoffs = [LaneCutoffs(), LaneCutoffs(
        red={p: 0.3 + 0.2 * (i % 3) for i, p in enumerate(ports)},
        yellow={p: 0.1 * (i % 4) for i, p in enumerate(ports[::2])})]
    taken = 0
    for cfg in _configs():
        for cut in cutoffs:
            for frame in frames:
                got = assign_lanes_online(frame, cfg, cut)
                monkeypatch.setattr(online, "SMALL_LANE_LINES", -1)
                want = assign_lanes_online(frame, cfg, cut)
                monkeypatch.undo()
                assert got.schema == want.schema
                assert got.equals(want), (got.to_dicts(), want.to_dicts())
                taken += 1
    from tradeguard.targeting.lanes_request import few_lines_lanes_online

    assert few_lines_lanes_online(frames[0], _configs()[0], cutoffs[1]) is not None
    assert taken
