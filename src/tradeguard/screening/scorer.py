"""Exact name comparison: token alignment with evidence weights, explained token by token.

Two names are aligned word to word (order-free, so reordered and "LAST, First" names meet);
a word may also match several adjacent words joined ("SergeiLavrov", "vanderbilt"). What is
left over decides: an extra word is weak evidence against a match, a different word in the
other name's place is strong evidence, and generic words weigh little either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import OSA

from tradeguard.screening.config import ScreeningConfig
from tradeguard.screening.vocabulary import ORG_COMMON, ORG_STOPWORDS, PERSON_PARTICLES


@dataclass(frozen=True, slots=True)
class PreparedName:
    """A name after normalisation: words, their sound keys, separated legal form, party kind."""

    text: str
    tokens: tuple[str, ...]
    keys: tuple[str, ...]
    legal_form: str | None = None
    kind: str = ""


@dataclass(frozen=True, slots=True)
class TokenMatch:
    """One aligned pair of words and how they matched (exact, fuzzy, phonetic, joined...)."""

    query: str
    listed: str
    similarity: float
    how: str


@dataclass(frozen=True, slots=True)
class NameComparison:
    """The score of one name against one listed name, with the evidence that produced it."""

    score: float
    matched: tuple[TokenMatch, ...]
    query_only: tuple[str, ...]
    listed_only: tuple[str, ...]
    query_legal_form: str | None
    listed_legal_form: str | None

    @property
    def legal_form_agrees(self) -> bool | None:
        """None when either side has no legal form; else whether the two forms agree."""
        if self.query_legal_form is None or self.listed_legal_form is None:
            return None
        return self.query_legal_form == self.listed_legal_form


_VOWELS = frozenset("aeiou")


def _weight(token: str, kind: str, cfg: ScreeningConfig) -> float:
    if any(ch.isdigit() for ch in token):
        return 1.0
    if kind != "person":
        if token in ORG_STOPWORDS:
            return 0.0
        if token in ORG_COMMON:
            return cfg.common_word_weight
    if kind != "organization" and token in PERSON_PARTICLES:
        return cfg.particle_weight
    if len(token) == 1:
        return cfg.initial_weight
    return 1.0


def _token_similarity(
    a: str, key_a: str, a_last: bool, b: str, key_b: str, b_last: bool, cfg: ScreeningConfig
) -> tuple[float, str]:
    if a == b:
        return 1.0, "exact"
    if any(ch.isdigit() for ch in a + b):
        return 0.0, "number"
    if len(a) == 1 or len(b) == 1:
        return (cfg.initial_similarity, "initial") if a[0] == b[0] else (0.0, "different")
    sim = OSA.normalized_similarity(a, b)
    how = "fuzzy"
    # A shared consonant skeleton is evidence only when the spellings are already close, or
    # when one side lost its vowels in transliteration from an abjad (Arabic, Hebrew, Persian).
    abjad = not _VOWELS.intersection(a) or not _VOWELS.intersection(b)
    if key_a == key_b and len(key_a) >= 2 and sim < cfg.phonetic_floor and (abjad or sim >= 0.6):
        sim, how = cfg.phonetic_floor, "phonetic"
    short, long_, short_last = (a, b, a_last) if len(a) < len(b) else (b, a, b_last)
    if (
        short_last
        and len(short) >= 2
        and long_.startswith(short)
        and sim < cfg.truncated_similarity
    ):
        sim, how = cfg.truncated_similarity, "truncated"
    return sim, how


def _runs(n: int) -> list[tuple[int, ...]]:
    return [tuple(range(i, i + size)) for size in (2, 3) for i in range(n - size + 1)]


def _add_acronyms(
    short_side: tuple[str, ...],
    run_side: tuple[str, ...],
    cfg: ScreeningConfig,
    cands: list[tuple[float, tuple[int, ...], tuple[int, ...], str]],
    *,
    query_side: bool,
) -> None:
    """An acronym (PLA, JC, US) stands for the initials of adjacent words on the other side."""
    for run in _runs(len(run_side)) + [tuple(range(i, i + 4)) for i in range(len(run_side) - 3)]:
        initials = "".join(run_side[k][0] for k in run)
        for i, tok in enumerate(short_side):
            if tok == initials:
                cands.append(
                    (cfg.initial_similarity, (i,), run, "acronym")
                    if query_side
                    else (cfg.initial_similarity, run, (i,), "acronym")
                )


def compare_names(
    query: PreparedName, listed: PreparedName, cfg: ScreeningConfig | None = None
) -> NameComparison:
    """Score ``query`` against ``listed`` in 0..1 and say which words matched and which did not."""
    cfg = cfg or ScreeningConfig()
    qa, la = query.tokens, listed.tokens
    kind = listed.kind or query.kind
    if not qa or not la:
        return NameComparison(0.0, (), qa, la, query.legal_form, listed.legal_form)
    # Candidate alignments: (similarity, query indices, listed indices, how).
    cands: list[tuple[float, tuple[int, ...], tuple[int, ...], str]] = []
    for i, a in enumerate(qa):
        for j, b in enumerate(la):
            sim, how = _token_similarity(
                a, query.keys[i], i == len(qa) - 1, b, listed.keys[j], j == len(la) - 1, cfg
            )
            if sim >= cfg.token_min:
                cands.append((sim, (i,), (j,), how))
    for run in _runs(len(la)):
        joined = "".join(la[k] for k in run)
        for i, a in enumerate(qa):
            if len(a) >= 4:
                sim = OSA.normalized_similarity(a, joined)
                if sim >= cfg.joined_min:
                    cands.append((sim, (i,), run, "joined"))
    for run in _runs(len(qa)):
        joined = "".join(qa[k] for k in run)
        for j, b in enumerate(la):
            if len(b) >= 4:
                sim = OSA.normalized_similarity(joined, b)
                if sim >= cfg.joined_min:
                    cands.append((sim, run, (j,), "joined"))
    _add_acronyms(qa, la, cfg, cands, query_side=True)
    _add_acronyms(la, qa, cfg, cands, query_side=False)
    cands.sort(key=lambda c: (c[0], len(c[1]) + len(c[2])), reverse=True)
    used_q: set[int] = set()
    used_l: set[int] = set()
    matches: list[tuple[float, tuple[int, ...], tuple[int, ...], str]] = []
    for cand in cands:
        if used_q.isdisjoint(cand[1]) and used_l.isdisjoint(cand[2]):
            matches.append(cand)
            used_q.update(cand[1])
            used_l.update(cand[2])
    wq = [_weight(t, kind, cfg) for t in qa]
    wl = [_weight(t, kind, cfg) for t in la]
    total_q, total_l = sum(wq) or 1.0, sum(wl) or 1.0
    mass = contrib = 0.0
    for sim, qi, li, _ in matches:
        pair_mass = (sum(wq[k] for k in qi) + sum(wl[k] for k in li)) / 2
        mass += pair_mass
        contrib += pair_mass * sim
    left_q = [k for k in range(len(qa)) if k not in used_q]
    left_l = [k for k in range(len(la)) if k not in used_l]
    share_q = sum(wq[k] for k in left_q) / total_q
    share_l = sum(wl[k] for k in left_l) / total_l
    if mass <= 0.0:
        score = 0.0
    else:
        conflict = min(share_q, share_l)
        extra = max(share_q, share_l) - conflict
        informative = [w for w in (wq if len(qa) <= len(la) else wl) if w >= 1.0]
        if len(informative) <= 1 and extra > 0:
            lam = cfg.single_word_penalty
        elif kind == "person":
            lam = cfg.extra_penalty_person
        else:
            lam = cfg.extra_penalty_org
        score = (contrib / mass) * max(0.0, 1 - cfg.conflict_penalty * conflict) * (1 - lam * extra)
    if query.legal_form and listed.legal_form and query.legal_form != listed.legal_form:
        score *= 1 - cfg.legal_form_penalty
    explained = tuple(
        TokenMatch(" ".join(qa[k] for k in qi), " ".join(la[k] for k in li), round(sim, 4), how)
        for sim, qi, li, how in sorted(matches, key=lambda m: m[1])
    )
    return NameComparison(
        score=round(min(1.0, max(0.0, score)), 4),
        matched=explained,
        query_only=tuple(qa[k] for k in left_q),
        listed_only=tuple(la[k] for k in left_l),
        query_legal_form=query.legal_form,
        listed_legal_form=listed.legal_form,
    )
