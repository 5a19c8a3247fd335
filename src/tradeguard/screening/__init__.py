"""Name screening against watch lists (UFLPA, WRO, OFAC SDN, BIS MEU, DoD 1260H).

A declared party name is normalised (script, case, punctuation, legal form separated, trade
abbreviations spelled out), candidates are pulled from a rarity-weighted blocking index, and
each candidate is scored word by word with an explanation of what matched, what differed and
what the country and address said. Thresholds live in :class:`ScreeningConfig`.
"""

from tradeguard.screening.config import ALGORITHM_NAME, ALGORITHM_VERSION, ScreeningConfig
from tradeguard.screening.engine import MATCH_SCHEMA, corroborate, screen_names
from tradeguard.screening.index import WatchlistIndex
from tradeguard.screening.normalise import normalise_names, prepared_names, transliterate
from tradeguard.screening.places import xuar_flag, xuar_mentioned, xuar_places
from tradeguard.screening.scorer import NameComparison, PreparedName, TokenMatch, compare_names

__all__ = [
    "ALGORITHM_NAME",
    "ALGORITHM_VERSION",
    "MATCH_SCHEMA",
    "NameComparison",
    "PreparedName",
    "ScreeningConfig",
    "TokenMatch",
    "WatchlistIndex",
    "compare_names",
    "corroborate",
    "normalise_names",
    "prepared_names",
    "screen_names",
    "transliterate",
    "xuar_flag",
    "xuar_mentioned",
    "xuar_places",
]
