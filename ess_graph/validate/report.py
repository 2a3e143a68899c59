"""Validation reports: the results as JSON, as a standard sh:ValidationReport in
Turtle, and as text grouped by shape and by clipping for a person to act on."""
from __future__ import annotations

import json
from collections import defaultdict

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef

from ..namespaces import PREFIXES
from .engine import Result
from .rdfio import quiet_rdflib, sparql_term, term_key, to_rdflib
from .shapes import ShapesGraph, compact, path_text, sh

ESS = PREFIXES["ess"]
OA = PREFIXES["oa"]
SCHEMA = PREFIXES["schema"]

_DEFAULT = {
    "MinCount": "Fewer values than sh:minCount on {path}",
    "MaxCount": "More values than sh:maxCount on {path}",
    "Class": "Value is not an instance of the required class",
    "Datatype": "Value does not have the required datatype (or is ill-formed)",
    "NodeKind": "Value is not of the required node kind",
    "Pattern": "Value does not match the required pattern",
    "In": "Value is not one of the allowed values",
    "HasValue": "The required value is missing",
    "Closed": "Property not allowed by the closed shape",
}


def _default_message(r: Result) -> str:
    local = str(r.component).rsplit("#", 1)[-1].replace("ConstraintComponent", "")
    tmpl = _DEFAULT.get(local, f"{local} constraint not satisfied")
    return tmpl.format(path=path_text(r.path, short=True) if r.path else "the focus node")


def _as_rdflib(t):
    if isinstance(t, (ox.NamedNode, ox.BlankNode, ox.Literal)):
        return to_rdflib(t)
    return t


