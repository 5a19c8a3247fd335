"""Screening results remembered per distinct party, kept on the list index they came from.

Party names repeat heavily across batches and detectors (one factory ships thousands of lines),
and a party's matches depend only on its own name, country and address, the lists (fixed for
one index: a new list version means a new index and so an empty cache) and the screening
settings. So each distinct (name, country, address, settings) is screened once; later batches
join their parties to the remembered matches instead of screening them again. Lookups and
updates are frame joins, not per-party Python work, so a 200,000-line batch stays vectorised.

A party not seen before often carries a name already screened under another address. The
costly part of screening — candidates and the exact name score — depends only on the name's
normal form (:data:`NAME_FORM`), so the listed names each form came close to are remembered
too (:meth:`ScreeningCache.close_names`), and a new party with a known name only has its
country and address weighed.

A name's normal form depends on nothing but its text, so the forms of declared names are
remembered once for every list index (:class:`NameForms`, :func:`shared_name_forms`): the
watch-list and forced-labor detectors screen the same manufacturers and sellers against
different lists.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

#: The party fields a screening result depends on (with the settings and the index).
PARTY_KEY: tuple[str, ...] = ("name", "country", "address")
#: What candidates and the name score read of a name: its normalised words, their sound keys
#: and the separated legal form.
NAME_FORM: tuple[str, ...] = ("tokens", "keys", "legal_form")
#: Distinct parties remembered per settings before the memory is started afresh, so a long
#: stream of ever-new names cannot grow it without bound (about 100 MB of names at most).
MAX_PARTIES = 1_000_000
#: Distinct declared names whose form is remembered before that memory starts afresh (with
#: their word lists, about 100 MB at most).
MAX_NAMES = 500_000
#: Column types of a remembered name form.
FORM_SCHEMA: dict[str, pl.DataType] = {
    "name": pl.String(), "tokens": pl.List(pl.String()), "keys": pl.List(pl.String()),
    "legal_form": pl.String()}

Screen = Callable[[pl.DataFrame], pl.DataFrame]


@dataclass
class _Remembered:
    """Parties screened under one set of settings, and the matches of those that matched."""

    parties: pl.DataFrame  # name, country, address
    hits: pl.DataFrame | None = None  # name, country, address + match columns (no id)


@dataclass
class _NameForms:
    """Name forms matched under one set of settings, and the listed names (``slot``) each
    came close to."""

    seen: pl.DataFrame  # NAME_FORM
    close: pl.DataFrame | None = None  # NAME_FORM + slot


def _no_parties() -> pl.DataFrame:
    return pl.DataFrame(schema=dict.fromkeys(PARTY_KEY, pl.String()))


@dataclass
class ScreeningCache:
    """Matches per distinct party and settings, for one :class:`WatchlistIndex`."""

    max_parties: int = MAX_PARTIES
    _by_settings: dict[str, _Remembered] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _forms: dict[str, _NameForms] = field(default_factory=dict)
    # Apart from ``_lock``: the parties' screening (under ``_lock``) asks for name forms.
    _forms_lock: threading.Lock = field(default_factory=threading.Lock)

    def __len__(self) -> int:
        return sum(r.parties.height for r in self._by_settings.values())

    def clear(self) -> None:
        """Forget every remembered result."""
        with self._lock, self._forms_lock:
            self._by_settings.clear()
            self._forms.clear()

    def remembers(self, settings: str) -> bool:
        """Whether any party's results are remembered under ``settings``."""
        known = self._by_settings.get(settings)
        return known is not None and known.parties.height > 0

    def matches(self, queries: pl.DataFrame, settings: str, screen: Screen) -> pl.DataFrame:
        """Matches of ``queries`` (``id`` + :data:`PARTY_KEY` columns) under ``settings``.

        Parties not yet remembered go to ``screen`` once (as a frame with ``id`` and the key
        columns, ``id`` being a row number as text); it must return match rows with an ``id``
        column. Returns the match rows joined back to every query ``id``, unsorted.
        """
        with self._lock:
            known = self._by_settings.get(settings)
            if known is None or known.parties.height >= self.max_parties:
                known = _Remembered(_no_parties())
                self._by_settings[settings] = known
            distinct = queries.select(PARTY_KEY).unique()
            new = distinct.join(known.parties, on=list(PARTY_KEY), how="anti", nulls_equal=True)
            if new.height:
                new = new.with_row_index("party_key")
                found = screen(new.with_columns(id=pl.col("party_key").cast(pl.String)))
                found = new.with_columns(id=pl.col("party_key").cast(pl.String)).join(
                    found, on="id").drop("id", "party_key")
                known.parties = pl.concat([known.parties, new.drop("party_key")])
                known.hits = found if known.hits is None else pl.concat([known.hits, found])
            hits = known.hits
        if hits is None or hits.is_empty():
            return pl.DataFrame()
        return queries.select("id", *PARTY_KEY).join(
            hits, on=list(PARTY_KEY), how="inner", nulls_equal=True).drop(PARTY_KEY)

    def close_names(self, forms: pl.DataFrame, settings: str, match: Screen) -> pl.DataFrame:
        """The listed names each of ``forms`` (distinct :data:`NAME_FORM` rows) may match:
        :data:`NAME_FORM` + ``slot`` rows, none for a form that came close to no listed name.

        Forms not yet remembered under ``settings`` go to ``match`` once; it must return their
        close pairs in the same columns. Returns the pairs unsorted.
        """
        key = list(NAME_FORM)
        with self._forms_lock:
            known = self._forms.get(settings)
            if known is None or known.seen.height >= self.max_parties:
                known = _NameForms(forms.select(key).clear())
                self._forms[settings] = known
            new = forms.select(key).join(known.seen, on=key, how="anti", nulls_equal=True)
            if new.height:
                found = match(new).select(*key, "slot")
                known.seen = pl.concat([known.seen, new])
                known.close = found if known.close is None else pl.concat([known.close, found])
            close = known.close
        if close is None:
            return forms.select(key).clear().with_columns(slot=pl.lit(None, dtype=pl.UInt32))
        return close.join(forms.select(key), on=key, how="semi", nulls_equal=True)


