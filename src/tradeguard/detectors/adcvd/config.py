"""Thresholds and weights of the AD/CVD detector, in one documented place.

Every evasion indicator is weak alone (new factories open, prices vary, importers change
suppliers for good reasons), so a line is only reported when indicators of different kinds add
up. The defaults are general bars, not fitted to any one data set: a "new" manufacturer is one
not seen in the first ``established_after_days`` of history, a surge needs at least
``surge_min_count`` lines and ``surge_min_ratio`` times the baseline with a Poisson tail below
``surge_max_p``, and prices must sit nearer the subject country's median than the third
country's, which must itself differ by ``price_min_gap``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

# Reason codes of the indicators, with their default weights (strength of the signal).
DEFAULT_WEIGHTS: dict[str, float] = {
    "ADCVD_EVASION_MID_SUBJECT": 2.0,
    "ADCVD_EVASION_ADDRESS_SUBJECT": 1.5,
    "ADCVD_EVASION_SELLER_SUBJECT": 1.5,
    "ADCVD_EVASION_NEW_MANUFACTURER": 1.0,
    "ADCVD_EVASION_NEW_PLANT_VOLUME": 1.5,  # includes NEW_MANUFACTURER (not added twice)
    "ADCVD_EVASION_ORIGIN_SWITCH": 0.75,
    "ADCVD_EVASION_PRICE_SUBJECT": 0.75,
    "ADCVD_EVASION_SURGE": 0.5,
}

# Indicators that tie the goods to the subject country; the others say something changed
# (a new plant, a surge). A report needs at least one of each: change alone is ordinary
# business, and a tie alone (a Chinese-owned plant abroad) is not evasion either.
LINK_INDICATORS: frozenset[str] = frozenset({
    "ADCVD_EVASION_MID_SUBJECT", "ADCVD_EVASION_ADDRESS_SUBJECT",
    "ADCVD_EVASION_SELLER_SUBJECT", "ADCVD_EVASION_ORIGIN_SWITCH",
    "ADCVD_EVASION_PRICE_SUBJECT",
})

# Major manufacturing cities of frequent subject countries (the reference subdivisions list
# only provinces). Matched as whole words in manufacturer addresses.
DEFAULT_SUBJECT_PLACES: dict[str, tuple[str, ...]] = {
    "CN": ("shanghai", "guangzhou", "shenzhen", "dongguan", "foshan", "ningbo", "suzhou",
           "hangzhou", "xiamen", "qingdao", "tianjin", "linyi", "wuxi", "changzhou", "jiaxing",
           "shaoxing", "wenzhou", "taizhou", "zhongshan", "jiangmen", "huizhou", "nantong",
           "yangzhou", "zibo", "weifang", "tangshan", "handan", "xuzhou", "hefei", "wuhan",
           "chengdu", "chongqing", "kunshan", "yiwu", "jinhua", "quanzhou", "fuzhou"),
    "TW": ("taipei", "taichung", "kaohsiung", "tainan", "taoyuan", "hsinchu"),
    "VN": ("hanoi", "haiphong", "danang", "bac ninh", "binh duong", "dong nai"),
}


class AdcvdConfig(BaseModel):
    """Settings of :class:`~tradeguard.detectors.adcvd.detector.AdcvdDetector`."""

    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    min_score: float = Field(2.5, description="Summed indicator weight to report a line")
    min_indicators: int = Field(2, description="Distinct indicators needed to report a line")
    require_link_and_change: bool = Field(
        True, description="Need a subject-country tie and a change indicator to report")
    min_line_share: float = Field(
        0.5, description="Share of a plant's in-scope lines an indicator must hold on")
    min_link_score: float = Field(
        1.5, description="Summed weight of the tie indicators needed: one strong tie (MID, "
        "address, seller) or two weak ones (price, importer switch)")
    high_score: float = Field(3.5, description="Score from which an evasion finding is high")
    default_deposit_rate: float = Field(
        0.5, description="Rate used for exposure when the order list gives none (flagged)")
    deposit_tolerance: float = Field(
        0.02, description="Relative shortfall of the declared deposit tolerated (rounding)")
    established_after_days: int = Field(
        90, description="A manufacturer seen this early in history is treated as established")
    surge_min_count: int = Field(5, description="Fewest lines in a month to call a surge")
    surge_min_ratio: float = Field(3.0, description="Month count over baseline monthly mean")
    surge_max_p: float = Field(0.01, description="Poisson upper-tail probability bar")
    price_min_peers: int = Field(5, description="Fewest history lines per price baseline")
    price_min_gap: float = Field(
        0.10, description="Third-country median must differ from the subject's by this share")
    new_plant_min_lines: int = Field(3, description="Fewest lines for the new-plant indicator")
    new_plant_ratio: float = Field(
        1.0, description="New plant's monthly value over the median established plant's")
    subject_places: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_SUBJECT_PLACES))
    min_place_name: int = Field(5, description="Shortest place name matched in addresses")
