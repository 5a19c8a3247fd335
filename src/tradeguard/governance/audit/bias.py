"""Disparity across importer groups: who bears the exams, and the exams that found nothing.

Protected classes do not map to companies, so the audit groups are importer size, new versus
established importers, country of origin, port and broker. Per group: selection rate (lines
forced or targeted), exam burden without finding (the false-positive rate, estimated over all
lines with inverse-probability weights from the random sample), hit rate of targeted exams
and appeal overturn rate, each with bootstrap intervals and its ratio to the overall rate.
Point estimates come from Fairlearn's ``MetricFrame``; groups below the minimum size are
reported but not judged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from tradeguard.governance.audit.policy import AuditPolicy
from tradeguard.governance.audit.results import Check, Section
from tradeguard.governance.audit.stats import clean, interval, poisson_weights, ratio

JUDGED = ("selection_rate", "false_positive_rate")
_CHUNK = 50


def importer_groups(decl: pl.DataFrame, history: pl.DataFrame | None,
                    large_share: float = 0.25) -> pl.DataFrame:
    """``importer_size`` (large = top quarter of importers by declared value) and
    ``importer_tenure`` (new = no declaration before the audited window) per entry line."""
    every = decl if history is None else pl.concat(
        [history.select(decl.columns), decl], how="vertical_relaxed")
    start = decl.get_column("entry_date").min()
    per = every.group_by("importer_id").agg(
        pl.col("entered_value_usd").cast(pl.Float64).sum().alias("_value"),
        pl.col("entry_date").min().alias("_first"))
    cut = per.get_column("_value").quantile(1 - large_share)
    per = per.select(
        "importer_id",
        pl.when(pl.col("_value") >= cut).then(pl.lit("large")).otherwise(pl.lit("small"))
        .alias("importer_size"),
        pl.when(pl.col("_first") < start).then(pl.lit("established")).otherwise(pl.lit("new"))
        .alias("importer_tenure"))
    return decl.select("entry_number", "line_number", "importer_id").join(
        per, on="importer_id", how="left").drop("importer_id")


def _metric_frame(frame: pl.DataFrame, attr: str) -> dict[str, dict[str, float]]:
    """Fairlearn MetricFrame point estimates by group (the reference implementation)."""
    from fairlearn.metrics import MetricFrame

    sel = frame["selected"].to_numpy().astype(int)
    obs = frame["weight"].to_numpy() > 0
    y = frame["y"].to_numpy()
    w = frame["weight"].to_numpy()

    def selection_rate(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return float(np.mean(y_pred)) if y_pred.size else float("nan")

    def fpr(y_true: np.ndarray, y_pred: np.ndarray, weight: np.ndarray) -> float:
        neg = weight * (1 - y_true)
        return float(np.sum(neg * y_pred) / np.sum(neg)) if np.sum(neg) > 0 else float("nan")

    def hit(y_true: np.ndarray, y_pred: np.ndarray, seen: np.ndarray) -> float:
        m = (y_pred == 1) & seen
        return float(np.mean(y_true[m])) if m.any() else float("nan")

    mf = MetricFrame(
        metrics={"selection_rate": selection_rate, "false_positive_rate": fpr,
                 "hit_rate": hit},
        y_true=y, y_pred=sel, sensitive_features=frame[attr].fill_null("<unknown>").to_numpy(),
        sample_params={"false_positive_rate": {"weight": w}, "hit_rate": {"seen": obs}})
    out: dict[str, dict[str, float]] = {}
    for metric, series in mf.by_group.items():
        for group, value in series.items():
            out.setdefault(str(group), {})[str(metric)] = float(value)
    return out


def _sums(boot: np.ndarray, onehot: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Replicate x group sums of ``v`` (chunks of replicates keep memory bounded)."""
    parts = [(boot[i:i + _CHUNK] * v) @ onehot for i in range(0, boot.shape[0], _CHUNK)]
    return np.vstack(parts)


def _rates(boot: np.ndarray, onehot: np.ndarray, f: dict[str, np.ndarray]
           ) -> dict[str, np.ndarray]:
    ones = np.ones_like(f["sel"])
    seen = (f["w"] > 0).astype(float)
    neg = f["w"] * (1 - f["y"])
    return {
        "selection_rate": ratio(_sums(boot, onehot, f["sel"]), _sums(boot, onehot, ones)),
        "false_positive_rate": ratio(_sums(boot, onehot, neg * f["sel"]),
                                     _sums(boot, onehot, neg)),
        "hit_rate": ratio(_sums(boot, onehot, f["sel"] * seen * f["y"]),
                          _sums(boot, onehot, f["sel"] * seen)),
        "appeal_overturn_rate": ratio(_sums(boot, onehot, f["overturned"]),
                                      _sums(boot, onehot, f["appealed"])),
    }


