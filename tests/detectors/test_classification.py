"""Classification against the shipped model: mismatch flagged, correct heading left alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
import pytest

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.classification import (
    ClassificationDetector,
    HSClassifier,
    load_artifact,
    normalize_description,
)


@dataclass
class _Tariff:
    frame: pl.DataFrame


@dataclass
class _Ref:
    tariff: _Tariff


REF = _Ref(_Tariff(pl.DataFrame({
    "hts10": ["6109100012", "3926909985"], "general_ad_valorem": [0.165, 0.053]})))
CTX = DetectionContext(ref=REF, as_of=date(2025, 6, 1))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def detector() -> ClassificationDetector:
    d = ClassificationDetector()
    d.fit(pl.DataFrame(), CTX)
    return d


def _line(hts: str, description: str = "MENS 100% COTTON KNIT T-SHIRTS") -> pl.DataFrame:
    return pl.DataFrame({"entry_number": ["E1"], "line_number": [1], "hts_code": [hts],
                         "description": [description], "entered_value_usd": [10_000.0],
                         "duty_rate": [0.053]})


def test_tshirts_declared_as_plastics_are_flagged(detector: ClassificationDetector) -> None:
    found = detector.detect(_line("3926909985"), CTX)
    assert found.height == 1
    row = found.row(0, named=True)
    ev = json.loads(row["evidence"])
    assert row["category"] == "classification"
    assert ev["likely_headings"][0] == "6109" and ev["declared_heading"] == "3926"
    assert len(ev["likely_headings"]) == 3 and ev["likely_probabilities"][0] >= 0.6
    # likely heading pays 16.5 %, declared 5.3 %: $1,120 more on $10,000
    assert ev["duty_difference_usd"] == pytest.approx(1120.0)
    assert row["severity"] == "high"


def test_tshirts_declared_under_6109_are_not_flagged(detector: ClassificationDetector) -> None:
    assert detector.detect(_line("6109100012"), CTX).is_empty()


def test_one_word_descriptions_are_not_judged(detector: ClassificationDetector) -> None:
    assert detector.detect(_line("3926909985", "GOODS"), CTX).is_empty()


def test_trade_abbreviations_fold_to_tariff_words() -> None:
    assert normalize_description("WMNS SS ALUM PLYWD 10 PCS") == (
        "women's stainless steel aluminum plywood 10 pieces")


def test_history_refinement_teaches_a_local_trade_term() -> None:
    base = HSClassifier.load()
    text = [normalize_description("ZORBLAX GADGET")]
    before = base.assess(text, ["8517"]).declared_hs4_prob[0]
    refined = base.refined(text * 5, ["851762"] * 5, prior_weight=3.0, digest="t")
    after = refined.assess(text, ["8517"]).declared_hs4_prob[0]
    assert after > before and after > 0.5
    assert refined.version.endswith("+t")


def test_artifact_hash_is_verified() -> None:
    artifact = load_artifact()
    assert len(artifact.labels) > 5000
    assert artifact.metrics["heldout_tariff"]["hs4_top1"] > 0.8


def _history(importers: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"hts_code": "4202221500", "description": "PVC HANDBAGS LADIES",
                         "importer_id": importers})


def test_history_counts_each_pair_once_per_importer() -> None:
    line = _line("4202221500", "PVC HANDBAGS LADIES")
    shipped = ClassificationDetector()
    shipped.fit(pl.DataFrame(), CTX)
    # tariff text alone reads "PVC" as the plastic (3904); a misreading to be corrected
    assert not shipped.detect(line, CTX).is_empty()
    one_filer = ClassificationDetector()
    one_filer.fit(_history(["IMP-1"] * 12), CTX)
    many_filers = ClassificationDetector()
    many_filers.fit(_history([f"IMP-{i}" for i in range(12)]), CTX)
    assert not one_filer.detect(line, CTX).is_empty()
    assert many_filers.detect(line, CTX).is_empty()


def test_declared_heading_ruled_out_by_credible_set_and_decisive_odds() -> None:
    from tradeguard.detectors.classification.detector import (
        ClassificationConfig,
        _implausible,
    )

    cfg = ClassificationConfig()
    top = np.array([["3924", "6402", "3923"], ["6404", "6402", "4002"],
                    ["8712", "9003", "8302"], ["8712", "9003", "8302"], ["6109", "6110", "6104"]])
    prob = np.array([[0.999, 0.0005, 0.0001], [0.94, 0.0126, 0.004], [0.40, 0.01, 0.01],
                     [0.40, 0.01, 0.01], [0.5, 0.3, 0.1]])
    declared = np.array(["3923", "6402", "8711", "9003", "6110"], dtype=object)
    declared_prob = np.array([0.0001, 0.0126, 0.0011, 0.01, 0.3])
    flags = _implausible(top, prob, declared_prob, declared, cfg).tolist()
    # third at 0.01 %: outside the 99 % credible set, so not plausible for being listed;
    # second at 1.3 % after 94 %: inside it; 0.4 against 0.0011 is 360 to 1, decisive;
    # 0.4 against 0.01 is not; a close second is plausible
    assert flags == [True, False, True, False, False]


def test_special_provisions_are_not_judged_by_the_description(
        detector: ClassificationDetector) -> None:
    # U.S. goods returned (9801) are T-shirts all the same; the chapter 98 number turns on the
    # goods' history, which no description shows. The same text under 3926 is judged.
    assert detector.detect(_line("9801001012"), CTX).is_empty()
    assert detector.detect(_line("3926909985"), CTX).height == 1


def test_assessments_are_remembered_across_batches_and_not_shipped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    detector = ClassificationDetector()
    detector.fit(pl.DataFrame(), CTX)
    first = pl.concat([_line("3926909985"), _line("6109100012", "PLASTIC KITCHEN BOWLS")])
    later = pl.concat([_line("6109100012", "PLASTIC KITCHEN BOWLS"), _line("3926909985"),
                       _line("3926909985", "COTTON BATH TOWELS")])
    shipped = pickle.loads(pickle.dumps(detector))
    assessed: list[int] = []
    assess = HSClassifier.assess

    def counted(self: HSClassifier, texts: list[str], *args: object, **kw: object) -> object:
        assessed.append(len(texts))
        return assess(self, texts, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(HSClassifier, "assess", counted)
    detector.detect(first, CTX)
    remembered = detector.detect(later, CTX)
    assert assessed == [2, 1]  # only the towels are new
    fresh = shipped.detect(later, CTX)  # unpickled before any batch: remembers nothing
    assert assessed == [2, 1, 3]
    # (one entry line declared three times: rows of equal key come in no fixed order)
    assert remembered.sort("evidence").equals(fresh.sort("evidence"))
    assert remembered.height == 3
    assert pickle.loads(pickle.dumps(detector))._memo == {}
