"""Evaluating a profile set over a batch of declaration lines.

All firing profiles are compiled and evaluated in one ``with_columns`` over the batch; hits
are then gathered per profile (a filter per profile, not a loop per line). Outputs:

* ``findings`` — :data:`tradeguard.findings.FINDINGS_SCHEMA`, one row per (line, risk-raising
  profile hit): reason_code = profile id, detector ``rules``, detector_version = set version,
  evidence JSON with the profile id and version, the public reason code and matched values.
* ``treatments`` — :data:`TREATMENT_SCHEMA`, one row per line hit by at least one profile:
  the strongest forced lane (red > yellow > green), the largest risk-raising weight, the
  largest risk-lowering (facilitation) weight and the profile ids — what targeting combines.
* ``hits`` — (entry_number, line_number, profile_id) for every hit, facilitation included,
  which is what hit rates are computed from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from tradeguard.findings import FINDINGS_SCHEMA, conform
from tradeguard.kept import Kept
from tradeguard.rules._compile import compile_profile, referenced_fields
from tradeguard.rules._lines import conform_lines
from tradeguard.rules._model import (
    DEFAULT_LAPSE_DAYS,
    LANE_RANK,
    Profile,
    ProfileSet,
    ProfileStatus,
    profile_status,
)
from tradeguard.rules._request import no_hits, predicates

DETECTOR = "rules"
TREATMENT_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(),
    "line_number": pl.Int64(),
    "lane": pl.String(),
    "risk_weight": pl.Float64(),
    "relief_weight": pl.Float64(),
    "profile_ids": pl.List(pl.String()),
}
HITS_SCHEMA: dict[str, pl.DataType] = {
    "entry_number": pl.String(),
    "line_number": pl.Int64(),
    "profile_id": pl.String(),
}
_LANES = {rank: lane for lane, rank in LANE_RANK.items()}
# Empty results, made once (a frame from a schema costs ~50 us; a clone under 1 us).
_NO_FINDINGS = pl.DataFrame(schema=FINDINGS_SCHEMA)
_NO_TREATMENTS = pl.DataFrame(schema=TREATMENT_SCHEMA)
_NO_HITS = pl.DataFrame(schema=HITS_SCHEMA)


@dataclass(frozen=True, slots=True)
class RuleEvaluation:
    """What a profile set found in a batch, with the versions and states that produced it."""

    findings: pl.DataFrame
    treatments: pl.DataFrame
    hits: pl.DataFrame
    profile_set_version: str
    evaluated_on: date | None
    statuses: Mapping[str, ProfileStatus]
    warnings: tuple[str, ...]


def statuses_on(
    profile_set: ProfileSet, on: date | None, lapse_after_days: int | None = DEFAULT_LAPSE_DAYS
) -> dict[str, ProfileStatus]:
    """Each profile's status on ``on``; None (a back-test) treats every profile as active."""
    if on is None:
        return {p.id: ProfileStatus.ACTIVE for p in profile_set.profiles}
    return {p.id: profile_status(p, on, lapse_after_days) for p in profile_set.profiles}


def _warnings(profile_set: ProfileSet, statuses: Mapping[str, ProfileStatus]) -> list[str]:
    out: list[str] = []
    for p in profile_set.profiles:
        if statuses[p.id] is ProfileStatus.REVIEW_DUE:
            out.append(f"profile {p.id}: review date {p.review_date} has passed ({p.owner})")
        elif statuses[p.id] is ProfileStatus.LAPSED:
            out.append(f"profile {p.id}: not reviewed since {p.review_date}; it no longer fires")
    return out + list(profile_set.change_issues)


def _evidence(profile: Profile, profile_set: ProfileSet) -> pl.Expr:
    static = {
        "profile_id": profile.id,
        "profile_version": profile_set.profile_versions[profile.id],
        "profile_set_version": profile_set.version,
        "reason_code": profile.treatment.reason_code,
    }
    head = json.dumps(static, sort_keys=True)[:-1] + ', "matched": '
    matched = pl.struct(referenced_fields(profile.condition)).struct.json_encode()
    return pl.concat_str([pl.lit(head), matched, pl.lit("}")]).alias("evidence")


def _profile_table(profiles: list[Profile]) -> pl.DataFrame:
    t = [p.treatment for p in profiles]
    return pl.DataFrame(
        {
            "profile_id": [p.id for p in profiles],
            "lane_rank": [LANE_RANK[x.lane] if x.lane else None for x in t],
            "raise_w": [x.weight if x.effect == "raise" else None for x in t],
            "lower_w": [x.weight if x.effect == "lower" else None for x in t],
        },
        schema={
            "profile_id": pl.String,
            "lane_rank": pl.Int64,
            "raise_w": pl.Float64,
            "lower_w": pl.Float64,
        },
    )


def _treatments(hits: pl.DataFrame, firing: list[Profile]) -> pl.DataFrame:
    grouped = (
        hits.join(_profile_table(firing), on="profile_id", how="left")
        .group_by("_row")
        .agg(
            pl.col("entry_number").first(),
            pl.col("line_number").first(),
            pl.col("lane_rank").max(),
            pl.col("raise_w").max().alias("risk_weight"),
            pl.col("lower_w").max().alias("relief_weight"),
            pl.col("profile_id").alias("profile_ids"),  # hits arrive sorted by profile id
        )
        .sort("_row")
    )
    lane = pl.col("lane_rank").replace_strict(_LANES, default=None, return_dtype=pl.String)
    return grouped.with_columns(lane.alias("lane")).select(
        [pl.col(c).cast(t) for c, t in TREATMENT_SCHEMA.items()]
    )


