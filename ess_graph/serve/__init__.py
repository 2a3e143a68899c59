"""``essgraph serve``: a SPARQL 1.1 endpoint over the essgraph store, with the
saved queries as a Web API, HTML/RDF pages for every essgraph IRI and a query
page.

>>> from ess_graph.serve import create_app, run
>>> app = create_app("essgraph-store")          # a Starlette app (ASGI)
>>> run("essgraph-store", port=7878)            # uvicorn until Ctrl-C

See docs/serve.md for the routes, limits and options.
"""
from __future__ import annotations

from .app import (DEFAULT_MAX_REQUEST_BYTES, DEFAULT_MAX_RESULT_BYTES, DEFAULT_MAX_ROWS,
                  DEFAULT_MAX_UPLOAD_BYTES, DEFAULT_TIMEOUT, ServeConfig, create_app, run)

__all__ = ["create_app", "run", "ServeConfig", "DEFAULT_TIMEOUT", "DEFAULT_MAX_ROWS",
           "DEFAULT_MAX_RESULT_BYTES", "DEFAULT_MAX_REQUEST_BYTES", "DEFAULT_MAX_UPLOAD_BYTES"]