class ValidationReport:
    """The outcome of a validation.

    ``conforms`` follows SHACL: it is false as soon as there is any result,
    whatever its severity. ``results`` is a list of dicts with the keys
    focusNode, resultPath, value, sourceShape, sourceConstraintComponent,
    severity and message.
    """

    def __init__(self, results: list[Result], shapes: ShapesGraph, *, store: ox.Store | None = None,
                 engine: str = "fast", fallback: list[tuple[str, str]] | None = None,
                 focus_graphs: list[str] | None = None, stats: dict | None = None):
        for r in results:
            r.focus = _as_rdflib(r.focus)
            r.value = _as_rdflib(r.value)
        self._shapes = shapes
        self._store = store
        self.engine = engine
        self.fallback = fallback or []          # [(shape key, reason)] handed to pySHACL
        self.focus_graphs = focus_graphs
        self.stats = stats or {}
        rows = [(self._as_dict(r), r) for r in results]
        rows.sort(key=lambda x: (x[0]["sourceShape"], x[0]["sourceConstraintComponent"],
                                 x[0]["focusNode"] or "", x[0]["resultPath"] or "",
                                 x[0]["value"] or "", x[0]["message"]))
        self.results: list[dict] = [d for d, _ in rows]
        self._raw: list[Result] = [r for _, r in rows]
        self._locations = None

    @property
    def conforms(self) -> bool:
        return not self.results

    def _as_dict(self, r: Result) -> dict:
        return {
            "focusNode": term_key(r.focus),
            "resultPath": path_text(r.path) if r.path else None,
            "value": term_key(r.value) if r.value is not None else None,
            "sourceShape": self._shapes.key_of(r.shape.node),
            "sourceConstraintComponent": str(r.component),
            "severity": str(r.severity),
            "message": " / ".join(str(m) for m in r.messages) if r.messages else _default_message(r),
        }

    def counts(self) -> dict[str, int]:
        c: dict[str, int] = defaultdict(int)
        for d in self.results:
            c[d["severity"].rsplit("#", 1)[-1]] += 1
        return dict(c)

    # -- JSON ------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps({"conforms": self.conforms, "results": self.results},
                          ensure_ascii=False, indent=2) + "\n"

    # -- Turtle ------------------------------------------------------------------
    def to_graph(self) -> Graph:
        """A standard sh:ValidationReport; blank nodes get deterministic labels."""
        g = Graph()
        g.bind("sh", "http://www.w3.org/ns/shacl#")
        for name in ("ess", "essr", "rdf", "rdfs", "xsd", "skos", "dcterms", "foaf", "org", "prov",
                     "oa", "schema", "igeo"):
            g.bind(name, PREFIXES[name])
        report = BNode("report")
        g.add((report, RDF.type, sh("ValidationReport")))
        g.add((report, sh("conforms"), Literal(self.conforms)))
        sg = self._shapes.graph
        copied: dict = {}

        def copy(node, prefix):
            """Copy a blank-node structure from the shapes graph with stable labels."""
            if not isinstance(node, BNode):
                return node
            if node in copied:
                return copied[node]
            label = BNode(prefix + str(len(copied) + 1))
            copied[node] = label
            for p, o in sorted(sg.predicate_objects(node), key=lambda x: (str(x[0]), str(x[1]))):
                g.add((label, p, copy(o, prefix)))
            return label

        for i, (d, r) in enumerate(zip(self.results, self._raw), 1):
            n = BNode(f"r{i}")
            g.add((report, sh("result"), n))
            g.add((n, RDF.type, sh("ValidationResult")))
            g.add((n, sh("focusNode"), r.focus))
            if r.path is not None:
                if r.path_node is not None:
                    g.add((n, sh("resultPath"), copy(r.path_node, "path")))
                else:
                    g.add((n, sh("resultPath"), _path_to_rdf(g, r.path, f"r{i}p")))
            if r.value is not None:
                g.add((n, sh("value"), r.value))
            src = r.shape.node
            g.add((n, sh("sourceShape"), copy(src, "shape") if isinstance(src, BNode) else src))
            g.add((n, sh("sourceConstraintComponent"), URIRef(r.component)))
            g.add((n, sh("resultSeverity"), URIRef(r.severity)))
            if r.constraint is not None:
                g.add((n, sh("sourceConstraint"), copy(r.constraint, "constraint")))
            for t in (r.focus, r.value):
                if isinstance(t, BNode):
                    self._describe_bnode(g, t, set())
            if r.messages:
                for m in r.messages:
                    g.add((n, sh("resultMessage"), m))
            else:
                g.add((n, sh("resultMessage"), Literal(d["message"])))
        return g

    def _describe_bnode(self, g: Graph, node: BNode, seen: set) -> None:
        """Copy the triples of a data blank node (and of the blank nodes it points to)."""
        if node in seen or self._store is None:
            return
        seen.add(node)
        for q in self._store.quads_for_pattern(ox.BlankNode(str(node)), None, None, None):
            o = to_rdflib(q.object)
            g.add((node, to_rdflib(q.predicate), o))
            if isinstance(o, BNode):
                self._describe_bnode(g, o, seen)

    def to_turtle(self) -> str:
        with quiet_rdflib():
            return self.to_graph().serialize(format="turtle")

    # -- text ----------------------------------------------------------------------
    def locations(self) -> dict:
        """focus node key -> [{clipping, file, line, start, end}], from the store."""
        if self._locations is None:
            self._locations = locate(self._store, {r.focus for r in self._raw}) if self._store is not None else {}
        return self._locations

    def to_text(self) -> str:
        lines = []
        c = self.counts()
        summary = ", ".join(f"{n} {k}" for k, n in sorted(c.items())) or "no result"
        verdict = "conforms" if self.conforms else "does NOT conform"
        scope = ""
        if self.focus_graphs is not None:
            scope = f" (focus nodes of {len(self.focus_graphs)} changed graph(s))"
        lines.append(f"SHACL validation{scope}: {verdict} — {len(self.results)} result(s): {summary}")
        for key, reason in self.fallback:
            lines.append(f"  note: shape {key} validated by pySHACL ({reason})")
        for rec in (self.stats.get("context") or {}).get("graphs", []):
            lines.append(f"  note: {compact(rec['graph'])} validated when written (content "
                         f"{rec['contentHash'][:12]}, conforms); its own nodes not checked again "
                         f"(--full checks them)")
        locs = self.locations()
        by_shape: dict = defaultdict(list)
        for d, r in zip(self.results, self._raw):
            by_shape[d["sourceShape"]].append((d, r))
        for key in sorted(by_shape):
            items = by_shape[key]
            shape = items[0][1].shape
            title = compact(key) if not key.startswith("_:") else key
            if shape.path is not None:
                title += f" (path {path_text(shape.path, short=True)})"
            lines.append("")
            lines.append(f"== {title}: {len(items)} result(s)")
            by_clip: dict = defaultdict(list)
            for d, r in items:
                where = locs.get(d["focusNode"]) or [None]
                by_clip[where[0]["clipping"] if where[0] else ""].append((d, r, where))
            for clip in sorted(by_clip):
                group = by_clip[clip]
                if clip:
                    f = group[0][2][0].get("file")
                    lines.append(f"  -- clipping {compact(clip)}" + (f"  ({f})" if f else ""))
                else:
                    lines.append("  -- not in a clipping graph")
                for d, r, where in group:
                    sev = d["severity"].rsplit("#", 1)[-1]
                    comp = d["sourceConstraintComponent"].rsplit("#", 1)[-1]
                    msg = f"     [{sev}] {_short(d['focusNode'])}"
                    if d["resultPath"]:
                        msg += f"  {path_text(r.path, short=True)}"
                    if d["value"] is not None:
                        msg += f" = {_short(d['value'])}"
                    msg += f"  ({comp})"
                    lines.append(msg)
                    lines.append(f"        {d['message']}")
                    spans = [w for w in where if w and w.get("start") is not None][:3]
                    for w in spans:
                        pos = f"chars {w['start']}-{w['end']} of the clipping text"
                        if w.get("file") and w.get("line") is not None:
                            pos = f"{w['file']}:{w['line']} ({pos})"
                        lines.append(f"        at {pos}")
        return "\n".join(lines) + "\n"


