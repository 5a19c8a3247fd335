"""Targeting: one risk score, a lane and plain-language reasons for every entry line.

Findings (weighted by severity and category), rules treatments and the model probability
combine into a monotone score (:mod:`.risk`); hard rules force lanes first, then the seeded
random compliance sample, the trusted-trader fast track and per-port capacity fill the lanes
(:mod:`.lanes`; one entry at a time against the cut-offs a batch implied, :mod:`.online`).
Everything is configuration (:mod:`.config`, shipped as YAML and versioned by
content hash), and every decision is an :class:`Assessment` that can be replayed.
"""

from tradeguard.targeting.assessment import (
    ASSESSMENT_SCHEMA,
    NO_MODEL,
    Assessment,
    assessments_to_records,
    decision_events,
    output_frame,
)
from tradeguard.targeting.config import (
    LANE_RANK,
    Capacity,
    ForcedLane,
    HardRules,
    LaneRates,
    RandomSample,
    RiskWeights,
    TargetingConfig,
    TrustedTraders,
    load_targeting_config,
)
from tradeguard.targeting.lanes import LANE_INPUT, SELECTIONS, assign_lanes
from tradeguard.targeting.online import LaneCutoffs, assign_lanes_online, lane_cutoffs
from tradeguard.targeting.plan import ExamPlan, exam_plan
from tradeguard.targeting.risk import MODEL_SCHEMA, RISK_SCHEMA, combine_risk, expand_to_lines
from tradeguard.targeting.sample import sample_draw

__all__ = [
    "ASSESSMENT_SCHEMA",
    "LANE_INPUT",
    "LANE_RANK",
    "MODEL_SCHEMA",
    "NO_MODEL",
    "RISK_SCHEMA",
    "SELECTIONS",
    "Assessment",
    "Capacity",
    "ExamPlan",
    "ForcedLane",
    "HardRules",
    "LaneCutoffs",
    "LaneRates",
    "RandomSample",
    "RiskWeights",
    "TargetingConfig",
    "TrustedTraders",
    "assessments_to_records",
    "assign_lanes",
    "assign_lanes_online",
    "combine_risk",
    "decision_events",
    "exam_plan",
    "expand_to_lines",
    "lane_cutoffs",
    "load_targeting_config",
    "output_frame",
    "sample_draw",
]
