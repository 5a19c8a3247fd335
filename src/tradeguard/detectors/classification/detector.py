"""Classification: does the declared HTS heading fit the goods description?

The shipped nearest-centroid model (trained on tariff text only) proposes the likely HS-4
headings; ``fit`` refines its centroids with declared history, each (description, HS-6) pair
weighted by the number of distinct importers that declared it. A line is flagged only when
its declared heading is not among the plausible ones (the top-3 inside the model's 99 %
credible set) AND the model is sure (a confident top heading, or decisive odds of 100 to 1
against the declared one), and the finding states the top-3 headings with probabilities and
duty rates and the duty difference.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import polars as pl
from pydantic import BaseModel, Field

from tradeguard.detectors.base import DetectionContext
from tradeguard.detectors.classification.artifact import SHIPPED_ARTIFACT
from tradeguard.detectors.classification.model import HSClassifier
from tradeguard.detectors.classification.request import SMALL_REQUEST, HeadingScreen, Pair
from tradeguard.detectors.classification.request_findings import (
    EVIDENCE_KEYS,
    TEXT_PIECES,
    Assessed,
    finding_rows,
)
from tradeguard.detectors.classification.trade_text import normalize_column
from tradeguard.findings import FINDINGS_SCHEMA, Category, conform, empty_findings

SPECIAL_CHAPTERS: tuple[str, ...] = ("98", "99")
#: (description, heading) assessments remembered before the memory starts afresh.
_MEMO_PAIRS = 200_000
#: Assessments the request screen read, kept for the batch path until it next runs.
_READ_KEPT = 4_096

# The empty result of a request with nothing to find (a clone costs under 1 us).
_NO_FINDINGS = empty_findings()


def _lists(name: str, rows: npt.NDArray[Any]) -> pl.Series:
    """A list column from a 2-D array, one list per row (built from the flat values: a list
    column built from Python lists costs a Series per row)."""
    flat = pl.Series(name, rows.ravel())
    if flat.dtype == pl.Object:
        flat = flat.cast(pl.String)
    return flat.reshape(rows.shape).cast(pl.List(flat.dtype))


def _no_pairs() -> pl.DataFrame:
    return pl.DataFrame(schema={"_text": pl.String, "_hs4": pl.String,
                                "top_hs4": pl.List(pl.String), "_top_prob": pl.List(pl.Float32),
                                "top_hs6": pl.List(pl.String), "declared_prob": pl.Float32})


class ClassificationConfig(BaseModel):
    """When the model's view counts against the declared heading."""

    top_k: int = Field(3, ge=1, le=10, description="Plausible headings considered")
    min_confidence: float = Field(0.6, gt=0, le=1, description="Top heading probability needed")
    max_declared_prob: float = Field(0.02, ge=0, description="Declared heading at most this")
    credible_mass: float = Field(
        0.99, gt=0, lt=1, description="Declared heading plausible inside this credible set")
    decisive_odds: float = Field(
        100.0, gt=1, description="Top heading this many times the declared one is decisive")
    min_words: int = Field(2, ge=1, description="Shorter descriptions are too vague to judge")
    refine_with_history: bool = Field(True, description="Blend declared history into centroids")
    history_prior_weight: float = Field(3.0, gt=0, description="Tariff centroid weight, in docs")
    high_duty_usd: float = Field(1_000.0, description="Duty difference making a finding high")


def heading_rates(ctx: DetectionContext | None) -> pl.DataFrame:
    """HS-4 -> median general ad valorem rate over its tariff lines (null if unknown)."""
    frame = getattr(getattr(getattr(ctx, "ref", None), "tariff", None), "frame", None)
    if not isinstance(frame, pl.DataFrame) or "general_ad_valorem" not in frame.columns:
        return pl.DataFrame(schema={"hs4": pl.String, "rate": pl.Float64})
    return frame.group_by(pl.col("hts10").str.slice(0, 4).alias("hs4")).agg(
        pl.col("general_ad_valorem").cast(pl.Float64).median().alias("rate"))


