"""A run's settings for a detector: an object, a dict validated into one, or the default."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from tradeguard.detectors.base import DetectionContext, configured
from tradeguard.detectors.watchlist import WatchlistConfig, WatchlistDetector


def _ctx(config: dict[str, object]) -> DetectionContext:
    return DetectionContext(ref=None, as_of=date(2026, 1, 1), config=config)  # type: ignore[arg-type]


def test_default_when_the_run_says_nothing() -> None:
    default = WatchlistConfig()
    assert configured(_ctx({}), "watchlist", default) is default


def test_object_and_dict_given_for_the_run() -> None:
    given = WatchlistConfig(roles=("seller",))
    assert configured(_ctx({"watchlist": given}), "watchlist", WatchlistConfig()) is given
    parsed = configured(_ctx({"watchlist": {"roles": ["importer"]}}), "watchlist",
                        WatchlistConfig())
    assert parsed.roles == ("importer",)
    # The detector reads its settings the same way.
    detector = WatchlistDetector()
    assert detector._cfg(_ctx({"watchlist": {"roles": ["importer"]}})).roles == ("importer",)


def test_a_bad_setting_is_refused_not_ignored() -> None:
    with pytest.raises(ValidationError):
        configured(_ctx({"watchlist": {"no_such_setting": 1}}), "watchlist", WatchlistConfig())
