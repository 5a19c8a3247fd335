"""Ongoing monitoring: each window of assessments and outcomes is compared with a reference
window for data drift, performance and fairness drift; alerts go into a ``MonitoringWindow``
JSON per window and, when a log is attached, a ``monitoring.window`` event."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tradeguard.governance.audit.efficacy import Observed, ipw_estimates
from tradeguard.governance.audit.harness import AuditInput, joined
from tradeguard.governance.audit.reliability import psi
from tradeguard.governance.impact import content_hash


@dataclass(frozen=True)
class MonitorThresholds:
    """When a window raises an alert."""

    max_psi: float = 0.25
    max_precision_drop: float = 0.15
    max_base_rate_change: float = 0.05
    max_selection_rate_change: float = 0.05
    min_group_lines: int = 30
    budget_pct: float = 5.0


@dataclass
class WindowReport:
    """One monitoring window: metrics, alerts, and its hash for the log."""

    model_id: str
    window_start: date
    window_end: date
    metrics: dict[str, Any]
    alerts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "window_start": self.window_start.isoformat(),
                "window_end": self.window_end.isoformat(), "metrics": self.metrics,
                "alerts": self.alerts, "metrics_hash": content_hash(self.metrics)}


def _performance(frame: pl.DataFrame, budget: float) -> dict[str, float | None]:
    col = "model_probability" if frame["model_probability"].null_count() < frame.height \
        else "risk_score"
    obs = Observed.build(frame[col].fill_null(0.0).to_numpy(), frame["examined"].to_numpy(),
                         frame["selection_probability"].to_numpy(),
                         frame["discrepancy"].to_numpy(),
                         frame["recovered_duty_usd"].to_numpy())
    est = ipw_estimates(obs, budget)
    return {k: (float(v[0]) if np.isfinite(v[0]) else None) for k, v in est.items()}


def _selection_by(frame: pl.DataFrame, attr: str, min_n: int) -> dict[str, float]:
    if attr not in frame.columns:
        return {}
    rates = frame.group_by(pl.col(attr).cast(pl.String).fill_null("<unknown>")).agg(
        pl.col("selection").is_in(["forced", "targeted"]).mean().alias("rate"),
        pl.len().alias("n")).filter(pl.col("n") >= min_n)
    return dict(zip(rates[attr].to_list(), rates["rate"].to_list(), strict=True))


def monitor_window(current: AuditInput, reference: AuditInput, model_id: str,
                   th: MonitorThresholds | None = None,
                   group_attrs: tuple[str, ...] = ("importer_size", "importer_tenure",
                                                   "country_of_origin", "port_of_entry")
                   ) -> WindowReport:
    """Compare ``current`` with ``reference``; every breach becomes an alert."""
    t = th or MonitorThresholds()
    cur, ref = joined(current), joined(reference)
    days = cur["entry_date"].drop_nulls() if "entry_date" in cur.columns else pl.Series([])
    start = days.min() if days.len() else date.today()
    end = days.max() if days.len() else date.today()
    assert isinstance(start, date) and isinstance(end, date)
    alerts: list[str] = []
    drift: dict[str, float | None] = {}
    feats = current.features if current.features is not None else None
    rfeats = reference.features if reference.features is not None else None
    if feats is not None and rfeats is not None:
        for col in current.feature_names:
            if col in feats.columns and col in rfeats.columns:
                v = psi(rfeats[col], feats[col])
                drift[col] = v if np.isfinite(v) else None
    score_psi = psi(ref["risk_score"], cur["risk_score"])
    drift["risk_score"] = score_psi if np.isfinite(score_psi) else None
    alerts += [f"drift: {k} PSI {v:.3f} > {t.max_psi}" for k, v in drift.items()
               if v is not None and v > t.max_psi]
    perf_c, perf_r = _performance(cur, t.budget_pct), _performance(ref, t.budget_pct)
    pc, pr = perf_c.get("precision"), perf_r.get("precision")
    if pc is not None and pr is not None and pr - pc > t.max_precision_drop:
        alerts.append(f"performance: precision@{t.budget_pct:g}% fell {pr:.3f} -> {pc:.3f}")
    bc, br = perf_c.get("base_rate"), perf_r.get("base_rate")
    if bc is not None and br is not None and abs(bc - br) > t.max_base_rate_change:
        alerts.append(f"performance: estimated violation rate moved {br:.3f} -> {bc:.3f}")
    fairness: dict[str, dict[str, list[float]]] = {}
    for attr in group_attrs:
        now, before = (_selection_by(cur, attr, t.min_group_lines),
                       _selection_by(ref, attr, t.min_group_lines))
        fairness[attr] = {g: [before[g], now[g]] for g in now if g in before}
        alerts += [f"fairness drift: {attr}={g} selection rate {a:.3f} -> {b:.3f}"
                   for g, (a, b) in fairness[attr].items()
                   if abs(b - a) > t.max_selection_rate_change]
    metrics = {"lines": cur.height, "examined": int(cur["examined"].sum()),
               "drift_psi": drift, "performance": perf_c, "reference_performance": perf_r,
               "fairness_selection_rate": fairness, "thresholds": t.__dict__}
    return WindowReport(model_id, start, end, metrics, alerts)


def record_window(report: WindowReport, out_dir: Path, log: Any | None = None) -> Path:
    """Write ``monitoring/<window end>.json`` and append the log event when a log is given."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{report.window_end.isoformat()}.json"
    doc = report.to_json()
    path.write_text(json.dumps(doc, indent=2, sort_keys=True, default=str), encoding="utf-8")
    if log is not None:
        from tradeguard.decisions import MonitoringWindow

        log.append(MonitoringWindow(model_id=report.model_id,
                                    window_start=report.window_start.isoformat(),
                                    window_end=report.window_end.isoformat(),
                                    metrics_hash=doc["metrics_hash"],
                                    alerts=tuple(report.alerts)))
    return path


def split_by_date(inp: AuditInput, share: float = 0.5) -> tuple[AuditInput, AuditInput]:
    """Reference (earlier days) and current (later days) windows of one input."""
    from dataclasses import replace

    days = inp.assessments["entry_date"].unique().sort()
    cut = days[int(days.len() * share)]

    def part(before: bool) -> AuditInput:
        cond = pl.col("entry_date") < cut if before else pl.col("entry_date") >= cut
        a = inp.assessments.filter(cond)
        keys = a.select("entry_number", "line_number")
        f = None if inp.features is None else inp.features.join(
            keys, on=["entry_number", "line_number"], how="semi")
        return replace(inp, assessments=a, features=f, score_fn=None, previous=None)

    return part(True), part(False)