def _short(key: str) -> str:
    if key.startswith(("http://", "https://", "urn:")):
        return compact(key)
    return key


def _path_to_rdf(g: Graph, p, prefix: str):
    counter = [0]

    def build(p):
        k = p[0]
        if k == "pred":
            return p[1]
        counter[0] += 1
        n = BNode(f"{prefix}{counter[0]}")
        if k in ("seq", "alt"):
            items = [build(x) for x in p[1]]
            head = n if k == "seq" else BNode(f"{prefix}{counter[0]}l")
            cur = head
            for j, it in enumerate(items):
                g.add((cur, RDF.first, it))
                nxt = RDF.nil if j == len(items) - 1 else BNode(f"{prefix}{counter[0]}l{j + 1}")
                g.add((cur, RDF.rest, nxt))
                cur = nxt
            if k == "alt":
                g.add((n, sh("alternativePath"), head))
            return n
        pred = {"inv": "inversePath", "zeroOrMore": "zeroOrMorePath", "oneOrMore": "oneOrMorePath",
                "zeroOrOne": "zeroOrOnePath"}[k]
        g.add((n, sh(pred), build(p[1])))
        return n
    return build(p)


def locate(store: ox.Store, focus_nodes) -> dict:
    """Where each focus node comes from: clipping graphs and text spans (oa:TextPositionSelector)."""
    iris = sorted(str(f) for f in focus_nodes if isinstance(f, URIRef))
    out: dict = defaultdict(list)
    texts: dict = {}
    for i in range(0, len(iris), 400):
        chunk = " ".join(sparql_term(URIRef(x)) for x in iris[i:i + 400])
        q = f"""
        SELECT DISTINCT ?f ?clip ?file ?line ?start ?end WHERE {{
          VALUES ?f {{ {chunk} }}
          GRAPH ?clip {{ {{ ?f ?p ?o }} UNION {{ ?s ?p ?f }} }}
          ?clip a <{ESS}Clipping> .
          OPTIONAL {{ ?clip <{ESS}sourceFile> ?file }}
          OPTIONAL {{ ?clip <{ESS}sourceLine> ?line }}
          OPTIONAL {{ ?ann <{OA}hasBody> ?f ; <{OA}hasTarget> ?tg . ?tg <{OA}hasSource> ?clip ;
                        <{OA}hasSelector> ?sel . ?sel a <{OA}TextPositionSelector> ;
                        <{OA}start> ?start ; <{OA}end> ?end }}
        }}"""
        try:
            rows = list(store.query(q, use_default_graph_as_union=True))
        except (SyntaxError, OSError):
            return {}
        for r in rows:
            clip = r["clip"].value
            start = _int(r["start"])
            line = _int(r["line"])
            if start is not None and line is not None:
                if clip not in texts:
                    t = list(store.query(f"SELECT ?t WHERE {{ <{clip}> <{SCHEMA}text> ?t }} LIMIT 1",
                                         use_default_graph_as_union=True))
                    texts[clip] = t[0]["t"].value if t else ""
                line = line + texts[clip][:start].count("\n")
            out[r["f"].value].append({
                "clipping": clip, "file": r["file"].value if r["file"] is not None else None,
                "line": line if start is not None else _int(r["line"]),
                "start": start, "end": _int(r["end"])})
    for k in out:
        out[k].sort(key=lambda w: (w["clipping"], w["start"] if w["start"] is not None else -1))
    return dict(out)


def _int(t):
    if t is None:
        return None
    try:
        return int(t.value)
    except ValueError:
        return None
