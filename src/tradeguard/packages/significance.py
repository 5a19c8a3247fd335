"""Is a sender's count of bad parcels more than chance? One-sided binomial tests, corrected
for testing every sender at once.

With thousands of senders, a test at 1 % alone brands dozens of ordinary ones by luck; the
Benjamini-Hochberg procedure keeps the expected share of wrongly named senders among those
named at the chosen level instead.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]


def binomial_excess_p(count: npt.ArrayLike, total: npt.ArrayLike,
                      rate: npt.ArrayLike) -> Floats:
    """P(X >= count) for X ~ Binomial(total, rate): how surprising so many bad parcels are
    if the sender erred at ``rate`` (one for all, or one per sender; 1.0 for a count of 0)."""
    from scipy.special import bdtrc

    k = np.rint(np.asarray(count, dtype=np.float64)).astype(np.int64)
    n = np.rint(np.asarray(total, dtype=np.float64)).astype(np.int64)
    p = np.broadcast_to(np.clip(np.asarray(rate, dtype=np.float64), 1e-12, 1.0 - 1e-12),
                        k.shape)
    out = np.ones(k.shape, dtype=np.float64)
    some = (k >= 1) & (n >= k)
    # bdtrc(j, n, p) is P(X > j), so P(X >= k) is bdtrc(k - 1, n, p).
    out[some] = bdtrc(k[some] - 1, n[some], p[some])
    return out


def benjamini_hochberg(p_values: npt.ArrayLike) -> Floats:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order: a sender with
    q <= alpha is named with a false-discovery rate of at most alpha across the family."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1].clip(max=1.0)
    out = np.empty(m, dtype=np.float64)
    out[order] = q
    return out
