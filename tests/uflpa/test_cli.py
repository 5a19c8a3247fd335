"""``tradeguard uflpa`` over a JSON case file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tradeguard.cli import build_app

E = "ABC-1234567-8"


def test_detain_submit_decide_status(tmp_path: Path) -> None:
    app, run, store = build_app(), CliRunner(), str(tmp_path / "cases.json")
    out = run.invoke(app, ["uflpa", "detain", "--store", store, "--entry", E, "--date",
                           "2026-07-01", "--officer", "cbp-1", "--reason", "FL_UFLPA_PARTY"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["deadline"] == "2026-07-31"
    out = run.invoke(app, ["uflpa", "submit", "--store", store, "--entry", E, "--date",
                           "2026-07-05", "--importer", "imp", "--kind", "applicability_review",
                           "--document", f"invoice:INV-1:{'b' * 64}"])
    assert out.exit_code == 0, out.output
    bad = run.invoke(app, ["uflpa", "submit", "--store", store, "--entry", E, "--date",
                           "2026-07-05", "--importer", "imp", "--kind", "appeal",
                           "--document", f"invoice:INV-1:{'b' * 64}"])
    assert bad.exit_code == 2
    out = run.invoke(app, ["uflpa", "decide", "--store", store, "--entry", E, "--date",
                           "2026-07-20", "--officer", "cbp-2", "--outcome", "exclusion",
                           "--basis", "listed manufacturer"])
    assert out.exit_code == 0 and json.loads(out.stdout)["state"] == "excluded"
    again = run.invoke(app, ["uflpa", "decide", "--store", store, "--entry", E, "--date",
                             "2026-07-21", "--officer", "cbp-2", "--outcome", "release",
                             "--basis", "x"])
    assert again.exit_code == 1 and "cannot decide" in again.stderr
    status = run.invoke(app, ["uflpa", "status", "--store", store, "--as-of", "2026-09-01"])
    case = json.loads(status.stdout)["cases"][0]
    assert case["state"] == "excluded" and case["overdue"] is False
