"""docs/cookbook.md: every question's query gives, on its store, exactly the rows of its answer table.

The expected rows live in the markdown (the answer table under each query), so the page and the
test cannot drift apart. Questions marked ``**Store:** sample`` run on the bundled sample
(``sample_store``); those marked ``dev-real`` on a store built once here from
``SHARED/dev-real/clippings.jsonl`` with the default extractor, as ``essgraph load`` builds it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from ess_graph.curie import term_text
from ess_graph.queries import execute

COOKBOOK = Path(__file__).resolve().parent.parent / "docs" / "cookbook.md"
STORES = ("sample", "dev-real")

_QUESTION = re.compile(r"^### (Q\d+)\. (.+)$", re.M)
_STORE = re.compile(r"^\*\*Store:\*\* (\S+)\s*$", re.M)
_SPARQL = re.compile(r"^```sparql\n(.*?)^```", re.S | re.M)
_ANSWER = re.compile(r"^\*\*Answer\*\* \((\d+) rows?\):\s*\n\n((?:\|.*\n)+)", re.M)
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


@dataclass
class Question:
    key: str
    title: str
    store: str
    query: str
    header: list[str]
    rows: list[list[str]]
    stated_count: int


def split_row(line: str) -> list[str]:
    """Cells of one markdown table row (``\\|`` is a literal bar inside a cell)."""
    inner = line.strip()
    assert inner.startswith("|") and inner.endswith("|"), line
    return [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(inner[1:-1])]


def cell(term) -> str:
    """A result term as the answer tables print it: `prefixed:name` for an IRI, the value of a
    literal (line breaks as spaces), an empty cell when unbound."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return f"`{term_text(term)}`"
    return " ".join(term_text(term).split())


def markdown_cell(text: str) -> str:
    return text.replace("|", "\\|")


def parse_cookbook(text: str) -> list[Question]:
    out = []
    heads = list(_QUESTION.finditer(text))
    for i, h in enumerate(heads):
        body = text[h.end(): heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        store = _STORE.search(body)
        query = _SPARQL.search(body)
        answer = _ANSWER.search(body)
        assert store and query and answer, f"{h.group(1)}: needs a Store line, a sparql block and an answer table"
        lines = answer.group(2).strip("\n").split("\n")
        header = split_row(lines[0])
        assert set(lines[1].replace("|", "").strip()) <= set("-: "), f"{h.group(1)}: no table separator"
        rows = [split_row(line) for line in lines[2:]]
        out.append(Question(h.group(1), h.group(2), store.group(1), query.group(1), header, rows,
                            int(answer.group(1))))
    return out


def run(store, query: str) -> tuple[list[str], list[list[str]]]:
    result = execute(store, query)
    header = [v.value for v in result.variables]
    return header, [[cell(sol[v]) for v in header] for sol in result]


def answer_table(header: list[str], rows: list[list[str]]) -> str:
    """The markdown of an answer (how the page writes the rows a query gives)."""
    n = len(rows)
    out = [f"**Answer** ({n} row{'s' if n != 1 else ''}):", "",
           "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(markdown_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


QUESTIONS = parse_cookbook(COOKBOOK.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dev_real_store(tmp_path_factory, shared_dir, extractor):
    """The 50 dev-real passages loaded as `essgraph load SHARED/dev-real/clippings.jsonl` loads them."""
    from ess_graph.pipeline import load
    from ess_graph.store import GraphStore
    clippings = shared_dir / "dev-real" / "clippings.jsonl"
    if not clippings.is_file():
        pytest.skip(f"no dev-real clippings at {clippings}")
    path = tmp_path_factory.mktemp("dev-real") / "store"
    gs = GraphStore(path)
    load([clippings], gs, extractor=extractor)
    gs.close()
    return path


@pytest.fixture(scope="module")
def stores(request):
    opened = {}

    def get(name: str):
        if name not in opened:
            if name == "sample":
                path = request.getfixturevalue("sample_store")[0]
            else:
                path = request.getfixturevalue("dev_real_store")
            opened[name] = ox.Store.read_only(str(path))
        return opened[name]
    yield get
    opened.clear()


def test_the_cookbook_has_at_least_25_questions_on_both_stores():
    assert len(QUESTIONS) >= 25
    assert len({q.key for q in QUESTIONS}) == len(QUESTIONS)
    assert {q.store for q in QUESTIONS} == set(STORES)
    # most answers are not empty
    assert sum(1 for q in QUESTIONS if not q.rows) <= 3


def test_every_answer_states_its_row_count():
    for q in QUESTIONS:
        assert q.stated_count == len(q.rows), q.key
        assert all(len(r) == len(q.header) for r in q.rows), q.key


def test_the_cookbook_covers_the_research_themes():
    text = COOKBOOK.read_text(encoding="utf-8")
    for section in ("Mentioned actors", "Roll-up by département and région", "Roles over time",
                    "Funding chains", "Cooperatives and communes", "Networks and their members",
                    "Programmes and the territories in them", "Sources and quotes for a fact"):
        assert f"## {section}" in text, section
    queries = [q.query for q in QUESTIONS]
    assert sum("schema:mentions" in s for s in queries) >= 8
    # roll-ups use the fast UNION form, never a zero-or-one path
    assert not any("ess:within?" in s for s in queries)
    assert sum("UNION" in s and "ess:within" in s for s in queries) >= 3


def test_a_changed_row_is_detected(stores):
    """The comparison is strict: a wrong, missing or reordered row is a difference."""
    q = next(q for q in QUESTIONS if q.store == "sample" and len(q.rows) >= 2)
    header, rows = run(stores("sample"), q.query)
    assert rows == q.rows
    assert rows[::-1] != q.rows
    assert rows[:-1] != q.rows
    changed = [list(r) for r in rows]
    changed[0][0] += "x"
    assert changed != q.rows


@pytest.mark.parametrize("q", QUESTIONS, ids=[f"{q.key}-{q.store}" for q in QUESTIONS])
def test_query_gives_the_rows_of_its_answer(q, stores):
    assert q.store in STORES, f"{q.key}: unknown store {q.store!r}"
    header, rows = run(stores(q.store), q.query)
    assert header == q.header, f"{q.key}: columns"
    if rows != q.rows:
        pytest.fail(f"{q.key} ({q.store}) rows differ; the query now gives:\n\n" + answer_table(header, rows))
