"""The assessment: one line's score, lane and reasons with every version that produced them.

A decision that cannot be replayed cannot be defended in an appeal. So each assessment keeps
the score and lane, how the line was selected and with what probability, the finding
categories, reason codes and their plain-language text, the findings themselves, and the
versions of the model, rules, watch lists, reference data, detectors and targeting
configuration, plus ``input_digest`` — the SHA-256 of the line's declared fields — so the same
inputs can be fed back and checked to give the same result.

Batches are Polars frames with :data:`ASSESSMENT_SCHEMA`; :class:`Assessment` is one row as a
value object; :func:`assessments_to_records` gives plain dicts for storage and the log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl

from tradeguard.findings import Finding
from tradeguard.kept import Kept

if TYPE_CHECKING:
    from tradeguard.decisions.events import DecisionScored

NO_MODEL = "none (findings and rules only)"

ASSESSMENT_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(),
    "line_number": pl.Int64(),
    "port_of_entry": pl.String(),
    "entry_date": pl.Date(),
    "risk_score": pl.Float64(),
    "lane": pl.String(),
    "selection": pl.String(),
    "selection_probability": pl.Float64(),
    "sample_draw": pl.Float64(),
    "categories": pl.List(pl.String()),
    "reasons": pl.List(pl.String()),
    "reason_texts": pl.List(pl.String()),
    "forced_by": pl.List(pl.String()),
    "findings": pl.String(),
    "model_probability": pl.Float64(),
    "model_version": pl.String(),
    "rules_version": pl.String(),
    "list_versions": pl.String(),
    "refdata_versions": pl.String(),
    "detector_versions": pl.String(),
    "targeting_version": pl.String(),
    "input_digest": pl.String(),
}


@dataclass(frozen=True, slots=True)
class Assessment:
    """The targeting decision for one entry line, self-explaining and replayable."""

    entry_number: str
    line_number: int
    port_of_entry: str | None
    entry_date: date | None
    risk_score: float
    lane: str
    selection: str
    selection_probability: float
    categories: tuple[str, ...]
    reasons: tuple[str, ...]
    reason_texts: tuple[str, ...]
    findings: tuple[Finding, ...]
    model_probability: float | None
    model_version: str
    rules_version: str
    targeting_version: str
    input_digest: str
    forced_by: tuple[str, ...] = ()
    sample_draw: float | None = None
    list_versions: Mapping[str, str] = field(default_factory=dict)
    refdata_versions: Mapping[str, str] = field(default_factory=dict)
    detector_versions: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Assessment:
        """Rebuild an assessment from a row of an :data:`ASSESSMENT_SCHEMA` frame."""
        found = tuple(
            Finding.from_row({**f, "entry_number": row["entry_number"],
                              "line_number": row["line_number"]})
            for f in json.loads(row.get("findings") or "[]"))
        return cls(
            entry_number=str(row["entry_number"]), line_number=int(row["line_number"]),
            port_of_entry=row.get("port_of_entry"), entry_date=row.get("entry_date"),
            risk_score=float(row["risk_score"]), lane=str(row["lane"]),
            selection=str(row["selection"]),
            selection_probability=float(row["selection_probability"]),
            categories=tuple(row.get("categories") or ()),
            reasons=tuple(row.get("reasons") or ()),
            reason_texts=tuple(row.get("reason_texts") or ()), findings=found,
            model_probability=row.get("model_probability"),
            model_version=str(row["model_version"]), rules_version=str(row["rules_version"]),
            targeting_version=str(row["targeting_version"]),
            input_digest=str(row["input_digest"]),
            forced_by=tuple(row.get("forced_by") or ()), sample_draw=row.get("sample_draw"),
            list_versions=json.loads(row.get("list_versions") or "{}"),
            refdata_versions=json.loads(row.get("refdata_versions") or "{}"),
            detector_versions=json.loads(row.get("detector_versions") or "{}"),
        )

    def versions(self) -> dict[str, str]:
        """Every version behind the decision, flat, for the decision log."""
        out = {"model": self.model_version, "rules": self.rules_version,
               "targeting": self.targeting_version}
        out.update({f"list:{k}": v for k, v in self.list_versions.items()})
        out.update({f"refdata:{k}": v for k, v in self.refdata_versions.items()})
        out.update({f"detector:{k}": v for k, v in self.detector_versions.items()})
        return out

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict (findings as their frame rows)."""
        return {
            "entry_number": self.entry_number, "line_number": self.line_number,
            "port_of_entry": self.port_of_entry,
            "entry_date": self.entry_date.isoformat() if self.entry_date else None,
            "risk_score": self.risk_score, "lane": self.lane, "selection": self.selection,
            "selection_probability": self.selection_probability,
            "sample_draw": self.sample_draw, "categories": list(self.categories),
            "reasons": list(self.reasons), "reason_texts": list(self.reason_texts),
            "forced_by": list(self.forced_by),
            "findings": [f.to_row() for f in self.findings],
            "model_probability": self.model_probability, "versions": self.versions(),
            "input_digest": self.input_digest,
        }


