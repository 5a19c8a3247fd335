"""The exam plan for one port and day: what to open, what to review, in what order.

Red lines are listed forced first (a hard rule or profile requires them whatever the
capacity), then by risk; when the officers on duty can open fewer lines than were selected,
the plan says which red lines fall beyond capacity rather than dropping them silently.
Yellow lines go to document review. Every line carries its reasons in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

PLAN_COLUMNS = ("priority", "entry_number", "line_number", "risk_score", "selection",
                "categories", "reasons", "reason_texts")


@dataclass(frozen=True)
class ExamPlan:
    """Exams (within capacity), exams beyond capacity, and document reviews for a port-day."""

    port: str
    day: date
    lines: int
    exams: pl.DataFrame
    beyond_capacity: pl.DataFrame
    reviews: pl.DataFrame

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form of the plan."""
        return {
            "port": self.port, "date": self.day.isoformat(), "lines": self.lines,
            "exams": self.exams.to_dicts(), "beyond_capacity": self.beyond_capacity.to_dicts(),
            "reviews": self.reviews.to_dicts(),
        }


def _ordered(frame: pl.DataFrame) -> pl.DataFrame:
    forced_first = (pl.col("selection") != "forced").cast(pl.Int8)
    return frame.sort([forced_first, pl.col("risk_score"), "entry_number", "line_number"],
                      descending=[False, True, False, False]).with_row_index(
        "priority", offset=1)


def exam_plan(scored: pl.DataFrame, port: str, day: date,
              capacity: int | None = None) -> ExamPlan:
    """Plan for ``port`` on ``day`` from scored lines (the ``score`` output or assessments).

    ``categories``, ``reasons`` and ``reason_texts`` may be lists or ``;``/`` | ``-joined text.
    """
    if capacity is not None and capacity < 0:
        raise ValueError("capacity must be 0 or more")
    frame = scored.with_columns(
        pl.col("port_of_entry").cast(pl.String), pl.col("entry_date").cast(pl.Date))
    if "reason_texts" not in frame.columns and "top_reasons_text" in frame.columns:
        frame = frame.with_columns(pl.col("top_reasons_text").alias("reason_texts"))
    for name, sep in (("categories", ";"), ("reasons", ";"), ("reason_texts", " | ")):
        if name in frame.columns and frame.schema[name] == pl.String:
            frame = frame.with_columns(
                pl.col(name).fill_null("").str.split(sep).list.eval(
                    pl.element().filter(pl.element() != "")))
    day_lines = frame.filter((pl.col("port_of_entry") == port) & (pl.col("entry_date") == day))
    cols = list(PLAN_COLUMNS[1:])
    red = _ordered(day_lines.filter(pl.col("lane") == "red").select(cols))
    limit = red.height if capacity is None else capacity
    return ExamPlan(
        port=port, day=day, lines=day_lines.height,
        exams=red.head(limit), beyond_capacity=red.slice(limit),
        reviews=_ordered(day_lines.filter(pl.col("lane") == "yellow").select(cols)),
    )