#: Compiled masks of recently used (profile set, firing profiles); a set is compiled once,
#: not on every batch. Holding the set keeps its id from being reused while it is cached.
_COMPILED: Kept[tuple[int, tuple[str, ...]], tuple[ProfileSet, dict[str, pl.Expr]]] = Kept(16)


def _compiled(profile_set: ProfileSet, firing: list[Profile]) -> dict[str, pl.Expr]:
    """``__rp<i>`` -> the compiled condition of the i-th firing profile (cached)."""
    key = (id(profile_set), tuple(p.id for p in firing))
    found = _COMPILED.get(key)
    if found is None or found[0] is not profile_set:
        masks = {f"__rp{i}": compile_profile(p, profile_set.lists) for i, p in enumerate(firing)}
        found = _COMPILED.keep(key, (profile_set, masks))
    return found[1]


class _Day:
    """A profile set on one day: statuses, firing profiles with their compiled masks and
    Python tests, and warnings. They depend on the set and the day only, and a service
    evaluates every request of a day against one set: worked out once, not per request."""

    def __init__(self, profile_set: ProfileSet, on: date | None,
                 lapse_after_days: int | None) -> None:
        self.profile_set = profile_set  # held: keeps its id from being reused while kept
        self.statuses = statuses_on(profile_set, on, lapse_after_days)
        self.firing = [p for p in profile_set.profiles if self.statuses[p.id].fires]
        self.masks = _compiled(profile_set, self.firing)
        self.tests = predicates(profile_set, self.firing)
        self.warnings = tuple(_warnings(profile_set, self.statuses))


_DAYS: Kept[tuple[int, date | None, int | None], _Day] = Kept(16)


def _day(profile_set: ProfileSet, on: date | None, lapse_after_days: int | None) -> _Day:
    key = (id(profile_set), on, lapse_after_days)
    found = _DAYS.get(key)
    if found is None or found.profile_set is not profile_set:
        found = _DAYS.keep(key, _Day(profile_set, on, lapse_after_days))
    return found


def evaluate(
    profile_set: ProfileSet,
    lines: pl.DataFrame,
    *,
    on: date | None,
    lapse_after_days: int | None = DEFAULT_LAPSE_DAYS,
) -> RuleEvaluation:
    """Run every profile that fires on ``on`` over a declaration-line frame.

    ``lines`` has the entry and line columns of the contract (see ``declaration_lines``);
    absent optional columns count as missing values. ``on=None`` ignores validity windows,
    for back-testing profiles before they are switched on.
    """
    day = _day(profile_set, on, lapse_after_days)
    statuses, firing, masks = dict(day.statuses), day.firing, day.masks
    scored: pl.DataFrame | None = None
    # A request's few lines are tested in Python first (``_request``): no hit is the rule.
    if not no_hits(firing, lines, day.tests):
        frame = conform_lines(lines).with_row_index("_row")
        scored = frame.lazy().with_columns(**masks).collect()
    if scored is None or not any(scored.get_column(m).any() for m in masks):
        # No profile hit (most lines): nothing to gather.
        return RuleEvaluation(
            findings=_NO_FINDINGS.clone(),
            treatments=_NO_TREATMENTS.clone(),
            hits=_NO_HITS.clone(),
            profile_set_version=profile_set.version,
            evaluated_on=on,
            statuses=statuses,
            warnings=day.warnings,
        )

    keys = [pl.col("_row"), pl.col("entry_number"), pl.col("line_number")]
    hit_parts = [
        scored.lazy().filter(pl.col(m)).select(*keys, pl.lit(p.id).alias("profile_id"))
        for m, p in zip(masks, firing, strict=True)
    ]
    finding_parts = [
        scored.lazy()
        .filter(pl.col(m))
        .select(
            pl.col("entry_number"),
            pl.col("line_number"),
            pl.lit(p.treatment.category.value if p.treatment.category else None).alias("category"),
            pl.lit(p.id).alias("reason_code"),
            pl.lit(p.treatment.severity.value).alias("severity"),
            pl.lit(p.treatment.reason).alias("text"),
            _evidence(p, profile_set),
            pl.lit(DETECTOR).alias("detector"),
            pl.lit(profile_set.version).alias("detector_version"),
        )
        for m, p in zip(masks, firing, strict=True)
        if not p.treatment.facilitates
    ]
    hit_schema = {"_row": pl.UInt32(), **HITS_SCHEMA}
    empty_hits = pl.LazyFrame(schema=hit_schema)
    empty_findings = pl.LazyFrame(schema=FINDINGS_SCHEMA)
    hits, findings = pl.collect_all(
        [
            pl.concat([empty_hits, *hit_parts], how="vertical_relaxed"),
            pl.concat([empty_findings, *finding_parts], how="vertical_relaxed"),
        ]
    )
    hits = hits.sort("_row", "profile_id")
    return RuleEvaluation(
        findings=conform(findings.sort("entry_number", "line_number", "reason_code")),
        treatments=_treatments(hits, firing),
        hits=hits.drop("_row"),
        profile_set_version=profile_set.version,
        evaluated_on=on,
        statuses=statuses,
        warnings=day.warnings,
    )
