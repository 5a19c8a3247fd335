"""The AI use-case inventory entry (OMB 2025 reporting fields), generated from the registry so
it cannot drift from what is actually deployed (GAO's inventory-accuracy finding)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from tradeguard.governance.records import ApprovalState, ArtifactKind, RegistryState

# Column order of the 2025 inventory (general fields, then deployed high-impact fields).
INVENTORY_COLUMNS: tuple[str, ...] = (
    "Use Case ID", "Use Case Name", "Agency", "Bureau/Component", "Contact Email",
    "Withheld from Public", "Stage of Development", "High-Impact",
    "High-Impact Determination Justification", "Topic Area", "AI Classification",
    "Problem to Solve", "Expected Benefits", "System Outputs", "Operational Date",
    "Vendor or In-House", "Vendor Names", "Has ATO", "ATO System Name",
    "Training, Fine-Tuning and Evaluation Data", "Federal Data Catalog Link",
    "Involves PII", "PIA Link", "Demographic Variables Used as Features", "Custom Code",
    "Open-Source Link",
    "Pre-Deployment Testing", "Impact Assessment Completed",
    "Potential Impacts and How Identified", "Independent Review",
    "Ongoing Monitoring", "Operator Training", "Fail-Safe", "Appeal Process",
    "End-User and Public Consultation",
)


@dataclass(frozen=True)
class AgencyProfile:
    """What the registry cannot know: who the agency is and its authorisations."""

    agency: str = "Department of Homeland Security"
    bureau: str = "U.S. Customs and Border Protection"
    contact_email: str = "not recorded"
    ato_system: str = "not recorded"
    pia_link: str = "not recorded"
    open_source_link: str = "not recorded"


def _stage(state: ApprovalState) -> str:
    return {ApprovalState.APPROVED: "Deployed", ApprovalState.REGISTERED: "Pre-deployment",
            ApprovalState.REVOKED: "Retired", ApprovalState.WITHDRAWN: "Retired"}[state]


def inventory_rows(state: RegistryState, profile: AgencyProfile | None = None,
                   on: date | None = None, appeal_counts: dict[str, int] | None = None
                   ) -> list[dict[str, str]]:
    """One row per registered model (the active version, else the latest)."""
    p = profile or AgencyProfile()
    rows = []
    names = sorted({v.name for v in state.versions if v.kind == ArtifactKind.MODEL})
    for name in names:
        versions = [v for v in state.versions if v.kind == ArtifactKind.MODEL and v.name == name]
        active = state.active.get(f"model:{name}")
        v = next((x for x in versions if x.version == active), versions[-1])
        d, a, card = v.determination, v.assessment, v.card
        high = bool(d and d.high_impact)
        deployed_hi = high and v.state == ApprovalState.APPROVED

        def hi(value: str, v_high: bool = deployed_hi) -> str:
            return value if v_high else ""

        appeals = appeal_counts or {}
        row: dict[str, Any] = {
            "Use Case ID": f"TG-{name}", "Use Case Name": name, "Agency": p.agency,
            "Bureau/Component": p.bureau, "Contact Email": p.contact_email,
            "Withheld from Public": "No", "Stage of Development": _stage(v.state),
            "High-Impact": "High-impact" if high else "Not high-impact",
            "High-Impact Determination Justification": d.justification if d else "",
            "Topic Area": "Law Enforcement; Trade", "AI Classification": "Classical ML",
            "Problem to Solve": a.purpose_and_benefit if a else "",
            "Expected Benefits": a.purpose_and_benefit if a else "",
            "System Outputs": "Risk score, lane and plain-language reasons per entry line; "
                              "an officer decides",
            "Operational Date": v.approved_at.date().isoformat() if v.approved_at else "",
            "Vendor or In-House": "In-house", "Vendor Names": "",
            "Has ATO": "not recorded", "ATO System Name": p.ato_system,
            "Training, Fine-Tuning and Evaluation Data": card.training_data if card else "",
            "Federal Data Catalog Link": "", "Involves PII": "Yes (importer identifiers)",
            "PIA Link": p.pia_link, "Demographic Variables Used as Features": "None",
            "Custom Code": "Yes", "Open-Source Link": p.open_source_link,
            "Pre-Deployment Testing": hi("Yes" if v.audit and v.audit.passed else "No"),
            "Impact Assessment Completed": hi("Yes" if a and not a.missing_fields() else "No"),
            "Potential Impacts and How Identified": hi(a.impacts_and_mitigations if a else ""),
            "Independent Review": hi(f"Yes, by {v.approved_by}" if v.approved_by else "No"),
            "Ongoing Monitoring": hi("Yes: drift, performance and fairness drift per window"),
            "Operator Training": hi("not recorded"),
            "Fail-Safe": hi("Yes: kill switch to rules-only and random selection; rollback"),
            "Appeal Process": hi("Yes: data-dispute and contest path with independent "
                                 f"re-review ({appeals.get('filed', 0)} filed, "
                                 f"{appeals.get('overturned', 0)} overturned)"),
            "End-User and Public Consultation": hi("Officer feedback on each output"),
        }
        rows.append({c: str(row[c]) for c in INVENTORY_COLUMNS})
    return rows


def inventory_csv(rows: list[dict[str, str]]) -> str:
    """CSV in the exact column order."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(INVENTORY_COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
