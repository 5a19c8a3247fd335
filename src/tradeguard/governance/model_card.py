"""Model cards generated from evidence: what a version is for, what it was trained on, how
well it does (with confidence intervals) and where it should not be trusted."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from tradeguard.governance.impact import content_hash


class MetricEstimate(BaseModel):
    """One metric with its interval and the data it was measured on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    value: float
    low: float | None = None
    high: float | None = None
    measured_on: str = ""


class ModelCard(BaseModel):
    """The card an auditor reads before anything else about a model version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str
    owner: str
    intended_uses: list[str]
    out_of_scope_uses: list[str]
    training_data: str
    training_snapshot_hash: str
    metrics: list[MetricEstimate]
    limitations: list[str]
    artifact_hash: str = ""

    def problems(self) -> list[str]:
        """Which required parts are empty."""
        out = []
        for name in ("owner", "training_data", "training_snapshot_hash"):
            if not str(getattr(self, name)).strip():
                out.append(name)
        for name in ("intended_uses", "out_of_scope_uses", "metrics", "limitations"):
            if not getattr(self, name):
                out.append(name)
        return out

    def card_hash(self) -> str:
        """Content hash of the card (logged with the registration)."""
        return content_hash(self.model_dump(mode="json"))

    def to_markdown(self) -> str:
        """``model_card.md``: plain text an auditor can read without tools."""
        def bullets(items: list[str]) -> str:
            return "\n".join(f"- {i}" for i in items) or "- (none)"

        rows = "\n".join(
            f"| {m.name} | {m.value:.4f} | "
            f"{'' if m.low is None else f'{m.low:.4f}'} - "
            f"{'' if m.high is None else f'{m.high:.4f}'} | {m.measured_on} |"
            for m in self.metrics)
        return (
            f"# Model card: {self.name} {self.version}\n\n"
            f"Owner: {self.owner}\n\nArtifact hash: `{self.artifact_hash}`\n\n"
            f"## Intended uses\n{bullets(self.intended_uses)}\n\n"
            f"## Out-of-scope uses\n{bullets(self.out_of_scope_uses)}\n\n"
            f"## Training data\n{self.training_data}\n\n"
            f"Snapshot hash: `{self.training_snapshot_hash}`\n\n"
            f"## Metrics (95% interval)\n| metric | value | interval | measured on |\n"
            f"|---|---|---|---|\n{rows}\n\n"
            f"## Limitations\n{bullets(self.limitations)}\n"
        )


def card_for_artifact(artifact: Any, owner: str, metrics: list[MetricEstimate],
                      training_data: str) -> ModelCard:
    """A card for a :class:`tradeguard.model.ModelArtifact` with the standard uses stated."""
    return ModelCard(
        name=artifact.name, version=artifact.version, owner=owner,
        intended_uses=["Rank entry lines for document review or examination by an officer",
                       "Advisory score; the officer decides and records the rationale"],
        out_of_scope_uses=["Automatic holds, penalties or seizures without an officer",
                           "Judging an importer's character or creditworthiness",
                           "Entries outside the trained modes, ports or tariff chapters"],
        training_data=training_data, training_snapshot_hash=artifact.training_data_hash,
        metrics=metrics,
        limitations=["Learned from examined lines only; estimates rely on the random sample",
                     "Schemes absent from past outcomes are not learned",
                     "Calibration drifts when the mix of trade changes; see monitoring"],
        artifact_hash=artifact.version,
    )
