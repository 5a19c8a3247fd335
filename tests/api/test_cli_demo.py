"""``tradeguard demo --no-serve`` builds a working installation and prints the accounts."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from tradeguard.cli import build_app


def test_demo_no_serve_scores_queues_and_logs(tmp_path: Path) -> None:
    result = CliRunner().invoke(build_app(), ["demo", "--no-serve", "--entries", "100",
                                              "--dir", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert set(summary["users"]) == {"officer", "supervisor", "analyst", "auditor",
                                     "model_owner", "importer_a", "importer_b", "admin"}
    assert summary["users"]["importer_a"]["importer_id"]
    assert summary["users"]["importer_a"]["importer_id"] != \
        summary["users"]["importer_b"]["importer_id"]
    assert summary["lines_scored"] == sum(summary["lanes"].values()) > 0
    engine = sa.create_engine(summary["db"])
    with engine.connect() as conn:
        stored = conn.execute(sa.text("select count(*) from app_assessments")).scalar_one()
        logged = conn.execute(sa.text(
            "select count(*) from decision_log_records where event_type = 'decision.scored'"
        )).scalar_one()
    engine.dispose()
    assert stored == logged == summary["lines_scored"]


def test_serve_and_demo_are_listed() -> None:
    out = CliRunner().invoke(build_app(), ["--help"]).stdout
    assert "serve" in out and "demo" in out
