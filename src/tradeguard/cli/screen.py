"""``tradeguard screen``: screen declared party names against the watch lists."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, read_table, write_table

if TYPE_CHECKING:
    pass


def screen(
    names: Annotated[
        Path, typer.Option("--names", help="CSV/Parquet/JSONL: id, name [, country, address].")
    ],
    out: Annotated[Path, typer.Option("--out", help="One row per match (CSV or .parquet).")],
    lists: Annotated[
        str, typer.Option("--lists", help="Comma-separated lists, e.g. uflpa,wro (default all).")
    ] = "",
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="Report matches at or above (0..1).")
    ] = None,
    refdata: Annotated[
        Path | None, typer.Option("--refdata", help="Another reference-data folder.")
    ] = None,
) -> None:
    """Screen party names against the watch lists; ids with no match get no row."""
    import polars as pl

    from tradeguard.refdata import load_reference_data
    from tradeguard.screening import ScreeningConfig, WatchlistIndex, screen_names

    if threshold is not None and not 0.0 <= threshold <= 1.0:
        fail(f"--threshold must be within 0..1, got {threshold}", EXIT_USAGE)
    frame = read_table(names)
    for column in ("id", "name"):
        if column not in frame.columns:
            fail(f"{names}: missing required column {column!r}", EXIT_FAILED)
    empty = frame.with_row_index("row", offset=2).filter(
        pl.col("id").is_null() | (pl.col("id").cast(pl.String).str.strip_chars() == "")
    )
    if empty.height:
        fail(f"{names}: row {empty['row'][0]}: field 'id' is empty", EXIT_FAILED)
    try:
        ref = load_reference_data(refdata)
        watchlists = ref.watchlists
    except Exception as exc:  # any load failure is reported the same way
        fail(f"{refdata or 'shipped reference data'}: cannot load watch lists: {exc}", EXIT_FAILED)
    wanted = [x.strip() for x in lists.split(",") if x.strip()]
    if wanted:
        known = set(watchlists.get_column("list").unique().to_list())
        unknown = sorted(set(wanted) - known)
        if unknown:
            fail(f"--lists: unknown list(s) {unknown}; known: {sorted(known)}", EXIT_USAGE)
        watchlists = watchlists.filter(pl.col("list").is_in(wanted))
    cfg = ScreeningConfig()
    if threshold is not None:
        cfg = cfg.model_copy(update={"threshold": threshold})
    index = WatchlistIndex.build(watchlists, ref.versions, cfg)
    write_table(screen_names(frame, index, cfg), out)


def register(app: typer.Typer) -> None:
    """Add the ``screen`` command to the app."""
    app.command("screen")(screen)
