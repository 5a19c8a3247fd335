"""ISO 3166-1 alpha-2 country codes, shipped with the package.

``country_codes.csv`` is cut from the ``datasets/country-codes`` table (datahub.io core,
ODC-PDDL; see the contract README for provenance): the 249 officially assigned alpha-2 codes
and a display name. Reference data with dated versions lives in ``tradeguard.refdata``; this
list only tells validation which codes exist.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def country_names() -> dict[str, str]:
    """Alpha-2 code -> English display name, for every officially assigned code."""
    text = resources.files(__package__).joinpath("country_codes.csv").read_text("utf-8")
    return {row["code"]: row["name"] for row in csv.DictReader(text.splitlines())}


def country_codes() -> frozenset[str]:
    """The set of valid ISO 3166-1 alpha-2 codes (upper case)."""
    return frozenset(country_names())
