"""Rebuild the shipped HS classifier artifact from tariff text (offline, deterministic).

Usage:
    .venv/bin/python scripts/train_hs_classifier.py \
        [--refdata DIR] [--hs2022 /work/shared/data/wco_hs2022/harmonized-system.csv] [--out PATH]

The tariff lines (full hierarchy descriptions) come from the reference data; HS 2022 six-digit
text from the WCO nomenclature CSV (or the reference data's ``hs2022`` frame when it has one).
Prints the held-out accuracy recorded in the artifact and its content hash.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import polars as pl

from tradeguard.detectors.classification.artifact import SHIPPED_ARTIFACT
from tradeguard.detectors.classification.training import TrainingConfig, train


def _tariff_and_hs(refdata: Path | None, hs_csv: Path | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    from tradeguard.refdata import load_reference_data

    ref = load_reference_data(refdata) if refdata else load_reference_data()
    tariff = ref.tariff.frame.select("hts10", "description")
    if hs_csv is not None:
        hs = pl.read_csv(hs_csv, infer_schema_length=0).with_columns(pl.col("level").cast(pl.Int8))
    else:
        hs = getattr(ref, "hs2022")  # noqa: B009 - optional attribute of the reference data
    return tariff, hs.select("hscode", "description", "parent", "level")


def main(argv: list[str] | None = None) -> int:
    """Train, report, write."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refdata", type=Path, default=None)
    parser.add_argument(
        "--hs2022", type=Path, default=Path("/work/shared/data/wco_hs2022/harmonized-system.csv")
    )
    parser.add_argument("--out", type=Path, default=SHIPPED_ARTIFACT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    hs_csv = args.hs2022 if args.hs2022 and args.hs2022.exists() else None
    tariff, hs = _tariff_and_hs(args.refdata, hs_csv)
    artifact = train(tariff, hs, TrainingConfig())
    digest = artifact.save(args.out)
    report = {
        "out": str(args.out),
        "bytes": args.out.stat().st_size,
        "classes": len(artifact.labels),
        "features": artifact.n_features,
        "content_hash": digest,
        "seconds": round(time.perf_counter() - started, 1),
        "metrics": artifact.metrics,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
