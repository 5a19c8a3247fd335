"""UFLPA high-priority sectors as a data table mapped to HTS headings.

The Forced Labor Enforcement Task Force names the sectors in the UFLPA Strategy and its annual
updates; it publishes no HTS list, so the mapping below is ours: each row is an HTS prefix,
an optional word the tariff text or the declared description must contain (where a heading
mixes in-sector and other goods), the date the sector was designated (a line entered before
that date is not in the sector), and whether the row is a downstream product.
"""

from __future__ import annotations

from datetime import date

import polars as pl

STRATEGY_2022 = "https://www.dhs.gov/uflpa-strategy (UFLPA Strategy, 2022-06-17)"
UPDATE_2024 = "https://www.dhs.gov/uflpa-strategy (2024 Strategy update, 2024-07-09)"
UPDATE_2025 = "https://www.dhs.gov/news (2025 Strategy update, 2025-08-19)"
_D2022, _D2024, _D2025 = date(2022, 6, 17), date(2024, 7, 9), date(2025, 8, 19)
COTTON = r"(?i)\bcotton\b|\bctn\b"

# (sector, hts prefix, qualifier regex or "", designated on, downstream, source)
_ROWS: list[tuple[str, str, str, date, bool, str]] = [
    ("cotton", "52", "", _D2022, False, STRATEGY_2022),  # cotton, yarn, woven fabric
    *[("cotton", ch, COTTON, _D2022, False, STRATEGY_2022) for ch in
      ("50", "51", "53", "54", "55", "56", "58", "59", "60")],  # only where cotton
    *[("apparel", ch, "", _D2022, False, STRATEGY_2022) for ch in ("61", "62", "63")],
    ("tomatoes", "0702", "", _D2022, False, STRATEGY_2022),  # fresh tomatoes
    ("tomatoes", "2002", "", _D2022, False, STRATEGY_2022),  # prepared, paste
    ("tomatoes", "210320", "", _D2022, False, STRATEGY_2022),  # ketchup, tomato sauces
    ("polysilicon", "280461", "", _D2022, False, STRATEGY_2022),  # >= 99.99 % silicon
    ("polysilicon", "280469", "", _D2022, False, STRATEGY_2022),  # metallurgical silicon
    ("polysilicon", "3818", "", _D2022, False, STRATEGY_2022),  # doped wafers
    ("polysilicon", "854142", "", _D2022, False, STRATEGY_2022),  # solar cells
    ("polysilicon", "854143", "", _D2022, False, STRATEGY_2022),  # solar modules
    ("aluminum", "76", "", _D2024, False, UPDATE_2024),
    ("aluminum", "281820", "", _D2024, False, UPDATE_2024),  # alumina
    ("pvc", "3904", "", _D2024, False, UPDATE_2024),  # PVC in primary forms
    ("pvc", "290321", "", _D2024, False, UPDATE_2024),  # vinyl chloride monomer
    ("pvc", "391810", "", _D2024, False, UPDATE_2024),  # vinyl floor coverings
    ("seafood", "03", "", _D2024, False, UPDATE_2024),
    ("seafood", "1604", "", _D2024, False, UPDATE_2024),
    ("seafood", "1605", "", _D2024, False, UPDATE_2024),
    ("steel", "72", "", _D2025, False, UPDATE_2025),  # primary and semi-finished steel
    *[("steel", h, "", _D2025, False, UPDATE_2025) for h in
      ("7301", "7302", "7303", "7304", "7305", "7306")],  # sheet piling, rails, tubes
    ("copper", "2603", "", _D2025, False, UPDATE_2025),  # ores and concentrates
    ("copper", "74", "", _D2025, False, UPDATE_2025),
    ("lithium", "282520", "", _D2025, False, UPDATE_2025),  # lithium oxide and hydroxide
    ("lithium", "283691", "", _D2025, False, UPDATE_2025),  # lithium carbonates
    ("lithium", "850760", "", _D2025, True, UPDATE_2025),  # Li-ion batteries (downstream)
    ("caustic_soda", "281511", "", _D2025, False, UPDATE_2025),
    ("caustic_soda", "281512", "", _D2025, False, UPDATE_2025),
    ("red_dates", "081340", r"(?i)jujube|red date", _D2025, False, UPDATE_2025),
]


def sector_table() -> pl.DataFrame:
    """The high-priority sector table: sector, hts_prefix, qualifier, designated_on, ..."""
    return pl.DataFrame(
        _ROWS,
        schema={
            "sector": pl.String,
            "hts_prefix": pl.String,
            "qualifier": pl.String,
            "designated_on": pl.Date,
            "downstream": pl.Boolean,
            "source": pl.String,
        },
        orient="row",
    )


def priority_sectors(
    lines: pl.DataFrame,
    tariff_text: pl.DataFrame | None = None,
    *,
    apparel_requires_cotton: bool = True,
    include_downstream: bool = False,
) -> pl.DataFrame:
    """The high-priority sector of each line (``row``, ``sector``, ``hts_prefix``, ``source``).

    ``lines`` holds ``row`` (a unique key), ``hts`` (digits only), ``description`` and
    ``entry_date``; ``tariff_text`` maps ``hts10`` to the tariff ``description`` so qualifiers
    can read the legal text. Lines in no sector have no row.
    """
    table = sector_table()
    if not include_downstream:
        table = table.filter(~pl.col("downstream"))
    if apparel_requires_cotton:
        table = table.with_columns(
            qualifier=pl.when(pl.col("sector") == "apparel")
            .then(pl.lit(COTTON))
            .otherwise(pl.col("qualifier"))
        )
    frame = lines.select("row", "hts", "description", "entry_date")
    if tariff_text is not None:
        # Only the batch's own tariff lines: joining the whole tariff hashes 20,000 rows.
        wanted = tariff_text.filter(pl.col("hts10").is_in(frame.get_column("hts").implode()))
        frame = frame.join(
            wanted.select("hts10", tariff_description="description"),
            left_on="hts",
            right_on="hts10",
            how="left",
        )
    else:
        frame = frame.with_columns(tariff_description=pl.lit(None, dtype=pl.String))
    text = pl.concat_str(
        [pl.col("tariff_description").fill_null(""), pl.col("description").fill_null("")],
        separator=" | ",
    )
    # Join on the chapter first so each line meets only the few rows of its chapter.
    hits = (
        frame.with_columns(text=text, chapter=pl.col("hts").str.slice(0, 2))
        .join(table.with_columns(chapter=pl.col("hts_prefix").str.slice(0, 2)), on="chapter")
        .filter(
            pl.col("hts").str.starts_with(pl.col("hts_prefix"))
            & (pl.col("entry_date") >= pl.col("designated_on"))
        )
    )
    qualified = hits.filter(pl.col("qualifier") == "").vstack(
        _qualified(hits.filter(pl.col("qualifier") != ""))
    )
    return (
        qualified.sort(pl.col("hts_prefix").str.len_chars(), descending=True)
        .unique("row", keep="first")
        .select("row", "sector", "hts_prefix", "source")
    )


def _qualified(hits: pl.DataFrame) -> pl.DataFrame:
    """Rows whose text contains their qualifier (one regex per distinct qualifier)."""
    parts = [
        group.filter(pl.col("text").str.contains(str(pattern)))
        for (pattern,), group in hits.group_by("qualifier")
    ]
    return pl.concat(parts) if parts else hits.clear()
