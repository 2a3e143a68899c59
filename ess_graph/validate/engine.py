"""The fast engine: SHACL Core constraints compiled to SPARQL and run by Oxigraph.

Each shape is evaluated against a *focus pattern*, a SPARQL group that binds
the focus-node variable: for a shape with targets it is the union of its
targets (subclasses included); for a shape reached through ``sh:property`` it
is the value nodes of the enclosing shape; for a shape reached through
``sh:node``, ``sh:not``, ``sh:and``, ``sh:or``, ``sh:xone`` or
``sh:qualifiedValueShape`` it is the value nodes being tested. All the
value-level constraints of a shape (class, datatype, nodeKind, ranges,
lengths, pattern, languageIn, in, hasValue) are checked by one query;
cardinalities, property pairs, uniqueLang, closed and SPARQL-based constraints
by one query each, grouping by focus node inside Oxigraph. The logical and
shape-based components combine, in Python, the sets of non-conforming nodes
returned for the nested shapes.

A construct the compiler cannot express (a blank node used as a constant, a
recursive shape, a component declared in the shapes graph, a SPARQL
constraint needing ``$shapesGraph``, a query Oxigraph rejects) raises
:class:`Uncompilable`; the caller then hands the whole top-level shape to
pySHACL for its focus nodes.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import RDF, RDFS, BNode, Literal, URIRef

from .rdfio import XSD, XSD_STRING, quiet_rdflib, sparql_term, to_rdflib
from .shapes import COMPONENT, Shape, ShapesGraph, path_nullable, path_sparql, sh

RDF_TYPE = f"<{RDF.type}>"
RDFS_SUBCLASS = f"<{RDFS.subClassOf}>"
RDFS_LITERAL = RDFS.Literal


class Uncompilable(Exception):
    """A constraint the compiler cannot translate faithfully to SPARQL."""


@dataclass
class Result:
    focus: object                 # pyoxigraph term
    shape: Shape
    component: str                # constraint component IRI
    value: object = None          # pyoxigraph term or None
    path: tuple | None = None
    path_node: object = None      # rdflib node of the path in the shapes graph
    messages: list = field(default_factory=list)
    constraint: object = None     # sh:sourceConstraint (SPARQL-based constraints)
    sev: object = None            # severity as reported by pySHACL (None: the shape's)

    @property
    def severity(self):
        return self.sev if self.sev is not None else self.shape.severity


NODE_KIND = {
    "IRI": "!isIRI({v})", "BlankNode": "!isBlank({v})", "Literal": "!isLiteral({v})",
    "BlankNodeOrIRI": "isLiteral({v})", "BlankNodeOrLiteral": "isIRI({v})",
    "IRIOrLiteral": "isBlank({v})",
}
RANGE_OP = {"minExclusive": ">", "minInclusive": ">=", "maxExclusive": "<", "maxInclusive": "<="}
VALUE_LEVEL = {"class", "datatype", "nodeKind", "minExclusive", "minInclusive", "maxExclusive",
               "maxInclusive", "minLength", "maxLength", "pattern", "languageIn", "in"}
# XSD datatypes whose lexical space rdflib checks (Literal.ill_typed)
_NO_LEXICAL_CHECK = {XSD_STRING, XSD + "normalizedString", XSD + "token", XSD + "anyURI"}
# lexical forms rdflib certainly accepts (int() takes up to 4300 digits by default)
_WELL_FORMED = {XSD + "integer": "^[+-]?[0-9]{1,4000}$", XSD + "boolean": "^(true|false|1|0)$"}
SCREEN_MAX = 20000          # more suspects than this: evaluate on the whole focus pattern


def _str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def _iri(t) -> str:
    if not isinstance(t, URIRef):
        raise Uncompilable(f"a blank node or literal where an IRI is needed: {t!r}")
    return sparql_term(t)


def _const(t) -> str:
    if isinstance(t, BNode):
        raise Uncompilable("a blank node constant cannot be written in SPARQL")
    try:
        return sparql_term(t)
    except ValueError as e:
        raise Uncompilable(str(e)) from None


# parameters whose check reads nothing but the focus node's own triples and the value terms
_LOCAL_NODE_PARAMS = VALUE_LEVEL | {"hasValue", "closed", "equals", "disjoint"}
_LOCAL_PROPERTY_PARAMS = (VALUE_LEVEL - {"class"}) | {
    "minCount", "maxCount", "hasValue", "uniqueLang", "equals", "disjoint", "lessThan", "lessThanOrEquals"}


@dataclass
class Context:
    """Graphs validated once and kept as data context (see :mod:`ess_graph.validate.context`).

    ``graphs``: the context graphs; ``data_graphs``: every other named graph.
    """
    graphs: list[str]
    data_graphs: list[str]

    def __post_init__(self):
        self.data_nodes = [ox.NamedNode(g) for g in self.data_graphs]


class FastEngine:
    def __init__(self, store: ox.Store, shapes: ShapesGraph, *, focus_graphs: list[str] | None = None,
                 graphs: list[str] | None = None, context: Context | None = None):
        self.store = store
        self.sg = shapes
        self.focus_graphs = focus_graphs
        # graphs: validate these named graphs only (the data graph is their union)
        self.graphs = [ox.NamedNode(g) for g in graphs] if graphs is not None else None
        self.context = context if focus_graphs is None and graphs is None else None
        self._scoped = False        # evaluating a shape whose focus is scoped to the data graphs
        self._n = 0
        self._subclasses: dict = {}
        self.query_count = 0
        self.skipped_shapes: list[str] = []     # shapes whose context-only focus nodes were not re-checked

    # -- plumbing ------------------------------------------------------------
    def anti(self, pattern: str, fp=None, single: bool = False) -> str:
        """Remove the solutions matching ``pattern``.

        Over the whole graph MINUS (an anti-join computing ``pattern`` once) is
        fastest; with few focus nodes (``--changed``, or the suspects of a
        screening query) FILTER NOT EXISTS, which Oxigraph evaluates per
        solution with its variables bound, is.
        """
        small = getattr(fp, "small", False)
        if self.focus_graphs is None and not small:
            return f"MINUS {{ {pattern} }}"
        if small and not single:
            # several patterns: NOT EXISTS would be planned from its unbound end, OPTIONAL is bound
            m = self.fresh()
            return f"OPTIONAL {{ {pattern} BIND(true AS {m}) }} FILTER(!BOUND({m}))"
        return f"FILTER NOT EXISTS {{ {pattern} }}"

    def fresh(self) -> str:
        self._n += 1
        return f"?_e{self._n}"

    def q(self, sparql: str):
        self.query_count += 1
        if self.graphs is not None:
            kw = {"default_graph": self.graphs}
        else:
            kw = {"use_default_graph_as_union": True}
            if self._scoped:
                # GRAPH ?g ranges over the data graphs only; the default graph stays the union
                kw["named_graphs"] = self.context.data_nodes
        try:
            return list(self.store.query(sparql, **kw))
        except (SyntaxError, OSError, ValueError, RuntimeError) as e:
            raise Uncompilable(f"query rejected by Oxigraph: {e}") from None

    def subclasses(self, cls) -> list[str]:
        """``cls`` and its subclasses in the data graph, as SPARQL terms."""
        c = _iri(cls)
        if c not in self._subclasses:
            rows = self.q(f"SELECT DISTINCT ?c WHERE {{ ?c {RDFS_SUBCLASS}+ {c} }}")
            subs = {c} | {f"<{r['c'].value}>" for r in rows if isinstance(r["c"], ox.NamedNode)}
            self._subclasses[c] = sorted(subs)
        return self._subclasses[c]

    # -- focus patterns --------------------------------------------------------
    def restriction(self) -> str | None:
        """The nodes of the focus graphs as a VALUES body (None: no restriction)."""
        if self.focus_graphs is None:
            return None
        if not hasattr(self, "_restriction"):
            if not self.focus_graphs:
                self._restriction = ""
            else:
                graphs = " ".join(f"<{g}>" for g in self.focus_graphs)
                rows = self.q(f"SELECT DISTINCT ?n WHERE {{ VALUES ?g {{ {graphs} }} "
                              f"GRAPH ?g {{ {{ ?n ?p ?o }} UNION {{ ?s ?p ?n }} }} }}")
                nodes = [r["n"] for r in rows]
                if any(isinstance(n, ox.BlankNode) for n in nodes):
                    raise Uncompilable("blank nodes among the nodes of the changed graphs")
                self._restriction = " ".join(sorted(str(n) for n in nodes))
        return self._restriction

    def is_local(self, shape: Shape) -> bool:
        """True when every check of this top-level node shape reads only the focus node's
        own triples (its types, its values through single predicates) and the value terms
        themselves: then a node absent from the data graphs has, on the union, the result
        it had when its context graph was validated alone."""
        if shape.is_property or shape.unknown:
            return False
        if any(kind not in ("class", "node", "subjectsOf", "objectsOf") for kind, _ in shape.targets):
            return False
        if any(name not in _LOCAL_NODE_PARAMS for name, _ in shape.params):
            return False
        for pnode in shape.properties:
            ps = self.sg.shape(pnode)
            if ps.deactivated:
                continue
            if ps.unknown or ps.properties or ps.path is None or ps.path[0] != "pred":
                return False
            if any(name not in _LOCAL_PROPERTY_PARAMS for name, _ in ps.params):
                return False
        return True

    def read_predicates(self, shape: Shape) -> list[str] | None:
        """The predicates whose triples (with the focus node as subject) a local shape reads;
        None: any predicate (``sh:closed``)."""
        preds = set()
        for name, val in shape.params:
            if name == "class":
                preds.add(str(RDF.type))
            elif name in ("equals", "disjoint"):
                preds.add(str(val))
            elif name == "closed" and _is_true(val):
                return None
        for pnode in shape.properties:
            ps = self.sg.shape(pnode)
            if ps.deactivated:
                continue
            preds.add(str(ps.path[1]))
            for name, val in ps.params:
                if name in ("equals", "disjoint", "lessThan", "lessThanOrEquals"):
                    preds.add(str(val))
        return sorted(preds)

    def _target_parts(self, shape: Shape, place):
        """One pattern maker per target of ``shape`` (each takes the focus variable);
        ``place`` writes a triple pattern where it is read (bare, or inside ``GRAPH ?g``)."""
        parts = []
        for kind, t in shape.targets:
            if kind == "class":
                subs = " ".join(self.subclasses(t))
                parts.append(lambda v, subs=subs: (lambda c: (
                    f"{place(f'{v} {RDF_TYPE} {c}')} VALUES {c} {{ {subs} }}"))(self.fresh()))
            elif kind == "node":
                c = _const(t)
                parts.append(lambda v, c=c: f"VALUES {v} {{ {c} }}")
            elif kind == "subjectsOf":
                p = _iri(t)
                parts.append(lambda v, p=p: place(f"{v} {p} {self.fresh()}"))
            elif kind == "objectsOf":
                p = _iri(t)
                parts.append(lambda v, p=p: place(f"{self.fresh()} {p} {v}"))
        return parts

    def scoped_focus(self, shape: Shape):
        """Focus pattern of a local shape over a store with context graphs: the targets
        found through triples of the data graphs (``GRAPH ?g``, the query's named graphs
        being the data graphs), plus the targets found through a context graph that are,
        in a data graph, the subject of a triple the shape reads (:meth:`touched_targets`).
        Any other target is a node whose triples read by the shape all lie in the context
        graphs: its result is the one it had when they were validated on their own, none."""
        parts = self._target_parts(shape, lambda triple: f"GRAPH {self.fresh()} {{ {triple} }}")
        touched = self.touched_targets(shape)
        if touched:
            vals = " ".join(sorted(str(n) for n in touched))
            parts.append(lambda v: f"VALUES {v} {{ {vals} }}")

        def fp(v: str) -> str:
            union = " UNION ".join("{ " + p(v) + " }" for p in parts) if parts else "FILTER(false)"
            return f"{{ SELECT DISTINCT {v} WHERE {{ {union} }} }}"
        fp.scoped = True
        return fp

    def context_has_predicate(self, p: str | None) -> bool:
        """Does a context graph hold a triple with predicate ``p`` (None: any triple)?"""
        cache = self.__dict__.setdefault("_ctx_preds", {})
        if p not in cache:
            pat = f"?s <{p}> ?o" if p is not None else "?s ?p ?o"
            vals = " ".join(f"<{g}>" for g in self.context.graphs)
            cache[p] = bool(self.store.query(f"ASK {{ VALUES ?c {{ {vals} }} GRAPH ?c {{ {pat} }} }}"))
        return cache[p]

    def touched_targets(self, shape: Shape) -> list:
        """Targets of a local shape found through a context graph that are, in a data graph,
        the subject of a triple the shape reads: the data graphs' triples with those
        predicates, each looked up (bound) in the context graphs. Nothing is read when the
        context graphs hold no target of the shape."""
        preds = self.read_predicates(shape)
        side = []
        for kind, t in shape.targets:
            if kind == "class":
                subs = " ".join(self.subclasses(t))
                k = self.fresh()
                side.append(f"?v {RDF_TYPE} {k} . VALUES {k} {{ {subs} }}")
            elif kind == "subjectsOf":
                side.append(f"?v {_iri(t)} {self.fresh()} .")
            elif kind == "objectsOf":
                side.append(f"{self.fresh()} {_iri(t)} ?v .")
        if not side:
            return []
        in_ctx = " UNION ".join("{ " + x + " }" for x in side)
        # GRAPH with a constant: Oxigraph evaluates GRAPH ?g unbound, even after VALUES ?g
        in_graphs = " UNION ".join(f"{{ GRAPH <{g}> {{ {in_ctx} }} }}" for g in self.context.graphs)
        if not bool(self.store.query(f"ASK {{ {in_graphs} }}")):
            return []       # no target in the context graphs: the data graphs give them all
        if preds is None:
            reads = "?v ?_p ?_o ."
        else:
            reads = " UNION ".join(f"{{ ?v <{p}> ?_o }}" for p in preds)
        # the data graphs' triples the shape reads, then a bound lookup in the context graphs
        # (default graph: the data graphs; GRAPH: the context graphs)
        self.query_count += 1
        rows = list(self.store.query(
            f"SELECT DISTINCT ?v WHERE {{ {{ SELECT DISTINCT ?v WHERE {{ {reads} }} }} {in_graphs} }}",
            default_graph=self.context.data_nodes, named_graphs=[ox.NamedNode(g) for g in self.context.graphs]))
        nodes = [r["v"] for r in rows]
        if any(isinstance(n, ox.BlankNode) for n in nodes):
            raise Uncompilable("blank nodes among the touched targets of a context graph")
        return nodes

    def _target_tests(self, shape: Shape) -> list:
        """Per-node tests of the targets of ``shape`` (EXISTS evaluated with the node bound)."""
        tests = []
        for kind, t in shape.targets:
            if kind == "class":
                subs = ", ".join(self.subclasses(t))
                tests.append(lambda v, subs=subs: (
                    lambda c: f"EXISTS {{ {v} {RDF_TYPE} {c} . FILTER({c} IN ({subs})) }}")(self.fresh()))
            elif kind == "node":
                tests.append(lambda v, c=_const(t): f"sameTerm({v}, {c})")
            elif kind == "subjectsOf":
                tests.append(lambda v, p=_iri(t): f"EXISTS {{ {v} {p} {self.fresh()} }}")
            elif kind == "objectsOf":
                tests.append(lambda v, p=_iri(t): f"EXISTS {{ {self.fresh()} {p} {v} }}")
        return tests

    def target_focus(self, shape: Shape):
        """Focus pattern of a shape with targets (restricted to the changed graphs if asked)."""
        if self.context is not None and self.is_local(shape):
            return self.scoped_focus(shape)
        parts = self._target_parts(shape, lambda triple: f"{triple} .")
        restrict = self.restriction()
        # restricted to a few nodes: test each target per node (EXISTS is evaluated with ?v bound)
        tests = self._target_tests(shape)

        def fp(v: str) -> str:
            union = " UNION ".join("{ " + p(v) + " }" for p in parts) if parts else "FILTER(false)"
            if restrict is None:
                return f"{{ SELECT DISTINCT {v} WHERE {{ {union} }} }}"
            if not restrict:
                return f"{{ SELECT {v} WHERE {{ FILTER(false) }} }}"
            cond = " || ".join(t(v) for t in tests) or "false"
            return f"{{ SELECT DISTINCT {v} WHERE {{ VALUES {v} {{ {restrict} }} FILTER({cond}) }} }}"
        return fp

    def path_pattern(self, s: str, p, o: str) -> str:
        """Triple patterns for a path, so that Oxigraph joins on bound variables.

        Predicates, inverses, sequences and alternatives become plain patterns
        (a sequence written as a property path inside NOT EXISTS is evaluated
        without its subject bound); only *, + and ? stay property paths.
        """
        k = p[0]
        if k == "pred":
            return f"{s} <{p[1]}> {o} ."
        if k == "inv":
            return self.path_pattern(o, p[1], s)
        if k == "seq":
            parts, cur = [], s
            for i, x in enumerate(p[1]):
                nxt = o if i == len(p[1]) - 1 else self.fresh()
                parts.append(self.path_pattern(cur, x, nxt))
                cur = nxt
            return " ".join(parts)
        if k == "alt":
            return " UNION ".join("{ " + self.path_pattern(s, x, o) + " }" for x in p[1])
        return f"{s} {path_sparql(p)} {o} ."

    def values(self, shape: Shape, fp, t: str, v: str) -> str:
        """A pattern binding ``t`` to each focus node and ``v`` to each of its value nodes."""
        if not shape.is_property:
            return f"{fp(t)} BIND({t} AS {v})"
        base = f"{fp(t)} {self.path_pattern(t, shape.path, v)}"
        if path_nullable(shape.path):
            # Oxigraph finds no zero-length match for a term absent from the data
            return f"{{ {base} }} UNION {{ {fp(t)} BIND({t} AS {v}) }}"
        return base

    def value_focus(self, shape: Shape, fp):
        """Focus pattern made of the value nodes of ``shape`` under focus pattern ``fp``."""
        if not shape.is_property:
            return fp

        def f(v: str) -> str:
            t = self.fresh()
            return f"{{ SELECT DISTINCT {v} WHERE {{ {self.values(shape, fp, t, v)} }} }}"
        f.small = getattr(fp, "small", False)    # the values of a few focus nodes
        return f

    # -- evaluation --------------------------------------------------------------
    def run_top_level(self, shape: Shape) -> list[Result]:
        fp = self.target_focus(shape)
        self._scoped = getattr(fp, "scoped", False)
        if self._scoped:
            self.skipped_shapes.append(shape.key)
        try:
            results = self.evaluate(shape, fp, ())
        finally:
            self._scoped = False
        # Oxigraph canonicalises literals ("4.0"^^xsd:decimal -> "4"): report target nodes as written
        lits = [t for kind, t in shape.targets if kind == "node" and isinstance(t, Literal)]
        if lits and results:
            canon = {}
            for t in lits:
                rows = self.q(f"SELECT ?x WHERE {{ VALUES ?x {{ {_const(t)} }} }}")
                canon[rows[0]["x"]] = t
            for r in results:
                if r.focus in canon:
                    if r.value is not None and r.value == r.focus:
                        r.value = canon[r.focus]
                    r.focus = canon[r.focus]
        return results

    def focus_nodes(self, fp) -> list:
        return [r["this"] for r in self.q(f"SELECT ?this WHERE {{ {fp('?this')} }}")]

    def violators(self, node, fp, stack) -> set:
        shape = self.sg.shape(node)
        return {r.focus for r in self.evaluate(shape, fp, stack)}

    def pairs(self, shape: Shape, fp) -> list[tuple]:
        if not shape.is_property:
            return [(t, t) for t in self.focus_nodes(fp)]
        rows = self.q(f"SELECT DISTINCT ?this ?value WHERE {{ {self.values(shape, fp, '?this', '?value')} }}")
        return [(r["this"], r["value"]) for r in rows]

    def _result(self, shape, component, focus, value=None, path=None, messages=None, constraint=None):
        if isinstance(component, str) and not component.startswith("http"):
            component = str(sh(COMPONENT[component]))
        return Result(focus=focus, shape=shape, component=component, value=value,
                      path=shape.path if path is None else path,
                      path_node=shape.path_node if path is None else None,
                      messages=shape.messages if messages is None else messages,
                      constraint=constraint)

    def evaluate(self, shape: Shape, fp, stack: tuple) -> list[Result]:
        if shape.deactivated:
            return []
        if shape.node in stack:
            raise Uncompilable(f"recursive shape {shape.key}")
        if shape.unknown:
            raise Uncompilable(f"shape {shape.key} uses a constraint component declared in the shapes graph")
        stack = stack + (shape.node,)
        g = self.sg.graph
        out: list[Result] = []
        conds: list[tuple[str, object, str]] = []
        is_prop = shape.is_property
        path = path_sparql(shape.path) if is_prop else None
        V = lambda t="?this", v="?value": self.values(shape, fp, t, v)  # noqa: E731

        for name, val in shape.params:
            if name == "class":
                # an anti-join: Oxigraph plans NOT EXISTS per row without the bound variable
                subs = ", ".join(self.subclasses(val))
                rows = self.q(f"SELECT DISTINCT ?this ?value WHERE {{ {V()} "
                              f"{self.anti(self._typed('?value', val, subs), fp, True)} }}")
                out += [self._result(shape, name, r["this"], r["value"]) for r in rows]
            elif name in VALUE_LEVEL or (name == "hasValue" and not is_prop):
                conds.append((name, val, self._condition(shape, name, val)))
            if name == "datatype" and isinstance(val, URIRef) and str(val).startswith(XSD) \
                    and str(val) not in _NO_LEXICAL_CHECK:
                out += self._ill_typed(shape, val, V)

        if conds:
            binds = " ".join(f"BIND(COALESCE({c[2].replace('{v}', '?value')}, false) AS ?c{i})"
                             for i, c in enumerate(conds))
            any_ = " || ".join(f"?c{i}" for i in range(len(conds)))
            proj = " ".join(f"?c{i}" for i in range(len(conds)))
            rows = self.q(f"SELECT DISTINCT ?this ?value {proj} WHERE {{ {V()} {binds} FILTER({any_}) }}")
            for r in rows:
                for i, (name, val, _) in enumerate(conds):
                    c = r[f"c{i}"]
                    if c is not None and c.value == "true":
                        # a node shape's sh:hasValue result carries no sh:value (data-shapes issue 111)
                        value = None if name == "hasValue" else r["value"]
                        out.append(self._result(shape, name, r["this"], value))

        for name, val in shape.params:
            if name in VALUE_LEVEL:
                continue
            if name in ("minCount", "maxCount") and is_prop:
                n = int(val.toPython())
                if name == "minCount":
                    if n <= 0:
                        continue
                    if n == 1 and not path_nullable(shape.path):
                        rows = self.q(f"SELECT ?this WHERE {{ {fp('?this')} "
                                      f"{self.anti(self.path_pattern('?this', shape.path, '?v'), fp)} }}")
                    else:
                        rows = self.q(f"SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {fp('?this')} "
                                      f"OPTIONAL {{ {self.path_pattern('?this', shape.path, '?v')} }} }} GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})")
                else:
                    rows = self.q(f"SELECT ?this WHERE {{ {V('?this', '?v')} }} "
                                  f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})")
                out += [self._result(shape, name, r["this"]) for r in rows]
            elif name == "hasValue" and is_prop:
                c = _const(val)
                rows = self.q(f"SELECT ?this WHERE {{ {fp('?this')} "
                              f"{self.anti(self.path_pattern('?this', shape.path, c), fp)} }}")
                if path_nullable(shape.path):
                    rows = [r for r in rows if ox_to_key(r["this"]) != _const(val)]
                out += [self._result(shape, name, r["this"]) for r in rows]
            elif name == "uniqueLang" and is_prop:
                if not _is_true(val):   # the spec activates it for true only, not "1"
                    continue
                rows = self.q(f"SELECT ?this ?lang WHERE {{ {V()} FILTER(isLiteral(?value) && lang(?value) != \"\") "
                              f"BIND(LCASE(lang(?value)) AS ?lang) }} GROUP BY ?this ?lang "
                              f"HAVING (COUNT(DISTINCT ?value) > 1) ORDER BY ?lang")
                out += [self._result(shape, name, r["this"]) for r in rows]
            elif name in ("equals", "disjoint", "lessThan", "lessThanOrEquals"):
                out += self._pair(shape, name, val, fp, V)
            elif name == "closed":
                if isinstance(val, Literal) and val.toPython() is True:
                    out += self._closed(shape, fp, V)
            elif name in ("node", "not"):
                pairs = self.pairs(shape, fp)
                if not pairs:
                    continue
                viol = self.violators(val, self.value_focus(shape, fp), stack)
                bad = (lambda v: v in viol) if name == "node" else (lambda v: v not in viol)
                out += [self._result(shape, name, t, v) for t, v in pairs if bad(v)]
            elif name in ("and", "or", "xone"):
                members = self._members(val)
                pairs = self.pairs(shape, fp)
                if not pairs:
                    continue
                vf = self.value_focus(shape, fp)
                viols = [self.violators(m, vf, stack) for m in members]
                for t, v in pairs:
                    ok = [v not in vi for vi in viols]
                    if (name == "and" and not all(ok)) or (name == "or" and not any(ok)) \
                            or (name == "xone" and sum(ok) != 1):
                        out.append(self._result(shape, name, t, v))
            elif name == "qualifiedValueShape":
                out += self._qualified(shape, val, fp, stack)
            elif name == "sparql":
                out += self._sparql(shape, val, fp)

        if shape.properties and is_prop:
            # a value node reached from n focus nodes is validated n times (one result each)
            rows = self.q(f"SELECT ?v (COUNT(*) AS ?n) WHERE {{ {{ SELECT DISTINCT ?t ?v WHERE {{ "
                          f"{self.values(shape, fp, '?t', '?v')} }} }} }} GROUP BY ?v HAVING (COUNT(*) > 1)")
            mult = {r["v"]: int(r["n"].value) for r in rows}
        else:
            mult = {}
        screened, sfp = self._screen(shape, fp, stack) if not is_prop else (set(), None)
        for pnode in shape.properties:
            if pnode in screened:
                if sfp is None:     # no suspect: these property shapes have no result
                    continue
                child = self.evaluate(self.sg.shape(pnode), sfp, stack)
            else:
                child = self.evaluate(self.sg.shape(pnode), self.value_focus(shape, fp), stack)
            for r in child:
                out += [r] * mult.get(r.focus, 1)
        return out

    # -- screening -----------------------------------------------------------------
    def _screen(self, shape: Shape, fp, stack) -> tuple[set, object]:
        """One query finding the focus nodes that may violate the simple property shapes.

        A property shape is *simple* when its constraints are counts, value-level
        components, ``sh:hasValue``, ``sh:lessThan(OrEquals)`` or a qualified value
        shape made of value-level components, on a path without ``*``, ``+``, ``?``.
        For each simple property shape an aggregate subquery, grouped by subject,
        counts the value nodes and flags the values that may violate; one query
        joins them all to the focus pattern (``OPTIONAL``: a focus node without
        values gets no row) and returns the *suspects*, a superset of the focus
        nodes with a result for those shapes (for an XSD datatype whose lexical
        space rdflib checks, any literal that is not plainly well-formed is
        suspect). Those shapes are then evaluated exactly, by the queries of
        :meth:`evaluate`, on the suspects only, given as ``VALUES``: one scan of
        the focus set instead of one per constraint. Returns the screened
        property nodes and the suspects' focus pattern (None: no suspect).
        """
        if self.focus_graphs is not None or getattr(fp, "small", False) or not shape.properties:
            return set(), None
        nodes, subs = [], []
        scoped = fp if getattr(fp, "scoped", False) else None
        for pnode in shape.properties:
            parts = self._screen_parts(self.sg.shape(pnode), stack, scoped)
            if parts:
                nodes.append(pnode)
                subs += parts
        if not nodes:
            return set(), None
        opt = " ".join(f"OPTIONAL {{ {q} }}" for q, _ in subs)
        cond = " || ".join(f"({c})" for _, c in subs)
        rows = self.q(f"SELECT DISTINCT ?this WHERE {{ {fp('?this')} {opt} FILTER({cond}) }}")
        suspects = [r["this"] for r in rows]
        if scoped is not None:
            # values were counted in the data graphs only: the focus nodes that also have
            # values in a context graph are checked exactly, on the union
            preds = self.read_predicates(shape)
            preds = [None] if preds is None else [p for p in preds if self.context_has_predicate(p)]
            if preds:
                ctx = [ox.NamedNode(g) for g in self.context.graphs]
                pn = [ox.NamedNode(p) if p else None for p in preds]
                extra = [n for n in self.focus_nodes(fp) if isinstance(n, (ox.NamedNode, ox.BlankNode))
                         and any(next(self.store.quads_for_pattern(n, p, None, c), None) is not None
                                 for c in ctx for p in pn)]
                suspects = sorted(set(suspects) | set(extra), key=str)
        if not suspects:
            return set(nodes), None
        if len(suspects) > SCREEN_MAX or not all(isinstance(n, ox.NamedNode) for n in suspects):
            return set(), None      # evaluate on the whole focus pattern
        vals = " ".join(sorted(str(n) for n in suspects))

        def sfp(v: str) -> str:
            return f"{{ SELECT DISTINCT {v} WHERE {{ VALUES {v} {{ {vals} }} }} }}"
        sfp.small = True
        return set(nodes), sfp

    def _screen_parts(self, ps: Shape, stack, scoped=None) -> list[tuple[str, str]] | None:
        """Aggregate subqueries (grouped by ``?this``) and the conditions on their
        results that flag a possible violation of property shape ``ps``; None if
        ``ps`` is not simple. ``scoped``: the focus pattern of a local shape over a store
        with context graphs: the values are then read in the data graphs only (the path is
        a single predicate), which is exact for the focus nodes absent from the context
        graphs; :meth:`_screen` makes the others suspects."""
        if not ps.is_property or ps.deactivated or ps.unknown or ps.properties or ps.node in stack \
                or not _plain_path(ps.path):
            return None
        v = self.fresh()
        pat = self.path_pattern("?this", ps.path, v)
        if scoped is not None:
            pat = f"GRAPH {self.fresh()} {{ {pat} }}"
        aggs, conds, flags, opts, parts = [], [], [], [], []
        counted = False
        for name, val in ps.params:
            if name in ("minCount", "maxCount"):
                n = int(val.toPython())
                counted = True
                if name == "minCount":
                    if n > 0:
                        conds.append(("n", f"< {n}"))
                else:
                    conds.append(("n", f"> {n}"))
            elif name == "class":
                # the instances, computed once (a lookup per value is slow for a node typed in many graphs)
                ok = self.fresh()
                if self.context is not None:
                    # a context graph may hold many instances (38k territories): look up
                    # the types of the distinct values of the path only
                    inst = self._value_instances(val, ps.path, v)
                else:
                    inst = self._instances(val, v)
                opts.append(f"OPTIONAL {{ {inst} BIND(true AS {ok}) }}")
                flags.append(f"!BOUND({ok})")
            elif name in VALUE_LEVEL:
                flags.append(self._condition(ps, name, val).replace("{v}", v))
                if name == "datatype":
                    lex = _lexical_screen(val, v)
                    if lex is False:
                        return None
                    if lex:
                        flags.append(lex)
            elif name == "hasValue":
                h = self.fresh()
                aggs.append(f"(SUM(IF(sameTerm({v}, {_const(val)}), 1, 0)) AS {h})")
                conds.append((h, "= 0"))
            elif name in ("lessThan", "lessThanOrEquals"):
                op = "<" if name == "lessThan" else "<="
                o, b = self.fresh(), self.fresh()
                parts.append((f"SELECT ?this (MAX(IF(COALESCE({v} {op} {o}, false), 0, 1)) AS {b}) "
                              f"WHERE {{ {pat} ?this {_iri(val)} {o} . }} GROUP BY ?this",
                              f"COALESCE({b}, 0) = 1"))
            elif name == "qualifiedValueShape":
                part = self._screen_qualified(ps, val, stack)
                if part is None:
                    return None
                if part:
                    parts.append(part)
            else:
                return None
        if counted or aggs or flags:
            n = self.fresh()
            sel = [f"(COUNT(DISTINCT {v}) AS {n})"] + aggs
            if flags:
                b = self.fresh()
                any_ = " || ".join(f"COALESCE({f}, false)" for f in flags)
                sel.append(f"(MAX(IF({any_}, 1, 0)) AS {b})")
                conds.append((b, "= 1"))
            cond = " || ".join(f"COALESCE({n if var == 'n' else var}, 0) {test}" for var, test in conds)
            if cond:
                parts.append((f"SELECT ?this {' '.join(sel)} WHERE {{ {pat} {' '.join(opts)} }} GROUP BY ?this",
                              cond))
        return parts

    def _typed(self, v: str, cls, subs: str) -> str:
        """A pattern matching when ``v`` is an instance of ``cls`` (``subs``: it and its subclasses).

        With context graphs, one bound pattern per class: the type triples of a context graph
        (hundreds of thousands) are then not scanned to find the few instances of a class."""
        if self.context is not None:
            return " UNION ".join(f"{{ {v} {RDF_TYPE} {c} }}" for c in self.subclasses(cls))
        return f"{v} {RDF_TYPE} ?_cls . FILTER(?_cls IN ({subs}))"

    def _instances(self, cls, v: str) -> str:
        """Subquery binding ``v`` to each instance of ``cls`` (subclasses included)."""
        if self.context is not None:
            return f"{{ SELECT DISTINCT {v} WHERE {{ {self._typed(v, cls, '')} }} }}"
        k = self.fresh()
        return (f"{{ SELECT DISTINCT {v} WHERE {{ {v} {RDF_TYPE} {k} . "
                f"FILTER({k} IN ({', '.join(self.subclasses(cls))})) }} }}")

    def _value_instances(self, cls, path, v: str) -> str:
        """Subquery binding ``v`` to each value of ``path`` that is an instance of ``cls``."""
        k = self.fresh()
        return (f"{{ SELECT DISTINCT {v} WHERE {{ {{ SELECT DISTINCT {v} WHERE {{ "
                f"{self.path_pattern(self.fresh(), path, v)} }} }} {v} {RDF_TYPE} {k} . "
                f"FILTER({k} IN ({', '.join(self.subclasses(cls))})) }} }}")

    def _screen_qualified(self, ps: Shape, q, stack):
        """Subquery counting the value nodes conforming to a qualified value shape
        made of value-level components only, and the condition on the count;
        None when the shape is not that simple (or siblings must be disjoint)."""
        g = self.sg.graph
        qmin = g.value(ps.node, sh("qualifiedMinCount"))
        qmax = g.value(ps.node, sh("qualifiedMaxCount"))
        if qmin is None and qmax is None:
            return ()
        disjoint = g.value(ps.node, sh("qualifiedValueShapesDisjoint"))
        if isinstance(disjoint, Literal) and disjoint.toPython() is True:
            return None
        qs = self.sg.shape(q)
        if qs.is_property or qs.deactivated or qs.unknown or qs.properties or qs.node in stack:
            return None
        x = self.fresh()
        pats = [self.path_pattern("?this", ps.path, x)]
        for name, val in qs.params:
            if name == "class":
                pats.append(self._instances(val, x))
            elif name in VALUE_LEVEL or name == "hasValue":
                if name == "datatype" and _lexical_screen(val, x) is not None:
                    return None     # ill-typed literals are found in Python: not exact here
                pats.append(f"FILTER(!COALESCE({self._condition(qs, name, val).replace('{v}', x)}, false))")
            else:
                return None
        n = self.fresh()
        conds = []
        if qmin is not None:
            conds.append(f"COALESCE({n}, 0) < {int(qmin.toPython())}")
        if qmax is not None:
            conds.append(f"COALESCE({n}, 0) > {int(qmax.toPython())}")
        return (f"SELECT ?this (COUNT(DISTINCT {x}) AS {n}) WHERE {{ {' '.join(pats)} }} GROUP BY ?this",
                " || ".join(conds))

    # -- components --------------------------------------------------------------
    def _members(self, lst) -> list:
        from rdflib.collection import Collection
        return list(Collection(self.sg.graph, lst))

    def _condition(self, shape: Shape, name: str, val) -> str:
        """SPARQL expression (``{v}`` = the value node) true when the value violates."""
        if name == "class":
            subs = " ".join(self.subclasses(val))
            x = self.fresh()
            # FILTER IN, not VALUES: Oxigraph evaluates a VALUES block inside EXISTS unbound
            return f"NOT EXISTS {{ {{v}} {RDF_TYPE} {x} . FILTER({x} IN ({', '.join(self.subclasses(val))})) }}"
        if name == "datatype":
            if val == RDFS_LITERAL:
                return "!isLiteral({v})"
            return f"(!isLiteral({{v}}) || datatype({{v}}) != {_iri(val)})"
        if name == "nodeKind":
            kind = str(val).rsplit("#", 1)[-1]
            if kind not in NODE_KIND:
                raise Uncompilable(f"unknown node kind {val}")
            return NODE_KIND[kind]
        if name in RANGE_OP:
            if not isinstance(val, Literal):
                raise Uncompilable("a range bound must be a literal")
            return f"!COALESCE({{v}} {RANGE_OP[name]} {_const(val)}, false)"
        if name in ("minLength", "maxLength"):
            n = int(val.toPython())
            op = "<" if name == "minLength" else ">"
            return f"(isBlank({{v}}) || STRLEN(STR({{v}})) {op} {n})"
        if name == "pattern":
            flags = self.sg.graph.value(shape.node, sh("flags"))
            pat = str(val)
            try:
                re.compile(pat)
            except re.error as e:
                raise Uncompilable(f"pattern not understood: {e}") from None
            f = f", {_str(str(flags))}" if flags is not None else ""
            return f"(isBlank({{v}}) || !REGEX(STR({{v}}), {_str(pat)}{f}))"
        if name == "languageIn":
            langs = [str(x) for x in self._members(val)]
            if not langs:
                return "true"
            m = " || ".join(f"langMatches(lang({{v}}), {_str(x)})" for x in langs)
            return f"(!isLiteral({{v}}) || !({m}))"
        if name == "in":
            items = [_const(x) for x in self._members(val)]
            if not items:
                return "true"
            return "!(" + " || ".join(f"sameTerm({{v}}, {x})" for x in items) + ")"
        if name == "hasValue":
            return f"!sameTerm({{v}}, {_const(val)})"
        raise AssertionError(name)

    def _ill_typed(self, shape, dt, V) -> list[Result]:
        rows = self.q(f"SELECT DISTINCT ?value WHERE {{ {V('?_t', '?value')} "
                      f"FILTER(isLiteral(?value) && datatype(?value) = {_iri(dt)}) }}")
        with quiet_rdflib():
            bad = [r["value"] for r in rows
                   if getattr(Literal(r["value"].value, datatype=dt), "ill_typed", False)]
        if not bad:
            return []
        same = " || ".join(f"sameTerm(?value, {b})" for b in bad)
        rows = self.q(f"SELECT DISTINCT ?this ?value WHERE {{ {V()} FILTER({same}) }}")
        return [self._result(shape, "datatype", r["this"], r["value"]) for r in rows]

    def _pair(self, shape, name, other, fp, V) -> list[Result]:
        p2 = _iri(other)
        is_prop = shape.is_property
        path = path_sparql(shape.path) if is_prop else None
        res = []
        if name == "equals":
            if is_prop:
                q1 = f"SELECT DISTINCT ?this ?value WHERE {{ {V()} FILTER NOT EXISTS {{ ?this {p2} ?value }} }}"
                q2 = (f"SELECT DISTINCT ?this ?value WHERE {{ {fp('?this')} ?this {p2} ?value "
                      f"FILTER NOT EXISTS {{ {self.path_pattern('?this', shape.path, '?value')} }} }}")
            else:
                q1 = f"SELECT ?this (?this AS ?value) WHERE {{ {fp('?this')} FILTER NOT EXISTS {{ ?this {p2} ?this }} }}"
                q2 = (f"SELECT DISTINCT ?this ?value WHERE {{ {fp('?this')} ?this {p2} ?value "
                      f"FILTER(!sameTerm(?value, ?this)) }}")
            for qq in (q1, q2):
                res += [self._result(shape, name, r["this"], r["value"]) for r in self.q(qq)]
        elif name == "disjoint":
            if is_prop:
                qq = f"SELECT DISTINCT ?this ?value WHERE {{ {V()} ?this {p2} ?value }}"
            else:
                qq = f"SELECT ?this (?this AS ?value) WHERE {{ {fp('?this')} ?this {p2} ?this }}"
            res += [self._result(shape, name, r["this"], r["value"]) for r in self.q(qq)]
        else:
            if not is_prop:
                raise Uncompilable(f"sh:{name} on a node shape")
            op = "<" if name == "lessThan" else "<="
            qq = (f"SELECT DISTINCT ?this ?value ?_o WHERE {{ {V()} ?this {p2} ?_o "
                  f"FILTER(!COALESCE(?value {op} ?_o, false)) }}")
            res += [self._result(shape, name, r["this"], r["value"]) for r in self.q(qq)]
        return res

    def _closed(self, shape, fp, V) -> list[Result]:
        g = self.sg.graph
        allowed = set()
        for pnode in shape.properties:
            pth = g.value(pnode, sh("path"))
            if isinstance(pth, URIRef):
                allowed.add(pth)
        ign = g.value(shape.node, sh("ignoredProperties"))
        if ign is not None:
            allowed.update(x for x in self._members(ign) if isinstance(x, URIRef))
        flt = f"FILTER(?pred NOT IN ({', '.join(_iri(a) for a in sorted(allowed))}))" if allowed else ""
        rows = self.q(f"SELECT DISTINCT ?this ?pred ?value WHERE {{ {V('?this', '?_v')} ?_v ?pred ?value {flt} }}")
        return [self._result(shape, "closed", r["this"], r["value"],
                             path=("pred", URIRef(r["pred"].value))) for r in rows]

    def _qualified(self, shape, q, fp, stack) -> list[Result]:
        g = self.sg.graph
        if not shape.is_property:
            raise Uncompilable("sh:qualifiedValueShape on a node shape")
        qmin = g.value(shape.node, sh("qualifiedMinCount"))
        qmax = g.value(shape.node, sh("qualifiedMaxCount"))
        if qmin is None and qmax is None:
            return []
        disjoint = g.value(shape.node, sh("qualifiedValueShapesDisjoint"))
        disjoint = isinstance(disjoint, Literal) and disjoint.toPython() is True
        pairs = self.pairs(shape, fp)
        vf = self.value_focus(shape, fp)
        viol = self.violators(q, vf, stack) if pairs else set()
        sib_ok: set = set()
        if disjoint and pairs:
            sibs = set()
            for parent in g.subjects(sh("property"), shape.node):
                for ps in g.objects(parent, sh("property")):
                    for q2 in g.objects(ps, sh("qualifiedValueShape")):
                        if q2 != q:
                            sibs.add(q2)
            values = {v for _, v in pairs}
            for s2 in sorted(sibs, key=str):
                sib_ok |= values - self.violators(s2, vf, stack)
        counts: dict = defaultdict(int)
        for t, v in pairs:
            if v not in viol and v not in sib_ok:
                counts[t] += 1
        res = []
        for t in self.focus_nodes(fp):
            c = counts.get(t, 0)
            if qmin is not None and c < int(qmin.toPython()):
                res.append(self._result(shape, "qualifiedMinCount", t))
            if qmax is not None and c > int(qmax.toPython()):
                res.append(self._result(shape, "qualifiedMaxCount", t))
        return res

    def _sparql(self, shape, cnode, fp) -> list[Result]:
        g = self.sg.graph
        deact = g.value(cnode, sh("deactivated"))
        if isinstance(deact, Literal) and deact.toPython() is True:
            return []
        select = g.value(cnode, sh("select"))
        if select is None:
            raise Uncompilable("SPARQL constraint without sh:select")
        text = str(select)
        if re.search(r"[?$]shapesGraph\b", text):
            raise Uncompilable("SPARQL constraint uses $shapesGraph")
        if re.search(r"[?$]currentShape\b", text):
            if not isinstance(shape.node, URIRef):
                raise Uncompilable("SPARQL constraint uses $currentShape of a blank-node shape")
            text = re.sub(r"[?$]currentShape\b", f"<{shape.node}>", text)
        if re.search(r"\$PATH\b", text):
            if not shape.is_property:
                raise Uncompilable("$PATH in a node shape")
            text = re.sub(r"\$PATH\b", path_sparql(shape.path).replace("\\", "\\\\"), text)
        if self.focus_graphs is None:
            text = _not_exists_as_minus(text)
        m = re.search(r"\bWHERE\s*\{", text, re.I) or re.search(r"\{", text)
        if m is None:
            raise Uncompilable("SPARQL constraint without a WHERE clause")
        text = text[:m.end()] + " " + fp("?this") + " " + text[m.end():]
        prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(self.sg.prefixes_for(cnode).items()))
        rows = self.q(prefixes + text)
        msgs = sorted(g.objects(cnode, sh("message")), key=lambda m: (m.language or "", str(m))) \
            or shape.messages
        res = []
        for r in rows:
            this = _get(r, "this")
            if this is None:
                continue
            value = _get(r, "value")
            if value is None and not shape.is_property:
                value = this
            p = _get(r, "path")
            path = ("pred", URIRef(p.value)) if isinstance(p, ox.NamedNode) else None
            mb = _get(r, "message")
            if mb is not None:
                messages = [to_rdflib(mb)]
            else:
                messages = [_substitute(m, r) for m in msgs]
            res.append(self._result(shape, str(sh("SPARQLConstraintComponent")), this, value,
                                    path=path, messages=messages, constraint=cnode))
        return res


_NOT_EXISTS = re.compile(r"FILTER\s*(\(\s*)?NOT\s+EXISTS\s*\{([^{}]*)\}(\s*\))?", re.I)
_VAR = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")


def _not_exists_as_minus(text: str) -> str:
    """Rewrite ``FILTER NOT EXISTS { triples }`` as ``MINUS { triples }`` where equivalent.

    Oxigraph plans the inner group of NOT EXISTS without knowing which variables
    are bound, which is slow on large graphs; MINUS is an anti-join. The two are
    equivalent when the inner group is plain triple patterns sharing a variable
    with the outer group, and every outer variable is always bound (no OPTIONAL,
    UNION, BIND, VALUES or subquery in the query) -- only then is it rewritten.
    """
    if re.search(r"\b(OPTIONAL|UNION|BIND|VALUES|MINUS|GRAPH|SERVICE)\b", text, re.I) \
            or len(re.findall(r"\bSELECT\b", text, re.I)) != 1:
        return text
    def rep(m):
        inner = m.group(2)
        if re.search(r"\b(FILTER|EXISTS)\b", inner, re.I) or bool(m.group(1)) != bool(m.group(3)):
            return m.group(0)
        outer = text[:m.start()] + text[m.end():]
        if not (set(_VAR.findall(inner)) & set(_VAR.findall(outer))):
            return m.group(0)
        return "MINUS {" + inner + "}"
    return _NOT_EXISTS.sub(rep, text)


def _plain_path(p) -> bool:
    """A path made of predicates, inverses, sequences and alternatives."""
    if p is None:
        return False
    if p[0] == "pred":
        return True
    if p[0] == "inv":
        return _plain_path(p[1])
    if p[0] in ("seq", "alt"):
        return all(_plain_path(x) for x in p[1])
    return False


def _lexical_screen(dt, v: str):
    """SPARQL expression true for the literals of datatype ``dt`` that may be ill-typed
    (None: rdflib checks no lexical form for ``dt``; False: no such expression)."""
    if not (isinstance(dt, URIRef) and str(dt).startswith(XSD)) or str(dt) in _NO_LEXICAL_CHECK:
        return None
    pat = _WELL_FORMED.get(str(dt))
    if pat is None:
        return False
    return f"(isLiteral({v}) && datatype({v}) = <{dt}> && !REGEX(STR({v}), {_str(pat)}))"


def _is_true(val) -> bool:
    return isinstance(val, Literal) and str(val) == "true" and str(val.datatype) == XSD + "boolean"


def _get(row, name):
    try:
        return row[name]
    except (KeyError, IndexError):
        return None


def _substitute(msg: Literal, row) -> Literal:
    def rep(m):
        v = _get(row, m.group(1))
        return m.group(0) if v is None else v.value
    return Literal(re.sub(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}", rep, str(msg)), lang=msg.language)


def ox_to_key(t) -> str:
    try:
        return _const(to_rdflib(t))
    except Uncompilable:
        return ""
