"""What each shipped data set is: source file, licence, as-of date and caveats.

One table so the manifest, ``refdata list`` and every explanation cite the same provenance.
"""

from __future__ import annotations

from dataclasses import dataclass

MANIFEST = "manifest.json"
PUBLIC_DOMAIN = "Public domain (U.S. Government work, 17 U.S.C. 105)"
CC0 = "CC0 1.0 (compilation); underlying facts public domain (17 U.S.C. 105)"
PDDL = "ODC-PDDL-1.0"


@dataclass(frozen=True)
class DatasetSpec:
    """One shipped data set and the public file(s) it is built from (paths under the source)."""

    name: str
    sources: tuple[str, ...]
    licence: str
    as_of: str
    source_note: str
    caveat: str = ""


HTS_FILE = "usitc_hts/hts_2026_revision_4.csv"
_HTS_NOTE = "USITC HTS 2026 Basic Revision 4 CSV export (hts.usitc.gov)"

DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec("tariff", (HTS_FILE,), PUBLIC_DOMAIN, "2026-04-01", _HTS_NOTE,
                "Revision date approximate (April 2026); Chapter 99 measures change monthly."),
    DatasetSpec("tariff_special", (HTS_FILE,), PUBLIC_DOMAIN, "2026-04-01", _HTS_NOTE,
                "Special-program rates exploded per program from the Special column."),
    DatasetSpec("chapter99", ("usitc_hts/chapter99_additional_duties.csv",), PUBLIC_DOMAIN,
                "2026-04-01", "Derived from the HTS 2026 rev. 4 export (9903 headings)",
                "Program labels are heuristics; U.S. note product lists are not included."),
    DatasetSpec("hs2022", ("wco_hs2022/harmonized-system.csv",), PDDL, "2024-10-25",
                "WCO HS 2022 nomenclature via datasets/harmonized-system"),
    DatasetSpec("adcvd_orders", ("adcvd_orders_seed/adcvd_orders_seed.csv",
                                 "adcvd_orders_seed/commerce_country_codes.csv"), CC0,
                "2026-11-25", "Hand-compiled seed of Commerce AD/CVD orders",
                "Seed only: load the official ITA/CBP list and company deposit rates."),
    DatasetSpec("uflpa", ("uflpa_entity_list/uflpa_entities.csv",), CC0, "2025-01-15",
                "DHS UFLPA Entity List (partial compilation, 92 of ~144)",
                "Partial list; rows marked verify must be checked against dhs.gov."),
    DatasetSpec("wro", ("cbp_wro_findings/wro_findings.csv",), CC0, "2026-01-29",
                "CBP Withhold Release Orders and Findings (19 U.S.C. 1307)",
                "Active entries plus some of unknown status; revocations not covered."),
    DatasetSpec("ofac_sdn", ("ofac_sdn/sdn.csv",), PUBLIC_DOMAIN, "2024-05-03",
                "OFAC SDN legacy sdn.csv (treasury.gov)",
                "Stale snapshot; aliases only from Remarks; no add.csv/alt.csv."),
    DatasetSpec("bis_mieu", ("bis_mieu/mieu.csv",), PUBLIC_DOMAIN, "2026-08-22",
                "BIS Military-Intelligence End Users, 15 CFR 744.22(f)(2)"),
    DatasetSpec("dod_1260h", ("dod_1260h_chinese_military_companies/dod_1260h_list.csv",),
                PUBLIC_DOMAIN, "2026-08-22", "DoD section 1260H list (FY2021 NDAA)"),
    DatasetSpec("countries", ("iso_country_codes/country-codes.csv",), PDDL, "2026-05-15",
                "ISO 3166-1 via datasets/country-codes"),
    DatasetSpec("country_names", ("iso_country_codes/country-codes.csv",), PDDL, "2026-05-15",
                "Country name spellings -> ISO2 (ISO/UN names plus common short forms)"),
    DatasetSpec("ports", ("cbp_port_codes/cbp_port_codes.csv",), PUBLIC_DOMAIN, "2023-06-16",
                "CBP port codes (unofficial snapshot)", "Verify against CBP's port list."),
    DatasetSpec("locode_countries", ("un_locode/country-codes.csv",), PDDL, "2026-07-27",
                "UN/LOCODE support tables via datasets/un-locode",
                "Location code list itself not included."),
    DatasetSpec("locode_subdivisions", ("un_locode/subdivision-codes.csv",), PDDL, "2026-07-27",
                "UN/LOCODE subdivision codes"),
    DatasetSpec("locode_functions", ("un_locode/function-classifiers.csv",), PDDL, "2026-07-27",
                "UN/LOCODE function classifiers"),
    DatasetSpec("locode_status", ("un_locode/status-indicators.csv",), PDDL, "2026-07-27",
                "UN/LOCODE status indicators"),
    DatasetSpec("locode_aliases", ("un_locode/alias.csv",), PDDL, "2026-07-27",
                "UN/LOCODE location aliases"),
    DatasetSpec("fx_monthly", ("fx_rates_fed/monthly.csv",), PDDL, "2026-06-01",
                "Federal Reserve H.10 monthly averages via datasets/exchange-rates",
                "AU/EUR/IE/NZ/GB quoted USD per unit, others per USD; CBP uses the FRBNY "
                "certified rate of the export date (19 CFR 159.32)."),
)

SPECS: dict[str, DatasetSpec] = {spec.name: spec for spec in DATASETS}
WATCHLIST_NAMES: tuple[str, ...] = ("uflpa", "wro", "ofac_sdn", "bis_mieu", "dod_1260h")
