"""The data contract: what users' files look like, and how they are read, cleaned and checked.

- :mod:`~tradeguard.contract.schema` — every contract file as data (columns, types, required
  flags, rules, natural keys); storage tables and docs are generated from it.
- :mod:`~tradeguard.contract.readers` — CSV, Parquet and JSON Lines streamed in batches, with
  encoding detection (UTF-8, UTF-8 with BOM, Windows-1252/Latin-1) and early failure for files
  that cannot be read at all.
- :mod:`~tradeguard.contract.validate` — vectorised normalisation and validation; a batch is
  split into accepted rows and rejected rows (every reason, raw row as JSON). The column
  expressions are in :mod:`~tradeguard.contract.parse`, duplicate keys across a file's
  batches (and key sets) in :mod:`~tradeguard.contract.keys`.
- :mod:`~tradeguard.contract.quarantine` — the ``*.rejects.csv`` files.
- :mod:`~tradeguard.contract.entry_number` — CBP entry-number format and check digit.

Nothing here touches a database: loading is :func:`tradeguard.ingest.ingest_files`.
"""

from tradeguard.contract.entry_number import entry_number_check_digit, is_valid_entry_number
from tradeguard.contract.readers import (
    ContractError,
    Source,
    UnknownKindError,
    UnreadableFileError,
    open_source,
)
from tradeguard.contract.schema import (
    KINDS,
    SCHEMAS,
    DType,
    Field,
    FileSchema,
    Rule,
    contract_markdown,
    kind_from_path,
    schema_for,
)
from tradeguard.contract.validate import CheckedBatch, KeyTracker, validate_batch

__all__ = [
    "KINDS",
    "SCHEMAS",
    "CheckedBatch",
    "ContractError",
    "DType",
    "Field",
    "FileSchema",
    "KeyTracker",
    "Rule",
    "Source",
    "UnknownKindError",
    "UnreadableFileError",
    "contract_markdown",
    "entry_number_check_digit",
    "is_valid_entry_number",
    "kind_from_path",
    "open_source",
    "schema_for",
    "validate_batch",
]
