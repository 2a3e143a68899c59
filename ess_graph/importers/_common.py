"""Helpers shared by the format readers: positions, dates, metadata."""
from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import re
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import InputError


_ON_ERROR: contextvars.ContextVar[Callable[[InputError], None] | None] = \
    contextvars.ContextVar("essgraph_import_on_error", default=None)


@contextlib.contextmanager
def collecting_errors(on_error: Callable[[InputError], None] | None):
    """Within the block, :func:`skip_or_raise` passes errors to ``on_error``."""
    token = _ON_ERROR.set(on_error)
    try:
        yield
    finally:
        _ON_ERROR.reset(token)


def skip_or_raise(err: InputError) -> None:
    """Report a bad record and return (the caller skips it), or raise it when
    no ``on_error`` handler is active (see ``read_clippings``)."""
    handler = _ON_ERROR.get()
    if handler is None:
        raise err
    handler(err)


_SURROGATE = re.compile("[\ud800-\udfff]")
#: deepest nesting, and most values, accepted in one input record's metadata
MAX_DEPTH = 50
MAX_VALUES = 100_000


def check_strings(value: Any, *, source: str, line: int | None = None) -> None:
    """Refuse what a parsed record must not hold: lone surrogates (``"\\ud800"``
    escapes, which are not text and cannot be stored), nesting deeper than
    :data:`MAX_DEPTH` and more than :data:`MAX_VALUES` values (YAML aliases can
    make a few lines stand for billions)."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    seen = 0
    while stack:
        v, key, depth = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise InputError(f"the record holds more than {MAX_VALUES} values", source=source, line=line)
        if depth > MAX_DEPTH:
            raise InputError(f"field {key or 'value'!r} is nested more than {MAX_DEPTH} levels deep",
                             source=source, line=line)
        if isinstance(v, str):
            m = _SURROGATE.search(v)
            if m:
                raise InputError(f"field {key or 'value'!r} contains a lone surrogate "
                                 f"\\u{ord(m.group()):04x} at character {m.start() + 1}, which is "
                                 "not text (a broken \\u escape)", source=source, line=line)
        elif isinstance(v, dict):
            for k, x in v.items():
                stack.append((str(k), key or str(k), depth + 1))
                stack.append((x, key or str(k), depth + 1))
        elif isinstance(v, (list, tuple)):
            stack.extend((x, key, depth + 1) for x in v)


def source_name(path: str | Path) -> str:
    """The path as recorded in ``Clipping.source_file`` (as given, POSIX separators)."""
    return Path(path).as_posix()


def stem(path: str | Path) -> str:
    return Path(path).stem


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1


def iter_lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every line, end excluding the ``\\n``; only ``\\n`` ends a line."""
    start = 0
    n = len(text)
    while start <= n:
        nl = text.find("\n", start)
        if nl == -1:
            if start < n:
                yield start, n
            return
        yield start, nl
        start = nl + 1


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) so that it neither starts nor ends with whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_ISO_DATE = re.compile(r"\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?\s*")


def normalize_date(value: Any, *, source: str, line: int | None = None,
                   column: int | None = None, what: str = "date") -> str | None:
    """An ISO 8601 date string: ``YYYY-MM-DD``, or ``YYYY-MM`` / ``YYYY`` when
    only that precision is known. A time part is dropped. ``None`` stays ``None``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return f"{value:04d}"
    if isinstance(value, str):
        m = _ISO_DATE.fullmatch(value)
        if m:
            y, mo, d = m.group(1), m.group(2), m.group(3)
            try:
                if d is not None:
                    return _dt.date(int(y), int(mo), int(d)).isoformat()
                if mo is not None:
                    _dt.date(int(y), int(mo), 1)
                    return f"{y}-{int(mo):02d}"
                return y
            except ValueError:
                pass
    raise InputError(f"invalid {what} {value!r} (expected an ISO 8601 date such as 2013-11-26)",
                     source=source, line=line, column=column)


def date_from_parts(parts: Any, *, source: str, line: int | None, what: str) -> str | None:
    """CSL ``date-parts`` first element ``[year, month?, day?]`` -> ISO string."""
    if not isinstance(parts, list) or not parts:
        raise InputError(f"invalid {what}: date-parts must be a list like [[2013, 11, 26]]",
                         source=source, line=line)
    first = parts[0]
    if not isinstance(first, list) or not 1 <= len(first) <= 3:
        raise InputError(f"invalid {what}: date-parts must be a list like [[2013, 11, 26]]",
                         source=source, line=line)
    try:
        nums = [int(str(x).strip()) for x in first]
    except ValueError:
        raise InputError(f"invalid {what}: non-numeric date-parts {first!r}",
                         source=source, line=line) from None
    try:
        if len(nums) == 3:
            return _dt.date(*nums).isoformat()
        if len(nums) == 2:
            _dt.date(nums[0], nums[1], 1)
            return f"{nums[0]:04d}-{nums[1]:02d}"
        if not 1 <= nums[0] <= 9999:
            raise ValueError
        return f"{nums[0]:04d}"
    except ValueError:
        raise InputError(f"invalid {what}: date-parts {first!r} is not a calendar date",
                         source=source, line=line) from None


def plain(value: Any) -> Any:
    """Metadata value made JSON-friendly and deterministic (dates as ISO strings)."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def optional_str(record: dict, key: str, *, source: str, line: int | None) -> str | None:
    """``record[key]`` as a stripped string, or None; anything but a string is an error."""
    v = record.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise InputError(f"field {key!r} must be a string, not {type(v).__name__}",
                         source=source, line=line)
    v = v.strip()
    return v or None


def identifier(value: Any, *, key: str, source: str, line: int | None) -> str:
    """A clipping id from a string or integer field."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(f"field {key!r} must be a string or an integer, not {type(value).__name__}",
                         source=source, line=line)
    s = str(value).strip()
    if not s:
        raise InputError(f"field {key!r} is empty", source=source, line=line)
    return s


def first_sentence(text: str, limit: int = 200) -> str:
    """First sentence (or first line) of a text, used as a fallback title."""
    line = text.strip().split("\n", 1)[0].strip()
    m = re.search(r"[.!?…](?=\s)", line)
    s = line[: m.start() + 1] if m else line
    s = s.strip()
    if s.endswith(".") and not s.endswith(".."):
        s = s[:-1].rstrip()
    if len(s) > limit:
        cut = s.rfind(" ", 0, limit)
        s = s[: cut if cut > limit // 2 else limit].rstrip() + "…"
    return s
