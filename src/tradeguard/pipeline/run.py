"""The scoring chain without a database: declarations in, assessments out.

``score_declarations`` joins entries and lines, fits every registered detector on the history
(peer prices, known manufacturers, trade flows), runs them and the rules profiles over the
batch, scores the exam-outcome model when an artifact is given, and hands findings,
treatments and probabilities to targeting for the score, the lane and the reasons. Every
assessment records the versions of all of it and a digest of the declared fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.detectors.base import DetectionContext
from tradeguard.pipeline.registry import DetectorRegistry
from tradeguard.request_path import REQUEST_LINES
from tradeguard.targeting.config import TargetingConfig
from tradeguard.targeting.request_frames import frame_of
from tradeguard.targeting.risk import KEYS, MODEL_SCHEMA

KILL_SWITCH_OFF = "off (kill switch engaged)"

if TYPE_CHECKING:
    from tradeguard.model import ModelArtifact
    from tradeguard.refdata import ReferenceData
    from tradeguard.rules import ProfileSet, RuleEvaluation

# Reference data sets that are watch lists: reported as list versions, the rest as refdata.
WATCH_LISTS = ("uflpa", "wro", "ofac_sdn", "bis_mieu", "dod_1260h")


@dataclass(frozen=True)
class ScoringResult:
    """Assessments (:data:`ASSESSMENT_SCHEMA`), all findings, and what produced them."""

    assessments: pl.DataFrame
    findings: pl.DataFrame
    versions: dict[str, Any]
    as_of: date
    warnings: tuple[str, ...] = field(default=())


def declarations(entries: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    """Lines joined to their entry headers, every declared field typed (rules' field table)."""
    from tradeguard.rules import conform_lines, declaration_lines

    if lines.height <= PLAIN_DECLARATION_LINES and entries.height <= PLAIN_DECLARATION_LINES:
        small = _plain_declarations(entries, lines)
        if small is not None:
            return small
    return conform_lines(declaration_lines(entries, lines))


#: Up to this many lines and entries (a scoring request's), typed frames are joined by row
#: position: the general join and typing passes cost ~100 us each whatever the size.
PLAIN_DECLARATION_LINES = REQUEST_LINES


def _plain_declarations(entries: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame | None:
    """:func:`declarations` of a few typed lines (as the contract gives them), or None.

    Each line takes its entry's header by position (the left join's rows, in line order);
    fields already of their type are left as they are and absent ones added as nulls (as
    the typing pass does); HTS codes without dots or spaces are already normalised; the
    derived fields are divided out in Python (the same IEEE division). Lines whose entry is
    missing, repeated entries, a field still to parse or a NaN: the general path.
    """
    numbers = entries.get_column("entry_number").to_list()
    at = {n: i for i, n in enumerate(numbers)}
    if len(at) < len(numbers) or None in at:
        return None
    rows: list[int] = []
    for n in lines.get_column("entry_number").to_list():
        if n not in at:
            return None
        rows.append(at[n])
    # Names and types read once per frame: a series' own ``dtype`` costs about a
    # microsecond, a frame's ``dtypes`` about as much for all of its columns.
    line_names, entry_names = lines.columns, entries.columns
    shared = set(line_names)
    kept = [i for i, n in enumerate(entry_names) if n not in shared]
    every = entries.get_columns()
    header = [every[i] for i in kept]
    if rows and len(set(rows)) == 1:  # one entry's lines: its header, repeated
        one = rows[0]
        if not (entries.height == 1 and len(rows) == 1):
            header = [s.new_from_index(one, len(rows)) for s in header]
    else:
        picked = entries[rows].get_columns()
        header = [picked[i] for i in kept]
    entry_types = entries.dtypes
    absent = _declared_absent((*line_names, *(entry_names[i] for i in kept)),
                              (*map(type, lines.dtypes), *(type(entry_types[i]) for i in kept)))
    if absent is None:
        return None
    height = lines.height
    added = [pl.Series(n, [None] * height, dtype=t) for n, t in absent]
    named = {s.name: s for s in (*header, *added)}

    def values(name: str) -> list[Any]:
        return (lines.get_column(name) if name in shared else named[name]).to_list()

    hts = values("hts_code")
    if not all(h is None or (h.isascii() and h.isalnum()) for h in hts):
        return None
    derived = _plain_derived(*(values(n) for n in (
        "entered_value_usd", "quantity", "gross_weight_kg")))
    if derived is None:
        return None
    return lines.hstack([*header, *added, *derived])


def _plain_derived(value: list[float | None], quantity: list[float | None],
                   weight: list[float | None]) -> list[pl.Series] | None:
    """The derived fields of a few lines as :func:`~tradeguard.rules._fields.derived_columns`
    gives them (a zero or missing divisor gives null); None on a NaN, which Polars orders
    above every number."""
    if any(v != v for v in (*value, *quantity, *weight) if v is not None):
        return None

    def ratio(divisors: list[float | None]) -> list[float | None]:
        return [v / d if v is not None and d is not None and d > 0 else None
                for v, d in zip(value, divisors, strict=True)]

    return [pl.Series("unit_value_usd", ratio(quantity), dtype=pl.Float64),
            pl.Series("value_per_kg_usd", ratio(weight), dtype=pl.Float64)]


@lru_cache(maxsize=16)
def _declared_absent(columns: tuple[str, ...], kinds: tuple[type[pl.DataType], ...]
                     ) -> tuple[tuple[str, pl.DataType], ...] | None:
    """The declared fields a frame of this shape lacks, with their types (added as nulls);
    None when a field is not of its type yet or a derived field is there already.

    Columns are told by their type classes: every declared field's type is a plain one,
    which a column has exactly when its class is that type's (a cheaper cache key than the
    types themselves, whose hashing and comparison run in Python)."""
    from tradeguard.rules import DECLARED_FIELDS
    from tradeguard.rules._fields import POLARS_TYPES

    have = dict(zip(columns, kinds, strict=True))
    absent = []
    for name, spec in DECLARED_FIELDS.items():
        if spec.source == "derived":
            if name in have:
                return None
        elif name not in have:
            absent.append((name, POLARS_TYPES[spec.kind]))
        elif have[name] is not type(POLARS_TYPES[spec.kind]):
            return None
    return tuple(absent)


#: Up to this many lines, dates are cast to text row by row (the same text as formatting
#: each distinct date once), so the digest's expression depends on the columns only.
SMALL_DIGEST_BATCH = 1_000


def input_digest(decl: pl.DataFrame) -> pl.Series:
    """SHA-256 of each line's declared contract fields (typed, in contract order)."""
    from tradeguard.digests import sha256_hex

    if decl.height <= PLAIN_DIGEST_LINES:
        digests = _plain_digests(decl)
        if digests is not None:
            return digests
    if decl.height <= SMALL_DIGEST_BATCH:
        text_expr = _small_digest_text(tuple(decl.columns))
    else:
        text_expr = _digest_text(decl, _digest_fields())
    text = decl.select(text_expr).to_series()
    return sha256_hex(text).alias("input_digest")


#: Up to this many lines (a scoring request's), digests are computed in Python: the query
#: costs more than formatting a few lines' fields.
PLAIN_DIGEST_LINES = REQUEST_LINES


def _plain_float(value: float) -> str | None:
    """A float as Polars writes it, where Python's shortest form is the same (no exponent)."""
    return repr(value) if value == 0.0 or 1e-4 <= abs(value) < 1e15 else None


def _plain_day(value: date) -> str | None:
    return value.isoformat() if 1000 <= value.year <= 9999 else None


def _plain_format(kind: type[pl.DataType]) -> Callable[[Any], str | None] | None:
    """How the general path's text cast writes a non-null value of a column whose type's
    class is ``kind`` (None: a type left to the general path). The types written here have
    no parameters, so the class says the type."""
    if kind is pl.String:
        return str
    if kind is pl.Boolean:
        return lambda v: "true" if v else "false"
    if kind.is_integer():
        return str
    if kind is pl.Float64:
        return _plain_float
    if kind is pl.Date:
        return _plain_day
    return None


@lru_cache(maxsize=16)
def _plain_plan(columns: tuple[str, ...], dtypes: tuple[type[pl.DataType], ...]
                ) -> tuple[tuple[str, int, Callable[[Any], str | None]], ...] | None:
    """Per digested field: its label, its column's position (-1: absent) and how its values
    are written; built once per frame shape, told by its columns' type classes (None: a
    type left to the general path)."""
    at = {c: i for i, c in enumerate(columns)}
    plan: list[tuple[str, int, Callable[[Any], str | None]]] = []
    for i, n in enumerate(_digest_fields()):
        label = ("\x1f" if i else "") + n + "="
        if n not in at:
            plan.append((label, -1, str))
            continue
        write = _plain_format(dtypes[at[n]])
        if write is None:
            return None
        plan.append((label, at[n], write))
    return tuple(plan)


def _plain_digests(decl: pl.DataFrame) -> pl.Series | None:
    """:func:`input_digest` of a few lines in Python (the same text, field by field)."""
    import hashlib

    plan = _plain_plan(tuple(decl.columns), tuple(map(type, decl.dtypes)))
    if plan is None:
        return None
    out = []
    for row in decl.rows():
        parts: list[str] = []
        for label, at, write in plan:
            value = row[at] if at >= 0 else None
            text = "\\N" if value is None else write(value)
            if text is None:
                return None
            parts += (label, text)
        out.append(hashlib.sha256("".join(parts).encode("utf-8")).hexdigest())
    return pl.Series("input_digest", out, dtype=pl.String)


@lru_cache(maxsize=1)
def _digest_fields() -> tuple[str, ...]:
    """The declared contract fields a digest covers, in contract order."""
    from tradeguard.contract.schema import schema_for

    return tuple(dict.fromkeys([*schema_for("entries").names, *schema_for("lines").names]))


def _digest_text(decl: pl.DataFrame | None, names: tuple[str, ...],
                 present: frozenset[str] = frozenset()) -> pl.Expr:
    """The digested text of a line: ``name=value`` fields joined by a unit separator, built
    in one concatenation (the separator rides on the next field's label) rather than one per
    field. Without ``decl``, the fields in ``present`` are cast to text row by row."""
    from tradeguard.digests import as_text

    columns = set(decl.columns) if decl is not None else present
    parts: list[pl.Expr] = []
    for i, n in enumerate(names):
        parts.append(pl.lit(("\x1f" if i else "") + n + "="))
        if n not in columns:
            parts.append(pl.lit("\\N"))
        elif decl is not None:
            parts.append(as_text(decl, n).fill_null("\\N"))
        else:
            parts.append(pl.col(n).cast(pl.String).fill_null("\\N"))
    return pl.concat_str(parts).alias("s")


@lru_cache(maxsize=16)
def _small_digest_text(columns: tuple[str, ...]) -> pl.Expr:
    """:func:`_digest_text` of a small batch with these columns (built once per columns)."""
    return _digest_text(None, _digest_fields(), frozenset(columns))


def run_detectors(
    decl: pl.DataFrame, history: pl.DataFrame, ctx: DetectionContext,
    registry: DetectorRegistry,
) -> tuple[pl.DataFrame, dict[str, str]]:
    """Fit and run every registered detector; any failure stops the run with its name."""
    from tradeguard.pipeline.scorer import fit_chain

    return fit_chain(registry, history, ctx).detect(decl, ctx)


def collect_findings(
    decl: pl.DataFrame, history_decl: pl.DataFrame | None, ctx: DetectionContext,
    profile_set: ProfileSet, registry: DetectorRegistry,
) -> tuple[pl.DataFrame, RuleEvaluation, dict[str, str]]:
    """Findings of every detector and of the rules profiles, the rules' treatments, versions."""
    from tradeguard.rules import evaluate

    history = history_decl if history_decl is not None else decl.clear()
    found, versions = run_detectors(decl, history, ctx, registry)
    rules = evaluate(profile_set, decl, on=ctx.as_of)
    return pl.concat([found, rules.findings], how="vertical"), rules, versions


def _version_values(versions: Mapping[str, Any]) -> dict[str, Any]:
    """The version columns' values, from a ``ScoringResult.versions`` block."""
    return {
        "model_version": versions["model"],
        "rules_version": versions["rules"],
        "list_versions": json.dumps(versions["lists"], sort_keys=True),
        "refdata_versions": json.dumps(versions["refdata"], sort_keys=True),
        "detector_versions": json.dumps(versions["detectors"], sort_keys=True),
        "targeting_version": versions["targeting"],
    }


def version_columns(versions: Mapping[str, Any]) -> list[pl.Expr]:
    """The version columns every assessment carries, from a ``ScoringResult.versions`` block."""
    return [pl.lit(v).alias(k) for k, v in _version_values(versions).items()]


#: Up to this many lines (a scoring request's), assessments are assembled from the laned
#: frame's columns without a query when they already have their types.
PLAIN_FINISH_LINES = REQUEST_LINES


def finish_assessments(laned: pl.DataFrame, versions: Mapping[str, Any]) -> pl.DataFrame:
    """Laned lines stamped with their versions, in :data:`ASSESSMENT_SCHEMA` (the last step).

    One function for the one-frame chain and the batch engines, so both write the same rows.
    """
    from tradeguard.targeting.assessment import ASSESSMENT_SCHEMA

    if laned.height <= PLAIN_FINISH_LINES:
        small = _plain_assessments(laned, _stamped(versions), ASSESSMENT_SCHEMA)
        if small is not None:
            return small
    return laned.with_columns(version_columns(versions)).select(
        [pl.col(c).cast(t) for c, t in ASSESSMENT_SCHEMA.items()])


def _plain_assessments(laned: pl.DataFrame, stamped: dict[str, Any],
                       schema: Mapping[str, pl.DataType]) -> pl.DataFrame | None:
    """:func:`finish_assessments` when every column is there with its type (the casts do
    nothing) and every version is text: the columns themselves, side by side."""
    have = dict(zip(laned.columns, laned.dtypes, strict=True))
    columns = []
    for name, dtype in schema.items():
        if name in stamped:
            value = stamped[name]
            if type(dtype) is not pl.String or not (value is None or isinstance(value, str)):
                return None
            columns.append(_repeated(name, value, laned.height))
        elif same_type(have.get(name), dtype):
            columns.append(laned.get_column(name))
        else:
            return None
    return frame_of(columns)


#: Types equal when their classes are (no parameters).
_PLAIN_TYPES = frozenset([pl.String, pl.Boolean, pl.Date, pl.Float64, pl.Float32, pl.Int64,
                          pl.Int32, pl.Int16, pl.Int8, pl.UInt64, pl.UInt32, pl.UInt16,
                          pl.UInt8, pl.Null])


def same_type(have: pl.DataType | None, want: pl.DataType) -> bool:
    """``have == want`` for a column's type, told from the classes where they say it all
    (a Polars type comparison costs a few microseconds; a frame's schema tens)."""
    if have is None:
        return False
    kind = type(want)
    if type(have) is not kind:
        return have == want
    if kind in _PLAIN_TYPES:
        return True
    if isinstance(want, pl.List) and isinstance(have, pl.List) \
            and isinstance(have.inner, pl.DataType) and isinstance(want.inner, pl.DataType):
        return same_type(have.inner, want.inner)
    return have == want


#: Version stamps by version block, and constant columns by (name, value, lines): a scorer
#: stamps every request with the same few blocks.
_STAMPS: dict[tuple[Any, ...], dict[str, Any]] = {}
_REPEATED: dict[tuple[str, str | None, int], pl.Series] = {}
_KEPT = 64


def _stamped(versions: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`_version_values`, remembered for blocks of text versions (a key of texts
    only, so values that compare equal but write differently, 1 and 1.0, never share)."""
    parts = [versions.get(k) for k in ("model", "rules", "targeting")]
    key: list[Any] = list(parts)
    for k in ("lists", "refdata", "detectors"):
        block = versions.get(k)
        if not isinstance(block, dict):
            return _version_values(versions)
        key.append(tuple(block.items()))
    texts = [*parts, *(x for block in key[3:] for kv in block for x in kv)]
    if not all(type(x) is str for x in texts):
        return _version_values(versions)
    found = _STAMPS.get(tuple(key))
    if found is None:
        if len(_STAMPS) >= _KEPT:
            _STAMPS.clear()
        found = _STAMPS[tuple(key)] = _version_values(versions)
    return dict(found)


def _repeated(name: str, value: str | None, height: int) -> pl.Series:
    """A text column of ``height`` copies of ``value`` (made once; frames share it)."""
    key = (name, value, height)
    found = _REPEATED.get(key)
    if found is None:
        if len(_REPEATED) >= _KEPT:
            _REPEATED.clear()
        found = _REPEATED[key] = pl.Series(name, [value] * height, dtype=pl.String)
    return found


def model_scores(
    artifact: ModelArtifact, decl: pl.DataFrame, findings: pl.DataFrame,
    history: pl.DataFrame | None,
) -> pl.DataFrame:
    """Calibrated probabilities and reason codes (with text) per line, :data:`MODEL_SCHEMA`.

    One entry's few lines are scored without a query per step (the same values; see
    :mod:`tradeguard.model._entry_scoring`), larger batches and unusual lines as frames."""
    from tradeguard.model._entry_scoring import score_entry
    from tradeguard.model.line_features import entry_line_features

    lines = entry_line_features(decl, findings, history)
    entry = score_entry(artifact, lines) if lines is not None else None
    if lines is not None and entry is not None:
        # the rows in one call: a Series per column costs more (a list column above all)
        return pl.from_dicts(
            [{"entry_number": line["entry_number"], "line_number": line["line_number"],
              "probability": probability, "model_reasons": reasons,
              "model_reason_texts": texts}
             for line, probability, reasons, texts in zip(
                 lines, entry.probability.tolist(), entry.reasons, entry.texts, strict=True)],
            schema=MODEL_SCHEMA)
    # imported here: a name from the package costs more than one from a module
    from tradeguard.model import reason_texts, score
    from tradeguard.model.line_features import AT_STAKE, line_features

    features = line_features(decl, findings, history)
    batch = score(artifact, features, at_stake=AT_STAKE)
    texts = reason_texts(artifact)
    frame = pl.concat([features.select(KEYS), batch.frame], how="horizontal")
    return frame.with_columns(
        pl.col("reasons").alias("model_reasons"),
        pl.col("reasons").list.eval(pl.element().replace_strict(texts, default=None))
        .alias("model_reason_texts"),
    ).select([pl.col(c).cast(t) for c, t in MODEL_SCHEMA.items()])


def known_past_outcomes(history_decl: pl.DataFrame, outcomes: pl.DataFrame,
                        as_of: date) -> pl.DataFrame:
    """The history's examined lines with their outcomes known by ``as_of``: what
    :func:`past_outcome_history` gives for any batch once the batch's own lines are taken
    out (the features built from it count and sum, so row order does not matter). It
    depends on the day only, so a scorer keeps it per day."""
    from tradeguard.model.line_features import past_outcomes

    known = outcomes.filter(
        pl.col("decided_on").cast(pl.Date, strict=False).is_null()
        | (pl.col("decided_on").cast(pl.Date, strict=False) <= as_of)
    ) if "decided_on" in outcomes.columns else outcomes
    return past_outcomes(history_decl, known)


def past_outcome_history(
    decl: pl.DataFrame, history_decl: pl.DataFrame | None, outcomes: pl.DataFrame | None,
    as_of: date,
) -> pl.DataFrame | None:
    """Examined lines known before ``as_of``, never the lines being scored (no leakage)."""
    if outcomes is None or outcomes.is_empty():
        return None
    from tradeguard.model.line_features import past_outcomes

    known = outcomes.filter(
        pl.col("decided_on").cast(pl.Date, strict=False).is_null()
        | (pl.col("decided_on").cast(pl.Date, strict=False) <= as_of)
    ) if "decided_on" in outcomes.columns else outcomes
    frames = [decl] + ([history_decl] if history_decl is not None else [])
    every = pl.concat(frames, how="diagonal_relaxed")
    past = past_outcomes(every, known)
    current = decl.select(pl.col("entry_number").cast(pl.String),
                          pl.col("line_number").cast(pl.Int64))
    return past.join(current, on=KEYS, how="anti")


def score_declarations(
    entries: pl.DataFrame,
    lines: pl.DataFrame,
    *,
    supply_chain: pl.DataFrame | None = None,
    history_entries: pl.DataFrame | None = None,
    history_lines: pl.DataFrame | None = None,
    outcomes: pl.DataFrame | None = None,
    model: ModelArtifact | None = None,
    ref: ReferenceData | None = None,
    config: TargetingConfig | None = None,
    profiles: ProfileSet | None = None,
    registry: DetectorRegistry | None = None,
    as_of: date | None = None,
    ai_lanes_enabled: bool = True,
) -> ScoringResult:
    """Score every line of ``entries``/``lines`` (contract columns, typed or text).

    ``as_of`` (default: the latest entry date) dates the reference data, profiles and the
    history window. Without ``model`` the score comes from findings and rules alone, and the
    ``model_version`` column says so. With ``ai_lanes_enabled=False`` (the registry's kill
    switch) the model and the machine-learned detectors are left out: deterministic checks,
    rules profiles, hard rules and the random compliance sample keep working.
    """
    from tradeguard.pipeline.scorer import Scorer

    scorer = Scorer(
        history_entries=history_entries, history_lines=history_lines, outcomes=outcomes,
        model=model, ref=ref, config=config, profiles=profiles, registry=registry,
        ai_lanes_enabled=ai_lanes_enabled)
    return scorer.score(entries, lines, supply_chain=supply_chain, as_of=as_of)
