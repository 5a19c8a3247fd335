"""Screening configuration: every threshold and weight in one validated, versioned model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

ALGORITHM_NAME = "tradeguard-name-match"
ALGORITHM_VERSION = "1.2.1"
# Best F1 threshold for deciding one name pair when matches and non-matches are equally likely.
PAIR_THRESHOLD = 0.75


class ScreeningConfig(BaseModel):
    """Thresholds and evidence weights for name screening (defaults are the released ones).

    The weights express general matching principles: particles and generic business words
    prove little, a different word in the same place is stronger evidence against a match
    than an extra word, and a legal-form or country mismatch is weak evidence.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Screening a few names against thousands of listed ones: almost every candidate is a
    # non-match, so the reporting threshold sits higher than the balanced-pair optimum
    # (PAIR_THRESHOLD), keeping false alerts near one in a thousand names.
    threshold: float = Field(0.92, ge=0.0, le=1.0, description="Report matches at or above.")
    token_min: float = Field(0.75, ge=0.0, le=1.0, description="Least similarity to pair tokens.")
    phonetic_floor: float = Field(0.85, ge=0.0, le=1.0, description="Similarity of sound-alikes.")
    initial_similarity: float = Field(0.75, ge=0.0, le=1.0, description="Initial vs full word.")
    truncated_similarity: float = Field(0.80, ge=0.0, le=1.0, description="Cut-off last word.")
    joined_min: float = Field(0.85, ge=0.0, le=1.0, description="Least similarity of joined words.")
    conflict_penalty: float = Field(1.5, ge=0.0, le=2.0, description="Per share of swapped words.")
    extra_penalty_person: float = Field(
        0.25, ge=0.0, le=1.0, description="Per share of extra names."
    )
    extra_penalty_org: float = Field(0.30, ge=0.0, le=1.0, description="Per share of extra words.")
    single_word_penalty: float = Field(0.5, ge=0.0, le=1.0, description="Extras vs one-word name.")
    legal_form_penalty: float = Field(0.05, ge=0.0, le=1.0, description="Different legal forms.")
    particle_weight: float = Field(0.3, ge=0.0, le=1.0, description="Weight of al, bin, van...")
    common_word_weight: float = Field(0.35, ge=0.0, le=1.0, description="Weight of Group, Trading.")
    initial_weight: float = Field(0.5, ge=0.0, le=1.0, description="Weight of a one-letter word.")
    country_agree_bonus: float = Field(0.05, ge=0.0, le=0.5, description="Same country as listed.")
    country_conflict_penalty: float = Field(0.10, ge=0.0, le=0.5, description="Other country.")
    address_agree_bonus: float = Field(0.05, ge=0.0, le=0.5, description="Address matches listed.")
    candidates_per_name: int = Field(8, ge=1, le=200, description="Listed names scored per name.")
    prefilter_min: float = Field(0.65, ge=0.0, le=1.0, description="Cheap-score floor for scoring.")
    max_key_frequency: int = Field(100, ge=10, description="Blocking keys more common are skipped.")
