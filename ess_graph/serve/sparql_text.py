"""Lexical analysis of SPARQL text, used before a request reaches the engine.

The server needs three facts about a query or update without evaluating it:

* which remote endpoints it would contact (``SERVICE <iri>``, ``LOAD <iri>``),
  so that the endpoint cannot be used to reach other machines;
* whether an update already names its dataset (``USING``/``WITH``), which
  conflicts with the protocol's ``using-graph-uri`` parameters;
* where to put the ``USING`` clauses that those parameters stand for.

A tokenizer that knows SPARQL's strings, IRIs, comments and prefixed names is
enough for all three: keywords inside literals or comments are never matched.
Codepoint escapes (``\\u0053ERVICE``), which SPARQL processes before parsing,
are expanded first.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
  | (?P<pname>(?:[^\W\d_][\w.\-]*)?:(?:(?:[\w:%\-]|\\.)(?:[\w.:%\-]|\\.)*)?)
  | (?P<bnode>_:[\w.\-]+)
  | (?P<word>[^\W\d][\w]*)
  | (?P<number>[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL | re.UNICODE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    value: str
    start: int
    end: int
    depth: int  # brace depth before the token


def unescape_codepoints(text: str) -> str:
    """Expand ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes as SPARQL does before parsing."""
    if "\\u" not in text and "\\U" not in text:
        return text

    def repl(m: re.Match) -> str:
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except ValueError:
            return m.group(0)

    return _UNICODE_ESCAPE.sub(repl, text)


def tokenize(text: str) -> list[Token]:
    """Significant tokens (no whitespace or comments) with their brace depth."""
    out: list[Token] = []
    depth = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        value = m.group(0)
        if kind == "other" and value == "}":
            depth = max(0, depth - 1)
        out.append(Token(kind, value, m.start(), m.end(), depth))
        if kind == "other" and value == "{":
            depth += 1
    return out


def _prefix_declarations(tokens: list[Token]) -> tuple[dict[str, str], str | None]:
    prefixes: dict[str, str] = {}
    base = None
    for i, t in enumerate(tokens):
        if t.kind == "word" and t.value.upper() == "PREFIX" and i + 2 < len(tokens):
            p, iri = tokens[i + 1], tokens[i + 2]
            if p.kind == "pname" and p.value.endswith(":") and iri.kind == "iri":
                prefixes[p.value[:-1]] = iri.value[1:-1]
        elif t.kind == "word" and t.value.upper() == "BASE" and i + 1 < len(tokens):
            if tokens[i + 1].kind == "iri":
                base = tokens[i + 1].value[1:-1]
    return prefixes, base


def remote_targets(text: str, default_prefixes: dict[str, str] | None = None,
                   base_iri: str | None = None) -> list[str | None]:
    """IRIs that ``SERVICE`` / ``LOAD`` in ``text`` would contact.

    ``None`` in the list stands for a target that cannot be known before
    evaluation (``SERVICE ?var``, an undeclared prefix): callers must refuse it.
    """
    text = unescape_codepoints(text)
    tokens = tokenize(text)
    declared, base = _prefix_declarations(tokens)
    prefixes = dict(default_prefixes or {})
    prefixes.update(declared)
    base = urljoin(base_iri or "", base) if base else base_iri
    targets: list[str | None] = []
    for i, t in enumerate(tokens):
        if t.kind != "word" or t.value.upper() not in ("SERVICE", "LOAD"):
            continue
        j = i + 1
        if j < len(tokens) and tokens[j].kind == "word" and tokens[j].value.upper() == "SILENT":
            j += 1
        if j >= len(tokens):
            targets.append(None)
            continue
        nt = tokens[j]
        if nt.kind == "iri":
            iri = nt.value[1:-1]
            targets.append(urljoin(base, iri) if base else iri)
        elif nt.kind == "pname":
            pfx, _, local = nt.value.partition(":")
            if pfx in prefixes:
                targets.append(prefixes[pfx] + re.sub(r"\\(.)", r"\1", local))
            else:
                targets.append(None)
        else:
            targets.append(None)
    return targets


def refused_targets(text: str, allow: tuple[str, ...] | list[str],
                    default_prefixes: dict[str, str] | None = None,
                    base_iri: str | None = None) -> list[str]:
    """The remote targets of ``text`` not permitted by the allow-list of IRI prefixes."""
    refused = []
    for target in remote_targets(text, default_prefixes, base_iri):
        if target is None:
            refused.append("(an endpoint only known at evaluation time)")
        elif not any(target.startswith(p) for p in allow):
            refused.append(target)
    return refused


def update_names_dataset(text: str) -> bool:
    """True when an update has a ``USING``, ``USING NAMED`` or ``WITH`` clause."""
    for t in tokenize(unescape_codepoints(text)):
        if t.depth == 0 and t.kind == "word" and t.value.upper() in ("USING", "WITH"):
            return True
    return False


def add_using(text: str, using: list[str], using_named: list[str]) -> str:
    """Insert ``USING <g>`` / ``USING NAMED <g>`` before each ``WHERE`` of a
    ``DELETE/INSERT … WHERE`` operation, which is what the protocol's
    ``using-graph-uri`` / ``using-named-graph-uri`` parameters mean.

    ``DELETE WHERE { … }`` (no ``USING`` allowed by the grammar) is rewritten
    to the equivalent ``DELETE { … } USING … WHERE { … }``.
    """
    if not using and not using_named:
        return text
    clause = "".join(f" USING <{g}>" for g in using) + "".join(
        f" USING NAMED <{g}>" for g in using_named) + " "
    tokens = tokenize(text)
    edits: list[tuple[int, int, str]] = []
    for i, t in enumerate(tokens):
        if t.depth != 0 or t.kind != "word" or t.value.upper() != "WHERE":
            continue
        prev = tokens[i - 1] if i else None
        if prev is not None and prev.kind == "word" and prev.value.upper() == "DELETE":
            # DELETE WHERE { P }  ->  DELETE { P } USING … WHERE { P }
            end = _matching_brace(tokens, i + 1)
            if end is None:
                continue
            pattern = text[tokens[i + 1].start:tokens[end].end]
            edits.append((t.start, tokens[end].end, pattern + clause + "WHERE " + pattern))
        else:
            edits.append((t.start, t.start, clause))
    for start, end, new in reversed(edits):
        text = text[:start] + new + text[end:]
    return text


def _matching_brace(tokens: list[Token], i: int) -> int | None:
    if i >= len(tokens) or tokens[i].value != "{":
        return None
    d = tokens[i].depth
    for j in range(i + 1, len(tokens)):
        if tokens[j].value == "}" and tokens[j].depth == d:
            return j
    return None


# Deepest nesting accepted. Oxigraph's parser and evaluator are recursive: a
# query nested some thousands deep exhausts the worker's stack and kills it.
# No real query comes near this limit.
MAX_NESTING = 500

_OPEN = {"(": ")", "{": "}", "[": "]"}
_CLOSE = {")", "}", "]"}
_PREFIX_OPS = {"!", "^", "-", "+"}


def nesting_depth(text: str, stop_at: int | None = None) -> int:
    """Deepest nesting in ``text``: open brackets (``( { [``) plus chains of
    prefix operators (``!``, ``^``, ``-``, ``+``), which the parser also
    handles recursively. Strings, IRIs and comments do not count. Stops
    early once ``stop_at`` is passed."""
    # cheap pre-check: the answer cannot exceed the number of such characters
    if stop_at is not None and sum(text.count(c) for c in "({[!^-+") <= stop_at:
        return 0
    depth = run = best = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        v = m.group(0)
        if kind == "other" and v in _OPEN:
            depth += 1
        elif kind == "other" and v in _CLOSE:
            depth = max(0, depth - 1)
            run = 0
        elif kind == "other" and v in _PREFIX_OPS or (kind == "number" and v[0] in "+-"):
            run += 1
        else:
            run = 0
        d = depth + run
        if d > best:
            best = d
            if stop_at is not None and best > stop_at:
                return best
    return best
