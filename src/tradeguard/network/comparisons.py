"""The comparisons of the party linkage model, as Splink comparisons with documented priors.

Each comparison is a list of levels (label, SQL condition on the ``_l`` / ``_r`` columns of a
pair), tried in order; the first that holds is the pair's level. The priors are (m, u):
m the share of true matches at the level, u the share of non-matches. Their ratio is the
evidence (``log2(m/u)`` bits) the level adds; levels with m = u are neutral. The priors come
from how declarations are written: a firm that respells its name keeps the same importer
number root; a factory that respells its name or address gets a new MID (the MID is built
from both), so a different MID is weak evidence against; an exact name is rare among
non-matches; addresses are written many ways.
"""

from __future__ import annotations

from typing import Any

# (label, SQL condition) per level, in order; ``None`` marks the null level (no evidence).
LEVELS: dict[str, list[tuple[str, str | None]]] = {
    "name": [
        ("missing", "name_key_l IS NULL OR name_key_r IS NULL OR name_key_l = '' "
                    "OR name_key_r = ''"),
        ("exact", "name_key_l = name_key_r"),
        ("same_words", "name_sorted_l = name_sorted_r"),
        ("high", "jaro_winkler_similarity(name_key_l, name_key_r) >= 0.95"),
        # Levenshtein costs the product of the lengths; one edit apart, the lengths (in
        # bytes, as DuckDB counts the edits) differ by at most one, so most pairs skip it.
        ("mid", "jaro_winkler_similarity(name_key_l, name_key_r) >= 0.92 "
                "OR (abs(strlen(name_key_l) - strlen(name_key_r)) <= 1 "
                "AND levenshtein(name_key_l, name_key_r) <= 1)"),
        ("low", "jaro_winkler_similarity(name_key_l, name_key_r) >= 0.75"),
        ("else", None),
    ],
    # Term frequency of the rarest shared name word.  An exact name already says all a shared
    # word could: counting both would count twice, so that level is neutral.
    "rare_word": [
        ("missing", "len(rare_words_l) = 0 OR len(rare_words_r) = 0"),
        ("exact_name", "name_key_l = name_key_r"),
        ("very_rare", "list_has_any(very_rare_words_l, very_rare_words_r)"),
        ("rare", "list_has_any(rare_words_l, rare_words_r)"),
        ("none", None),
    ],
    # The first word of a firm's name: in Chinese names the place of registration, elsewhere
    # mostly the brand. Candidate pairs already share a name word, so agreeing here says
    # little; a true match rarely changes it, so disagreeing ("Shanghai Xinheng Electric" /
    # "Qingdao Xinheng Electrical") is evidence of two firms.
    "name_head": [
        ("missing", "name_head_l IS NULL OR name_head_r IS NULL OR name_head_l = '' "
                    "OR name_head_r = ''"),
        ("same", "name_head_l = name_head_r"),
        ("else", None),
    ],
    "address": [
        ("missing", "addr_key_l IS NULL OR addr_key_r IS NULL OR addr_key_l = '' "
                    "OR addr_key_r = ''"),
        ("exact", "addr_key_l = addr_key_r"),
        ("fuzzy", "jaro_winkler_similarity(addr_key_l, addr_key_r) >= 0.93 "
                  "AND addr_numbers_l = addr_numbers_r"),
        # The same street written alike but another house number: an industrial road is
        # home to many factories, so this is weak evidence, not the fuzzy level's.
        ("other_number", "jaro_winkler_similarity(addr_key_l, addr_key_r) >= 0.93"),
        ("else", None),
    ],
    "identifier": [
        ("missing", "id_key_l IS NULL OR id_key_r IS NULL OR kind_l <> kind_r"),
        ("same_mid", "kind_l = 'manufacturer' AND id_key_l = id_key_r"),
        ("same", "id_key_l = id_key_r"),
        ("other_mid", "kind_l = 'manufacturer'"),
        ("else", None),
    ],
    "country": [
        ("missing", "country_l IS NULL OR country_r IS NULL"),
        ("same", "country_l = country_r"),
        ("else", None),
    ],
}

PRIORS: dict[str, dict[str, tuple[float, float]]] = {
    "name": {"exact": (0.55, 0.0005), "same_words": (0.05, 0.0005), "high": (0.15, 0.002),
             "mid": (0.12, 0.01), "low": (0.08, 0.05), "else": (0.05, 0.9375)},
    "rare_word": {"exact_name": (1.0, 1.0), "very_rare": (0.6, 0.002), "rare": (0.25, 0.02),
                  "none": (1.0, 1.0)},
    "name_head": {"same": (0.9, 0.7), "else": (0.1, 0.3)},
    "address": {"exact": (0.6, 0.0005), "fuzzy": (0.2, 0.005), "other_number": (0.08, 0.01),
                "else": (0.12, 0.9845)},
    "identifier": {"same_mid": (0.5, 0.0001), "same": (0.98, 0.0001),
                   "other_mid": (0.5, 0.9999), "else": (0.02, 0.9999)},
    "country": {"same": (0.97, 0.5), "else": (0.03, 0.5)},
}


def level_labels() -> dict[str, dict[int, str]]:
    """Splink's comparison vector value (-1 for the null level, then counting down to 0 for
    the last level) mapped to the level's label, per comparison."""
    out: dict[str, dict[int, str]] = {}
    for name, levels in LEVELS.items():
        scored = [label for label, _ in levels if label != "missing"]
        labels = {len(scored) - 1 - i: label for i, label in enumerate(scored)}
        if levels[0][0] == "missing":
            labels[-1] = "missing"
        out[name] = labels
    return out


def splink_comparisons(priors: dict[str, dict[str, tuple[float, float]]], *,
                       fix: bool) -> list[Any]:
    """Splink comparisons carrying the priors; ``fix`` keeps them through any training."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    comparisons: list[Any] = []
    for name, levels in LEVELS.items():
        built: list[Any] = []
        for label, sql in levels:
            if label == "missing":
                built.append(cll.CustomLevel(str(sql), label_for_charts=label)
                             .configure(is_null_level=True))
                continue
            level = cll.ElseLevel() if sql is None else cll.CustomLevel(sql,
                                                                         label_for_charts=label)
            m, u = priors[name][label]
            built.append(level.configure(m_probability=m, u_probability=u,
                                         fix_m_probability=fix, fix_u_probability=fix,
                                         label_for_charts=label))
        comparisons.append(cl.CustomComparison(output_column_name=name,
                                               comparison_levels=built))
    return comparisons
