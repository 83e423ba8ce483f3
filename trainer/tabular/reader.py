"""A CSV / TSV / semicolon file as a table of text cells: `sniff` the dialect, `read_table` the rows.

The standard `csv` module parses (pandas is not a dependency of the app); what is detected here is
only what csv cannot know by itself: the separator, whether the first row is a header, and the
decimal mark. The import dialog shows the guess (`Dialect.describe`) and lets the user correct it,
then reads the file again with the corrected dialect.

Rows are numbered as lines of the file (1-based, the header is line 1), which is also how a
spreadsheet numbers them, so a message can point at the very cell.
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import TableError

SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}     # what sniff() chooses from, and their names
DECIMALS = {".": "point", ",": "comma"}
# Cells that mean "no value" (pandas' defaults, lower-cased): a missing cell, never text.
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a", "-nan"})
PREVIEW_ROWS = 50             # rows the import dialog shows
_SNIFF_BYTES = 64 * 1024      # the start of the file that sniff() looks at
_SNIFF_ROWS = 200
# The reader keeps every cell as Python text (about 10x the file's size in memory) until the chosen
# columns are converted, and training holds all rows at once (full-batch steps): 50 MB is about
# half a million rows of ten columns, which an ordinary laptop handles in seconds.
MAX_FILE_BYTES = 50 * 1024 * 1024
_MEMORY_FACTOR = 20           # bytes of memory per byte of file, parsing and training together
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|infinity|nan)", re.IGNORECASE)


@dataclass(frozen=True)
class Dialect:
    """How the file is written: separator (",", ";" or tab), decimal mark ("." or ","), header row or not."""
    separator: str = ","
    decimal: str = "."
    header: bool = True

    def describe(self) -> str:
        """One line for the dialog, e.g. 'semicolon-separated, decimal comma, first row is the header'."""
        head = "first row is the header" if self.header else "no header row"
        return f"{SEPARATORS.get(self.separator, repr(self.separator))}-separated, " \
               f"decimal {DECIMALS.get(self.decimal, repr(self.decimal))}, {head}"


@dataclass(frozen=True)
class Column:
    """What one column holds, counted over every data row."""
    index: int                          # 0-based position in the file
    name: str                           # the header's name, or "column 3" without a header
    numbers: int                        # cells that are finite numbers
    texts: int                          # cells that are neither a number nor missing
    missing: int                        # empty, NaN-like or infinite cells
    integer: bool                       # every number is a whole number (and there is at least one)
    distinct: int                       # distinct values among the filled cells, counted up to 101
    first_text: tuple[int, str] | None  # (row, cell) of the first text cell
    first_missing: int | None           # row of the first missing or infinite cell

    @property
    def numeric(self) -> bool:
        """Mostly numbers: offered as a feature by default (a stray text cell is reported, not hidden)."""
        return self.numbers > 0 and self.numbers >= self.texts


@dataclass(frozen=True)
class Table:
    """A whole file as text cells, with what each column holds; `rows[i]` came from line `lines[i]`."""
    path: str
    dialect: Dialect
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...]
    sha256: str
    size: int                           # bytes

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    def preview(self, n: int = PREVIEW_ROWS) -> tuple[tuple[str, ...], ...]:
        return self.rows[:n]

    def column(self, name: str) -> Column:
        """The column called `name`; a TableError naming the columns there are when none is."""
        for c in self.columns:
            if c.name == name:
                return c
        shown = ", ".join(repr(n) for n in self.names[:12]) + (", ..." if len(self.names) > 12 else "")
        raise TableError(self.path, f"no column {name!r}; the columns are {shown}")


# -- numbers -------------------------------------------------------------------------

def parse_number(cell: str, decimal: str = ".") -> float | None:
    """The cell as a float (inf and NaN included), or None when it is text. No thousands separators."""
    text = cell.strip()
    if decimal == ",":
        if "." in text:
            return None
        text = text.replace(",", ".")
    if not _NUMBER.fullmatch(text):
        return None
    return float(text)


def cell_kind(cell: str, decimal: str = ".") -> str:
    """'number', 'missing' (empty, NaN-like or infinite) or 'text'."""
    if cell.strip().lower() in MISSING:
        return "missing"
    value = parse_number(cell, decimal)
    if value is None:
        return "text"
    return "number" if math.isfinite(value) else "missing"


def label_text(cell: str, decimal: str = ".") -> str:
    """A class label as it is shown and matched: whole numbers without '.0', numbers as numbers, text as written."""
    value = parse_number(cell, decimal)
    if value is None or not math.isfinite(value):
        return cell.strip()
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


# -- the file --------------------------------------------------------------------------

def size_limit() -> tuple[int, str]:
    """The largest file read, in bytes, and why (for the message)."""
    limit, why = MAX_FILE_BYTES, (f"the app keeps every cell in memory and trains on all rows at once; "
                                  f"files up to {MAX_FILE_BYTES // 2**20} MB are read")
    try:   # free memory where the system says it (Linux, macOS): a file must fit, with room to parse it
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        free = 0
    if 0 < free // _MEMORY_FACTOR < limit:
        limit = free // _MEMORY_FACTOR
        why = (f"reading and training need about {_MEMORY_FACTOR} times the file's size in memory, "
               f"and this machine has {free / 2**30:.1f} GB free")
    return limit, why


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise TableError(str(p), "is a folder, not a file")
        limit, why = size_limit()
        if size > limit:
            raise TableError(str(p), f"too large: {size / 2**20:.1f} MB, the limit is {limit / 2**20:.1f} MB ({why})")
        return p.read_bytes()
    except FileNotFoundError:
        raise TableError(str(p), "no such file") from None
    except PermissionError:
        raise TableError(str(p), "cannot be read (permission denied)") from None
    except OSError as exc:
        raise TableError(str(p), f"cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:   # a NUL character in the name
        raise TableError(repr(str(p)), f"cannot be read ({exc})") from None


def decode(path: str, data: bytes) -> str:
    """UTF-8 text (a BOM dropped); a TableError for a binary file, UTF-16 or another encoding."""
    if not data.strip():
        raise TableError(path, "the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableError(path, "is UTF-16 text; save it as UTF-8 (CSV UTF-8 in a spreadsheet)")
    if data.startswith(b"PK\x03\x04"):
        raise TableError(path, "is a zip file (an Excel or LibreOffice workbook?); save the sheet as CSV")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise TableError(path, f"is a binary file, not text (a NUL byte at byte {nul}); save the data as CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise TableError(path, f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at byte {exc.start}); "
                               "save it as CSV UTF-8", row=line) from None


def _parse(path: str, text: str, separator: str, limit: int | None = None) -> list[tuple[int, list[str]]]:
    """(line, stripped cells) for each non-blank row; csv's own errors as a TableError naming the row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"', strict=True)
    out: list[tuple[int, list[str]]] = []
    try:
        start = 1
        for row in reader:
            cells = [c.strip() for c in row]
            if any(cells):   # blank lines, and rows of separators only (",,,"), hold no data
                out.append((start, cells))
                if limit is not None and len(out) >= limit:
                    break
            start = reader.line_num + 1
    except csv.Error as exc:
        if limit is not None:   # sniffing a prefix: a quote the cut left open is not an error yet
            return out
        raise TableError(path, f"is not valid CSV ({exc})", row=reader.line_num) from None
    return out


