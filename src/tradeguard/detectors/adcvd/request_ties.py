"""A request-sized screen of the subject-country ties: can any line of a few be reported?

A transshipment report needs a tie of the plant to the subject country (``LINK_INDICATORS``)
besides a change, so when no tie can fire on a request's third-country lines the batch path
reports none of them and its findings are the deposit checks alone. The batch path computes
every indicator with joins (tens of milliseconds for a request of 1-5 lines); this screen rules
the ties out from sets and counts cut once per baseline, with scalar Python over the lines. It
errs one way only: any tie it cannot rule out sends the request to the batch path. Bars come
from the detector's :class:`~tradeguard.detectors.adcvd.config.AdcvdConfig`.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import polars as pl

from tradeguard.detectors.adcvd.baseline import EvasionBaseline
from tradeguard.detectors.adcvd.config import LINK_INDICATORS, ROUTE_TIES, AdcvdConfig
from tradeguard.detectors.adcvd.request import Order, RequestScreen, Triage, Unsure, plain_text

# The ties this screen settles; a tie added to the scoring rule and not here disables it.
_SETTLED = frozenset({
    "ADCVD_EVASION_MID_SUBJECT", "ADCVD_EVASION_ADDRESS_SUBJECT",
    "ADCVD_EVASION_SELLER_SUBJECT", "ADCVD_EVASION_ORIGIN_SWITCH",
    "ADCVD_EVASION_PRICE_SUBJECT", "ADCVD_EVASION_SUPPLIER_SUBJECT",
    "ADCVD_EVASION_UPSTREAM_SUBJECT", "ADCVD_EVASION_KNOWN_ROUTE",
})
_ROUTE = frozenset({"ADCVD_EVASION_KNOWN_ROUTE"})
# Text columns the ties read: another dtype is cast by the batch path, so left to it.
_TEXTS = ("manufacturer_id", "manufacturer_address", "seller_country", "importer_id",
          "importer_name", "quantity_unit")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Relative room left around the price test's bars for the batch path's float rounding.
_SLACK = 1e-9


class TieScreen:
    """Sets and counts of one baseline that the subject-country ties compare a line with.

    ``places`` gives the normalised place names of a subject country (the address tie's
    :func:`~tradeguard.detectors.adcvd.indicators.subject_places`) and ``routes`` the
    documented evasion routes (:func:`~tradeguard.detectors.adcvd.routes.documented_routes`),
    both as the batch path builds them."""

    def __init__(self, baseline: EvasionBaseline, cfg: AdcvdConfig, routes: pl.DataFrame,
                 places: Callable[[str], pl.DataFrame]) -> None:
        self.cfg, self._places_of = cfg, places
        self.usable = (LINK_INDICATORS <= _SETTLED and ROUTE_TIES == _ROUTE
                       and cfg.min_link_score > 0)
        self.bought: set[tuple[Any, ...]] = set()
        if baseline.importer_origins.height:
            self.bought = set(baseline.importer_origins.select(
                "importer", "hts6", "origin").iter_rows())
        # History unit values of each (HTS 10, unit, origin) with peers enough to rank a
        # line among them, sorted; a group holding NaN is left out (ranked lines then raise).
        self.ranked: dict[tuple[Any, ...], list[float]] = {}
        self.unrankable: set[tuple[Any, ...]] = set()
        if baseline.unit_values.height:
            groups = baseline.unit_values.group_by("hts10", "quantity_unit", "origin").agg(
                pl.col("uv").sort(), pl.col("uv").is_nan().any().alias("nan")
            ).filter(pl.col("uv").list.len() >= cfg.price_min_peers)
            for hts, unit, origin, values, nan in groups.iter_rows():
                if nan:
                    self.unrankable.add((hts, unit, origin))
                else:
                    self.ranked[(hts, unit, origin)] = values
        self.shipments: dict[str, int] = {}
        if baseline.start is not None and baseline.plants.height:
            self.shipments = dict(baseline.plants.group_by("plant").agg(
                pl.col("entry_number").n_unique()).iter_rows())
        self.new_plants_possible = baseline.start is not None and baseline.plants.height > 0
        self.routes = set(routes.select("case_number", "route_country").iter_rows())
        self._places: dict[str, list[str]] = {}

    def places(self, country: str) -> list[str]:
        """The place names of ``country`` the address tie looks for."""
        found = self._places.get(country)
        if found is None:
            found = self._places[country] = self._places_of(country)["place"].to_list()
        return found

    def may_tie(self, read: Triage, schema: pl.Schema, supply_chain: pl.DataFrame | None,
                known: RequestScreen) -> bool:
        """False only when no third-country line of the request can be reported because no
        subject-country tie can hold on it; True otherwise. ``known`` is the request screen
        (the plants' first-seen dates)."""
        if not self.usable:
            return True
        if any(c in schema and schema[c] != pl.String for c in _TEXTS):
            return True
        cfg = self.cfg
        pairs: Counter[str] = Counter()
        priced: dict[tuple[str, str, str], list[tuple[float, float, float, float]]] = {}
        routed: set[str] = set()
        shipped: dict[str, set[str]] = {}  # entries of each plant's third-country lines
        try:
            for row, third in zip(read.rows, read.third, strict=True):
                if not third:
                    continue
                mid = plain_text(row.get("manufacturer_id"))
                if mid:
                    shipped.setdefault(mid.upper(), set()).add(row["entry_number"])
                by_subject: dict[str, list[Order]] = {}
                for order in third:
                    assert order.country is not None
                    by_subject.setdefault(order.country, []).append(order)
                for subject, orders in by_subject.items():
                    pairs[subject] += 1
                    if self._strong_or_switch(row, subject):
                        return True
                    price = self._price_ranks(row, subject)
                    if price is not None:
                        if any(o.order_type is None for o in orders):
                            return True  # the batch path sorts a missing type first
                        primary = min(orders, key=lambda o: (o.order_type != "AD",
                                                             o.case_number)).case_number
                        if not mid:
                            return True  # pooled by name: left to the batch path
                        priced.setdefault((mid.upper(), subject, primary), []).append(price)
                    origin = str(row["country_of_origin"]).upper()
                    if any((o.case_number, origin) in self.routes for o in orders):
                        if not mid:
                            return True
                        routed.add(mid.upper())
        except Unsure:
            return True
        if any(self._may_rank(ranks) for ranks in priced.values()):
            return True
        if supply_chain is not None and supply_chain.height and any(
                n >= cfg.supplier_min_lines for n in pairs.values()):
            return True
        return self._may_be_implausible({p: shipped[p] for p in routed}, read, known)

    def _may_be_implausible(self, routed: dict[str, set[str]], read: Triage,
                            known: RequestScreen) -> bool:
        """Whether a plant on a documented route may ship implausibly many start-up
        shipments: a route is a tie only then. The plant must be new (first seen after the
        settled start of history), its first window must reach the request's first day, and
        it needs ``new_plant_min_shipments`` shipments, history's and the request's
        (``routed``: the entries of each routed plant's third-country lines)."""
        if not self.new_plants_possible or not routed:
            return False
        days = [d for d in (row["entry_date"] for row in read.rows) if d is not None]
        first_day = min(days) if days else None
        window = timedelta(days=self.cfg.new_plant_window_days)
        for plant, entries in routed.items():
            seen = known.first_seen_mid.get(plant)
            if seen is not None and known.settled is not None and (
                    seen <= known.settled
                    or (first_day is not None and seen + window < first_day)):
                continue
            if self.shipments.get(plant, 0) + len(entries) >= self.cfg.new_plant_min_shipments:
                return True
        return False

    def _price_ranks(self, row: dict[str, Any], subject: str
                     ) -> tuple[float, float, float, float] | None:
        """(lowest and highest mid-rank percentile of the line's unit value among the
        origin's history lines, then among ``subject``'s) for a line the price test ranks;
        None when it does not rank it. Raises :class:`Unsure` on a line it cannot rank."""
        if not self.ranked:
            return None
        quantity, value = row["quantity"], row["entered_value_usd"]
        if quantity is None or quantity <= 0:
            return None
        unit = row.get("quantity_unit")
        if unit is None or value is None:
            raise Unsure
        uv = value / quantity
        if not math.isfinite(uv):
            raise Unsure
        hts = "".join(c for c in row["hts_code"] if c.isdigit())
        origin = str(row["country_of_origin"]).upper()
        if {(hts, unit, origin), (hts, unit, subject)} & self.unrankable:
            raise Unsure
        among_origin = self.ranked.get((hts, unit, origin))
        among_subject = self.ranked.get((hts, unit, subject))
        if among_origin is None or among_subject is None:
            return None
        return (*_bounds(among_origin, uv), *_bounds(among_subject, uv))

    def _may_rank(self, ranks: list[tuple[float, float, float, float]]) -> bool:
        """Whether the plant's mean percentiles may pass the price test (its lines'
        percentile bounds; ties in history leave a range). The direction test is not
        applied: it can only stop the test from firing."""
        cfg, n = self.cfg, len(ranks)
        if n < cfg.price_min_lines:
            return False
        scale = math.sqrt(12 * n)
        z_origin = [(sum(r[i] for r in ranks) / n - 0.5) * scale for i in (0, 1)]
        z_subject = [(sum(r[i] for r in ranks) / n - 0.5) * scale for i in (2, 3)]
        bar_origin = cfg.price_z_origin * (1 - _SLACK)
        off_centre = z_origin[1] >= bar_origin or z_origin[0] <= -bar_origin
        nearest = 0.0 if z_subject[0] <= 0 <= z_subject[1] else min(map(abs, z_subject))
        return off_centre and nearest < cfg.price_z_subject * (1 + _SLACK)

    def _strong_or_switch(self, row: dict[str, Any], subject: str) -> bool:
        """Whether the MID, seller, address or importer's switch may tie the line to
        ``subject`` (texts the batch path would read differently raise)."""
        mid = plain_text(row.get("manufacturer_id"))
        if mid and mid.upper()[:2] == subject:
            return True
        seller = row.get("seller_country")
        if seller is not None and (not seller.isascii() or seller.upper() == subject):
            return True
        address = row.get("manufacturer_address")
        if address is not None:
            if not address.isascii() and any(
                    not c.isascii() and any(x.isascii() for x in c.lower()) for c in address):
                return True  # a letter lower-cased into ASCII: left to the batch path
            words = _NON_ALNUM.sub(" ", address.lower()).strip()
            # The batch path matches whole words after dropping street names: a superset.
            if any(place in words for place in self.places(subject)):
                return True
        if self.bought:
            importer = row.get("importer_id")
            if importer is None:
                importer = row.get("importer_name")
            digits = plain_text(row["hts_code"])
            hts6 = "".join(c for c in digits or "" if c.isdigit())[:6]
            origin = str(row["country_of_origin"]).upper()
            if importer is not None and (importer, hts6, subject) in self.bought \
                    and (importer, hts6, origin) not in self.bought:
                return True
        return False



def _bounds(values: list[float], uv: float) -> tuple[float, float]:
    """Lowest and highest mid-rank percentile of ``uv`` among sorted ``values``."""
    below, through = bisect_left(values, uv), bisect_right(values, uv)
    return below / len(values), through / len(values)
