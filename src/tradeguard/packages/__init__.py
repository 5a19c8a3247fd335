"""Small-package screening: express and postal parcels scored in one vectorised pass.

Rules: split shipments (one consignee, one sender, parcels just under a value threshold),
undervaluation against parcels of the same goods, vague descriptions on valuable parcels,
HS-6 or origin that contradicts what the description and route say, repeat-offender senders,
and watch-listed shippers. Thresholds live in :class:`PackageConfig`; every score carries its
reasons in plain language and the rules and list versions that produced it.
"""

from tradeguard.packages.config import RULES_NAME, RULES_VERSION, PackageConfig
from tradeguard.packages.prepare import PACKAGE_COLUMNS, prepare_packages
from tradeguard.packages.scoring import SCORE_SCHEMA, PackageScores, score_packages

__all__ = [
    "PACKAGE_COLUMNS",
    "RULES_NAME",
    "RULES_VERSION",
    "SCORE_SCHEMA",
    "PackageConfig",
    "PackageScores",
    "prepare_packages",
    "score_packages",
]
