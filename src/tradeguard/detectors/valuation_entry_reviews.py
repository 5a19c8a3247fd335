"""The entry and account reviews of a request's few lines, in plain Python.

The same reviews as :func:`~tradeguard.detectors.valuation_corroboration.corroborate`, with the
same thresholds and the same scipy calls, over lines scored one by one
(:mod:`valuation_entry`): an account p-value is worked out only for a line that is flagged or
whose other conditions hold, so most requests make no scipy call at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri
from scipy.stats import binom

from tradeguard.detectors.valuation_corroboration import (
    REFERENCE_RATIOS,
    AccountBaseRates,
    line_p_values,
)
from tradeguard.detectors.valuation_entry_nulls import (
    as_float,
    at_least,
    at_most,
    divide,
    largest,
    minus,
    times,
)
from tradeguard.detectors.valuation_evidence import ValuationConfig

Contract = tuple[str | None, ...]


class LineFlags(NamedTuple):
    """A line's flags after corroboration (``_under``, ``_over``, ``_quantity``, ``_light``)."""

    under: bool
    over: bool
    quantity: bool
    light: bool

    @property
    def flagged(self) -> bool:
        """Whether the line gives a finding."""
        return self.under or self.over or self.quantity or self.light


@dataclass(slots=True)
class ScoredLine:
    """A line scored on its own: the findings' columns, and what the reviews read."""

    values: dict[str, object]
    importer_id: str | None
    manufacturer_id: str | None
    hts10: str | None
    entered_value: float | None
    min_ratio: float | None
    max_ratio: float | None
    flags: LineFlags

    @property
    def under_score(self) -> float | None:
        score = self.values["_score"]
        assert score is None or isinstance(score, float)
        return score

    @property
    def related(self) -> bool:
        return self.values["related"] is True

    @property
    def contract(self) -> Contract:
        return (self.importer_id, self.hts10, self.manufacturer_id)

    @property
    def open(self) -> bool:
        """Not flagged on its own: open to the entry and account reviews."""
        return not self.flags.flagged

    @property
    def score(self) -> float:
        return -1e9 if self.under_score is None else self.under_score


@lru_cache(maxsize=8192)
def _binom_tail(k: int, n: int, p0: float) -> float:
    """The binomial tail of ``k`` or more low contracts of ``n`` (as the batch computes it).

    Kept per (k, n, p0): requests repeat the same few counts at the same base rate, and one
    call of ``binom.sf`` costs ~25 us."""
    return float(np.asarray(binom.sf(np.array([k - 1]), np.array([n]), p0))[0])


def _low_contracts(lines: list[ScoredLine], cfg: ValuationConfig, related: bool
                   ) -> dict[Contract, bool]:
    """Contract (importer x HTS-10 x manufacturer) -> low: at least half its lines low (as
    ``_contracts``; ``related``: its related-party lines only)."""
    lows: dict[Contract, list[bool]] = {}
    for ln in lines:
        if ln.min_ratio is None or ln.importer_id is None or (related and not ln.related):
            continue
        low = ln.flags.under or (at_least(ln.under_score, cfg.account_low_z)
                                 and at_most(ln.min_ratio, cfg.account_low_ratio))
        lows.setdefault(ln.contract, []).append(low)
    return {key: sum(v) / len(v) >= 0.5 for key, v in lows.items()}


def _base_rate(contracts: dict[Contract, bool], base_rate: float | None, floor: float) -> float:
    """p0 of an account review: the history's base rate, else the share of low contracts."""
    share = base_rate if base_rate is not None else sum(contracts.values()) / len(contracts)
    return max(share, floor)


def _account(contracts: dict[Contract, bool], importer: str | None, base_rate: float | None,
             floor: float) -> tuple[int | None, int | None, float | None]:
    """The importer's low contracts, contracts and binomial tail (as ``_account``)."""
    mine = [low for key, low in contracts.items() if key[0] == importer]
    if importer is None or not mine:
        return None, None, None
    low = sum(mine)
    return low, len(mine), _binom_tail(low, len(mine), _base_rate(contracts, base_rate, floor))


def _others_p(ln: ScoredLine, contracts: dict[Contract, bool], base_rate: float | None,
              floor: float) -> float | None:
    """The binomial tail of the importer's OTHER contracts (as ``_other_contracts``)."""
    if ln.contract not in contracts:
        return None
    mine = [low for key, low in contracts.items() if key[0] == ln.importer_id]
    n = len(mine) - 1
    k = sum(mine) - int(contracts[ln.contract])
    return _binom_tail(k, n, _base_rate(contracts, base_rate, floor)) if n > 0 else 1.0


_SQRT2 = float(np.sqrt(2.0))


def _isf(p: float) -> float:
    """``norm.isf(p)`` of one p-value: what that method works out (``-ndtri(p)``, scaled by 1
    and shifted by 0; plus or minus infinity at 0 and 1, NaN outside), without its argument
    checks (~100 us a call)."""
    return float(-ndtri(p) * 1.0 + 0.0)


