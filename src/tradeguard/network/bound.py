"""The most a candidate pair could weigh, from the cheap tests of its comparison levels.

Most pairs of the name-word block share one common word and little else, yet Splink computes
every string similarity of each (three Jaro-Winkler and a Levenshtein on the names, two on the
addresses) before finding it far below the link threshold. :func:`weight_bound_sql` is a SQL
condition on a pair (``l.`` and ``r.`` columns) that is false only for pairs that cannot reach
the threshold: comparison by comparison, levels are tried in their order with each string
similarity test counted as passed; a level decided by the cheap tests alone (equalities, list
overlaps, lengths) gives its own weight, one that needs a similarity gives the highest weight
it or any later level could give. Adding it to the blocking rules leaves out no link: Splink
scores the pairs that remain exactly as it did, with the same levels and weights.

Only valid with the configured (m, u) of :data:`~tradeguard.network.comparisons.PRIORS` in
force, i.e. when no training replaced them.
"""

from __future__ import annotations

import math

import sqlglot
from sqlglot import exp

from tradeguard.network.comparisons import LEVELS

# String similarities: each costs a pass over both strings (Levenshtein the product of their
# lengths); everything else a level tests is an equality, a list overlap or a length. Named
# as SQL spells them, and as sqlglot names the functions it knows.
_COSTLY = frozenset({"jaro_winkler_similarity", "jaro_similarity", "levenshtein",
                     "damerau_levenshtein", "jaccard", "jarowinklersimilarity", "hamming"})
# Bits of slack under the threshold: Splink multiplies Bayes factors, the bound adds logs.
_SLACK = 1e-6


def _costly(node: exp.Expression) -> bool:
    return any(isinstance(n, exp.Func) and (
        n.key in _COSTLY or (isinstance(n, exp.Anonymous) and n.name.lower() in _COSTLY))
        for n in node.walk())


def _sided(node: exp.Expression) -> exp.Expression:
    """``name_l`` / ``name_r`` (comparison columns) as ``l.name`` / ``r.name`` (blocking)."""
    if isinstance(node, exp.Column) and not node.table and node.name[-2:] in ("_l", "_r"):
        return exp.column(node.name[:-2], table=node.name[-1])
    return node


def _relaxed(sql: str) -> tuple[str, bool]:
    """The level's condition with every test that needs a string similarity taken as true
    (it holds whenever the condition could), and whether there was any such test.

    Only tests joined by AND / OR are replaced, never one under a NOT or inside another
    expression, so the relaxed condition is true wherever the level's condition is."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    costly = _costly(tree)

    def relax(node: exp.Expression) -> exp.Expression:
        if isinstance(node, (exp.And, exp.Or, exp.Paren)):
            return node
        return exp.true() if _costly(node) else node

    relaxed = tree.transform(relax) if costly else tree
    return relaxed.transform(_sided).sql(dialect="duckdb"), costly


def _weight(priors: dict[str, tuple[float, float]], label: str) -> float:
    if label not in priors:  # the null level: no evidence either way
        return 0.0
    m, u = priors[label]
    return math.log2(m / u)


def _double(value: float) -> str:
    return f"CAST({value!r} AS DOUBLE)"


def weight_bound(levels: dict[str, dict[str, tuple[float, float]]], prior: float) -> str:
    """A SQL expression over a pair: at least its match weight (log2 of the posterior odds)
    under the (m, u) ``levels`` and the ``prior`` match probability."""
    terms = []
    for name, ordered in LEVELS.items():
        whens, last = [], 0.0
        for i, (label, sql) in enumerate(ordered):
            if sql is None:  # the else level
                last = _weight(levels[name], label)
                break
            condition, costly = _relaxed(sql)
            best = max(_weight(levels[name], later) for later, _ in ordered[i:]) if costly \
                else _weight(levels[name], label)
            whens.append(f"WHEN {condition} THEN {_double(best)}")
        terms.append(f"(CASE {' '.join(whens)} ELSE {_double(last)} END)")
    return f"({_double(math.log2(prior / (1 - prior)))} + {' + '.join(terms)})"


def weight_bound_sql(levels: dict[str, dict[str, tuple[float, float]]], prior: float,
                     threshold: float) -> str:
    """A pair condition, false only where the pair's match probability is surely below
    ``threshold`` under the (m, u) ``levels`` and the ``prior`` match probability (always
    true when a level is certain, an m or u of 0: no finite bound then)."""
    if any(m <= 0 or u <= 0 for per in levels.values() for m, u in per.values()):
        return "TRUE"
    need = math.log2(threshold / (1 - threshold)) - _SLACK
    return f"{weight_bound(levels, prior)} >= {_double(need)}"
