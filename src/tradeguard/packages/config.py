"""Small-package screening configuration: every threshold is data, not a constant.

The de minimis value and the informal-entry limit move with the law (and differ between
administrations), so they live here with the other thresholds and weights; the version of the
configuration goes into every finding so a past score can be replayed.
"""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, ConfigDict, Field

RULES_NAME = "tradeguard-packages"
RULES_VERSION = "1.2.0"

VAGUE_TERMS: tuple[str, ...] = (
    "gift", "gifts", "sample", "samples", "parts", "part", "goods", "accessories", "accessory",
    "clothes", "clothing", "household", "items", "item", "personal", "effects", "merchandise",
    "products", "product", "misc", "miscellaneous", "stuff", "general", "cargo", "various",
    "assorted", "spare", "article", "articles", "commodity", "commodities", "package", "parcel",
    "consolidated", "mixed", "daily", "necessities", "use", "new", "used", "and", "of", "for",
)


class PackageConfig(BaseModel):
    """Thresholds and weights for scoring small packages (defaults are the released ones)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value_thresholds_usd: tuple[float, ...] = Field(
        (800.0, 2500.0),
        description="Value lines a shipment may be split to stay under (de minimis, informal).",
    )
    split_window_days: int = Field(7, ge=1, description="Longest gap between split parcels.")
    split_min_parcels: int = Field(3, ge=2, description="Parcels in one episode to call a split.")
    split_near_share: float = Field(
        0.6, gt=0, le=1, description="Median parcel value at least this share of the threshold."
    )
    split_name_similarity: float = Field(
        0.8, ge=0, le=1, description="Consignee name words this alike count as one person."
    )
    peer_min: int = Field(5, ge=2, description="Fewest peers for a peer value baseline.")
    undervalue_ratio: float = Field(
        0.25, gt=0, lt=1, description="Value per kg at most this share of the peer median."
    )
    vague_terms: tuple[str, ...] = Field(VAGUE_TERMS, description="Words that describe nothing.")
    vague_value_share: float = Field(
        0.5, ge=0, description="Vague descriptions matter from this share of the lowest threshold."
    )
    contradiction_min_peers: int = Field(
        8, ge=2, description="Peers of a description needed before its HTS or origin can differ."
    )
    contradiction_max_share: float = Field(
        0.05, gt=0, lt=1, description="A declared HS-6 or origin this rare among peers differs."
    )
    contradiction_min_dominance: float = Field(
        0.5, gt=0, le=1, description="A word points at one HS-6 when this share declare it."
    )
    origin_max_share: float = Field(
        0.01, gt=0, lt=1, description="Origin this rare among parcels from the shipper country."
    )
    offender_min_findings: int = Field(
        3, ge=1, description="Findings (or past violations) that make a seller a repeat offender."
    )
    offender_min_z: float = Field(
        3.0, ge=0, description="How far above the batch rate a seller's finding rate must be."
    )
    offender_min_rate_ratio: float = Field(
        3.0, ge=1, description="A seller's finding rate at least this multiple of the batch's."
    )
    offender_min_violations: int = Field(
        3, ge=1, description="Confirmed past violations (outcomes) a repeat offender needs."
    )
    offender_violation_fdr: float = Field(
        0.05, gt=0, lt=1,
        description="False-discovery rate (Benjamini-Hochberg) when naming senders by exams.",
    )
    offender_min_violation_ratio: float = Field(
        2.0, ge=1,
        description="A sender's exam hit rate at least this multiple of the overall hit rate.",
    )
    offender_weak_ratio: float = Field(
        0.35, gt=0, lt=1, description="Price ratio that counts as a weak sign for an offender."
    )
    shipper_match_threshold: float = Field(
        0.88, ge=0, le=1,
        description="Watch-list score that flags a shipper (parcels are cheap to stop).",
    )
    weights: dict[str, float] = Field(
        default_factory=lambda: {
            "PKG_SPLIT_SHIPMENT": 0.75,
            "PKG_UNDERVALUED_VS_PEERS": 0.7,
            "PKG_VAGUE_DESCRIPTION": 0.45,
            "PKG_HTS_CONTRADICTS_DESCRIPTION": 0.6,
            "PKG_ORIGIN_CONTRADICTS_DESCRIPTION": 0.6,
            "PKG_REPEAT_OFFENDER": 0.5,
            "PKG_WATCHLISTED_SHIPPER": 0.95,
        },
        description="Risk weight of each reason; reasons combine as independent evidence.",
    )
    yellow_at: float = Field(0.4, ge=0, le=1, description="Score from which the lane is yellow.")
    red_at: float = Field(0.7, ge=0, le=1, description="Score from which the lane is red.")

    def version(self) -> str:
        """Rules version plus a digest of the settings, so a changed threshold is visible."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return f"{RULES_VERSION}+{hashlib.sha256(blob).hexdigest()[:10]}"
