"""Demo data: a realistic, deterministic test bed of declarations with planted violations.

:func:`generate_demo_data` writes entries, lines, packages, supply chains, exam outcomes, past
months of declarations and of small packages (with their exam outcomes) in the data contract's
formats, plus ``truth.csv`` naming every planted violation by category, scheme and scheme id.
Clean lines are exactly right (duty at the tariff rate, the tariff's unit of quantity, MIDs
built by the CBP rule, prices an importer negotiated once with a standing supplier), so
detectors can be held to low false-positive rates, and each category carries several distinct
schemes.
"""

from __future__ import annotations

from tradeguard.demo.generator import (
    DEFAULT_END_DATE,
    DEFAULT_PLANTING_RATE,
    DemoManifest,
    generate_demo_data,
)
from tradeguard.demo.mid import build_mid

__all__ = ["DEFAULT_END_DATE", "DEFAULT_PLANTING_RATE", "DemoManifest", "build_mid",
           "generate_demo_data"]
