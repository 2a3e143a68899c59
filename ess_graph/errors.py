"""One error type for everything a user can get wrong.

Every problem with input (a file, a query, a store) is raised as
:class:`EssGraphError`, which the CLI prints as a single line
``file:line:col: message`` and turns into a non-zero exit code.
"""
from __future__ import annotations


class EssGraphError(Exception):
    """A user-facing error: where it happened and what is wrong."""

    exit_code = 2

    def __init__(self, message: str, *, source: str | None = None,
                 line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.source:
            where = str(self.source)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return where + self.message


class InputError(EssGraphError):
    """Malformed or unreadable input file."""


class QueryError(EssGraphError):
    """Invalid SPARQL, unknown saved query or bad parameter."""


class StoreError(EssGraphError):
    """The store cannot be opened (locked, corrupt) or written."""


def decode_text(data: bytes, source: str) -> str:
    """Decode bytes as UTF-8 (with or without BOM), falling back to cp1252.

    French clippings saved on Windows are often cp1252; bytes that are neither
    raise an :class:`InputError` naming the offending position.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_err:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            line = data.count(b"\n", 0, utf8_err.start) + 1
            col = utf8_err.start - (data.rfind(b"\n", 0, utf8_err.start) + 1) + 1
            raise InputError(
                f"cannot decode byte 0x{data[utf8_err.start]:02x}: neither UTF-8 nor cp1252",
                source=source, line=line, column=col) from None
        return text
