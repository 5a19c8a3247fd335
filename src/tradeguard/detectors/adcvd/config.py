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
``weak_link_min_changes`` independent kinds of change (a new plant and a surge of the flow).
A documented route (the origin is a country that EAPA determinations or circumvention findings
name for the order) says nothing about the plant itself, so it adds to no tie: it only stands in
for one when the new plant's shipments in its first months are implausible (a tested count, not
just "new") and ``weak_link_min_changes`` kinds of change in all back it (surge, importers new to
the merchandise). The importer's switch gets no exception: moving purchases out of the subject
country is what an order is meant to cause, and it comes with new plants and surges in
legitimate trade.
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
    "ADCVD_EVASION_NEW_IMPORTER": 0.5,
    "ADCVD_EVASION_KNOWN_ROUTE": 0.5,
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
    "ADCVD_EVASION_UPSTREAM_SUBJECT", "ADCVD_EVASION_KNOWN_ROUTE",
})

# Weak ties that two independent kinds of change may corroborate on their own (a significance
# test stands behind them, unlike a switch of supplier).
TESTED_TIES: frozenset[str] = frozenset({"ADCVD_EVASION_PRICE_SUBJECT"})

# The documented route: where evasion of the order has been found before, nothing about this
# plant. It adds nothing to the tie score and counts only with a tested implausible start-up
# volume of the plant (see ``scoring``).
ROUTE_TIES: frozenset[str] = frozenset({"ADCVD_EVASION_KNOWN_ROUTE"})

# Change indicators by kind: a new plant's volume is part of its being new, so the two count
# as one kind; a surge of the whole flow is independent of any one plant, and so are buyers
# with no history in the merchandise.
CHANGE_KINDS: dict[str, str] = {
    "ADCVD_EVASION_NEW_MANUFACTURER": "new_plant",
    "ADCVD_EVASION_NEW_PLANT_VOLUME": "new_plant",
    "ADCVD_EVASION_SURGE": "surge",
    "ADCVD_EVASION_NEW_IMPORTER": "new_buyer",
}

# Changes on the supply side. Every report needs one (a buyer new to the merchandise is not a
# change in where goods come from), and the tested price tie counts only these: an importer
# trying a cheap new supplier is common in clean trade.
SUPPLY_CHANGE_KINDS: frozenset[str] = frozenset({"new_plant", "surge"})

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
    new_plant_min_shipments: int = Field(
        3, description="Fewest shipments (entries) of a new plant for the volume indicator")
    new_plant_window_days: int = Field(
        92, description="A new plant's shipments are counted over its first this many days")
    new_plant_peer_quantile: float = Field(
        0.75, description="Quantile of start-ups' shipments per month in their first window "
        "(a busy start-up) that a new plant is compared with")
    new_plant_min_peers: int = Field(
        5, description="Start-ups under an order needed to use its own rate (else the "
        "start-ups of every order)")
    new_plant_max_p: float = Field(
        0.01, description="Poisson upper-tail bar of the new plant's shipment count")
    known_routes: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="Extra documented evasion routes: case number -> "
        "ISO countries, added to the countries named in the order list's notes")
    subject_places: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_SUBJECT_PLACES))
    min_place_name: int = Field(5, description="Shortest place name matched in addresses")
