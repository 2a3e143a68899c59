"""The OpenAPI 3.1 document of the server: one operation per saved query."""
from __future__ import annotations

from . import formats as F

_PARAM_SCHEMAS = {
    "iri": {"type": "string", "format": "iri"},
    "string": {"type": "string"},
    "language-string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "boolean": {"type": "boolean"},
}


def _content(kind: str) -> dict:
    if kind in ("SELECT", "ASK"):
        fmts = [f for f, _ in F.RESULT_FORMATS.values()]
    else:
        fmts = [f for f, _ in F.GRAPH_FORMATS.values()]
    return {f.media_type: {"schema": {"type": "string"}} for f in fmts}


def _error(description: str) -> dict:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


def openapi_document(queries, server_url: str, cfg, version: str) -> dict:
    paths: dict = {}
    paths["/queries"] = {"get": {
        "operationId": "listSavedQueries",
        "summary": "List the saved queries with their parameters",
        "tags": ["saved queries"],
        "responses": {"200": {"description": "the saved queries",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }}
    for sq in queries:
        kind = sq.query_type
        params = []
        for p in sq.params:
            schema = dict(_PARAM_SCHEMAS.get(p.type, {"type": "string"}))
            if p.default is not None:
                schema["default"] = p.default
            params.append({"name": p.name, "in": "query", "required": bool(p.required),
                           "description": (p.description or f"{p.type} value").strip()
                           + f" (type: {p.type})", "schema": schema})
        names = {p["name"] for p in params}
        if kind != "ASK":
            for name, desc, schema in [
                ("page", "page number, from 1", {"type": "integer", "minimum": 1, "default": 1}),
                ("per_page", "rows per page", {"type": "integer", "minimum": 1,
                                                "maximum": cfg.max_rows, "default": cfg.per_page}),
            ]:
                if name not in names:
                    params.append({"name": name, "in": "query", "required": False,
                                   "description": desc, "schema": schema})
        fmt_names = list(F.RESULT_FORMATS) if kind in ("SELECT", "ASK") else list(F.GRAPH_FORMATS)
        if "format" not in names:
            params.append({"name": "format", "in": "query", "required": False,
                           "description": "result format, overrides the Accept header",
                           "schema": {"type": "string", "enum": fmt_names}})
        ok = {"description": f"{kind} results", "content": _content(kind)}
        if kind != "ASK":
            ok["headers"] = {
                "Link": {"description": "pagination links (first, prev, next, last)",
                         "schema": {"type": "string"}},
                "X-Total-Count": {"description": "number of rows of the whole result",
                                  "schema": {"type": "integer"}},
            }
        op_id = "query_" + "".join(c if c.isalnum() else "_" for c in sq.name)
        paths[f"/queries/{sq.name}"] = {"get": {
            "operationId": op_id,
            "summary": sq.title,
            "description": sq.description or sq.title,
            "tags": ["saved queries"],
            "parameters": params,
            "responses": {
                "200": ok,
                "400": _error("invalid parameter value, unknown or missing parameter"),
                "406": _error("no acceptable format"),
                "422": _error("result larger than the server's limits"),
                "503": _error("query timed out or server busy"),
            },
        }}
    paths["/sparql"] = {"get": {
        "operationId": "sparqlQuery",
        "summary": "SPARQL 1.1 Protocol query (GET); without a query, the Service Description",
        "tags": ["SPARQL"],
        "parameters": [
            {"name": "query", "in": "query", "required": False, "schema": {"type": "string"}},
            {"name": "default-graph-uri", "in": "query", "required": False,
             "schema": {"type": "array", "items": {"type": "string"}}, "explode": True},
            {"name": "named-graph-uri", "in": "query", "required": False,
             "schema": {"type": "array", "items": {"type": "string"}}, "explode": True},
            {"name": "format", "in": "query", "required": False,
             "schema": {"type": "string", "enum": list(F.RESULT_FORMATS) + list(F.GRAPH_FORMATS)}},
        ],
        "responses": {
            "200": {"description": "results", "content": {**_content("SELECT"), **_content("CONSTRUCT")}},
            "400": _error("syntax error (the parser's message)"),
            "403": _error("SERVICE to a host not on the allow-list"),
            "422": _error("result larger than the server's limits"),
            "503": _error("query timed out"),
        },
    }}
    return {
        "openapi": "3.1.0",
        "info": {"title": "essgraph API", "version": version,
                 "description": "Saved SPARQL queries over the essgraph knowledge graph as a Web API. "
                                "Parameters are bound as typed RDF terms, never pasted into the query.",
                 "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
        "servers": [{"url": server_url.rstrip("/")}],
        "tags": [{"name": "saved queries"}, {"name": "SPARQL"}],
        "paths": paths,
    }