# -- detection -------------------------------------------------------------------------

def sniff(path: str | os.PathLike[str]) -> Dialect:
    """Guess the separator, the decimal mark and the header from the start of the file."""
    name = str(path)
    return sniff_text(name, decode(name, _read_bytes(path))[:_SNIFF_BYTES])


def sniff_text(path: str, text: str) -> Dialect:
    """The dialect of `text` (the start of a file): the separator that splits the rows into the same,
    largest number of mostly-numeric columns; a decimal comma when numbers are written '1,5'; a header
    when the first row has text where the rows below have numbers."""
    best: tuple | None = None
    for sep in SEPARATORS:
        rows = [cells for _, cells in _parse(path, text, sep, limit=_SNIFF_ROWS)]
        if not rows:
            continue
        counts = [len(r) for r in rows]
        width = max(set(counts), key=counts.count)
        consistent = counts.count(width) / len(counts)
        decimal = _decimal_of(rows, sep)
        body = rows[1:] or rows
        cells = [c for r in body for c in r]
        numeric = sum(cell_kind(c, decimal) != "text" for c in cells) / max(len(cells), 1)
        score = (width > 1, consistent >= 0.9, numeric, width)
        if best is None or score > best[0]:
            best = (score, sep, decimal, rows)
    if best is None:
        raise TableError(path, "the file is empty")
    _, sep, decimal, rows = best
    return Dialect(sep, decimal, _has_header(rows, decimal, text, sep))


def _decimal_of(rows: list[list[str]], separator: str) -> str:
    if separator == ",":
        return "."
    cells = [c for r in rows for c in r]
    comma = sum(bool(re.fullmatch(r"[+-]?\d*,\d+([eE][+-]?\d+)?", c)) for c in cells)
    point = sum(bool(re.fullmatch(r"[+-]?\d*\.\d+([eE][+-]?\d+)?", c)) for c in cells)
    return "," if comma > point else "."


