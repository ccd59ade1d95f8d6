"""The row-format rules and the careful row-by-row parser that words every error.

A row is a token, a space, and `dim` space-separated numbers. The token is
everything before the last `dim` fields, so it may hold spaces (glove.840B
has ". . ."); a row whose extra fields all read as numbers has too many
values instead. `token_reads_back` applies the same rules to a token about
to be written.
"""

from __future__ import annotations

import io
import re
import warnings

import numpy as np

Matrix = np.ndarray
EMPTY_TOKEN = "the row starts with a space: its token is empty."

# A field that reads as a number. When the fields between the first one and
# the last `dim` are all numbers, the row has too many values; otherwise they
# are part of a token containing spaces (glove.840B has ". . .").
_NUMBER = re.compile(
    rb"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|(?i:nan|inf(?:inity)?))"
)


class RowRules:
    """Per-file state: dim, label, bad-row policy and the rows skipped."""

    def __init__(self, label: str, dim: int, on_bad_row: str):
        self.label, self.dim, self.on_bad_row = label, dim, on_bad_row
        self.skipped: list[int] = []

    def bad_row(self, lineno: int, message: str) -> None:
        if self.on_bad_row == "skip":
            self.skipped.append(lineno)
            return
        raise ValueError(
            f"{self.label}, line {lineno}: {message} Pass on_bad_row='skip' "
            "to skip such rows."
        )

    def split(self, line: bytes, lineno: int) -> tuple[bytes, bytes] | None:
        """Returns (token, values) of a data line; None for a skipped row.

        The values are the last `dim` space-separated fields and the token is
        everything before them, so tokens may contain spaces (glove.840B).
        """
        s = line.rstrip()
        spaces = s.count(b" ")
        dim = self.dim
        if spaces == dim:
            token, _, values = s.partition(b" ")
        elif spaces > dim:
            token = s.rsplit(b" ", dim)[0]
            values = s[len(token) + 1 :]
            extra = token.split(b" ")[1:]
            if all(_NUMBER.fullmatch(x) for x in extra):
                self.bad_row(
                    lineno,
                    f"found {dim + len(extra)} values after the token "
                    f"{token.split(b' ')[0].decode('utf-8', 'replace')!r}, "
                    f"expected {dim}.",
                )
                return None
        else:
            first = s.split(b" ", 1)[0].decode("utf-8", "replace")
            self.bad_row(
                lineno,
                f"found {spaces} values after the token {first!r}, expected {dim}.",
            )
            return None
        if not token:
            self.bad_row(lineno, EMPTY_TOKEN)
            return None
        return token, values

    def parse(
        self, values: list[bytes], linenos: list[int]
    ) -> tuple[Matrix, list[int]]:
        """Parses rows of exactly `dim` space-separated numbers in one call.

        Returns the (n, dim) float32 matrix and the indices of the rows kept
        (all of them unless bad rows were skipped).
        """
        if not values:
            return np.zeros((0, self.dim), np.float32), []
        try:
            return loadtxt(b"\n".join(values), self.dim), list(range(len(values)))
        except ValueError:
            pass
        kept, rows = [], []
        for i, (row, lineno) in enumerate(zip(values, linenos, strict=True)):
            try:
                rows.append(loadtxt(row, self.dim))
                kept.append(i)
            except ValueError:
                self.bad_row(lineno, self._describe(row))
        if not rows:
            return np.zeros((0, self.dim), np.float32), []
        return np.concatenate(rows), kept

    def _describe(self, row: bytes) -> str:
        for column, field in enumerate(row.split(b" "), start=1):
            try:
                loadtxt(field, 1)
            except ValueError:
                return (
                    f"value {column} is {field.decode('utf-8', 'replace')!r}, "
                    f"expected a number ({self.dim} numbers after the token)."
                )
        return f"could not read {self.dim} numbers from {row[:80]!r}."


def token_reads_back(token: str, dim: int) -> bool:
    """Whether a row `token v1 .. v<dim>` reads back with exactly this token.

    With `dim` known (a file with a `count dim` header), tokens may hold
    spaces, even a leading one, but not a line break or spaces followed only
    by number-like fields (`"route 66"` reads as a token with one value too
    many). Used to refuse such tokens before writing a file.
    """
    if not token or any(c in token for c in "\n\r"):
        return False
    encoded = token.encode("utf-8")
    try:
        split = RowRules("", dim, "raise").split(encoded + b" 0" * dim, 1)
    except ValueError:
        return False
    return split is not None and split[0] == encoded


def loadtxt(text: bytes, dim: int) -> Matrix:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matrix = np.loadtxt(
            io.BytesIO(text),
            dtype=np.float32,
            delimiter=" ",
            comments=None,
            quotechar=None,
            ndmin=2,
            encoding="latin-1",
        )
    if matrix.shape[1] != dim:
        raise ValueError(f"expected {dim} columns, found {matrix.shape[1]}")
    return matrix


def careful_block(
    rules: RowRules, lines: list[bytes], lineno: int
) -> tuple[list[bytes], Matrix]:
    """Tokens and rows of one block, row by row where needed.

    Tokens may hold spaces, blank lines are skipped, and every bad row is
    raised or skipped with its line number, per `rules.on_bad_row`.
    """
    dim = rules.dim
    stripped = [line.rstrip() for line in lines]
    if all(s.count(b" ") == dim for s in stripped):
        parts = [s.partition(b" ") for s in stripped]
        tokens = [p[0] for p in parts]
        values = [p[2] for p in parts]
        linenos = list(range(lineno, lineno + len(stripped)))
    else:
        tokens, values, linenos = [], [], []
        for k, s in enumerate(stripped):
            if not s:
                continue
            split = rules.split(s, lineno + k)
            if split is not None:
                tokens.append(split[0])
                values.append(split[1])
                linenos.append(lineno + k)
    while b"" in tokens:
        k = tokens.index(b"")
        rules.bad_row(linenos[k], EMPTY_TOKEN)
        del tokens[k], values[k], linenos[k]
    block, kept = rules.parse(values, linenos)
    if len(kept) != len(tokens):
        tokens = [tokens[i] for i in kept]
    return tokens, block
