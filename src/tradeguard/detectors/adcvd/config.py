"""Thresholds and weights of the AD/CVD detector, in one documented place.

Every evasion indicator is weak alone (new factories open, prices vary, importers change
suppliers for good reasons), so a line is only reported when indicators of different kinds add
up. The defaults are general bars, not fitted to any one data set: a "new" manufacturer is one
not seen in the first ``established_after_days`` of history, a surge needs at least
``surge_min_count`` lines and ``surge_min_ratio`` times the baseline with a Poisson tail below
``surge_max_p``, and a plant's prices must rank significantly off-centre among its declared
origin's history yet unremarkably among the subject country's (see ``pricing``).

The reporting rule (``scoring``): a plant needs a tie to the subject country and a change. One
strong tie (MID, address, seller, tier-1 supplier in the subject country) with one change
suffices; weak ties (price, the importer's switch, a supplier further up the chain) need a second
weak tie, except that a statistically tested price tie may instead be corroborated by
``weak_link_min_changes`` independent kinds of change (a new plant and a surge of the flow). The
importer's switch does not get that exception: moving purchases out of the subject country is
what an order is meant to cause, and it comes with new plants and surges in legitimate trade.
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
    "ADCVD_EVASION_SUPPLIER_SUBJECT": 2.0,
    "ADCVD_EVASION_UPSTREAM_SUBJECT": 0.75,
}

# Indicators that tie the goods to the subject country; the others say something changed
# (a new plant, a surge). A report needs at least one of each: change alone is ordinary
# business, and a tie alone (a Chinese-owned plant abroad) is not evasion either.
LINK_INDICATORS: frozenset[str] = frozenset({
    "ADCVD_EVASION_MID_SUBJECT", "ADCVD_EVASION_ADDRESS_SUBJECT",
    "ADCVD_EVASION_SELLER_SUBJECT", "ADCVD_EVASION_ORIGIN_SWITCH",
    "ADCVD_EVASION_PRICE_SUBJECT", "ADCVD_EVASION_SUPPLIER_SUBJECT",
    "ADCVD_EVASION_UPSTREAM_SUBJECT",
})

# Weak ties that two independent kinds of change may corroborate on their own (a significance
# test stands behind them, unlike a switch of supplier).
TESTED_TIES: frozenset[str] = frozenset({"ADCVD_EVASION_PRICE_SUBJECT"})

# Change indicators by kind: a new plant's volume is part of its being new, so the two count
# as one kind; a surge of the whole flow is independent of any one plant.
CHANGE_KINDS: dict[str, str] = {
    "ADCVD_EVASION_NEW_MANUFACTURER": "new_plant",
    "ADCVD_EVASION_NEW_PLANT_VOLUME": "new_plant",
    "ADCVD_EVASION_SURGE": "surge",
}

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
        "address, seller, tier-1 supplier) or two weak ones (price, importer switch, upstream "
        "supplier)")
    weak_link_min_changes: int = Field(
        2, description="Independent kinds of change that let a tested weak tie alone suffice")
    supplier_min_lines: int = Field(
        3, description="Lines of a plant that must declare a subject-country supplier (a "
        "sourcing practice, not one shipment)")
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
    price_min_peers: int = Field(10, description="Fewest history lines per price baseline")
    price_min_lines: int = Field(3, description="Fewest priced lines of a plant to test")
    price_z_origin: float = Field(
        2.576, description="|z| of the plant's mean percentile among origin peers (p < 0.01)")
    price_z_subject: float = Field(
        1.96, description="|z| among subject-country peers must stay below this (p >= 0.05)")
    new_plant_min_lines: int = Field(3, description="Fewest lines for the new-plant indicator")
    new_plant_ratio: float = Field(
        1.0, description="New plant's monthly value over the median established plant's")
    subject_places: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_SUBJECT_PLACES))
    min_place_name: int = Field(5, description="Shortest place name matched in addresses")