@dataclass
class NameForms:
    """The :data:`NAME_FORM` of each declared name normalised so far, by name.

    Normalising is a dozen regular-expression passes per name; a warm batch worker meets
    mostly names it has normalised before (under another address, or for the other list
    index), so only the names not yet seen are normalised.
    """

    max_names: int = MAX_NAMES
    _known: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=FORM_SCHEMA))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __len__(self) -> int:
        return self._known.height

    def clear(self) -> None:
        """Forget every remembered form."""
        with self._lock:
            self._known = pl.DataFrame(schema=FORM_SCHEMA)

    def of(self, names: pl.Series, normalise: Screen) -> pl.DataFrame:
        """``name`` + :data:`NAME_FORM` of each of ``names`` (distinct), in their order.

        Names not yet remembered go to ``normalise`` once, as a frame with a ``name``
        column; it must return them with the :data:`NAME_FORM` columns added.
        """
        frame = names.cast(pl.String).rename("name").to_frame()
        with self._lock:
            known = self._known
            if known.height >= self.max_names:
                known = known.clear()
            new = frame.join(known.select("name"), on="name", how="anti", nulls_equal=True
                             ).unique(maintain_order=True)
            if new.height:
                fresh = normalise(new).select([pl.col(c).cast(t) for c, t in FORM_SCHEMA.items()])
                known = self._known = pl.concat([known, fresh])
        return frame.join(known, on="name", how="left", nulls_equal=True, maintain_order="left")


_SHARED_FORMS = NameForms()


def shared_name_forms() -> NameForms:
    """The name forms every list index built in this process starts with. Indexes pickled
    together (a fitted run shipped to a worker) keep sharing one after unpickling."""
    return _SHARED_FORMS
