"""pySHACL, the reference engine: whole validation, and the fallback of the fast engine."""
from __future__ import annotations

import logging

from rdflib import RDF, BNode, Graph, URIRef

from .engine import Result
from .shapes import ShapesGraph, parse_path, sh

_SKOLEM = "urn:x-essgraph:bnode-shape:"


def _skolemize(graph: Graph, node: BNode) -> tuple[Graph, URIRef]:
    iri = URIRef(_SKOLEM + str(node))
    g = Graph()
    for s, p, o in graph:
        g.add((iri if s == node else s, p, iri if o == node else o))
    return g, iri


def run_pyshacl(data: Graph, shapes: ShapesGraph, *, shape=None, focus_nodes=None) -> list[Result]:
    """Validate ``data`` with pySHACL and return fast-engine-like :class:`Result` objects.

    With ``shape`` (and optionally ``focus_nodes``), only that shape is validated,
    on those focus nodes instead of its targets.
    """
    import pyshacl

    logging.getLogger("pyshacl").setLevel(logging.ERROR)
    shacl_graph = shapes.graph
    kwargs = {}
    if focus_nodes is not None:
        # pySHACL's focus_nodes option takes http(s)/urn/file IRIs only
        focus_nodes = [str(f) for f in focus_nodes if isinstance(f, URIRef)
                       and str(f).lower().startswith(("http:", "https:", "urn:", "file:"))]
    if shape is not None:
        node = shape.node
        if isinstance(node, BNode):
            shacl_graph, node = _skolemize(shapes.graph, node)
        kwargs["use_shapes"] = [str(node)]
        if focus_nodes is not None:
            if not focus_nodes:
                return []
            kwargs["focus_nodes"] = list(focus_nodes)
    elif focus_nodes is not None:
        if not focus_nodes:
            return []
        kwargs["focus_nodes"] = list(focus_nodes)
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shacl_graph, inference="none", abort_on_first=False,
        allow_warnings=False, allow_infos=False, advanced=False, inplace=True, **kwargs)
    return results_from_report(report, shapes)


def results_from_report(report: Graph, shapes: ShapesGraph) -> list[Result]:
    out = []
    for vr in report.subjects(RDF.type, sh("ValidationReport")):
        for r in report.objects(vr, sh("result")):
            src = report.value(r, sh("sourceShape"))
            if isinstance(src, URIRef) and str(src).startswith(_SKOLEM):
                src = BNode(str(src)[len(_SKOLEM):])
            shape = shapes.shape(src)
            pnode = report.value(r, sh("resultPath"))
            path = parse_path(report, pnode) if pnode is not None else None
            msgs = sorted(report.objects(r, sh("resultMessage")), key=lambda m: (m.language or "", str(m)))
            sev = report.value(r, sh("resultSeverity"))
            res = Result(focus=report.value(r, sh("focusNode")), shape=shape,
                         component=str(report.value(r, sh("sourceConstraintComponent"))),
                         value=report.value(r, sh("value")), path=path,
                         path_node=shape.path_node if path == shape.path else None,
                         messages=msgs, constraint=report.value(r, sh("sourceConstraint")))
            res.sev = sev
            out.append(res)
    return out
