"""Thresholds of the entry checks, each with the physical or legal ground it rests on.

Every number here is configuration, not code: an agency adjusts a tolerance by passing an
:class:`EntryChecksConfig` (or ``ctx.config["entry_checks"]``) and the findings record the
detector version, so a past decision can be replayed with the thresholds of its day.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class DutyTolerance(BaseModel):
    """A duty difference is a finding only when it exceeds BOTH tolerances.

    The absolute part absorbs cent rounding and per-line rounding of compound rates; the
    relative part absorbs rounding of the declared rate on large lines.
    """

    abs_usd: float = Field(1.0, ge=0, description="Absolute tolerance in USD")
    rel: float = Field(0.01, ge=0, description="Relative tolerance, share of expected duty")
    high_shortfall_usd: float = Field(
        1000.0, ge=0, description="Shortfall at or above which the finding is high severity")


class PartyRules(BaseModel):
    """Which parties a line must name.

    The MID is a required element of every formal entry summary line (CBP Form 7501
    instructions, block 13). Name and address let the MID be verified (19 CFR 102 Appendix);
    the seller's name is required on the invoice of goods sold (19 CFR 141.86(a)(2)).
    """

    informal_entry_types: tuple[str, ...] = Field(
        ("11", "86"), description="Entry types not held to the formal-entry party rules")
    require_mid: bool = True
    require_manufacturer_name_address: bool = True
    require_seller: bool = True


class ChapterBound(BaseModel):
    """A bound that applies to HTS chapters ``first``..``last`` (inclusive)."""

    first: int = Field(ge=1, le=99)
    last: int = Field(ge=1, le=99)
    value: float = Field(ge=0)


class ArticleWeight(BaseModel):
    """Gross kilograms one article (piece, pair) may weigh, for an HTS prefix (2-10 digits)."""

    prefix: str = Field(pattern=r"^\d{2,10}$")
    min_kg: float = Field(gt=0)
    max_kg: float = Field(gt=0)


def _value_floors() -> list[ChapterBound]:
    # USD per kg of GROSS weight below which goods are worth less than their bulk raw material
    # at its historic lows (gravel, scrap steel, waste paper, textile rags): packing is heavy,
    # so floors sit well below commodity prices.
    spans = [(1, 24, 0.01), (25, 27, 0.001), (28, 38, 0.005), (39, 40, 0.02), (41, 43, 0.05),
             (44, 46, 0.005), (47, 49, 0.01), (50, 60, 0.02), (61, 62, 0.3), (63, 63, 0.02),
             (64, 64, 0.3), (65, 67, 0.1), (68, 70, 0.005), (71, 71, 0.05), (72, 72, 0.02),
             (73, 73, 0.1), (74, 81, 0.05), (82, 83, 0.2), (84, 85, 0.05), (86, 89, 0.05),
             (90, 93, 0.2), (94, 96, 0.05)]
    return [ChapterBound(first=a, last=b, value=v) for a, b, v in spans]


def _article_weights() -> list[ArticleWeight]:
    # Gross kg per article, margins of 10x or more around the lightest and heaviest article of
    # the kind (a sock and a winter coat; a bicycle inner tube and a mining-truck tyre).
    rows = [("42", 0.005, 100.0), ("61", 0.003, 10.0), ("62", 0.003, 10.0),
            ("63", 0.003, 500.0), ("64", 0.02, 10.0), ("65", 0.005, 5.0),
            ("4011", 0.1, 5000.0), ("8415", 1.0, 20000.0), ("8418", 1.0, 5000.0),
            ("8422", 1.0, 50000.0), ("8443", 0.05, 20000.0), ("8450", 5.0, 5000.0),
            ("8467", 0.1, 500.0), ("8471", 0.02, 2000.0), ("8508", 0.2, 500.0),
            ("8509", 0.05, 200.0), ("8510", 0.03, 10.0), ("8516", 0.05, 500.0),
            ("8517", 0.02, 1000.0), ("8518", 0.002, 500.0), ("8519", 0.02, 500.0),
            ("8521", 0.05, 500.0), ("8525", 0.005, 500.0), ("854143", 0.5, 200.0),
            ("8528", 0.3, 1000.0), ("8539", 0.0005, 50.0), ("8703", 300.0, 10000.0),
            ("8711", 10.0, 1500.0), ("8712", 2.0, 100.0), ("9401", 0.2, 2000.0),
            ("9403", 0.2, 2000.0), ("9404", 0.05, 500.0), ("9405", 0.01, 2000.0)]
    return [ArticleWeight(prefix=p, min_kg=lo, max_kg=hi) for p, lo, hi in rows]


def _unit_mass() -> dict[str, tuple[float, float]]:
    # Gross kg per unit of volume/area units, from densities: foams and nonwovens at the light
    # end, metals and stone at the heavy end (osmium is 22.6 t/m3).
    return {"M3": (5.0, 25000.0), "L": (0.3, 25.0), "M2": (0.005, 500.0)}


class Plausibility(BaseModel):
    """Physical bounds on weight, quantity and value; a finding is an impossible or absurd
    combination, never an unusual price (that is the valuation detector's question)."""

    net_weight_tolerance: float = Field(
        0.02, ge=0, description="Gross may be this share below the net kg (rounding)")
    max_packing_ratio: float = Field(
        10.0, gt=1, description="Gross over net kg above which packing is implausible")
    packing_allowance_kg: float = Field(
        50.0, ge=0, description="Extra kg always allowed for a crate or pallet")
    value_floor_usd_per_kg: list[ChapterBound] = Field(default_factory=_value_floors)
    value_ceiling_usd_per_kg: float = Field(
        1_000_000.0, gt=0, description="A million dollars a kilogram: beyond gold by 10x")
    ceiling_exempt_chapters: tuple[int, ...] = Field(
        (28, 29, 30, 37, 49, 71, 97),
        description="Chapters with legitimately extreme value per kg (isotopes, drugs, "
                    "film, stamps, gems, art)")
    article_weight: list[ArticleWeight] = Field(default_factory=_article_weights)
    unit_mass: dict[str, tuple[float, float]] = Field(
        default_factory=_unit_mass, description="Gross kg per M3, L, M2 (density bounds)")
    article_weight_default: tuple[float, float] = Field(
        (1e-7, 1e6), description="0.1 mg to 1,000 t per article where no prefix row applies")
    weightless_units: tuple[str, ...] = Field(
        ("MWH",), description="Units of goods without weight (electricity)")


class EntryChecksConfig(BaseModel):
    """All thresholds of the entry checks; ``disabled`` switches reason codes off."""

    duty: DutyTolerance = Field(default_factory=DutyTolerance)
    parties: PartyRules = Field(default_factory=PartyRules)
    plausibility: Plausibility = Field(default_factory=Plausibility)
    disabled: frozenset[str] = frozenset()
