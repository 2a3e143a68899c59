"""One error type for everything a user can get wrong.

Every problem with input (a file, a query, a store) is raised as
:class:`EssGraphError`, which the CLI prints as a single line
``file:line:col: message`` and turns into a non-zero exit code.
"""
from __future__ import annotations

import re


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


_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
)
_WIDE = ("utf_32_le", "utf_32_be", "utf_16_le", "utf_16_be")
#: 8-bit encodings accepted for text without a BOM that is not UTF-8, best first
#: (French text saved on Windows or by older Unix tools)
_LEGACY = ("cp1252", "iso8859_15", "latin_1")
_C1 = re.compile("[\x80-\x9f]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
#: a well-formed multi-byte UTF-8 sequence: a file that has some is UTF-8
_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _strict(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        line, col = _position(data, e.start)
        raise InputError(f"invalid {encoding.upper()} byte 0x{data[e.start]:02x}: the file is not "
                         "valid text in the encoding its byte order mark declares",
                         source=source, line=line, column=col) from None


def _binary(text: str) -> bool:
    """Text with NULs or many control characters is binary content, not a clipping."""
    if "\x00" in text:
        return True
    n = len(_CONTROL.findall(text[:65536]))
    return n > max(2, len(text[:65536]) // 200)


def _refuse_binary(source: str) -> InputError:
    return InputError("binary content, not text: give the clippings as text, Markdown, "
                      "JSON, HTML or PDF files", source=source, line=1)


def _not_binary(text: str, source: str) -> str:
    """The decoded text, unless it holds NULs or many control characters (binary: refused)."""
    if _binary(text):
        raise _refuse_binary(source)
    return text


def decode_text(data: bytes, source: str) -> str:
    """Decode the bytes of an input file, never silently garbling them.

    1. a byte order mark (UTF-8, UTF-16 or UTF-32) decides, strictly;
    2. valid UTF-8 is UTF-8;
    3. bytes with NULs are UTF-16/UTF-32 without BOM when charset-normalizer
       recognises them so, else binary content (refused);
    4. a file with well-formed UTF-8 sequences and an invalid byte is UTF-8
       with a bad byte, or lines in mixed encodings: refused at that byte;
    5. otherwise the 8-bit encoding that charset-normalizer finds among
       cp1252, ISO 8859-15 and Latin-1 (cp1252 when several fit), unless
       it decodes to C1 control characters.

    Content that decodes to NULs or many control characters is refused as binary.
    Every refusal is an :class:`InputError` naming the file and position.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return _not_binary(_strict(data[len(bom):], enc, source), source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as utf8_err:
        bad = utf8_err.start
    else:
        return _not_binary(text, source)
    from charset_normalizer import from_bytes  # imported only for non-UTF-8 input

    if b"\x00" in data:
        best = from_bytes(data, cp_isolation=list(_WIDE)).best()
        if best is None:
            raise _refuse_binary(source)
        return _not_binary(str(best), source)
    if _UTF8_SEQ.search(data):
        line, col = _position(data, bad)
        raise InputError(f"invalid UTF-8 byte 0x{data[bad]:02x} in a file that is otherwise UTF-8 "
                         "(a damaged file, or lines saved in another encoding): fix or re-save it "
                         "as UTF-8", source=source, line=line, column=col)
    found = {m.encoding for m in from_bytes(data, cp_isolation=list(_LEGACY))}
    for enc in _LEGACY:
        if enc in found:
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if _C1.search(text):  # C1 control characters: not this encoding
                continue
            return _not_binary(text, source)
    line, col = _position(data, bad)
    if _binary(data.decode("latin_1")):
        raise _refuse_binary(source)
    raise InputError(f"cannot decode byte 0x{data[bad]:02x}: the file is neither UTF-8 nor a "
                     "Western 8-bit encoding (cp1252, ISO 8859-15); re-save it as UTF-8",
                     source=source, line=line, column=col)
