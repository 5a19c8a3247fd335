"""Calibration: turn the trees' raw margin into a probability an officer can act on.

Boosted trees rank well but their raw probabilities drift with the class balance and the
number of rounds; expected revenue (probability x duty at stake) and lane thresholds need true
frequencies. Isotonic regression on held-out rows gives a monotone map without assuming a
shape; it is stored as its knots (plain floats) so it round-trips through JSON exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class Calibration:
    """A monotone piecewise-linear map from raw margin to probability (knots ``x`` -> ``y``)."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    method: str = "isotonic"

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw margins (flat beyond the outer knots)."""
        out: np.ndarray = np.interp(
            np.asarray(raw, dtype=float), np.array(self.x), np.array(self.y)
        )
        return out

    def to_json(self) -> dict[str, Any]:
        """JSON form for the model sidecar."""
        return {"method": self.method, "x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Calibration:
        """Inverse of :meth:`to_json`; refuses a map that is not monotone."""
        cal = cls(tuple(float(v) for v in data["x"]), tuple(float(v) for v in data["y"]),
                  str(data.get("method", "isotonic")))
        if len(cal.x) != len(cal.y) or not cal.x:
            raise ValueError("calibration knots: x and y must be non-empty and the same length")
        if np.any(np.diff(cal.x) < 0) or np.any(np.diff(cal.y) < 0):
            raise ValueError("calibration knots are not monotone")
        return cal


def fit_isotonic(
    raw: np.ndarray, outcome: np.ndarray, weight: np.ndarray | None = None
) -> Calibration:
    """Fit the monotone map on held-out rows (raw margins and their 0/1 outcomes).

    ``weight`` (e.g. 1 / selection probability of each examined row) makes the map estimate
    the rate over the population the rows stand for rather than over the rows themselves.
    """
    from sklearn.isotonic import IsotonicRegression

    raw = np.asarray(raw, dtype=float)
    outcome = np.asarray(outcome, dtype=float)
    if raw.size == 0:
        raise ValueError("calibration needs at least one held-out row")
    if weight is not None:
        weight = np.asarray(weight, dtype=float)
        if weight.shape != raw.shape or not np.all(np.isfinite(weight)) or np.any(weight < 0):
            raise ValueError("calibration weights must be finite, >= 0 and one per row")
        if not weight.sum() > 0:
            raise ValueError("calibration weights are all zero")
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
    iso.fit(raw, outcome, sample_weight=weight)
    x, y = np.asarray(iso.X_thresholds_, dtype=float), np.asarray(iso.y_thresholds_, dtype=float)
    # One knot per isotonic block, at the block's centre: the map stays monotone but becomes
    # strictly increasing between blocks, so probability x duty rankings are not flattened
    # into long ties inside a block.
    block = np.concatenate([[0], np.cumsum(np.diff(y) > 0)])
    counts = np.bincount(block)
    centres = np.bincount(block, weights=x) / counts
    levels = np.bincount(block, weights=y) / counts
    return Calibration(tuple(float(v) for v in centres), tuple(float(v) for v in levels))
