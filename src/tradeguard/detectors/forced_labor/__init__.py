"""Forced labor (UFLPA and 19 U.S.C. 1307): listed parties, Xinjiang places, supply-chain
paths to listed or Xinjiang suppliers, and high-priority goods with no traceability."""

from tradeguard.detectors.forced_labor.chain import expand_chain, trace_paths
from tradeguard.detectors.forced_labor.config import DEFAULT_SEVERITY, ForcedLaborConfig
from tradeguard.detectors.forced_labor.detector import LIST_TITLES, ForcedLaborDetector
from tradeguard.detectors.forced_labor.parties import ListScreen, line_parties, with_entry_date
from tradeguard.detectors.forced_labor.sectors import priority_sectors, sector_table

__all__ = [
    "DEFAULT_SEVERITY",
    "LIST_TITLES",
    "ForcedLaborConfig",
    "ForcedLaborDetector",
    "ListScreen",
    "expand_chain",
    "line_parties",
    "priority_sectors",
    "sector_table",
    "trace_paths",
    "with_entry_date",
]
