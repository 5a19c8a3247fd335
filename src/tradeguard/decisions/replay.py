"""Deterministic replay: re-run a logged decision from its inputs and check it bit for bit.

A ``decision.scored`` record carries the digest of the line's declared fields, the versions of
everything that scored it, the score, the lane and the reason codes. Replaying feeds the same
declarations back through scoring and compares all of them: the digest proves the inputs are
the logged inputs, the versions that the same model, rules, lists and configuration ran, and
equal score, lane and reasons that the logged explanation belongs to that run. Any difference
is named, so an appeal or an inspector can tell "different data" from "different model" from
"not reproducible".

The scoring itself is a callable, so the same check runs on the full pipeline
(:func:`pipeline_scorer`) or on any scorer with the assessment shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tradeguard.decisions.events import DecisionScored
from tradeguard.decisions.review import ScoredLine
from tradeguard.decisions.transparency_log import TransparencyLog
from tradeguard.security import Permission, Principal, Resource, require

if TYPE_CHECKING:
    import polars as pl

    from tradeguard.decisions.appeals import Rescorer

#: Re-runs scoring on the logged inputs and returns the assessed lines.
BatchScorer = Callable[[], Iterable[ScoredLine]]


class ReplayError(LookupError):
    """The record cannot be replayed (not a scoring record, or its line was not re-scored)."""


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """The logged and the re-computed decision, and every difference between them."""

    seq: int
    entry_number: str
    line_number: int | None
    logged: Mapping[str, Any]
    replayed: Mapping[str, Any]
    differences: tuple[str, ...]

    @property
    def matches(self) -> bool:
        """True when the replay reproduced the logged decision exactly."""
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form for the CLI and the audit report."""
        return {
            "seq": self.seq, "entry_number": self.entry_number, "line_number": self.line_number,
            "matches": self.matches, "differences": list(self.differences),
            "logged": dict(self.logged), "replayed": dict(self.replayed),
        }


def _facts(
    score: float, lane: str, reasons: Iterable[str], digest: str, versions: Mapping[str, str]
) -> dict[str, Any]:
    return {"score": score, "lane": lane, "reasons": list(reasons), "input_digest": digest,
            "versions": dict(versions)}


def compare(logged: DecisionScored, line: ScoredLine) -> tuple[str, ...]:
    """Every way ``line`` differs from the logged record, inputs first."""
    out: list[str] = []
    if line.input_digest != logged.feature_vector_hash:
        out.append(f"input_digest: logged {logged.feature_vector_hash}, "
                   f"replayed {line.input_digest} (the inputs are not the logged inputs)")
    versions = line.versions()
    for key in sorted(set(logged.versions) | set(versions)):
        was, now = logged.versions.get(key), versions.get(key)
        if was != now:
            out.append(f"version {key}: logged {was}, replayed {now}")
    if line.risk_score != logged.score:
        out.append(f"score: logged {logged.score!r}, replayed {line.risk_score!r}")
    if line.lane != logged.lane:
        out.append(f"lane: logged {logged.lane}, replayed {line.lane}")
    if tuple(line.reasons) != tuple(logged.reason_codes):
        out.append(f"reasons: logged {list(logged.reason_codes)}, replayed {list(line.reasons)}")
    return tuple(out)


def replay_decision(
    log: TransparencyLog, principal: Principal, seq: int, scorer: BatchScorer
) -> ReplayResult:
    """Re-score and compare the ``decision.scored`` record ``seq`` (audit:run)."""
    require(principal, Permission.AUDIT_RUN, Resource("decision_log", str(seq)))
    try:
        event = log.read(seq).event
    except KeyError as exc:
        raise ReplayError(f"log record {seq} does not exist") from exc
    if not isinstance(event, DecisionScored):
        raise ReplayError(f"log record {seq} is {event.event_type}, not decision.scored")
    logged = _facts(event.score, event.lane, event.reason_codes, event.feature_vector_hash,
                    event.versions)
    key = (event.entry_number, event.line_number)
    line = next((a for a in scorer() if (a.entry_number, a.line_number) == key), None)
    if line is None:
        raise ReplayError(
            f"log record {seq}: entry {event.entry_number} line {event.line_number} is not in "
            "the re-scored inputs"
        )
    replayed = _facts(line.risk_score, line.lane, line.reasons, line.input_digest,
                      line.versions())
    return ReplayResult(seq, event.entry_number, event.line_number, logged, replayed,
                        compare(event, line))


def pipeline_scorer(entries: pl.DataFrame, lines: pl.DataFrame, **options: Any) -> BatchScorer:
    """A scorer running :func:`tradeguard.pipeline.score_declarations` on the given batch."""

    def run() -> list[ScoredLine]:
        from tradeguard.pipeline import score_declarations
        from tradeguard.targeting import Assessment

        result = score_declarations(entries, lines, **options)
        return [Assessment.from_row(r) for r in result.assessments.iter_rows(named=True)]

    return run


def apply_corrections(
    entries: pl.DataFrame, lines: pl.DataFrame, entry_number: str, line_number: int,
    corrections: Mapping[str, Any],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The batch with the importer's corrected values on its entry header and line."""
    import polars as pl

    unknown = sorted(set(corrections) - set(entries.columns) - set(lines.columns))
    if unknown:
        raise ValueError(f"corrections name fields not in the declarations: {', '.join(unknown)}")
    is_entry = pl.col("entry_number").cast(pl.String) == entry_number
    is_line = is_entry & (pl.col("line_number").cast(pl.Int64) == line_number)
    fixes_e = [pl.when(is_entry).then(pl.lit(v).cast(entries.schema[k])).otherwise(pl.col(k))
               .alias(k) for k, v in corrections.items() if k in entries.columns]
    fixes_l = [pl.when(is_line).then(pl.lit(v).cast(lines.schema[k])).otherwise(pl.col(k))
               .alias(k) for k, v in corrections.items()
               if k in lines.columns and k not in entries.columns]
    return (entries.with_columns(fixes_e) if fixes_e else entries,
            lines.with_columns(fixes_l) if fixes_l else lines)


def pipeline_rescorer(entries: pl.DataFrame, lines: pl.DataFrame, **options: Any) -> Rescorer:
    """An appeal re-scorer: apply the corrections to the batch, re-run the pipeline, pick the
    appealed line."""

    def rescore(entry_number: str, line_number: int, corrections: Mapping[str, Any]) -> ScoredLine:
        fixed_e, fixed_l = apply_corrections(entries, lines, entry_number, line_number,
                                             corrections)
        for line in pipeline_scorer(fixed_e, fixed_l, **options)():
            if (line.entry_number, line.line_number) == (entry_number, line_number):
                return line
        raise ReplayError(f"entry {entry_number} line {line_number} is not in the declarations")

    return rescore