def _has_header(rows: list[list[str]], decimal: str, text: str, separator: str) -> bool:
    first, body = rows[0], rows[1:]
    if not body:   # one row: a header when any cell is text
        return any(cell_kind(c, decimal) == "text" for c in first)
    numeric_columns = 0
    for j, cell in enumerate(first):
        below = [r[j] for r in body if j < len(r)]
        if below and sum(cell_kind(c, decimal) == "number" for c in below) >= 0.5 * len(below):
            numeric_columns += 1
            if cell_kind(cell, decimal) == "text":
                return True
    if numeric_columns:
        return False
    try:   # every column is text: csv's own guess (a header's cells differ in length from the rest)
        return csv.Sniffer().has_header(text[:_SNIFF_BYTES])
    except csv.Error:
        return True


# -- reading -------------------------------------------------------------------------------

def read_table(path: str | os.PathLike[str], dialect: Dialect | None = None) -> Table:
    """The whole file as a Table, read with `dialect` (sniffed when None).

    Raises TableError for: no such file, too large, binary or not UTF-8, empty, a header and no
    rows, one column only, a row with more or fewer cells than the header.
    """
    name = str(path)
    data = _read_bytes(path)
    text = decode(name, data)
    if dialect is None:
        dialect = sniff_text(name, text[:_SNIFF_BYTES])
    _check_dialect(name, dialect)
    parsed = _parse(name, text, dialect.separator)
    if not parsed:
        raise TableError(name, "the file is empty")
    parsed = _drop_trailing_empty_column(parsed)
    width = len(parsed[0][1])
    for line, cells in parsed:
        if len(cells) != width:
            what = "the header has" if dialect.header else f"row {parsed[0][0]} has"
            raise TableError(name, f"has {len(cells)} cells, but {what} {width} "
                                   f"(separator: {SEPARATORS.get(dialect.separator, dialect.separator)})", row=line)
    if dialect.header:
        names = _unique_names([c for c in parsed[0][1]])
        parsed = parsed[1:]
        if not parsed:
            raise TableError(name, "has a header row but no data rows")
    else:
        names = [f"column {j + 1}" for j in range(width)]
    if width < 2:
        raise TableError(name, "has only one column: a table needs a target column and at least one feature "
                               f"(separators tried: {', '.join(SEPARATORS.values())})")
    rows = tuple(tuple(cells) for _, cells in parsed)
    lines = tuple(line for line, _ in parsed)
    columns = tuple(_column(j, names[j], rows, lines, dialect.decimal) for j in range(width))
    return Table(name, dialect, columns, rows, lines, hashlib.sha256(data).hexdigest(), len(data))


def _check_dialect(path: str, dialect: Dialect) -> None:
    if len(dialect.separator) != 1 or dialect.separator in '"\r\n':
        raise TableError(path, f"the separator must be one character, not {dialect.separator!r}")
    if dialect.decimal not in DECIMALS:
        raise TableError(path, f"the decimal mark must be '.' or ',', not {dialect.decimal!r}")
    if dialect.decimal == dialect.separator:
        raise TableError(path, "the decimal mark and the separator cannot both be a comma")


def _drop_trailing_empty_column(parsed: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """Some programs end every line with a separator: an empty last column everywhere is no column."""
    if all(len(cells) > 1 and cells[-1] == "" for _, cells in parsed):
        return [(line, cells[:-1]) for line, cells in parsed]
    return parsed


def _unique_names(header: list[str]) -> list[str]:
    """Header names as given; an empty one becomes 'column N', a repeated one 'name (2)'."""
    out: list[str] = []
    for j, cell in enumerate(header):
        base = cell or f"column {j + 1}"
        name, k = base, 2
        while name in out:
            name, k = f"{base} ({k})", k + 1
        out.append(name)
    return out


def _column(j: int, name: str, rows: tuple[tuple[str, ...], ...], lines: tuple[int, ...], decimal: str) -> Column:
    numbers = texts = missing = 0
    integer = True
    distinct: set[str] = set()
    first_text: tuple[int, str] | None = None
    first_missing: int | None = None
    for line, row in zip(lines, rows):
        cell = row[j]
        kind = cell_kind(cell, decimal)
        if kind == "number":
            numbers += 1
            if integer and not parse_number(cell, decimal).is_integer():
                integer = False
        elif kind == "text":
            texts += 1
            if first_text is None:
                first_text = (line, cell)
        else:
            missing += 1
            if first_missing is None:
                first_missing = line
        if kind != "missing" and len(distinct) <= 100:
            distinct.add(label_text(cell, decimal))
    return Column(j, name, numbers, texts, missing, integer and numbers > 0, len(distinct), first_text,
                  first_missing)


__all__ = ["Dialect", "Column", "Table", "SEPARATORS", "DECIMALS", "MISSING", "PREVIEW_ROWS", "MAX_FILE_BYTES",
           "sniff", "sniff_text", "read_table", "parse_number", "cell_kind", "label_text", "size_limit", "decode"]
