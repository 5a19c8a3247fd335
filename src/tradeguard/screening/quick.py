"""Quick screens: which candidate pairs of names go on to exact scoring.

Exact scoring is Python, pair by pair; most candidates of a name are clearly different names,
and three cheap vectorised similarities (RapidFuzz ``cpdist``) drop them first. Each name's
spellings the screens compare (:data:`TEXTS`) are made once per name, not once per pair: a
listed name meets many declared names, and a declared name meets dozens of candidates. The
pairs then take their names' strings by position (array indexing), not by a join that copies
every pair's strings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from rapidfuzz import fuzz, process

#: Pairs above which a screen runs on every core.
_THREADED_PAIRS = 5_000
#: A name's spellings, by column: its words joined by single spaces, the same words sorted,
#: and the words run together.
TEXTS: tuple[str, ...] = ("flat", "flat_sorted", "flat_unspaced")

Index = npt.NDArray[np.integer]
#: The screens, cheapest first: (scorer, spelling compared, only for pairs whose word counts
#: differ by at most :data:`MOST_EXTRA_WORDS`).
SCREENS: tuple[tuple[Any, str, bool], ...] = ((fuzz.ratio, "flat_unspaced", False),
                                              (fuzz.ratio, "flat_sorted", False),
                                              (fuzz.token_set_ratio, "flat", True))
#: "Few left over": either name may carry one word the other lacks (a declared name without
#: "GROUP", or with "CO").
MOST_EXTRA_WORDS = 1


def name_texts(tokens: pl.Expr) -> list[pl.Expr]:
    """The :data:`TEXTS` of names from their word lists (words of letters and digits)."""
    return [tokens.list.join(" ").alias("flat"),
            tokens.list.sort().list.join(" ").alias("flat_sorted"),
            tokens.list.join("").alias("flat_unspaced")]


def _columns(names: pl.DataFrame) -> dict[str, npt.NDArray[np.object_]]:
    return {t: np.asarray(names.get_column(t).to_list(), dtype=object) for t in TEXTS}


def quick_screens(queries: pl.DataFrame, listed: pl.DataFrame, qids: Index, slots: Index,
                  least: float) -> npt.NDArray[np.bool_]:
    """Whether each pair (``qids[i]``, ``slots[i]``) goes on to exact scoring: a cheap
    vectorised screen reaches ``least``, one per way two names can match — the same letters
    with word breaks moved (names written as one word), the same words in any order (token
    sort), or one name's words all inside the other's (token set) with few words left over.

    ``queries`` and ``listed`` hold the :data:`TEXTS` of the declared and listed names, a
    pair's names being the rows at its ``qids`` and ``slots`` positions. The token-sort screen
    is the plain ratio of the sorted spellings, which is what ``fuzz.token_sort_ratio``
    computes after splitting and sorting each pair again. A pair needs one screen to pass, so
    each screen runs only on the pairs the ones before left out, cheapest first. A score
    counts as ``score / 100`` in the scorer's own float type, as when the three were
    compared at once.
    """
    # Only the listed names the pairs meet are read (a few thousand of ~20,000).
    used, at = np.unique(slots, return_inverse=True)
    mine = listed[pl.Series(used)]
    q_text, l_text = _columns(queries), _columns(mine)
    words_q = queries.get_column("flat").str.count_matches(" ").to_numpy().astype(np.int64)
    words_l = mine.get_column("flat").str.count_matches(" ").to_numpy().astype(np.int64)
    words_q, words_l = words_q[qids], words_l[at]
    few_extra = np.abs(words_q - words_l) <= MOST_EXTRA_WORDS
    passed = np.zeros(len(qids), dtype=bool)
    for scorer, text, only_few in SCREENS:
        todo = np.flatnonzero(~passed & few_extra if only_few else ~passed)
        if todo.size == 0:
            continue
        # Threads pay off only on many pairs; a few hundred are done before threads start.
        workers = -1 if todo.size > _THREADED_PAIRS else 1
        score = process.cpdist(q_text[text][qids[todo]], l_text[text][at[todo]],
                               scorer=scorer, workers=workers)
        passed[todo] = (score / 100).astype(np.float64) >= least
    return passed