def group_metrics(frame: pl.DataFrame, attr: str, policy: AuditPolicy) -> list[dict[str, Any]]:
    """One row per group of ``attr``: n, rates with intervals, ratios to the overall rate."""
    bs, pol = policy.bootstrap, policy.bias
    codes = frame[attr].cast(pl.String).fill_null("<unknown>")
    groups = sorted(codes.unique().to_list())
    idx = codes.replace_strict({g: i for i, g in enumerate(groups)},
                               return_dtype=pl.Int64).to_numpy()
    onehot = np.zeros((frame.height, len(groups) + 1))
    onehot[np.arange(frame.height), idx] = 1.0
    onehot[:, -1] = 1.0  # the last column is everyone
    f = {"sel": frame["selected"].cast(pl.Float64).to_numpy(),
         "w": frame["weight"].to_numpy(), "y": frame["y"].cast(pl.Float64).to_numpy(),
         "appealed": frame["appealed"].cast(pl.Float64).to_numpy(),
         "overturned": frame["overturned"].cast(pl.Float64).to_numpy()}
    point = _rates(np.ones((1, frame.height)), onehot, f)
    reps = _rates(poisson_weights(frame.height, bs.replicates, bs.seed), onehot, f)
    reference = _metric_frame(frame.with_columns(codes.alias(attr)), attr)
    n = onehot.sum(0)
    examined = (f["w"] > 0) @ onehot
    # The cases each judged rate is taken over: every line; the examined lines that found
    # nothing (the false-positive rate's inverse-probability-weighted denominator).
    cases = {"selection_rate": n,
             "false_positive_rate": ((f["w"] > 0) & (f["y"] == 0)) @ onehot}
    rows = []
    for j, g in enumerate(groups):
        enough = bool(n[j] >= pol.min_group_lines and examined[j] >= pol.min_group_examined)
        row: dict[str, Any] = {"attribute": attr, "group": g, "lines": int(n[j]),
                               "examined": int(examined[j]), "enough_data": enough}
        for m, count in cases.items():
            overall = float(point[m][0, -1])
            expected = float(count[j]) * overall if np.isfinite(overall) else 0.0
            row[f"{m}_expected_events"] = round(expected, 2)
            row[f"{m}_judged"] = enough and expected >= pol.min_expected_events
        for m in point:
            lo, hi = interval(reps[m][:, j], bs.confidence)
            rlo, rhi = interval(ratio(reps[m][:, j], reps[m][:, -1]), bs.confidence)
            row.update({m: clean(point[m][0, j]), f"{m}_low": clean(lo),
                        f"{m}_high": clean(hi), f"{m}_ratio": clean(
                            point[m][0, j] / point[m][0, -1]) if point[m][0, -1] else None,
                        f"{m}_ratio_low": clean(rlo), f"{m}_ratio_high": clean(rhi)})
        row["fairlearn"] = reference.get(g, {})
        rows.append(row)
    return rows


def bias_section(frame: pl.DataFrame, policy: AuditPolicy) -> Section:
    """``frame``: selected, weight, y, appealed, overturned and one column per group attr."""
    pol = policy.bias
    lo_band, hi_band = pol.ratio_band
    sec = Section("bias", "Are some kinds of importer burdened more than others?",
                  "Selection rate, exams that found nothing (false-positive rate), hit rate and "
                  "appeal overturn rate by importer size, tenure, origin, port and broker, with "
                  f"95% intervals; a group fails when its ratio to the overall rate lies wholly "
                  f"outside {lo_band}-{hi_band}. Groups below {pol.min_group_lines} lines or "
                  f"{pol.min_group_examined} exams, and rates the overall rate would give "
                  f"fewer than {pol.min_expected_events:g} events in the group, are shown but "
                  "not judged.")
    for attr, rule in pol.groups.items():
        if attr not in frame.columns:
            sec.checks.append(Check(f"{attr}", None, 0, "<=", None,
                                    note="attribute not available in this data"))
            continue
        rows = group_metrics(frame, attr, policy)
        sec.tables[attr] = rows
        for metric in JUDGED:
            bad = [r["group"] for r in rows if r[f"{metric}_judged"]
                   and r[f"{metric}_ratio_low"] is not None
                   and (r[f"{metric}_ratio_low"] > hi_band
                        or (r[f"{metric}_ratio_high"] or 0) < lo_band)]
            judged = sum(r[f"{metric}_judged"] for r in rows)
            note = f"{judged} of {len(rows)} groups judged" + (
                f"; outside band: {', '.join(bad[:8])}" if bad else "")
            passed: bool | None = not bad if rule.blocking else None
            if not rule.blocking:
                note += " (reviewed, not blocking)"
            sec.checks.append(Check(f"{attr}.{metric}", float(len(bad)), 0.0, "<=", passed,
                                    note=note))
        sec.plots[attr] = [(r["group"], r["selection_rate"], r["selection_rate_low"],
                            r["selection_rate_high"]) for r in rows if r["enough_data"]][:12]
    return sec
