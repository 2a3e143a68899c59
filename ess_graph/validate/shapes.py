"""The SHACL shapes graph as Python objects: shapes, targets, paths, parameters.

Shapes are read with rdflib (shapes graphs are small). Blank-node shapes get a
stable identity (``_:`` + a short hash of their owner and canonical
description) so that reports name them the same way from run to run.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL

from ..errors import InputError
from ..curie import curie as compact  # also used by validate/report.py

SH = "http://www.w3.org/ns/shacl#"


def sh(name: str) -> URIRef:
    return URIRef(SH + name)


TARGET_PREDICATES = {sh("targetClass"): "class", sh("targetNode"): "node",
                     sh("targetSubjectsOf"): "subjectsOf", sh("targetObjectsOf"): "objectsOf"}

# constraint parameters of SHACL Core (auxiliary parameters are read with their main one)
CORE_PARAMETERS = [
    "class", "datatype", "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive",
    "maxExclusive", "maxInclusive", "minLength", "maxLength", "pattern", "languageIn",
    "uniqueLang", "equals", "disjoint", "lessThan", "lessThanOrEquals", "not", "and", "or",
    "xone", "node", "qualifiedValueShape", "closed", "hasValue", "in", "sparql",
]
AUXILIARY = {"flags", "ignoredProperties", "qualifiedMinCount", "qualifiedMaxCount",
             "qualifiedValueShapesDisjoint"}

COMPONENT = {
    "class": "ClassConstraintComponent", "datatype": "DatatypeConstraintComponent",
    "nodeKind": "NodeKindConstraintComponent", "minCount": "MinCountConstraintComponent",
    "maxCount": "MaxCountConstraintComponent", "minExclusive": "MinExclusiveConstraintComponent",
    "minInclusive": "MinInclusiveConstraintComponent", "maxExclusive": "MaxExclusiveConstraintComponent",
    "maxInclusive": "MaxInclusiveConstraintComponent", "minLength": "MinLengthConstraintComponent",
    "maxLength": "MaxLengthConstraintComponent", "pattern": "PatternConstraintComponent",
    "languageIn": "LanguageInConstraintComponent", "uniqueLang": "UniqueLangConstraintComponent",
    "equals": "EqualsConstraintComponent", "disjoint": "DisjointConstraintComponent",
    "lessThan": "LessThanConstraintComponent", "lessThanOrEquals": "LessThanOrEqualsConstraintComponent",
    "not": "NotConstraintComponent", "and": "AndConstraintComponent", "or": "OrConstraintComponent",
    "xone": "XoneConstraintComponent", "node": "NodeConstraintComponent",
    "qualifiedMinCount": "QualifiedMinCountConstraintComponent",
    "qualifiedMaxCount": "QualifiedMaxCountConstraintComponent",
    "closed": "ClosedConstraintComponent", "hasValue": "HasValueConstraintComponent",
    "in": "InConstraintComponent", "sparql": "SPARQLConstraintComponent",
}


# -- property paths ----------------------------------------------------------
# A path is a tuple: ("pred", iri) | ("inv", p) | ("seq", (p, ...)) | ("alt", (p, ...))
# | ("zeroOrMore", p) | ("oneOrMore", p) | ("zeroOrOne", p)

class ShapeError(InputError):
    """A malformed shapes graph."""


def _list(g: Graph, node) -> list:
    try:
        return list(Collection(g, node))
    except Exception as e:  # malformed RDF list
        raise ShapeError(f"malformed RDF list at {node}: {e}") from None


def parse_path(g: Graph, node):
    if isinstance(node, URIRef):
        return ("pred", node)
    if isinstance(node, Literal):
        raise ShapeError(f"a literal is not a property path: {node!r}")
    if (node, RDF.first, None) in g:
        items = _list(g, node)
        if len(items) < 2:
            raise ShapeError("a sequence path needs at least two members")
        return ("seq", tuple(parse_path(g, i) for i in items))
    for pred, kind in ((sh("inversePath"), "inv"), (sh("zeroOrMorePath"), "zeroOrMore"),
                       (sh("oneOrMorePath"), "oneOrMore"), (sh("zeroOrOnePath"), "zeroOrOne")):
        v = g.value(node, pred)
        if v is not None:
            return (kind, parse_path(g, v))
    alt = g.value(node, sh("alternativePath"))
    if alt is not None:
        items = _list(g, alt)
        if len(items) < 2:
            raise ShapeError("an alternative path needs at least two members")
        return ("alt", tuple(parse_path(g, i) for i in items))
    raise ShapeError(f"unrecognised property path {node}")


def path_sparql(p) -> str:
    """The SPARQL 1.1 property path syntax of a path."""
    k = p[0]
    if k == "pred":
        return f"<{p[1]}>"
    if k == "inv":
        return f"^({path_sparql(p[1])})"
    if k == "seq":
        return "(" + "/".join(path_sparql(x) for x in p[1]) + ")"
    if k == "alt":
        return "(" + "|".join(path_sparql(x) for x in p[1]) + ")"
    suffix = {"zeroOrMore": "*", "oneOrMore": "+", "zeroOrOne": "?"}[k]
    return f"({path_sparql(p[1])}){suffix}"


def path_text(p, short: bool = False) -> str:
    """A path as text: the IRI for a predicate path, SPARQL path syntax otherwise."""
    k = p[0]
    if k == "pred":
        return compact(str(p[1])) if short else str(p[1])
    def sub(x):
        t = path_text(x, short)
        if x[0] == "pred":
            return compact(str(x[1])) if short else f"<{x[1]}>"
        return f"({t})"
    if k == "inv":
        return "^" + sub(p[1])
    if k == "seq":
        return "/".join(sub(x) for x in p[1])
    if k == "alt":
        return "|".join(sub(x) for x in p[1])
    return sub(p[1]) + {"zeroOrMore": "*", "oneOrMore": "+", "zeroOrOne": "?"}[k]


def path_nullable(p) -> bool:
    """True if the path may have length zero (then the focus node is a value node)."""
    k = p[0]
    if k in ("zeroOrMore", "zeroOrOne"):
        return True
    if k == "seq":
        return all(path_nullable(x) for x in p[1])
    if k == "alt":
        return any(path_nullable(x) for x in p[1])
    if k == "oneOrMore":
        return path_nullable(p[1])
    return False


# -- shapes ----------------------------------------------------------------------

@dataclass
class Shape:
    node: object                     # rdflib URIRef or BNode in the shapes graph
    keyer: object = field(default=None, repr=False, compare=False)   # node -> key (ShapesGraph.key_of)
    path: tuple | None = None        # property shapes only
    path_node: object = None
    targets: list = field(default_factory=list)       # [(kind, term)]
    deactivated: bool = False
    severity: URIRef = sh("Violation")
    messages: list = field(default_factory=list)      # [Literal]
    params: list = field(default_factory=list)        # [(name, value)] in a stable order
    properties: list = field(default_factory=list)    # [shape nodes]
    unknown: list = field(default_factory=list)       # parameters of non-core components

    @property
    def key(self) -> str:
        """Stable identity used in reports (computed when first needed: canonicalising a
        blank-node shape's description costs a few ms)."""
        return self.keyer(self.node) if self.keyer is not None else str(self.node)

    @property
    def is_property(self) -> bool:
        return self.path is not None

    def param(self, name):
        return [v for n, v in self.params if n == name]


_INTEGER_PARAMS = {"minCount", "maxCount", "minLength", "maxLength", "qualifiedMinCount", "qualifiedMaxCount"}
_IRI_PARAMS = {"class", "datatype", "equals", "disjoint", "lessThan", "lessThanOrEquals"}
_LITERAL_PARAMS = {"minExclusive", "minInclusive", "maxExclusive", "maxInclusive", "pattern", "flags"}
_BOOLEAN_PARAMS = {"closed", "uniqueLang", "qualifiedValueShapesDisjoint"}
_LIST_PARAMS = {"in", "languageIn", "and", "or", "xone", "ignoredProperties"}
_NODE_KINDS = {"IRI", "BlankNode", "Literal", "BlankNodeOrIRI", "BlankNodeOrLiteral", "IRIOrLiteral"}


def _is_list(g: Graph, node) -> bool:
    seen = set()
    while node != RDF.nil:
        if node in seen or g.value(node, RDF.first) is None:
            return False
        seen.add(node)
        node = g.value(node, RDF.rest)
    return True


def _check_parameter(g: Graph, s: "Shape", name: str, v) -> None:
    """Reject a parameter value the SHACL syntax rules do not allow (a ShapeError naming the shape)."""
    bad = None
    if name in _INTEGER_PARAMS:
        if not (isinstance(v, Literal) and isinstance(v.toPython(), int) and not isinstance(v.toPython(), bool)
                and v.toPython() >= 0):
            bad = "a non-negative xsd:integer"
    elif name in _IRI_PARAMS and not isinstance(v, URIRef):
        bad = "an IRI"
    elif name in _LITERAL_PARAMS and not isinstance(v, Literal):
        bad = "a literal"
    elif name in _BOOLEAN_PARAMS and not (isinstance(v, Literal) and v.datatype == XSD_BOOLEAN):
        bad = "an xsd:boolean"
    elif name in _LIST_PARAMS and not _is_list(g, v):
        bad = "a SHACL list ( ... )"
    elif name == "nodeKind" and not (isinstance(v, URIRef) and str(v).startswith(SH)
                                     and str(v)[len(SH):] in _NODE_KINDS):
        bad = "one of sh:" + ", sh:".join(sorted(_NODE_KINDS))
    elif name == "pattern" or name == "flags":
        pass
    elif name == "sparql" and g.value(v, sh("select")) is None and g.value(v, sh("ask")) is None:
        raise ShapeError(f"shape {s.key}: SPARQL constraint without sh:select")
    if bad:
        raise ShapeError(f"shape {s.key}: the value of sh:{name} must be {bad}, not {v.n3()}")
    if name == "pattern":
        try:
            re.compile(str(v))
        except re.error as e:
            raise ShapeError(f"shape {s.key}: sh:pattern {str(v)!r} is not a valid regular expression ({e})") from None


XSD_BOOLEAN = URIRef("http://www.w3.org/2001/XMLSchema#boolean")


def _canonical_description(g: Graph, node) -> str:
    """Sorted N-Triples of the blank-node closure of ``node`` with structural labels."""
    from rdflib.compare import to_canonical_graph
    sub = Graph()
    todo, seen = [node], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in g.predicate_objects(n):
            sub.add((n, p, o))
            if isinstance(o, BNode):
                todo.append(o)
    canon = to_canonical_graph(sub)
    return "\n".join(sorted(canon.serialize(format="nt").splitlines()))


class ShapesGraph:
    """All shapes of a shapes graph, with the shapes to start validation from."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.source = None
        self._shapes: dict = {}
        self._keys: dict = {}
        g = graph
        self.custom_parameters = set()
        for cc in g.subjects(RDF.type, sh("ConstraintComponent")):
            for prm in g.objects(cc, sh("parameter")):
                pth = g.value(prm, sh("path"))
                if isinstance(pth, URIRef):
                    self.custom_parameters.add(pth)
        # shapes with targets, implicit class targets included
        candidates = set()
        for pred in TARGET_PREDICATES:
            candidates.update(g.subjects(pred, None))
        declared = set(g.subjects(RDF.type, sh("NodeShape"))) | set(g.subjects(RDF.type, sh("PropertyShape")))
        classes = set(g.subjects(RDF.type, RDFS.Class)) | set(g.subjects(RDF.type, OWL.Class))
        self.implicit_class = {s for s in declared & classes if isinstance(s, URIRef)}
        candidates |= self.implicit_class
        self.top_level = [self.shape(n) for n in sorted(candidates, key=self._sort_key)]

    @staticmethod
    def _sort_key(n):
        return (isinstance(n, BNode), str(n))

    def key_of(self, node) -> str:
        if isinstance(node, URIRef):
            return str(node)
        k = self._keys.get(node)
        if k is None:
            owners = sorted(str(o) for o in self.graph.subjects(None, node) if isinstance(o, URIRef))
            desc = _canonical_description(self.graph, node)
            owner = owners[0] if owners else ""
            digest = hashlib.sha1((owner + "\n" + desc).encode()).hexdigest()[:12]
            hint = ""
            p = self.graph.value(node, sh("path"))
            if isinstance(p, URIRef):
                local = str(p).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
                hint = "".join(c for c in local if c.isalnum()) + "-"
            k = f"_:{hint}{digest}"
            self._keys[node] = k
        return k

    def shape(self, node) -> Shape:
        s = self._shapes.get(node)
        if s is not None:
            return s
        try:
            return self._shape(node)
        except ShapeError as e:
            raise ShapeError(e.message, source=e.source or self.source) from None

    def _shape(self, node) -> Shape:
        g = self.graph
        s = Shape(node=node, keyer=self.key_of)
        self._shapes[node] = s
        paths = list(g.objects(node, sh("path")))
        if len(paths) > 1:
            raise ShapeError(f"shape {s.key} has {len(paths)} values for sh:path")
        if paths:
            s.path_node = paths[0]
            s.path = parse_path(g, paths[0])
        for pred, kind in TARGET_PREDICATES.items():
            for t in sorted(g.objects(node, pred), key=str):
                s.targets.append((kind, t))
        if node in self.implicit_class:
            s.targets.append(("class", node))
        deact = g.value(node, sh("deactivated"))
        s.deactivated = isinstance(deact, Literal) and deact.toPython() is True
        sev = g.value(node, sh("severity"))
        if sev is not None:
            s.severity = sev
        s.messages = sorted(g.objects(node, sh("message")), key=lambda m: (m.language or "", str(m)))
        for name in CORE_PARAMETERS:
            for v in sorted(g.objects(node, sh(name)), key=lambda x: (type(x).__name__, str(x))):
                s.params.append((name, v))
        s.properties = sorted(g.objects(node, sh("property")), key=self._sort_key)
        s.unknown = [p for p in g.predicates(node, None) if p in self.custom_parameters]
        if s.path == ("seq", ()):
            raise ShapeError(f"shape {s.key}: sh:path is an empty list")
        for name in AUXILIARY:
            for v in g.objects(node, sh(name)):
                _check_parameter(g, s, name, v)
        for name, v in s.params:
            _check_parameter(g, s, name, v)
        return s

    def prefixes_for(self, constraint) -> dict[str, str]:
        """Prefixes declared (sh:declare) on the nodes given by sh:prefixes."""
        g = self.graph
        out: dict[str, str] = {}
        todo = list(g.objects(constraint, sh("prefixes")))
        seen = set()
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            for d in g.objects(n, sh("declare")):
                pfx, ns = g.value(d, sh("prefix")), g.value(d, sh("namespace"))
                if pfx is not None and ns is not None:
                    out[str(pfx)] = str(ns)
            todo.extend(g.objects(n, OWL.imports))
        return out


# -- SPARQL constraints ------------------------------------------------------------

_OX_POS = re.compile(r"error at (\d+):(\d+):?\s*")


def sparql_errors(sg: ShapesGraph) -> list[tuple[str, str, int | None, int | None]]:
    """Syntax errors of the SPARQL-based constraints (``sh:select``/``sh:ask``) of ``sg``,
    found by parsing each query with Oxigraph: [(query text, message, line, column)],
    line and column counted in the query text."""
    import pyoxigraph as ox
    g = sg.graph
    out = []
    empty = ox.Store()
    for pred in ("select", "ask"):
        for cnode, text in sorted(g.subject_objects(sh(pred)), key=lambda x: str(x[1])):
            prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(sg.prefixes_for(cnode).items()))
            q = re.sub(r"\$PATH\b", "<urn:x-essgraph:path>", str(text))
            try:
                empty.query(prefixes + q)
            except SyntaxError as e:
                msg = str(e)
                m = _OX_POS.search(msg)
                line = col = None
                if m:
                    line = int(m.group(1)) - prefixes.count("\n")
                    col = int(m.group(2))
                    msg = msg[:m.start()] + msg[m.end():]
                if "Prefix not found" in msg:
                    msg = "undeclared prefix (declare it with sh:prefixes / sh:declare)"
                msg = " ".join(msg.split())
                if len(msg) > 160:
                    msg = msg[:157] + "..."
                out.append((str(text), msg, line, col))
            except (OSError, ValueError, RuntimeError):
                pass    # evaluation problems are not syntax errors: reported at validation
    return out
