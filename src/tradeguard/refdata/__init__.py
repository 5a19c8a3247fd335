"""Reference data: tariff, Chapter 99, AD/CVD orders, watch lists, geography and FX.

``load_reference_data()`` returns a :class:`ReferenceData` whose data sets are read lazily
from the Parquet copy shipped in ``refdata/data`` (built by :func:`build_package_data` from the
public files, with provenance and as-of dates in ``manifest.json``). Every data set carries a
version id (as-of date + content hash) so each decision can cite the data that produced it.
Duty computation lives in :mod:`tradeguard.refdata.duty`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradeguard.refdata.loader import ReferenceData, ReferenceDataError, load_reference_data
from tradeguard.refdata.tariff import TariffLine, TariffSchedule, UnknownTariffNumber

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "ReferenceData",
    "ReferenceDataError",
    "TariffLine",
    "TariffSchedule",
    "UnknownTariffNumber",
    "build_package_data",
    "load_reference_data",
]


def build_package_data(src: Path, dst: Path) -> dict[str, Any]:
    """Build the shipped Parquet copy + manifest from the public files (see refdata.package)."""
    from tradeguard.refdata.package import build_package_data as build

    return build(src, dst)
