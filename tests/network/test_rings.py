"""The importer ring rule on inline, already clustered declarations: a ring splits one
supplier's goods over new importer numbers; a multi-division firm does not."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from tradeguard.network.rings import RingRule, importer_rings

LATEST = date(2026, 9, 30)


def lines(cluster: str, number: str, supplier: str, ago: list[int], *,
          history: bool = False, name: str | None = None) -> pl.DataFrame:
    """Entry lines of one importer number of ``cluster`` buying from ``supplier``: an
    importer and a manufacturer occurrence per line, ``ago`` days before LATEST."""
    n = len(ago)
    entries = [f"{number}-{a}" for a in ago]
    dates = [LATEST - timedelta(days=a) for a in ago]
    common = {"entry_number": entries, "line_number": [1] * n, "date": dates,
              "history": [history] * n, "importer": [number] * n,
              "linkage_version": ["v1"] * n, "address": ["1 Harbor Blvd, Dallas, TX"] * n}
    return pl.concat([
        pl.DataFrame({**common, "kind": ["importer"] * n, "cluster": [cluster] * n,
                      "identifier": [number] * n, "name": [name or f"{cluster} {number}"] * n}),
        pl.DataFrame({**common, "kind": ["manufacturer"] * n,
                      "cluster": [f"manufacturer|{supplier}||CN|"] * n,
                      "identifier": [supplier.upper()[:8]] * n, "name": [supplier] * n}),
    ])


def population() -> list[pl.DataFrame]:
    """Thirty single-number importers, each with its own factory, filing for a year."""
    return [lines(f"IMP{i}", f"{50 + i}-{1000000 + i}00", f"Factory {i}", ago, history=hist)
            for i in range(30) for ago, hist in (([400, 300, 200], True), ([30, 5], False))]


def raised(parts: list[pl.DataFrame], rule: RingRule | None = None) -> list[str]:
    found = importer_rings(pl.concat(parts), rule or RingRule())
    return [] if found.is_empty() else found["cluster"].to_list()


def division(number: str, supplier: str, first: int, *, firm: str = "ACME") -> list[pl.DataFrame]:
    """One importer number of ``firm``: history from ``first`` days back (none when 0),
    and two lines in the batch."""
    past = [lines(firm, number, supplier, [first, first - 60], history=True)] if first else []
    return [*past, lines(firm, number, supplier, [20, 4])]


def test_new_numbers_splitting_one_suppliers_goods_are_a_ring() -> None:
    ring = [lines("RING", f"12-3456789{j:02d}", "Shunxing Toys", [40 - 9 * j, 12 - j])
            for j in range(3)]
    found = importer_rings(pl.concat([*population(), *ring]), RingRule())
    assert found["cluster"].to_list() == ["RING"]
    row = found.row(0, named=True)
    assert row["importer_ids"] == ["12-345678900", "12-345678901", "12-345678902"]
    assert row["sharing_numbers"] == 3 and row["shared_suppliers"] == ["Shunxing Toys"]
    # First entry 40 days back; the latest declaration of the data is 5 days back.
    assert row["has_history"] is False and row["days_filing"] == 35


def test_a_multi_division_firm_with_a_track_record_is_not_a_ring() -> None:
    # Three divisions under one EIN and one head-office address, filing for two years, each
    # buying its own goods from its own factories.
    firm = [*division("12-345678900", "Brake Parts Factory", 700),
            *division("12-345678901", "Surgical Gloves Factory", 650),
            *division("12-345678902", "Office Chairs Factory", 600)]
    assert raised([*population(), *firm]) == []
    # Even where two divisions buy from one supplier: the group has a track record.
    shared = [*division("12-345678900", "Brake Parts Factory", 700),
              *division("12-345678901", "Brake Parts Factory", 650)]
    assert raised([*population(), *shared]) == []
    # The same numbers with no track record, splitting one factory's goods, are a ring.
    fresh = [*division("12-345678900", "Brake Parts Factory", 0),
             *division("12-345678901", "Brake Parts Factory", 0)]
    assert raised([*population(), *fresh]) == ["ACME"]


def test_new_numbers_each_buying_their_own_goods_are_not_a_ring() -> None:
    # A new firm that registered two divisions at once, each with its own trade.
    firm = [*division("12-345678900", "Brake Parts Factory", 0),
            *division("12-345678901", "Surgical Gloves Factory", 0)]
    assert raised([*population(), *firm]) == []


def test_two_numbers_are_enough_unless_configured_otherwise() -> None:
    pair = [lines("PAIR", f"12-3456789{j:02d}", "Shunxing Toys", [30, 10]) for j in range(2)]
    assert raised([*population(), *pair]) == ["PAIR"]
    assert raised([*population(), *pair], RingRule(min_importers=3)) == []


def test_a_group_first_seen_as_the_data_starts_is_of_unknown_age_not_new() -> None:
    # Six months of data: the group files from its first weeks on, as old firms do.
    short = [lines(f"IMP{i}", f"{50 + i}-{1000000 + i}00", f"Factory {i}", ago, history=hist)
             for i in range(30) for ago, hist in (([175, 120], True), ([30, 5], False))]
    group = [*division("12-345678900", "Brake Parts Factory", 170),
             *division("12-345678901", "Brake Parts Factory", 100)]
    assert raised([*short, *group]) == []
    assert raised([*short, *group], RingRule(lead_days=0)) == ["ACME"]
    # Past its first ``new_days`` the group has a track record, known age or not.
    assert raised([*short, *group], RingRule(lead_days=0, new_days=150)) == []
