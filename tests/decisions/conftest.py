"""A deterministic test signer for the log tests."""

from __future__ import annotations

import pytest

from tradeguard.decisions import LogSigner
from tradeguard.decisions.checkpoint import derive_development_signer


@pytest.fixture
def signer() -> LogSigner:
    return derive_development_signer("test-secret", "test.tradeguard/log")
