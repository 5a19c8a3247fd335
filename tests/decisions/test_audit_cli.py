"""``tradeguard audit verify`` on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tradeguard.cli import build_app
from tradeguard.decisions import SqlLogStore, TransparencyLog
from tradeguard.decisions.checkpoint import signer_from_settings
from tradeguard.settings import get_settings

from .samples import StepClock, sample_events


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEGUARD_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("TRADEGUARD_ENVIRONMENT", "test")


def _fill(url: str, n: int) -> SqlLogStore:
    engine = sa.create_engine(url)
    store = SqlLogStore(engine)
    log = TransparencyLog(store, signer_from_settings(get_settings()), clock=StepClock())
    for event in sample_events(n):
        log.append(event)
    return store


def test_verify_exits_0_on_an_intact_log_and_1_naming_the_bad_record(
    env: None, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'tg.db'}"
    store = _fill(url, 5)
    runner = CliRunner()
    ok = runner.invoke(build_app(), ["audit", "verify", "--db", url])
    assert ok.exit_code == 0, ok.output
    assert '"records": 5' in ok.stdout
    with store.engine.begin() as conn:
        t = store.tables.records
        conn.execute(
            sa.update(t).where(t.c.seq == 3).values(recorded_at="2030-01-01T00:00:00.000000Z")
        )
    bad = runner.invoke(build_app(), ["audit", "verify", "--db", url])
    assert bad.exit_code == 1
    assert "record 3:" in bad.stderr


def test_verify_creates_missing_tables_and_passes_an_empty_log(env: None, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(build_app(), ["audit", "verify", "--db", url])
    assert result.exit_code == 0, result.output
    assert '"records": 0' in result.stdout
    assert "decision_log_records" in sa.inspect(sa.create_engine(url)).get_table_names()


def test_verify_with_a_foreign_key_fails(env: None, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tg.db'}"
    _fill(url, 2)
    from tradeguard.decisions.checkpoint import derive_development_signer

    other = derive_development_signer("someone else", "tradeguard.local/decision-log")
    key_file = tmp_path / "log.vkey"
    key_file.write_text(other.verifier_key)
    result = CliRunner().invoke(
        build_app(), ["audit", "verify", "--db", url, "--key", str(key_file)]
    )
    assert result.exit_code == 1
    assert "record 0:" in result.stderr


def test_bad_key_file_is_a_usage_error(env: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        build_app(), ["audit", "verify", "--db", "sqlite://", "--key", str(tmp_path / "none")]
    )
    assert result.exit_code == 2
    assert "none" in result.stderr


def test_malformed_key_file_is_a_usage_error(env: None, tmp_path: Path) -> None:
    key_file = tmp_path / "bad.vkey"
    key_file.write_text("not a key")
    result = CliRunner().invoke(
        build_app(), ["audit", "verify", "--db", "sqlite://", "--key", str(key_file)]
    )
    assert result.exit_code == 2
    assert "malformed verifier key" in result.stderr


def test_a_raw_sqlite_edit_that_turns_a_blob_into_text_is_reported(
    env: None, tmp_path: Path
) -> None:
    import sqlite3

    db = tmp_path / "tg.db"
    _fill(f"sqlite:///{db}", 4)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "update decision_log_records set canonical = replace(canonical, 'ABC-', 'XYZ-') "
            "where seq = 2"
        )
    result = CliRunner().invoke(build_app(), ["audit", "verify", "--db", f"sqlite:///{db}"])
    assert result.exit_code == 1
    assert "record 2: content does not match its leaf hash" in result.stderr