def _implausible(top: npt.NDArray[np.str_], prob: npt.NDArray[np.float64],
                 declared_prob: npt.NDArray[np.float64], declared: npt.NDArray[np.object_],
                 cfg: ClassificationConfig) -> npt.NDArray[np.bool_]:
    """Whether each declared heading is one the model rules out.

    Plausible: among the ``top_k`` headings AND inside the model's credible set (the smallest
    set of headings holding ``credible_mass`` of its probability). A declared heading ranked
    third at 0.01 % is not plausible just because every other heading got even less. Ruled
    out: not plausible, at most ``max_declared_prob``, and the top heading either confident
    (``min_confidence``) or at least ``decisive_odds`` times as likely as the declared one
    (odds of 100 to 1 are "decisive" on Jeffreys' scale): a model that spreads its belief over
    several near headings can still be sure the goods are not in the declared one.
    """
    at = top == declared.astype(str)[:, None]
    mass_above = np.cumsum(prob, axis=1) - prob  # probability ranked above each position
    above_declared = np.where(at.any(axis=1), (mass_above * at).sum(axis=1), 1.0)
    plausible = at.any(axis=1) & (above_declared < cfg.credible_mass)
    odds = prob[:, 0] / np.maximum(declared_prob, 1e-12)
    sure = (prob[:, 0] >= cfg.min_confidence) | (odds >= cfg.decisive_odds)
    return np.asarray(~plausible & ~at[:, 0] & (declared_prob <= cfg.max_declared_prob) & sure)


def _pct(expr: pl.Expr) -> pl.Expr:
    """A probability as a percentage with one decimal, for finding sentences."""
    return (expr * 100).round(1).cast(pl.String)