def _combined_p(ln: ScoredLine, others: float | None, reference: npt.NDArray[np.float64]
                ) -> tuple[float, float]:
    """The line's empirical p-value and its Stouffer combination with ``others`` (as
    ``_combined``: the normal quantiles by :func:`_isf`, the tail ``norm.sf(z)`` as the
    ``ndtr(-z)`` it is)."""
    score = np.array([np.nan if ln.under_score is None else ln.under_score], dtype=np.float64)
    p_line = float(line_p_values(score, reference)[0])
    z = (_isf(p_line) + _isf(1.0 if others is None else others)) / _SQRT2
    return p_line, float(ndtr(-z))


def _combined_at_most(ln: ScoredLine, others: float | None,
                      reference: npt.NDArray[np.float64], alpha: float) -> bool:
    """Whether the combined p-value is at most ``alpha``. Without other contracts (a
    one-contract request: p = 1, whose normal quantile is minus infinity) it is 1 with no
    scipy call."""
    if others is None or others == 1.0:
        return alpha >= 1.0
    return _combined_p(ln, others, reference)[1] <= alpha


def _reviewed(ln: ScoredLine, cfg: ValuationConfig) -> bool:
    """Whether the reviews can flag or annotate the line: flagged on its own, or with a score
    or a ratio that lets the entry or account review in (otherwise its flags stand as they
    are and no review's numbers are needed)."""
    score = ln.score
    return ln.flags.flagged or score >= cfg.entry_z or score >= cfg.account_z or (
        ln.importer_id is not None and at_most(ln.min_ratio, cfg.account_line_ratio))


def corroborate_lines(lines: list[ScoredLine], cfg: ValuationConfig, rates: AccountBaseRates
                 ) -> list[LineFlags]:
    """The lines' flags after the entry and account reviews (as :func:`corroborate`); the
    flagged lines get the reviews' columns, gap and duty. An account p-value is worked out
    only for a flagged line or one whose other conditions hold (a few scipy calls each)."""
    if not any(_reviewed(ln, cfg) for ln in lines):  # about half the requests
        return [ln.flags for ln in lines]
    under_by_entry: dict[object, int] = {}
    for ln in lines:
        key = ln.values["entry_number"]
        under_by_entry[key] = under_by_entry.get(key, 0) + ln.flags.under
    every = _low_contracts(lines, cfg, related=False)
    related = _low_contracts(lines, cfg, related=True)
    reference = rates.scores
    if reference is None:  # no history scored: the batch itself is the reference
        scores = np.array([np.nan if ln.under_score is None else ln.under_score
                           for ln in lines], dtype=np.float64)
        reference = np.sort(scores[~np.isnan(scores)])
    floor = cfg.account_base_rate_floor
    out = []
    for ln in lines:
        v = ln.values
        entry_flagged = under_by_entry[v["entry_number"]] - ln.flags.under
        entry = ln.open and ln.score >= cfg.entry_z \
            and entry_flagged >= cfg.entry_min_flagged and at_most(ln.max_ratio, cfg.entry_ratio)
        candidate = ln.open and ln.score >= cfg.account_z
        by_account = ln.importer_id is not None and (
            (candidate and at_most(ln.min_ratio, cfg.account_line_ratio)
             and at_most(_account(every, ln.importer_id, rates.overall, floor)[2],
                     cfg.account_alpha))
            or (candidate and ln.related and at_most(ln.min_ratio, cfg.related_under_ratio)
                and at_most(_account(related, ln.importer_id, rates.related, floor)[2],
                        cfg.account_alpha))
            or (ln.open and at_most(ln.min_ratio, cfg.account_line_ratio)
                and _combined_at_most(ln, _others_p(ln, every, rates.overall, floor),
                                      reference, cfg.account_alpha)))
        new = entry or by_account
        flags = ln.flags._replace(under=ln.flags.under or new)
        out.append(flags)
        if not flags.flagged:
            continue
        # a flagged line's finding states the reviews' numbers, whichever flag it has
        account = _account(every, ln.importer_id, rates.overall, floor)
        related_account = _account(related, ln.importer_id, rates.related, floor)
        others = _others_p(ln, every, rates.overall, floor)
        p_line, combined = _combined_p(ln, others, reference)
        if new:  # the least extreme reference at or below the cut that let the line in
            cut = cfg.entry_ratio if entry else max(
                cfg.account_line_ratio, cfg.related_under_ratio) if ln.related \
                else cfg.account_line_ratio
            used = largest(*[r if at_most(r, cut) else None
                          for r in (as_float(v[c]) for c in REFERENCE_RATIOS)])
            gap = minus(divide(ln.entered_value, used), ln.entered_value)
            v.update(value_gap_usd=gap, duty_at_risk_usd=times(gap, as_float(v["ad_valorem_rate"])))
        v.update(_under=flags.under, _over=flags.over, _quantity=flags.quantity,
                 _light=flags.light, _under_uv=v["_under_uv"] is True or new,
                 entry_flagged_lines=entry_flagged, account_low_contracts=account[0],
                 account_contracts=account[1], account_p_value=account[2],
                 related_account_low_contracts=related_account[0],
                 related_account_contracts=related_account[1],
                 related_account_p_value=related_account[2], account_others_p_value=others,
                 line_p_value=p_line, combined_p_value=combined, _entry_corroborated=entry,
                 _account_corroborated=by_account and not entry)
    return out
