"""The data contract as data: every input file's columns, types, required flags and rules.

The schema is written once, here. Normalisation and validation
(:mod:`tradeguard.contract.validate`), the storage tables (:mod:`tradeguard.store.tables`) and
the contract documentation (:func:`contract_markdown`) are all derived from these objects, so a
column added here shows up everywhere (the store test then asks for a migration).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tradeguard.contract.free_text import MAX_CHARS, MULTI_LINE, TextKind
from tradeguard.findings import Category


class DType(StrEnum):
    """Logical column types of the contract (CSV cells arrive as text and are parsed to these)."""

    TEXT = "text"
    INT = "int"
    NUMBER = "number"
    DATE = "date"
    BOOL = "bool"


class Rule(StrEnum):
    """Format and range rules a column may carry, beyond its type.

    Each rule names a normalisation (how the raw cell is cleaned) and a check (when the value
    is rejected); both are implemented as Polars expressions in
    :mod:`tradeguard.contract.validate`.
    """

    UPPER = "upper"  # upper-cased (codes)
    COUNTRY = "country"  # ISO 3166-1 alpha-2, case-insensitive on input
    HTS10 = "hts10"  # 10-digit HTSUS statistical number, dots optional
    HTS6_OR_10 = "hts6_or_10"  # 6-digit subheading or 10-digit statistical number
    ENTRY_NUMBER = "entry_number"  # AAA-NNNNNNN-N (dashes optional on input)
    PORT = "port"  # 4-digit CBP port code
    TWO_DIGIT_CODE = "two_digit_code"  # entry type, mode of transport: "1" -> "01"
    LOCODE = "locode"  # UN/LOCODE: 2-letter country + 3 characters
    ADCVD_CASE = "adcvd_case"  # A-570-979 / C-570-980
    CATEGORY = "category"  # one of the finding categories
    NON_NEGATIVE = "non_negative"  # quantities, values, weights, duties
    AT_LEAST_ONE = "at_least_one"  # line numbers, tiers
    NOT_FUTURE = "not_future"  # dates must not be after the ingest day
    PROBABILITY = "probability"  # a selection probability: in (0, 1]


#: Rules that admit only a fixed pattern or a code list: a text field with one of them is a
#: closed code, which no hostile text passes, rather than free text with a length limit.
CLOSED_FORMAT: frozenset[Rule] = frozenset(
    {
        Rule.COUNTRY,
        Rule.HTS10,
        Rule.HTS6_OR_10,
        Rule.ENTRY_NUMBER,
        Rule.PORT,
        Rule.TWO_DIGIT_CODE,
        Rule.LOCODE,
        Rule.ADCVD_CASE,
        Rule.CATEGORY,
    }
)


@dataclass(frozen=True)
class Field:
    """One column of a contract file."""

    name: str
    dtype: DType
    required: bool = False
    rules: tuple[Rule, ...] = ()
    meaning: str = ""
    #: For text fields: what the text is (sets its length limit); by default a code when the
    #: field has format rules, else a name.
    text: TextKind | None = None

    @property
    def text_kind(self) -> TextKind | None:
        """The kind of free text this field holds (None for closed codes, numbers, dates...)."""
        if self.dtype is not DType.TEXT or CLOSED_FORMAT.intersection(self.rules):
            return None
        return self.text or (TextKind.CODE if self.rules else TextKind.NAME)

    @property
    def max_chars(self) -> int | None:
        """Longest accepted value in characters (None when the field is not free text)."""
        kind = self.text_kind
        return None if kind is None else MAX_CHARS[kind]

    @property
    def multi_line(self) -> bool:
        """Whether tab and line breaks may appear inside the value (addresses, descriptions)."""
        return self.text_kind in MULTI_LINE


@dataclass(frozen=True)
class FileSchema:
    """One kind of contract file: its columns, natural key and storage table."""

    kind: str
    table: str
    meaning: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    #: Rows must refer to an entry that is stored (or loaded earlier in the same ingest).
    needs_entry: bool = False
    #: Other header names accepted for a field, as (header, field) pairs: used only when the
    #: field's own name is not in the header.
    aliases: tuple[tuple[str, str], ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in contract order."""
        return tuple(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required columns (they must be in the header and non-empty)."""
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> Field:
        """The field called ``name`` (KeyError if the contract has none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _f(
    name: str,
    dtype: DType,
    required: bool = False,
    *rules: Rule,
    meaning: str = "",
    text: TextKind | None = None,
) -> Field:
    return Field(name, dtype, required, tuple(rules), meaning, text)


TXT, INT, NUM, DAY, YES_NO = DType.TEXT, DType.INT, DType.NUMBER, DType.DATE, DType.BOOL
R = Rule
CODE, ADDRESS, DESCRIPTION, LIST = (
    TextKind.CODE,
    TextKind.ADDRESS,
    TextKind.DESCRIPTION,
    TextKind.LIST,
)

ENTRIES = FileSchema(
    kind="entries",
    table="entries",
    meaning="one row per entry summary (the header of CBP Form 7501)",
    key=("entry_number",),
    fields=(
        _f(
            "entry_number", TXT, True, R.ENTRY_NUMBER, meaning="filer code + 7 digits + check digit"
        ),
        _f("entry_type", TXT, True, R.TWO_DIGIT_CODE, meaning="01 consumption, 03 AD/CVD, 11 ..."),
        _f("entry_date", DAY, True, R.NOT_FUTURE, meaning="date the entry summary was filed"),
        _f("port_of_entry", TXT, True, R.PORT, meaning="4-digit CBP port code"),
        _f("importer_id", TXT, True, R.UPPER, meaning="importer of record number"),
        _f("importer_name", TXT, True),
        _f("importer_country", TXT, False, R.COUNTRY),
        _f("filer_code", TXT, False, R.UPPER, meaning="customs broker / filer"),
        _f("mode_of_transport", TXT, False, R.TWO_DIGIT_CODE, meaning="10 vessel, 40 air ..."),
        _f("country_of_export", TXT, False, R.COUNTRY),
        _f("port_of_lading", TXT, False, R.LOCODE, meaning="UN/LOCODE, e.g. CNSHA"),
        _f("bill_of_lading", TXT, False, R.UPPER, meaning="master bill / air waybill"),
        _f("carrier_code", TXT, False, R.UPPER, meaning="SCAC / IATA"),
        _f("trusted_trader", YES_NO, False, meaning="importer in a trusted-trader program"),
    ),
)

LINES = FileSchema(
    kind="lines",
    table="lines",
    meaning="one row per entry line (an invoice line of the entry)",
    key=("entry_number", "line_number"),
    needs_entry=True,
    fields=(
        _f("entry_number", TXT, True, R.ENTRY_NUMBER, meaning="the entry it belongs to"),
        _f("line_number", INT, True, R.AT_LEAST_ONE, meaning="1, 2, ... unique within the entry"),
        _f("hts_code", TXT, True, R.HTS10, meaning="10-digit HTSUS number, stored without dots"),
        _f("description", TXT, True, meaning="goods description as declared", text=DESCRIPTION),
        _f("country_of_origin", TXT, True, R.COUNTRY),
        _f("quantity", NUM, True, R.NON_NEGATIVE, meaning="in quantity_unit"),
        _f("quantity_unit", TXT, True, R.UPPER, meaning="HTS unit of quantity: NO, KG, DOZ ..."),
        _f("entered_value_usd", NUM, True, R.NON_NEGATIVE, meaning="customs value"),
        _f("gross_weight_kg", NUM, False, R.NON_NEGATIVE),
        _f("manufacturer_id", TXT, False, R.UPPER, meaning="CBP Manufacturer Identification Code"),
        _f("manufacturer_name", TXT),
        _f("manufacturer_address", TXT, text=ADDRESS),
        _f("manufacturer_country", TXT, False, R.COUNTRY),
        _f("seller_name", TXT),
        _f("seller_country", TXT, False, R.COUNTRY),
        _f("duty_rate", NUM, False, R.NON_NEGATIVE, meaning="ad valorem rate as a fraction"),
        _f("duty_usd", NUM, False, R.NON_NEGATIVE, meaning="declared duty at the HTS rate"),
        _f("chapter99_numbers", TXT, meaning="Chapter 99 numbers, ;-separated", text=LIST),
        _f("additional_duty_usd", NUM, False, R.NON_NEGATIVE),
        _f("adcvd_deposit_usd", NUM, False, R.NON_NEGATIVE),
        _f("adcvd_case_number", TXT, False, R.ADCVD_CASE, meaning="A-570-979 or C-570-980"),
        _f("spi", TXT, False, R.UPPER, meaning="special program indicator"),
        _f("related_party", YES_NO, meaning="buyer and seller related"),
    ),
)

PACKAGES = FileSchema(
    kind="packages",
    table="packages",
    meaning="one row per low-value / small package (express or postal)",
    key=("package_id",),
    fields=(
        _f("package_id", TXT, True, meaning="house air waybill or tracking number", text=CODE),
        _f("arrival_date", DAY, True, R.NOT_FUTURE),
        _f("port_of_entry", TXT, True, R.PORT),
        _f("shipper_name", TXT, True),
        _f("shipper_country", TXT, True, R.COUNTRY),
        _f("consignee_name", TXT, True),
        _f("consignee_address", TXT, True, text=ADDRESS),
        _f("declared_value_usd", NUM, True, R.NON_NEGATIVE),
        _f("description", TXT, True, text=DESCRIPTION),
        _f("hts_code", TXT, False, R.HTS6_OR_10, meaning="6 or 10 digits, dots optional"),
        _f("weight_kg", NUM, False, R.NON_NEGATIVE),
        _f("country_of_origin", TXT, False, R.COUNTRY),
        _f("carrier_code", TXT, False, R.UPPER),
        _f("seller_id", TXT, meaning="marketplace seller / platform id", text=CODE),
    ),
)

SUPPLY_CHAIN = FileSchema(
    kind="supply_chain",
    table="supply_chain",
    meaning="declared upstream suppliers (forced-labor due diligence)",
    # A declaration row is identified by everything that says who supplies what to whom;
    # the address is the only free attribute, so a changed address is an amendment.
    key=(
        "entry_number",
        "line_number",
        "tier",
        "supplier_name",
        "supplier_country",
        "material",
        "buyer_name",
    ),
    fields=(
        _f("entry_number", TXT, True, R.ENTRY_NUMBER),
        _f("line_number", INT, False, R.AT_LEAST_ONE, meaning="empty = whole entry"),
        _f("tier", INT, True, R.AT_LEAST_ONE, meaning="1 = direct supplier of the manufacturer"),
        _f("supplier_name", TXT, True),
        _f("supplier_country", TXT, True, R.COUNTRY),
        _f("supplier_address", TXT, text=ADDRESS),
        _f("material", TXT, meaning="cotton, polysilicon, aluminum ..."),
        _f("buyer_name", TXT, meaning="the party this supplier sells to"),
    ),
)

OUTCOMES = FileSchema(
    kind="outcomes",
    table="outcomes",
    meaning="results of exams and reviews (labels for learning and evaluation)",
    key=("entry_number", "line_number"),
    fields=(
        _f("entry_number", TXT, True, R.ENTRY_NUMBER),
        _f("line_number", INT, False, R.AT_LEAST_ONE, meaning="empty = whole entry"),
        _f("examined", YES_NO, True),
        _f("discrepancy", YES_NO, True, meaning="a violation or error was found"),
        _f("category", TXT, False, R.CATEGORY, meaning="one of the finding categories"),
        _f("recovered_duty_usd", NUM, False, R.NON_NEGATIVE),
        _f("decided_on", DAY, False, R.NOT_FUTURE),
        _f("selection_probability", NUM, False, R.PROBABILITY,
           meaning="probability the line was chosen for this exam (1 = certain; the random "
           "compliance sample's rate for random picks): unbiased evaluation and training"),
    ),
)

#: Every contract file, in the order an ingest loads them (entries before what refers to them).
SCHEMAS: dict[str, FileSchema] = {
    s.kind: s for s in (ENTRIES, LINES, PACKAGES, SUPPLY_CHAIN, OUTCOMES)
}
KINDS: tuple[str, ...] = tuple(SCHEMAS)

#: Outcomes of small-package exams (``score-packages --outcomes``): the outcomes columns keyed
#: by the package. Read by that command, not ingested. Files in the outcomes form carry the
#: package id in ``entry_number``, which is accepted for ``package_id``.
PACKAGE_OUTCOMES = FileSchema(
    kind="package_outcomes",
    table="",
    meaning="results of small-package exams (the repeat-offender rule's record)",
    key=("package_id",),
    fields=(
        _f("package_id", TXT, True, meaning="the package examined (entry_number also accepted)",
           text=CODE),
        _f("line_number", INT, False, R.AT_LEAST_ONE, meaning="empty: a package has no lines"),
        _f("examined", YES_NO, meaning="empty or absent = examined"),
        _f("discrepancy", YES_NO, True, meaning="a violation or error was found"),
        _f("category", TXT, False, R.CATEGORY, meaning="one of the finding categories"),
        _f("recovered_duty_usd", NUM, False, R.NON_NEGATIVE),
        _f("decided_on", DAY, False, R.NOT_FUTURE),
        _f("selection", TXT, meaning="random or targeted: only random exams then count",
           text=CODE),
    ),
    aliases=(("entry_number", "package_id"),),
)

#: Files a single command reads (no storage table); :func:`schema_for` knows them too.
COMMAND_SCHEMAS: dict[str, FileSchema] = {PACKAGE_OUTCOMES.kind: PACKAGE_OUTCOMES}
FINDING_CATEGORIES: frozenset[str] = frozenset(c.value for c in Category)

# File-name prefixes that tell the kind when --kind is not given (case-insensitive).
_KIND_PREFIXES: tuple[tuple[str, str], ...] = (
    ("entries", "entries"),
    ("lines", "lines"),
    ("packages", "packages"),
    ("supply_chain", "supply_chain"),
    ("supply-chain", "supply_chain"),
    ("supplychain", "supply_chain"),
    ("outcomes", "outcomes"),
)


def kind_from_path(path: str | Path) -> str | None:
    """The contract kind told by a file name (``entries*.csv``, ``lines*``...), or None."""
    name = Path(path).name.lower()
    for prefix, kind in _KIND_PREFIXES:
        if name.startswith(prefix):
            return kind
    return None


def schema_for(kind: str) -> FileSchema:
    """The schema of ``kind``; ValueError naming the known kinds otherwise."""
    try:
        return SCHEMAS[kind] if kind in SCHEMAS else COMMAND_SCHEMAS[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}") from None


_RULE_TEXT: dict[Rule, str] = {
    Rule.UPPER: "upper-cased",
    Rule.COUNTRY: "ISO 3166-1 alpha-2 (any case on input)",
    Rule.HTS10: "10 digits, dots optional on input",
    Rule.HTS6_OR_10: "6 or 10 digits, dots optional on input",
    Rule.ENTRY_NUMBER: "`AAA-NNNNNNN-N`, dashes optional on input",
    Rule.PORT: "4 digits",
    Rule.TWO_DIGIT_CODE: "2 digits (`1` is read as `01`)",
    Rule.LOCODE: "UN/LOCODE, 5 characters",
    Rule.ADCVD_CASE: "`A-NNN-NNN` or `C-NNN-NNN`",
    Rule.CATEGORY: "a finding category",
    Rule.NON_NEGATIVE: ">= 0",
    Rule.AT_LEAST_ONE: ">= 1",
    Rule.NOT_FUTURE: "not after the day of ingest",
    Rule.PROBABILITY: "in (0, 1]",
}


def _md_cell(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("|", "\\|")).strip()


def contract_markdown() -> str:
    """The contract's file tables as Markdown, generated from :data:`SCHEMAS` and
    :data:`COMMAND_SCHEMAS`."""
    out = [
        "## Input files (generated from `tradeguard.contract.schema`)",
        "",
        "Fields marked * are required. Unknown extra columns are kept (stored as JSON in the",
        "`extra` column). Rows are numbered as a spreadsheet shows them: in CSV the header is",
        "row 1 and the first data row is row 2; in JSON Lines the row is the line number; in",
        "Parquet the first record is row 1.",
    ]
    for s in (*SCHEMAS.values(), *COMMAND_SCHEMAS.values()):
        where = f"Table: `{s.table}`." if s.table else "Read by a command, not ingested."
        also = "".join(f" Header `{a}` is accepted for `{f}`." for a, f in s.aliases)
        out += [
            "",
            f"### {s.kind} — {s.meaning}",
            "",
            f"Natural key: `{', '.join(s.key)}`. {where}{also}",
            "",
            "| column | type | rules | meaning |",
            "|---|---|---|---|",
        ]
        for f in s.fields:
            rules = "; ".join(
                [_RULE_TEXT[r] for r in f.rules]
                + ([f"at most {f.max_chars:,} characters"] if f.max_chars else [])
            )
            star = "*" if f.required else ""
            out.append(
                f"| {f.name}{star} | {f.dtype} | {_md_cell(rules)} | {_md_cell(f.meaning)} |"
            )
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover - regenerates the contract README
    readme = Path(__file__).with_name("README.md")
    text = readme.read_text("utf-8")
    marker = "<!-- generated below: python -m tradeguard.contract.schema -->\n"
    readme.write_text(text.split(marker)[0] + marker + "\n" + contract_markdown(), "utf-8")
