"""The oversight report: the agency's answers to the three oversight questions, built from the
system's own records (registry, audit evidence, decision log) rather than written by hand.

1. How is AI used for cargo and small-package screening, forced labor, trade remedies and
   entry errors or fraud?
2. How is each tool tested and audited?
3. Is notice given, and how can decisions be challenged — with counts?
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tradeguard.governance.publication_check import PublicationCheck
from tradeguard.governance.records import ArtifactKind, RegistryState

# Which enforcement area each finding category serves.
AREAS: dict[str, tuple[str, ...]] = {
    "Cargo and small-package screening": ("small_package", "watchlist", "network", "model"),
    "Forced labor": ("forced_labor",),
    "Trade remedies (AD/CVD evasion)": ("adcvd",),
    "Entry errors and fraud": ("data_quality", "valuation", "classification", "origin"),
}


@dataclass
class OversightFacts:
    """Everything the report states, each from a record."""

    as_of: date
    registry: RegistryState
    event_counts: dict[str, int] = field(default_factory=dict)
    appeal_outcomes: dict[str, int] = field(default_factory=dict)
    ai_assisted_actions: int = 0
    audit: dict[str, Any] | None = None
    workflow: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    publications: PublicationCheck | None = None


def count_events(records: Iterable[Any]) -> tuple[dict[str, int], dict[str, int], int]:
    """Counts per event type, appeal outcomes and AI-assisted human actions from stored log
    records (``StoredRecord`` values with canonical JSON bytes)."""
    types: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    ai = 0
    for rec in records:
        types[rec.event_type] += 1
        if rec.event_type in ("appeal.resolved", "decision.human_action"):
            event = json.loads(rec.canonical)["event"]
            if rec.event_type == "appeal.resolved":
                outcomes[str(event.get("outcome"))] += 1
            elif event.get("ai_assisted"):
                ai += 1
    return dict(types), dict(outcomes), ai


_REGISTRY_EVENTS = ("model.registered", "model.approved", "model.revoked",
                    "model.rolled_back", "killswitch.changed", "waiver.granted")
#: Risk-profile publications (analysts' rule sets decide lanes too), with their report labels.
_PROFILE_EVENTS = (("profiles.proposed", "proposed"), ("profiles.approved", "approved"),
                   ("profiles.rejected", "rejected"))


def _workflow_lines(f: OversightFacts) -> list[str]:
    """Counts from the workflow tables, with any difference from the log called out."""
    w = f.workflow
    if not w:
        return []
    out = []
    if "actions" in w:
        out.append(f"- Officer actions on record: {w['actions']} (lane overrides: "
                   f"{w.get('overrides', 0)})")
    if "notices" in w:
        out.append(f"- Notices on record: {w['notices']}")
    if "appeals" in w:
        decided = w.get("appeals_decided", 0)
        over = f.appeal_outcomes.get("overturned", 0)
        rate = f"{over / decided:.0%}" if decided else "n/a"
        out.append(f"- Appeals on record: {w['appeals']}; decided: {decided}; overturned: "
                   f"{over} (overturn rate {rate}); open past due date: "
                   f"{w.get('appeals_overdue_open', 0)}")
    pairs = (("notices", "notice.sent"), ("appeals", "appeal.filed"),
             ("appeals_decided", "appeal.resolved"), ("actions", "decision.human_action"))
    gaps = [f"{table} {w[table]} vs log {f.event_counts.get(event, 0)}"
            for table, event in pairs if table in w and w[table] != f.event_counts.get(event, 0)]
    out.append("- Records and log agree." if not gaps else
               "- DIFFERENCE between records and log: " + "; ".join(gaps))
    if f.sources:
        out.append(f"- Counted from tables: {', '.join(f.sources)}")
    return out


def _audit_lines(audit: dict[str, Any] | None) -> list[str]:
    if not audit:
        return ["No audit evidence was supplied for this report."]
    out = [f"Latest audit ({audit.get('generated_at', '')[:10]}, policy "
           f"{audit.get('policy', {}).get('name', '')}): verdict **{audit.get('verdict')}**."]
    for s in audit.get("sections", []):
        state = "not run" if s.get("skipped") else ("passed" if s.get("passed") else "failed")
        out.append(f"- {s['title']} — {state} ({len(s.get('checks', []))} checks)")
    return out


def oversight_markdown(f: OversightFacts) -> str:
    """The report as Markdown."""
    models = [v for v in f.registry.versions if v.kind == ArtifactKind.MODEL]
    lines = [f"# Oversight report — AI in trade enforcement ({f.as_of.isoformat()})", "",
             "Every number below is read from the system's registry, audit evidence and "
             "tamper-evident decision log.", "",
             "## 1. How AI is used", "",
             "AI output is advisory: it ranks entry lines and explains why; an officer decides "
             "every exam, hold or referral and records the rationale. Findings by area:", ""]
    for area, cats in AREAS.items():
        lines.append(f"- **{area}**: finding categories {', '.join(cats)}.")
    states = Counter(v.state.value for v in f.registry.versions)
    lines += ["", f"Registered models: {len(models)}; AI-assisted lanes are "
              f"{'ON' if f.registry.ai_lanes_enabled else 'OFF (kill switch engaged)'}. "
              "Registry versions by state: "
              f"{', '.join(f'{k}: {n}' for k, n in sorted(states.items())) or 'none'}.", ""]
    lines += ["| kind | name | version | state | high-impact | approved by | valid until |",
              "|---|---|---|---|---|---|---|"]
    for v in f.registry.versions:
        hi = "" if v.determination is None else ("yes" if v.determination.high_impact else "no")
        lines.append(f"| {v.kind.value} | {v.name} | {v.version[:16]} | {v.state.value} | "
                     f"{hi} | {v.approved_by or ''} | {v.valid_until or ''} |")
    lines += ["", "## 2. How each tool is tested and audited", "",
              "Before approval every model needs an independent reviewer (not its builder), a "
              "signed seven-part impact assessment and a passing audit against thresholds "
              "declared in advance: efficacy on the random compliance sample with "
              "inverse-probability weighting, calibration, drift, robustness to edits and "
              "evasions, disparity across importer groups, and security.", ""]
    for v in models:
        a = v.audit
        lines.append(f"- {v.name} {v.version[:16]}: audit "
                     f"{'none' if a is None else ('passed' if a.passed else 'failed')}"
                     f"{'' if a is None else f' (evidence {a.evidence_hash[:16]})'}")
    lines += ["", *_audit_lines(f.audit)]
    c = f.event_counts
    waivers = len(f.registry.waivers)
    lines += ["", "## 3. Notice and challenge", "",
              f"- Scored decisions logged: {c.get('decision.scored', 0)}",
              f"- Officer actions logged: {c.get('decision.human_action', 0)} "
              f"(AI-assisted: {f.ai_assisted_actions})",
              f"- Notices sent to importers: {c.get('notice.sent', 0)}",
              f"- Challenges filed: {c.get('appeal.filed', 0)}; resolved: "
              f"{c.get('appeal.resolved', 0)} "
              f"({', '.join(f'{k}: {n}' for k, n in sorted(f.appeal_outcomes.items())) or 'none'})",
              f"- Monitoring windows: {c.get('monitoring.window', 0)}; waivers: {waivers}",
              "- Registry changes logged: " + ", ".join(
                  f"{k}: {c.get(k, 0)}" for k in _REGISTRY_EVENTS),
              "- Risk-profile publications logged: " + ", ".join(
                  f"{label}: {c.get(k, 0)}" for k, label in _PROFILE_EVENTS),
              *([f"- {f.publications.summary()}"] if f.publications is not None else []),
              *_workflow_lines(f), "",
              "Notices state the action, the AI's role, the top reasons, how to correct the "
              "data and how to contest; a challenge is re-reviewed by an officer who was not "
              "involved, and the overturn rate is tracked as a model-quality metric.", ""]
    return "\n".join(lines)


def oversight_html(f: OversightFacts) -> str:
    """The same report as self-contained HTML (escaped Markdown structure, no external links)."""
    body: list[str] = []
    table: list[str] = []
    for raw in oversight_markdown(f).splitlines():
        line = html.escape(raw).replace("**", "")
        if raw.startswith("|"):
            if not set(raw) <= {"|", "-"}:
                cells = "".join(f"<td>{c.strip()}</td>" for c in line.strip("|").split("|"))
                table.append(f"<tr>{cells}</tr>")
            continue
        if table:
            body.append("<table>" + "".join(table) + "</table>")
            table = []
        if raw.startswith("# "):
            body.append(f"<h1>{line[2:]}</h1>")
        elif raw.startswith("## "):
            body.append(f"<h2>{line[3:]}</h2>")
        elif raw.startswith("- "):
            body.append(f"<li>{line[2:]}</li>")
        elif raw.strip():
            body.append(f"<p>{line}</p>")
    if table:
        body.append("<table>" + "".join(table) + "</table>")
    style = ("body{font-family:Georgia,serif;max-width:60rem;margin:2rem auto}"
             "td{border:1px solid #bbb;padding:.2rem .4rem}table{border-collapse:collapse}")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Oversight '
            f"report</title><style>{style}</style></head><body>{''.join(body)}</body></html>")
