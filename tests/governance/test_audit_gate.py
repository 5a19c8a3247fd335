"""A model trained on shuffled labels fails its audit, and the gate keeps it out; the report
is self-contained."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tradeguard.governance.audit.evidence import evidence_hash
from tradeguard.governance.audit.harness import AuditInput, AuditResult, run_audit
from tradeguard.governance.audit.policy import load_policy
from tradeguard.governance.audit.report import write_outputs
from tradeguard.governance.gate import DeploymentGate, DeploymentRefused
from tradeguard.governance.records import AuditStamp
from tradeguard.governance.registry import ApprovalRefused, Registry

from .conftest import AUDITOR, BUILDER, REVIEWER, model_version


def audit_of(shuffle: bool, n: int = 4000, seed: int = 11) -> AuditResult:
    """Train a model on examined lines (labels shuffled or not), score every line, target
    the top 5 % plus a 10 % random sample, and audit the result."""
    from tradeguard.model import score, train_model

    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-(2.5 * x1 - 3.5)))
    feats = pl.DataFrame({"x1": x1, "x2": x2, "y": y.astype(int)})
    train = feats.head(n // 2)
    if shuffle:
        train = train.with_columns(pl.Series("y", rng.permutation(train["y"].to_numpy())))
    art = train_model(train, "y", name="synthetic", seed=0, early_stopping_rounds=20)
    test = feats.tail(n // 2)
    prob = score(art, test, explain=False).frame["probability"].to_numpy()
    m = test.height
    targeted = prob >= np.quantile(prob, 0.95)
    drawn = ~targeted & (rng.random(m) < 0.1)
    keys = {"entry_number": [f"E{i}" for i in range(m)], "line_number": [1] * m}
    assessments = pl.DataFrame({
        **keys, "risk_score": prob, "model_probability": prob,
        "lane": np.where(targeted | drawn, "red", "green"),
        "selection": np.where(targeted, "targeted", np.where(drawn, "random", "none")),
        "selection_probability": np.where(targeted, 1.0, 0.1)})
    seen = targeted | drawn
    outcomes = pl.DataFrame({**keys, "examined": seen, "discrepancy": y[n // 2:] & seen,
                             "recovered_duty_usd": np.where(y[n // 2:] & seen, 500.0, 0.0)}
                            ).filter(pl.col("examined"))
    return run_audit(AuditInput(assessments, outcomes, versions={"model": art.version}),
                     load_policy())


@pytest.fixture(scope="module")
def good() -> AuditResult:
    return audit_of(shuffle=False)


@pytest.fixture(scope="module")
def degraded() -> AuditResult:
    return audit_of(shuffle=True)


def test_shuffled_labels_fail_efficacy(good: AuditResult, degraded: AuditResult) -> None:
    eff_good = next(s for s in good.sections if s.name == "efficacy")
    eff_bad = next(s for s in degraded.sections if s.name == "efficacy")
    assert eff_good.passed
    assert not eff_bad.passed
    assert any(c.startswith("efficacy.lift_lower") for c in degraded.failed_checks)
    assert not degraded.passed


def test_degraded_model_fails_its_gate(degraded: AuditResult, registry: Registry,
                                       signer: object, tmp_path: Path) -> None:
    _, _, digest = write_outputs(degraded, tmp_path / "audit")
    registry.register(BUILDER, model_version(signer, "bad"))  # type: ignore[arg-type]
    registry.attach_audit(AUDITOR, "model", "bad", AuditStamp(
        evidence_hash=digest, passed=degraded.passed, failed_checks=degraded.failed_checks,
        run_on=date(2026, 3, 1)))
    with pytest.raises(ApprovalRefused, match=r"audit failed: .*efficacy.lift_lower"):
        registry.approve(REVIEWER, "model", "bad")
    with pytest.raises(DeploymentRefused, match="state: registered"):
        DeploymentGate(registry).check("model", "bad")


def test_report_is_self_contained(good: AuditResult, tmp_path: Path) -> None:
    report, ev, digest = write_outputs(good, tmp_path / "out")
    html = report.read_text()
    assert "<svg" in html and "Summary in plain language" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)
    assert "<script" not in html.lower()
    doc = json.loads(ev.read_text())
    assert evidence_hash(ev.read_text()) == digest
    assert doc["hashes"]["assessments"] and doc["policy"]["sha256"]
    names = {s["name"] for s in doc["sections"]}
    assert names == {"efficacy", "validity", "reliability", "robustness", "bias", "security"}
    eff = next(s for s in doc["sections"] if s["name"] == "efficacy")
    assert {"precision", "recall", "revenue", "lift", "lift_low"} <= set(eff["tables"]
                                                                        ["budgets"][0])
    assert datetime.fromisoformat(doc["generated_at"]) <= datetime.now(UTC)
