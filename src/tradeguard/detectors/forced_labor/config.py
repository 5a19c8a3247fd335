"""Forced-labor detector settings: which lists, how deep to trace, which origins are at risk.

Name-match thresholds are not here: they come from :class:`ScreeningConfig`, the one place the
screening trade-off is set for every caller.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tradeguard.screening import ScreeningConfig

# Reason code -> severity. A UFLPA Entity List party or a Xinjiang location is a statutory
# presumption trigger (UFLPA sec. 3(a)), so critical; a WRO names specific merchandise of a
# party, so high; a missing supply chain is a documentation gap, not evidence of forced labor.
DEFAULT_SEVERITY: dict[str, str] = {
    "FL_UFLPA_PARTY": "critical",
    "FL_WRO_PARTY": "high",
    "FL_XUAR_ADDRESS": "critical",
    "FL_UPSTREAM_LISTED": "critical",
    "FL_UPSTREAM_WRO": "high",
    "FL_UPSTREAM_XUAR": "critical",
    "FL_NO_TRACEABILITY": "low",
}


def party_screening() -> ScreeningConfig:
    """Screening settings for declared parties: the released thresholds, more candidates.

    Batches are screened by distinct name (a few thousand at most), so scoring 32 listed names
    per declared name instead of 8 costs little; the candidate index ranks a sound-alike word
    as high as the exact word, and with only 8 slots a short exact name can lose its place to
    ties. Match thresholds are untouched.
    """
    return ScreeningConfig(candidates_per_name=32)


class ForcedLaborConfig(BaseModel):
    """Settings of the forced-labor detector (defaults are the released ones)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lists: tuple[str, ...] = Field(("uflpa", "wro"), description="Forced-labor lists screened.")
    max_tiers: int = Field(4, ge=1, le=20, description="Deepest supply-chain tier traced.")
    # The presumption covers goods made in Xinjiang; China (with the SARs it ships through) is
    # where a missing trace most often hides it. Add third countries for sector reviews.
    at_risk_origins: tuple[str, ...] = Field(("CN", "HK", "MO"))
    # XUAR apparel risk runs through cotton (the region grows most of China's cotton): with
    # this on, apparel and made-up textiles count only when tariff text or description say
    # cotton. Turn off to treat all apparel as high priority.
    apparel_requires_cotton: bool = True
    include_downstream: bool = Field(
        False, description="Also count sector rows marked downstream (e.g. Li-ion batteries)."
    )
    severity: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SEVERITY))
    screening: ScreeningConfig = Field(default_factory=lambda: party_screening())
