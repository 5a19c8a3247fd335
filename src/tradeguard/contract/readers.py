"""Open contract files (CSV, Parquet, JSON Lines) and stream them in batches of text cells.

:func:`open_source` looks at a file once — kind, format, encoding, SHA-256, header — and fails
early with :class:`UnreadableFileError` (naming the file, and the missing columns) when it
cannot be loaded at all. :meth:`Source.batches` then streams it: every cell as text (parsing
to types is validation's job, so a bad cell rejects one row rather than the file), plus
``__row``, the row number a user sees (CSV: header is row 1, first data row is row 2; JSON
Lines: the line number; Parquet: the record number from 1). Memory stays bounded by the batch
size: a file is never held whole in Python objects.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import polars as pl

from tradeguard.contract.schema import FileSchema, kind_from_path, schema_for
from tradeguard.contract.validate import READ_ERROR, ROW

_CHUNK = 1 << 20
_FORMATS = {
    ".csv": "csv", ".txt": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
}  # fmt: skip


class ContractError(Exception):
    """A file cannot be used under the data contract."""


class UnreadableFileError(ContractError):
    """The file cannot be read at all (binary, empty, no header, required columns missing)."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class UnknownKindError(ContractError, ValueError):
    """The kind of a file is neither given nor told by its name (a usage error)."""


@dataclass
class Source:
    """A contract file opened for ingest (see :func:`open_source`)."""

    path: Path
    kind: str
    schema: FileSchema
    format: str
    encoding: str
    sha256: str
    size: int
    estimated_rows: int
    columns: list[str]
    rename: dict[str, str] = field(default_factory=dict)
    read_path: Path | None = None  # a UTF-8 copy when the original was not UTF-8
    _temp: bool = False

    def batches(self, batch_size: int) -> Iterator[pl.DataFrame]:
        """Raw batches: every column as text plus ``__row`` (and ``__read_error`` for JSONL)."""
        try:
            if self.format == "csv":
                yield from self._csv_batches(batch_size)
            elif self.format == "parquet":
                yield from self._parquet_batches(batch_size)
            else:
                yield from self._jsonl_batches(batch_size)
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
            raise UnreadableFileError(self.path, f"could not be read to the end: {exc}") from exc

    def close(self) -> None:
        """Remove the transcoded copy, if one was made."""
        if self._temp and self.read_path is not None:
            self.read_path.unlink(missing_ok=True)

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _path(self) -> Path:
        return self.read_path or self.path

    def _csv_batches(self, batch_size: int) -> Iterator[pl.DataFrame]:
        lf = _scan_csv(self._path).rename(self.rename).with_row_index(ROW, offset=2)
        try:
            for batch in stream_batches(lf, batch_size):
                yield batch.with_columns(pl.col(ROW).cast(pl.Int64))
        except pl.exceptions.ComputeError as exc:
            ragged = _first_ragged_row(self._path)
            if ragged is None:
                raise
            raise UnreadableFileError(self.path, ragged) from exc

    def _parquet_batches(self, batch_size: int) -> Iterator[pl.DataFrame]:
        import pyarrow.parquet as pq

        start = 1
        with pq.ParquetFile(self.path) as pf:
            for record_batch in pf.iter_batches(batch_size=batch_size):
                df = _as_text(pl.DataFrame(pl.from_arrow(record_batch))).rename(self.rename)
                rows = pl.int_range(start, start + df.height, dtype=pl.Int64, eager=True)
                start += df.height
                yield df.with_columns(rows.alias(ROW))

    def _jsonl_batches(self, batch_size: int) -> Iterator[pl.DataFrame]:
        # Lines are gathered here (not by scan_ndjson) to keep each row's line number and to
        # quarantine a line that is not JSON instead of failing the whole file.
        lines: list[bytes] = []
        numbers: list[int] = []
        with open(self._path, "rb") as fh:
            for number, line in enumerate(fh, start=1):
                if number == 1:
                    line = line.removeprefix(codecs.BOM_UTF8)
                if line.strip():
                    lines.append(line.rstrip(b"\r\n"))
                    numbers.append(number)
                if len(lines) >= batch_size:
                    yield _parse_json_lines(lines, numbers).rename(self.rename, strict=False)
                    lines, numbers = [], []
        if lines:
            yield _parse_json_lines(lines, numbers).rename(self.rename, strict=False)