def assessments_to_records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Plain records of an assessment frame, for storage and the decision log.

    Each is ``Assessment.from_row(row).to_record()``, built without the value object between
    (the same conversions, in the same order); a frame of a scored request (a few rows) is
    read in one call rather than through ``iter_rows``' slices and dtype checks.
    """
    rows = frame.rows(named=True) if frame.height <= _ONE_READ_ROWS \
        else frame.iter_rows(named=True)
    return [_record(r) for r in rows]


#: Frames of at most this many rows are read in one call (``iter_rows``' own buffer size).
_ONE_READ_ROWS = 512
#: Flattened version maps by their JSON text (every line of a scorer carries the same few).
_VERSION_ITEMS: Kept[tuple[str, str], tuple[tuple[str, str], ...]] = Kept(256)


def _record(row: Mapping[str, Any]) -> dict[str, Any]:
    """``Assessment.from_row(row).to_record()``, value for value."""
    number, line = row["entry_number"], row["line_number"]
    findings = [
        Finding.from_row({**f, "entry_number": number, "line_number": line}).to_row()
        for f in json.loads(row.get("findings") or "[]")]
    versions = {"model": str(row["model_version"]), "rules": str(row["rules_version"]),
                "targeting": str(row["targeting_version"])}
    for prefix, column in (("list:", "list_versions"), ("refdata:", "refdata_versions"),
                           ("detector:", "detector_versions")):
        versions.update(_version_items(prefix, row.get(column) or "{}"))
    day = row.get("entry_date")
    return {
        "entry_number": str(number), "line_number": int(line),
        "port_of_entry": row.get("port_of_entry"),
        "entry_date": day.isoformat() if day else None,
        "risk_score": float(row["risk_score"]), "lane": str(row["lane"]),
        "selection": str(row["selection"]),
        "selection_probability": float(row["selection_probability"]),
        "sample_draw": row.get("sample_draw"),
        "categories": list(row.get("categories") or ()),
        "reasons": list(row.get("reasons") or ()),
        "reason_texts": list(row.get("reason_texts") or ()),
        "forced_by": list(row.get("forced_by") or ()),
        "findings": findings,
        "model_probability": row.get("model_probability"), "versions": versions,
        "input_digest": str(row["input_digest"]),
    }


def _version_items(prefix: str, text: str) -> tuple[tuple[str, str], ...]:
    """``(prefix + name, version)`` of a version map's JSON text, parsed once per text (only
    maps of plain strings are kept: a shared value must not be one a caller could change)."""
    found = _VERSION_ITEMS.get((prefix, text))
    if found is not None:
        return found
    items = tuple((f"{prefix}{k}", v) for k, v in json.loads(text).items())
    if all(isinstance(v, str) for _, v in items):
        _VERSION_ITEMS.keep((prefix, text), items)
    return items


def decision_events(frame: pl.DataFrame) -> list[DecisionScored]:
    """``DecisionScored`` log events for an assessment frame (the red-lane score as threshold
    is not meaningful under capacity, so the threshold recorded is the line's own score)."""
    from tradeguard.decisions.events import DecisionScored

    events: list[DecisionScored] = []
    for row in frame.iter_rows(named=True):
        a = Assessment.from_row(row)
        events.append(DecisionScored(
            entry_number=a.entry_number, line_number=a.line_number,
            model_hash=a.model_version, feature_vector_hash=a.input_digest,
            score=a.risk_score, threshold=a.risk_score, lane=a.lane,
            reason_codes=a.reasons, versions=a.versions()))
    return events


def output_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """The contract's ``score`` output: lists joined by ``;``, reason texts by `` | ``."""
    return frame.select(
        "entry_number", "line_number", pl.col("risk_score").round(6), "lane",
        pl.col("categories").list.join(";"), pl.col("reasons").list.join(";"),
        "selection", pl.col("selection_probability").round(6),
        pl.col("reason_texts").list.join(" | ").alias("top_reasons_text"),
        pl.col("forced_by").list.join(";"), "port_of_entry", "entry_date",
        pl.col("model_probability").round(6), "model_version", "rules_version",
        "targeting_version", "list_versions", "refdata_versions", "detector_versions",
        "input_digest",
    )