class ClassificationDetector:
    """Declared heading vs the heading the description reads as."""

    name: ClassVar[str] = "classification_hs"
    version: ClassVar[str] = "1.2.0"

    def __init__(self, config: ClassificationConfig | None = None,
                 artifact: Path = SHIPPED_ARTIFACT) -> None:
        self.config = config or ClassificationConfig()
        self._artifact_path = artifact
        self._model: HSClassifier | None = None
        self._rates: pl.DataFrame | None = None
        self._memo: dict[tuple[str, int], pl.DataFrame] = {}
        self._screen: HeadingScreen | None = None
        # Assessments the screen read since the batch path last took a request (see
        # ``_remember_read``): (model, k, pair -> top-k headings, probabilities, subheadings,
        # declared heading's probability).
        self._read: tuple[HSClassifier | None, int, dict[Pair, tuple[Any, ...]]] = (None, 0, {})
        self._read_lock = threading.Lock()
        # Assessments of the pairs the model ruled out, for the request findings: (model, k,
        # pair -> assessment); and the heading rates as a dict, with the frame it was cut from.
        self._ruled: tuple[HSClassifier | None, int, dict[Pair, Assessed]] = (None, 0, {})
        self._rate_dict: tuple[pl.DataFrame | None, dict[object, float | None]] = (None, {})

    @property
    def model(self) -> HSClassifier:
        """The classifier, loaded on first use (never at import)."""
        if self._model is None:
            self._model = HSClassifier.load(self._artifact_path)
        return self._model

    def fit(self, history: pl.DataFrame, ctx: DetectionContext) -> None:
        """Heading duty rates from the tariff; centroids refined with declared history."""
        self._rates = heading_rates(ctx)
        if not self.config.refine_with_history or history.is_empty():
            return
        # a pair counts once per distinct filer party that declared it: many independent
        # importers agreeing is evidence; one importer repeating itself is not
        party = (pl.col("importer_id").cast(pl.String) if "importer_id" in history.columns
                 else pl.lit("*"))
        pairs = history.select(
            normalize_column(history["description"].cast(pl.String)).alias("text"),
            pl.col("hts_code").cast(pl.String).str.replace_all(r"\.", "").str.slice(0, 6)
            .alias("hs6"), party.alias("party"),
        ).filter(pl.col("text").str.len_chars() > 0).group_by("text", "hs6").agg(
            pl.col("party").n_unique().cast(pl.Float64).alias("weight")).sort("text", "hs6")
        digest = hashlib.sha256(pairs.write_csv().encode()).hexdigest()[:12]
        self._model = self.model.refined(pairs["text"].to_list(), pairs["hs6"].to_list(),
                                         self.config.history_prior_weight, digest,
                                         weights=pairs["weight"].to_list())

    def detect(self, lines: pl.DataFrame, ctx: DetectionContext) -> pl.DataFrame:
        """Findings for lines whose description does not read as the declared heading."""
        if lines.is_empty():
            return empty_findings()
        if lines.height <= SMALL_REQUEST:
            screen = self.screen()
            if not screen.may_find(lines):
                # A request whose every heading is plausible: settled without batch queries.
                return _NO_FINDINGS.clone()
            found = self._request_findings(lines, screen)
            if found is not None:
                return conform(found)
            self._remember_read()  # what the screen just read, the batch path need not
        cfg = self.config
        rates = self._rates if self._rates is not None else heading_rates(ctx)
        frame = lines.with_columns(
            normalize_column(lines["description"].cast(pl.String)).alias("_text"),
            pl.col("hts_code").cast(pl.String).str.replace_all(r"\.", "").str.slice(0, 4)
            .alias("_hs4"),
        )
        # Chapters 98 and 99 are special provisions (U.S. goods returned, temporary entries,
        # additional duties): whether they apply turns on the circumstances of the entry, not
        # on what the goods are, so a description cannot rule them out.
        pairs = frame.select("_text", "_hs4").unique().filter(
            (pl.col("_text").str.count_matches(r"\S+") >= cfg.min_words)
            & ~pl.col("_hs4").str.slice(0, 2).is_in(list(SPECIAL_CHAPTERS)))
        if pairs.is_empty():
            return empty_findings()
        judged = self._assessed(pairs, cfg.top_k)
        prob, implausible = self._ruled_out(judged)
        judged = judged.with_columns(
            _lists("top_prob", np.round(prob, 4)),
            pl.col("declared_prob").cast(pl.Float64),
        ).filter(pl.Series(implausible)).select(
            "_text", "_hs4", "top_hs4", "top_prob", "top_hs6", "declared_prob")
        if judged.is_empty():
            return empty_findings()
        # Findings in line order (the pairs' order above is arbitrary).
        hit = frame.join(judged, on=["_text", "_hs4"], how="inner", maintain_order="left")
        return conform(self._findings(hit, rates, cfg))

    def _ruled_out(self, judged: pl.DataFrame
                   ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """The top-``k`` probabilities of assessed pairs and whether the model rules each
        declared heading out (:func:`_implausible`)."""
        cfg = self.config
        shape = (judged.height, cfg.top_k)
        top = judged["top_hs4"].explode().to_numpy().astype(str).reshape(shape)
        prob = judged["_top_prob"].explode().to_numpy().reshape(shape).astype(np.float64)
        declared_prob = judged["declared_prob"].to_numpy().astype(np.float64)
        return prob, _implausible(top, prob, declared_prob, judged["_hs4"].to_numpy(), cfg)

    def _rules_out(self, pairs: list[Pair]) -> list[bool]:
        """Whether the model rules out each (normalised description, heading) pair: the
        model's assessment and :func:`_implausible`, as the batch path reads them (top-k
        probabilities are float32 there too), straight from the arrays."""
        cfg = self.config
        texts = list(dict.fromkeys(p[0] for p in pairs))
        index = {t: i for i, t in enumerate(texts)}
        tid = np.array([index[p[0]] for p in pairs], dtype=np.intp)
        headings = [p[1] for p in pairs]
        model = self.model
        a = model.assess(texts, headings, cfg.top_k, pair_text=tid)
        top, prob, top6 = a.top_hs4[tid], a.top_hs4_prob[tid], a.top_hs6[tid]
        implausible = _implausible(
            top.astype(str), prob.astype(np.float64), a.declared_hs4_prob.astype(np.float64),
            np.array(headings, dtype=object), cfg)
        with self._read_lock:
            read = self._read
            if read[0] is not model or read[1] != cfg.top_k or len(read[2]) >= _READ_KEPT:
                read = self._read = (model, cfg.top_k, {})
            for i, pair in enumerate(pairs):
                read[2][pair] = (top[i], prob[i], top6[i], a.declared_hs4_prob[i])
            ruled = self._ruled
            if ruled[0] is not model or ruled[1] != cfg.top_k or len(ruled[2]) >= _READ_KEPT:
                ruled = self._ruled = (model, cfg.top_k, {})
            for i in np.flatnonzero(implausible):
                ruled[2][pairs[i]] = read[2][pairs[i]]
        return [bool(x) for x in implausible]

    def _request_findings(self, lines: pl.DataFrame, screen: HeadingScreen
                          ) -> pl.DataFrame | None:
        """The findings of a request the screen may find something in, built in Python from
        the assessments it read (:func:`finding_rows`); None where that path declines."""
        model, k, ruled = self._ruled
        rates = self._rates
        if model is not self.model or k != self.config.top_k or rates is None:
            return None
        kept, by_heading = self._rate_dict
        if kept is not rates:
            by_heading = dict(zip(rates["hs4"].to_list(), rates["rate"].to_list(), strict=True))
            self._rate_dict = (rates, by_heading)
        return finding_rows(
            lines, screen.pair, ruled, screen.decided, by_heading, self.config.high_duty_usd,
            (Category.CLASSIFICATION.value, "CLS_HEADING_MISMATCH", self.name,
             self.version + "+" + model.version, model.version))

    def _remember_read(self) -> None:
        """Move the assessments the screen read into the batch path's memory (pairs it
        holds already left out), so a request the screen leaves to the batch path is not
        read by the model twice."""
        with self._read_lock:
            model, k, read = self._read
            self._read = (None, 0, {})
        if not read or model is not self.model:
            return
        pairs = list(read)
        rows = [read[p] for p in pairs]
        fresh = pl.DataFrame({"_text": [p[0] for p in pairs], "_hs4": [p[1] for p in pairs]},
                             schema={"_text": pl.String, "_hs4": pl.String}).with_columns(
            _lists("top_hs4", np.stack([r[0] for r in rows])),
            _lists("_top_prob", np.stack([r[1] for r in rows])),
            _lists("top_hs6", np.stack([r[2] for r in rows])),
            pl.Series("declared_prob", [r[3] for r in rows], dtype=pl.Float32))
        key = (model.version, k)
        known = self._memo.get(key)
        if known is None or known.height >= _MEMO_PAIRS:
            known = _no_pairs()
        fresh = fresh.join(known.select("_text", "_hs4"), on=["_text", "_hs4"], how="anti")
        if fresh.height:
            self._memo = {key: pl.concat([known, fresh])}

    def screen(self) -> HeadingScreen:
        """The request screen for this config and model (kept while they are the same
        objects: it remembers each pair's verdict)."""
        screen, cfg, model = self._screen, self.config, self.model
        if screen is None or not screen.built_from(cfg, model):
            screen = self._screen = HeadingScreen(cfg.min_words, SPECIAL_CHAPTERS,
                                                  self._rules_out, built_for=(cfg, model))
        return screen

    def _assessed(self, pairs: pl.DataFrame, k: int) -> pl.DataFrame:
        """``pairs`` (distinct ``_text, _hs4``) with the model's top-``k`` headings
        (``top_hs4``), their probabilities (``_top_prob``, float32 as the model gives them),
        subheadings (``top_hs6``) and the declared heading's probability (``declared_prob``).

        Batches repeat the same catalogue descriptions under the same headings, and a pair's
        assessment depends on nothing else (each description is scored on its own), so the
        pairs assessed are remembered per model and ``k``; only new pairs reach the model.
        """
        model = self.model
        key = (model.version, k)
        known = self._memo.get(key)
        if known is None or known.height >= _MEMO_PAIRS:
            known = _no_pairs()
        new = pairs.join(known.select("_text", "_hs4"), on=["_text", "_hs4"], how="anti")
        if new.height:
            texts = new["_text"].unique(maintain_order=True)
            tid = new.join(pl.DataFrame({"_text": texts, "_tid": np.arange(len(texts))}),
                           on="_text", how="left", maintain_order="left")["_tid"].to_numpy()
            a = model.assess(texts.to_list(), new["_hs4"].to_list(), k, pair_text=tid)
            fresh = new.select("_text", "_hs4").with_columns(
                _lists("top_hs4", a.top_hs4[tid]), _lists("_top_prob", a.top_hs4_prob[tid]),
                _lists("top_hs6", a.top_hs6[tid]),
                pl.Series("declared_prob", a.declared_hs4_prob, dtype=pl.Float32),
            )
            known = pl.concat([known, fresh])
            self._memo = {key: known}
        return pairs.join(known, on=["_text", "_hs4"], how="left", maintain_order="left")

    def __getstate__(self) -> dict[str, object]:
        # Assessments remembered while scoring stay with the process that scored.
        state = {**self.__dict__, "_memo": {}, "_screen": None, "_read": (None, 0, {}),
                 "_ruled": (None, 0, {}), "_rate_dict": (None, {})}
        del state["_read_lock"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_screen", None)
        self.__dict__.setdefault("_read", (None, 0, {}))
        self.__dict__.setdefault("_ruled", (None, 0, {}))
        self.__dict__.setdefault("_rate_dict", (None, {}))
        self._read_lock = threading.Lock()

    def _findings(self, hit: pl.DataFrame, rates: pl.DataFrame,
                  cfg: ClassificationConfig) -> pl.DataFrame:
        likely = pl.col("top_hs4").list.first()
        hit = hit.with_columns(likely.alias("_likely")).join(
            rates.rename({"hs4": "_likely", "rate": "likely_rate"}), on="_likely", how="left",
            maintain_order="left",
        ).join(rates.rename({"hs4": "_hs4", "rate": "heading_rate"}), on="_hs4", how="left",
               maintain_order="left")
        top_rates = hit.select(pl.col("top_hs4").list.eval(
            pl.element().replace_strict(dict(zip(rates["hs4"], rates["rate"], strict=True)),
                                        default=None, return_dtype=pl.Float64).round(4)))
        declared_rate = (pl.col("duty_rate").cast(pl.Float64).fill_null(pl.col("heading_rate"))
                         if "duty_rate" in hit.columns else pl.col("heading_rate"))
        value = pl.col("entered_value_usd").cast(pl.Float64)
        diff = ((pl.col("likely_rate") - declared_rate) * value).round(2)
        hit = hit.with_columns(top_rates["top_hs4"].alias("top_rates"), diff.alias("duty_diff"))
        confident = pl.col("top_prob").list.first()
        severity = (pl.when(pl.col("duty_diff") >= cfg.high_duty_usd).then(pl.lit("high"))
                    .when(pl.col("duty_diff") > 0).then(pl.lit("medium"))
                    .otherwise(pl.lit("low")))
        words = [pl.lit(piece) for piece in TEXT_PIECES]
        text = pl.concat_str([
            words[0], likely, words[1], _pct(confident), words[2], pl.col("_hs4"), words[3],
            _pct(pl.col("declared_prob")), words[4],
            pl.col("duty_diff").fill_null(0.0).cast(pl.String), words[5],
        ])
        evidence = pl.struct(*[value.alias(key) for key, value in zip(EVIDENCE_KEYS, (
            pl.col("_hs4"), pl.col("declared_prob").round(4), pl.col("top_hs4"),
            pl.col("top_prob"), pl.col("top_rates"), pl.col("top_hs6"),
            pl.col("heading_rate"), pl.col("duty_diff"), pl.lit(self.model.version)),
            strict=True)]).struct.json_encode()
        return hit.select(
            pl.col("entry_number").cast(pl.String), pl.col("line_number").cast(pl.Int64),
            pl.lit(Category.CLASSIFICATION.value).alias("category"),
            pl.lit("CLS_HEADING_MISMATCH").alias("reason_code"), severity.alias("severity"),
            text.alias("text"), evidence.alias("evidence"), pl.lit(self.name).alias("detector"),
            pl.concat_str([pl.lit(self.version + "+"), pl.lit(self.model.version)])
            .alias("detector_version"),
        ).select(list(FINDINGS_SCHEMA))
