"""AD/CVD: scope, cash deposits, transshipment (evasion) indicators and EAPA-style case leads.

Heavy work happens only when called; importing the package reads no files.
"""

from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.detector import AdcvdDetector, Assessment
from tradeguard.detectors.adcvd.leads import Lead, build_leads, lead_id, leads_frame
from tradeguard.detectors.adcvd.scope import MATCH_SCHEMA, match_orders, match_scope

__all__ = [
    "MATCH_SCHEMA",
    "AdcvdConfig",
    "AdcvdDetector",
    "Assessment",
    "Lead",
    "build_leads",
    "lead_id",
    "leads_frame",
    "match_orders",
    "match_scope",
]
