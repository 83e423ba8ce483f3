"""TableError: a file that cannot be trained on, in one line naming the file, the row and the column."""
from __future__ import annotations

from ..mnist import DataError


class TableError(DataError):
    """The file cannot be read as a table of numbers; `str()` is the one line a user sees.

    It is a DataError, so the command line (exit 2, one line) and the window's error dialog
    (trainer.errors.expected_error) already treat it as the user's own problem, not a bug.
    path: the file; row: the line in the file (1-based, the header is line 1) or None;
    column: the column's name (or "column 3" in a file without a header) or None; reason: the rest.
    """

    def __init__(self, path: str, reason: str, row: int | None = None, column: str | None = None):
        self.path, self.reason, self.row, self.column = str(path), reason, row, column
        where = [self.path]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}" if not column.startswith("column ") else column)
        super().__init__(", ".join(where) + ": " + reason)


__all__ = ["TableError"]
