"""``report.html``: self-contained (inline CSS and SVG, no scripts, no links out) and written
for a reader who does not run code — the plain-language summary comes first."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from tradeguard.governance.audit import svg
from tradeguard.governance.audit.evidence import evidence_hash, evidence_json
from tradeguard.governance.audit.harness import AuditResult
from tradeguard.governance.audit.results import judge
from tradeguard.governance.audit.security_checks import scan

MEANING = {
    "efficacy": "Whether exams chosen by the model find more violations and duty than exams "
                "chosen at random would.",
    "validity": "Whether a stated risk of, say, 30% really means about three in ten.",
    "reliability": "Whether today's trade still looks like the trade the model learned from.",
    "robustness": "Whether harmless typing differences change decisions, and whether simple "
                  "tricks let a violation slip through.",
    "bias": "Whether small, new or particular importers carry more exams, especially exams "
            "that find nothing.",
    "security": "Whether malicious input is refused and confidential data stays out of outputs.",
}


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        return json.dumps({k: round(x, 4) if isinstance(x, float) else x
                           for k, x in v.items()})
    return str(v)


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for r in rows[:5] for k in r))


def _plots(result: AuditResult) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in result.sections:
        charts: list[str] = []
        if s.name == "efficacy" and s.plots.get("lift"):
            charts.append(svg.bars([(f"top {b:g}%", v, lo, hi) for b, v, lo, hi in
                                    s.plots["lift"]], "Lift over random selection "
                                   "(1 = no better than random)", reference=1.0))
        if s.name == "validity" and s.plots.get("reliability"):
            charts.append(svg.reliability(s.plots["reliability"],
                                          "Reliability curve: observed vs predicted"))
        if s.name == "reliability" and s.plots.get("psi"):
            charts.append(svg.bars([(f, v, None, None) for f, v in s.plots["psi"]],
                                   "Drift (PSI) of the most-moved features",
                                   reference=result.policy.reliability.max_feature_psi))
        if s.name == "robustness" and s.plots.get("robustness"):
            charts.append(svg.bars([(t, v, None, None) for t, v in s.plots["robustness"]],
                                   "Lane-flip rate (edits) / share still caught (evasions)"))
        if s.name == "bias":
            for attr, pts in s.plots.items():
                if pts:
                    charts.append(svg.bars(pts, f"Selection rate by {attr.replace('_', ' ')}"))
        out[s.name] = [c for c in charts if c]
    return out


def render_html(result: AuditResult, title: str = "targeting model") -> str:
    """The report as one HTML string."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(
        (files("tradeguard.governance.audit") / "report.html.j2").read_text("utf-8"))
    return template.render(
        title=title, generated_at=result.generated_at.isoformat(timespec="seconds"),
        policy_name=result.policy.name, policy_hash=result.policy.source_hash,
        population=result.extra.get("population", {}), passed=result.passed,
        sections=result.sections, blocking=result.policy.blocking_sections, meaning=MEANING,
        failed=result.failed_checks, data_note=result.data_note, hashes=result.hashes,
        versions={k: json.dumps(v, sort_keys=True) if isinstance(v, dict) else v
                  for k, v in result.versions.items()},
        plots=_plots(result), fmt=_fmt, columns=_columns)


def write_outputs(result: AuditResult, out_dir: Path,
                  title: str = "targeting model") -> tuple[Path, Path, str]:
    """Write ``report.html`` and ``evidence.json`` after scanning both for canary values;
    returns the two paths and the evidence hash."""
    html, text = render_html(result, title), evidence_json(result)
    leaks = scan({"report.html": html, "evidence.json": text},
                 result.extra.get("canaries", []))
    sec = next((s for s in result.sections if s.name == "security"), None)
    if sec is not None:
        sec.checks.append(judge("canary_leaks_in_report", float(len(leaks)),
                                float(result.policy.security.max_canary_leaks), "<=",
                                note="report.html and evidence.json scanned"))
        html, text = render_html(result, title), evidence_json(result)
    out_dir.mkdir(parents=True, exist_ok=True)
    report, ev = out_dir / "report.html", out_dir / "evidence.json"
    report.write_text(html, encoding="utf-8")
    ev.write_text(text, encoding="utf-8")
    return report, ev, evidence_hash(text)
