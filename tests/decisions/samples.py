"""Small inline events and a stepping clock shared by the log tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tradeguard.decisions import DecisionScored, HumanAction, LogEvent, NoticeSent, seal


def sample_events(n: int) -> list[LogEvent]:
    """n events cycling through three kinds, each distinct."""
    out: list[LogEvent] = []
    for i in range(n):
        entry = f"ABC-{1000000 + i:07d}-{i % 10}"
        if i % 3 == 0:
            out.append(
                DecisionScored(
                    entry,
                    1,
                    "sha256:model",
                    f"fv{i}",
                    0.5 + i / 1000,
                    0.7,
                    "yellow",
                    ("VAL_LOW",),
                    {"model": "1.0"},
                )
            )
        elif i % 3 == 1:
            commitment, _ = seal({"rationale": f"checked invoice {i}"})
            out.append(HumanAction(entry, 1, "officer-7", "release", commitment))
        else:
            out.append(
                NoticeSent(f"N{i}", entry, "IMP-1", "ab" * 32, "email", "2026-01-02T00:00:00Z")
            )
    return out


class StepClock:
    """A clock that ticks one second per call, so every record has its own time."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now
