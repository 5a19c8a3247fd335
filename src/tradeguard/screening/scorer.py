"""Exact name comparison: token alignment with evidence weights, explained token by token.

Two names are aligned word to word (order-free, so reordered and "LAST, First" names meet);
a word may also match several adjacent words joined ("SergeiLavrov", "vanderbilt"). What is
left over decides: an extra word is weak evidence against a match, a different word in the
other name's place is strong evidence, and generic words weigh little either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

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
# Weight classes of a word, resolved against the configuration at scoring time.
_DIGIT, _STOP, _COMMON, _PARTICLE, _INITIAL, _PLAIN = range(6)


@lru_cache(maxsize=1 << 16)
def _weight_class(token: str, kind: str) -> int:
    if not token.isalpha():
        return _DIGIT
    if kind != "person":
        if token in ORG_STOPWORDS:
            return _STOP
        if token in ORG_COMMON:
            return _COMMON
    if kind != "organization" and token in PERSON_PARTICLES:
        return _PARTICLE
    if len(token) == 1:
        return _INITIAL
    return _PLAIN


def _weights(cfg: ScreeningConfig) -> tuple[float, ...]:
    return (1.0, 0.0, cfg.common_word_weight, cfg.particle_weight, cfg.initial_weight, 1.0)


def word_commonness(token: str, vocabulary: Mapping[str, float] | None) -> float:
    """0 (rare, a proper name) .. 1 (an ordinary word in firm names, e.g. shipping, trading)."""
    if token in ORG_COMMON:
        return 1.0
    return vocabulary.get(token, 0.0) if vocabulary else 0.0


@lru_cache(maxsize=1 << 18)
def _token_similarity(
    a: str,
    key_a: str,
    a_last: bool,
    b: str,
    key_b: str,
    b_last: bool,
    common: float,
    initial: float,
    floor: float,
    truncated: float,
) -> tuple[float, str]:
    """Similarity of two words and how it arose (memoised: word pairs recur across names).

    Sound-alike rule: equal sound keys lift the edit similarity toward ``floor`` by the share
    ``1 - common``, where ``common`` is the commonness of the more common of the two words in
    firm names on the lists. Two different ordinary words (spinning/shipping) sound alike by
    accident and keep their edit similarity; proper names and their transliterations
    (Mohammed/Muhammad, Usama/Osama) are rare and get the full lift. The lift also needs the
    spellings to be close already (edit similarity >= 0.6) unless one side lost its vowels
    in transliteration from an abjad (Arabic, Hebrew, Persian).
    """
    if a == b:
        return 1.0, "exact"
    if not (a + b).isalpha():
        return 0.0, "number"
    if len(a) == 1 or len(b) == 1:
        return (initial, "initial") if a[0] == b[0] else (0.0, "different")
    sim = OSA.normalized_similarity(a, b)
    how = "fuzzy"
    abjad = not _VOWELS.intersection(a) or not _VOWELS.intersection(b)
    if key_a == key_b and len(key_a) >= 2 and sim < floor and (abjad or sim >= 0.6):
        lifted = sim + (floor - sim) * (1.0 - common)
        if lifted > sim:
            sim, how = lifted, "phonetic"
    short, long_, short_last = (a, b, a_last) if len(a) < len(b) else (b, a, b_last)
    if short_last and len(short) >= 2 and long_.startswith(short) and sim < truncated:
        sim, how = truncated, "truncated"
    return sim, how


def _runs(n: int) -> list[tuple[int, ...]]:
    return [tuple(range(i, i + size)) for size in (2, 3) for i in range(n - size + 1)]


@lru_cache(maxsize=1 << 16)
def _joined_runs(tokens: tuple[str, ...]) -> tuple[tuple[tuple[int, ...], str], ...]:
    """Two or three adjacent words written as one, per name (memoised: names recur)."""
    return tuple((run, "".join(tokens[k] for k in run)) for run in _runs(len(tokens)))


@lru_cache(maxsize=1 << 16)
def _initial_runs(tokens: tuple[str, ...]) -> dict[str, tuple[tuple[int, ...], ...]]:
    """Initials of two to four adjacent words -> the word runs that spell them."""
    runs = _runs(len(tokens)) + [tuple(range(i, i + 4)) for i in range(len(tokens) - 3)]
    out: dict[str, tuple[tuple[int, ...], ...]] = {}
    for run in runs:
        initials = "".join(tokens[k][0] for k in run)
        out[initials] = (*out.get(initials, ()), run)
    return out


def _add_joined(
    words: tuple[str, ...],
    runs: tuple[tuple[tuple[int, ...], str], ...],
    least: float,
    cands: list[tuple[float, tuple[int, ...], tuple[int, ...], str]],
    *,
    query_side: bool,
) -> None:
    """A word that is several adjacent words of the other name joined ("SergeiLavrov")."""
    for run, joined in runs:
        n_joined = len(joined)
        cut = least * n_joined
        for i, word in enumerate(words):
            n_word = len(word)
            # edit similarity cannot exceed the length ratio, shorter / longer: skip hopeless
            # pairs cheaply (the ratio test written out, without min and max calls)
            if n_word < 4 or (n_word < cut if n_word <= n_joined else n_joined < least * n_word):
                continue
            sim = OSA.normalized_similarity(word, joined)
            if sim >= least:
                cands.append(
                    (sim, (i,), run, "joined") if query_side else (sim, run, (i,), "joined")
                )


def _add_acronyms(
    short_side: tuple[str, ...],
    run_side: tuple[str, ...],
    cfg: ScreeningConfig,
    cands: list[tuple[float, tuple[int, ...], tuple[int, ...], str]],
    *,
    query_side: bool,
) -> None:
    """An acronym (PLA, JC, US) stands for the initials of adjacent words on the other side."""
    spelled = _initial_runs(run_side)
    for i, tok in enumerate(short_side):
        for run in spelled.get(tok, ()):
            cands.append(
                (cfg.initial_similarity, (i,), run, "acronym")
                if query_side
                else (cfg.initial_similarity, run, (i,), "acronym")
            )


_Match = tuple[float, tuple[int, ...], tuple[int, ...], str]


def _align(
    query: PreparedName,
    listed: PreparedName,
    cfg: ScreeningConfig,
    vocabulary: Mapping[str, float] | None,
) -> tuple[float, list[_Match], list[int], list[int]]:
    """Word alignment and score: (score, matches, unmatched query, unmatched listed words)."""
    qa, la = query.tokens, listed.tokens
    kind = listed.kind or query.kind
    if not qa or not la:
        return 0.0, [], list(range(len(qa))), list(range(len(la)))
    # Candidate alignments: (similarity, query indices, listed indices, how).
    cands: list[_Match] = []
    init, floor, trunc = cfg.initial_similarity, cfg.phonetic_floor, cfg.truncated_similarity
    token_min = cfg.token_min
    # Words of a person's name are proper names: commonness in firm names does not apply.
    if kind == "person":
        common_q = [0.0] * len(qa)
        common_l = [0.0] * len(la)
    else:
        common_q = [word_commonness(t, vocabulary) for t in qa]
        common_l = [word_commonness(t, vocabulary) for t in la]
    keys_q, keys_l = query.keys, listed.keys
    last_q, last_l = len(qa) - 1, len(la) - 1
    similarity = _token_similarity
    for i, a in enumerate(qa):
        key_a, ca, a_last = keys_q[i], common_q[i], i == last_q
        for j, b in enumerate(la):
            cl = common_l[j]
            sim, how = similarity(a, key_a, a_last, b, keys_l[j], j == last_l,
                                  cl if cl > ca else ca, init, floor, trunc)
            if sim >= token_min:
                cands.append((sim, (i,), (j,), how))
    _add_joined(qa, _joined_runs(la), cfg.joined_min, cands, query_side=True)
    _add_joined(la, _joined_runs(qa), cfg.joined_min, cands, query_side=False)
    _add_acronyms(qa, la, cfg, cands, query_side=True)
    _add_acronyms(la, qa, cfg, cands, query_side=False)
    cands.sort(key=lambda c: (c[0], len(c[1]) + len(c[2])), reverse=True)
    used_q: set[int] = set()
    used_l: set[int] = set()
    matches: list[_Match] = []
    for cand in cands:
        if used_q.isdisjoint(cand[1]) and used_l.isdisjoint(cand[2]):
            matches.append(cand)
            used_q.update(cand[1])
            used_l.update(cand[2])
    by_class = _weights(cfg)
    wq = [by_class[_weight_class(t, kind)] for t in qa]
    wl = [by_class[_weight_class(t, kind)] for t in la]
    total_q, total_l = sum(wq) or 1.0, sum(wl) or 1.0
    mass = contrib = 0.0
    for sim, qi, li, _ in matches:
        pair_mass = (sum([wq[k] for k in qi]) + sum([wl[k] for k in li])) / 2
        mass += pair_mass
        contrib += pair_mass * sim
    left_q = [k for k in range(len(qa)) if k not in used_q]
    left_l = [k for k in range(len(la)) if k not in used_l]
    share_q = sum([wq[k] for k in left_q]) / total_q
    share_l = sum([wl[k] for k in left_l]) / total_l
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
    return min(1.0, max(0.0, score)), matches, left_q, left_l


def name_score(
    query: PreparedName,
    listed: PreparedName,
    cfg: ScreeningConfig,
    vocabulary: Mapping[str, float] | None = None,
) -> float:
    """The score of :func:`compare_names` alone (batch screening explains only the hits)."""
    return round(_align(query, listed, cfg, vocabulary)[0], 4)


def compare_names(
    query: PreparedName,
    listed: PreparedName,
    cfg: ScreeningConfig | None = None,
    vocabulary: Mapping[str, float] | None = None,
) -> NameComparison:
    """Score ``query`` against ``listed`` in 0..1 and say which words matched and which did not.

    ``vocabulary`` maps words to their commonness in firm names on the lists (see
    :meth:`WatchlistIndex.commonness`); without it only the generic business words count as
    common for the sound-alike rule.
    """
    cfg = cfg or ScreeningConfig()
    qa, la = query.tokens, listed.tokens
    score, matches, left_q, left_l = _align(query, listed, cfg, vocabulary)
    explained = tuple(
        TokenMatch(" ".join(qa[k] for k in qi), " ".join(la[k] for k in li), round(sim, 4), how)
        for sim, qi, li, how in sorted(matches, key=lambda m: m[1])
    )
    return NameComparison(
        score=round(score, 4),
        matched=explained,
        query_only=tuple(qa[k] for k in left_q),
        listed_only=tuple(la[k] for k in left_l),
        query_legal_form=query.legal_form,
        listed_legal_form=listed.legal_form,
    )