def stream_batches(lf: pl.LazyFrame, batch_size: int) -> Iterator[pl.DataFrame]:
    """Run ``lf`` on the streaming engine and yield its output in batches, in order.

    Like ``LazyFrame.collect_batches``, but an error while reading is raised here: the Polars
    1.35 helper ends the iteration silently and only reports the error when garbage-collected,
    which would pass a truncated file off as complete.
    """
    done = object()
    queue: Queue[object] = Queue(maxsize=1)
    stop = threading.Event()

    def deliver(batch: pl.DataFrame) -> bool:
        if not stop.is_set():
            queue.put(batch)
        return stop.is_set()

    def produce() -> None:
        try:
            lf.sink_batches(deliver, chunk_size=batch_size, maintain_order=True, lazy=False)
            queue.put(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            queue.put(exc)

    worker = threading.Thread(target=produce, name="tradeguard-reader", daemon=True)
    worker.start()
    try:
        while (item := queue.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, pl.DataFrame)
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting to put its next batch
            with contextlib.suppress(Empty):
                queue.get(timeout=0.05)
        worker.join()


def _first_ragged_row(path: Path) -> str | None:
    """Describe the first row with more cells than the header (only run after a failure)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        for row_number, row in enumerate(reader, start=2):
            if len(row) > len(header):
                return (
                    f"row {row_number} has {len(row)} cells but the header has {len(header)} "
                    "(header is row 1); fix or quote that row"
                )
    return None


def _scan_csv(path: Path) -> pl.LazyFrame:
    return pl.scan_csv(path, infer_schema=False, raise_if_empty=True, encoding="utf8")


def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    """Every column as text, the way a CSV would have carried it."""
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            exprs.append(col)
        elif isinstance(dtype, pl.Struct):
            exprs.append(col.struct.json_encode())
        elif isinstance(dtype, pl.List | pl.Array):
            exprs.append(col.cast(pl.List(pl.String)).list.join(";"))
        else:
            exprs.append(col.cast(pl.String))
    return df.select(exprs)


def _parse_json_lines(lines: list[bytes], numbers: list[int]) -> pl.DataFrame:
    """Parse JSON lines; a line that is not a JSON object becomes a row with ``__read_error``."""
    try:
        df = pl.read_ndjson(io.BytesIO(b"\n".join(lines)), infer_schema_length=None)
        errors: list[str | None] = [None] * len(lines)
    except (pl.exceptions.PolarsError, RuntimeError):
        # Rare path: find the bad lines one by one, read the good ones vectorised.
        good: list[bytes] = []
        errors = []
        for line in lines:
            try:
                ok = isinstance(json.loads(line), dict)
            except ValueError:
                ok = False
            errors.append(None if ok else "not a JSON object")
            good.append(line if ok else b"{}")
        df = pl.read_ndjson(io.BytesIO(b"\n".join(good)), infer_schema_length=None)
    return _as_text(df).with_columns(
        pl.Series(ROW, numbers, dtype=pl.Int64),
        pl.Series(READ_ERROR, errors, dtype=pl.String),
    )


def detect_format(path: Path) -> str:
    """``csv``, ``parquet`` or ``jsonl`` from the extension, else from the first bytes."""
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt:
        return fmt
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").startswith(b"{"):
        return "jsonl"
    return "csv"


@dataclass
class _TextScan:
    sha256: str
    encoding: str
    newlines: int


def _scan_text(path: Path, report: bool = True) -> _TextScan:
    """One pass: binary check, UTF-8 check and, for ``report``, SHA-256 and line count."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, bom, newlines, first = True, False, 0, True
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            if first and b"\x00" in chunk[:65536]:
                raise UnreadableFileError(path, "is a binary file, not CSV or JSON Lines text")
            if report:
                digest.update(chunk)
                newlines += chunk.count(b"\n")
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            elif not report:
                break  # not UTF-8, and nothing else to learn from the rest
            if first:
                bom = chunk.startswith(codecs.BOM_UTF8)
            first = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    encoding = ("utf-8-sig" if bom else "utf-8") if utf8 else "cp1252"
    return _TextScan(digest.hexdigest() if report else "", encoding, newlines)


def _transcode(path: Path) -> tuple[Path, str]:
    """A UTF-8 copy of a non-UTF-8 file: Windows-1252, or Latin-1 where 1252 has gaps."""
    for encoding in ("cp1252", "latin-1"):
        fd, name = tempfile.mkstemp(prefix="tradeguard-", suffix=path.suffix)
        try:
            with (
                open(path, encoding=encoding, newline="") as src,
                os.fdopen(fd, "w", encoding="utf-8", newline="") as dst,
            ):
                while text := src.read(_CHUNK):
                    dst.write(text)
            return Path(name), encoding
        except UnicodeDecodeError:
            Path(name).unlink(missing_ok=True)
    raise AssertionError("latin-1 decodes any byte")  # pragma: no cover


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _header_mapping(columns: list[str], schema: FileSchema) -> dict[str, str]:
    """Renames that trim header cells and match contract names (or the schema's aliases for
    them) regardless of case."""
    mapping: dict[str, str] = {}
    trimmed = {c: c.strip().lstrip("\ufeff").strip() for c in columns}
    present = set(trimmed.values())
    by_lower = {n.lower(): n for n in schema.names}
    by_lower.update((alias.lower(), name) for alias, name in schema.aliases)
    for original, name in trimmed.items():
        target = name
        if name not in schema.names and name.lower() in by_lower:
            candidate = by_lower[name.lower()]
            if candidate not in present:
                target = candidate
        if target != original:
            mapping[original] = target
    return mapping


def _delimiter_hint(columns: list[str]) -> str:
    if len(columns) == 1:
        for sep, label in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if sep in columns[0]:
                return f" (the header looks {label}-separated; the contract's CSV uses commas)"
    return " (is the first line a header row with the contract's column names?)"


def open_source(path: str | Path, kind: str | None = None, *, report: bool = True) -> Source:
    """Inspect a contract file and return a :class:`Source` ready to stream.

    ``report=False`` skips what only an ingest report uses, the file's SHA-256 and a text
    file's row count (``sha256`` is then empty and ``estimated_rows`` 0 for text): most of
    the cost of opening a large file.

    Raises :class:`UnknownKindError` when ``kind`` is not given and the file name does not tell
    it, and :class:`UnreadableFileError` when the file is missing, empty, binary or lacks a
    required column.
    """
    path = Path(path)
    resolved_kind = kind or kind_from_path(path)
    if resolved_kind is None:
        raise UnknownKindError(
            f"{path}: cannot tell the kind from the file name; name it entries*, lines*, "
            "packages*, supply_chain* or outcomes*, or pass --kind"
        )
    try:
        schema = schema_for(resolved_kind)
    except ValueError as exc:
        raise UnknownKindError(str(exc)) from None
    if not path.is_file():
        raise UnreadableFileError(path, "no such file")
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFileError(path, "is empty")

    fmt = detect_format(path)
    read_path: Path | None = None
    if fmt == "parquet":
        sha, encoding = (_file_sha256(path) if report else ""), "parquet"
        columns, rows = _parquet_header(path)
    else:
        scan = _scan_text(path, report)
        sha, encoding, rows = scan.sha256, scan.encoding, scan.newlines
        if encoding == "cp1252":
            read_path, encoding = _transcode(path)
        try:
            columns = _text_header(read_path or path, fmt)
        except UnreadableFileError:
            if read_path is not None:
                read_path.unlink(missing_ok=True)
            raise
        if fmt == "csv":
            rows = max(rows - 1, 0)
    source = Source(
        path=path, kind=resolved_kind, schema=schema, format=fmt, encoding=encoding,
        sha256=sha, size=size, estimated_rows=rows, columns=columns,
        rename=_header_mapping(columns, schema), read_path=read_path,
        _temp=read_path is not None,
    )  # fmt: skip
    names = {source.rename.get(c, c) for c in columns}
    missing = [c for c in schema.required if c not in names]
    if missing:
        source.close()
        hint = _delimiter_hint(columns) if fmt == "csv" else ""
        raise UnreadableFileError(
            path, f"missing required {schema.kind} columns: {', '.join(missing)}{hint}"
        )
    return source


def _parquet_header(path: Path) -> tuple[list[str], int]:
    import pyarrow.parquet as pq

    try:
        with pq.ParquetFile(path) as pf:
            return list(pf.schema_arrow.names), int(pf.metadata.num_rows)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise UnreadableFileError(path, f"is not a readable Parquet file ({exc})") from exc


def _text_header(path: Path, fmt: str) -> list[str]:
    if fmt == "csv":
        try:
            return list(_scan_csv(path).collect_schema().names())
        except pl.exceptions.NoDataError:
            raise UnreadableFileError(path, "is empty (no header row)") from None
        except pl.exceptions.PolarsError as exc:
            raise UnreadableFileError(path, f"is not readable CSV ({exc})") from exc
    keys: dict[str, None] = {}
    with open(path, "rb") as fh:
        for n, line in enumerate(fh):
            if n >= 1000:
                break
            try:
                obj: Any = json.loads(line.removeprefix(codecs.BOM_UTF8)) if line.strip() else {}
            except ValueError:
                continue
            if isinstance(obj, dict):
                keys.update(dict.fromkeys(obj))
    if not keys:
        raise UnreadableFileError(path, "has no JSON object in its first 1000 lines")
    return list(keys)
