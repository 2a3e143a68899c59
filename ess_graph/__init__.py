"""essgraph: clippings about the social and solidarity economy and French local
governments, turned into a knowledge graph queried with SPARQL.

The stages follow the data's path, one module each::

    ess_graph.importers   clippings in (Pearltrees text, JSONL, Markdown, bookmarks, CSL-JSON, HTML)
    ess_graph.extract     entities, territories, relations, each with its text span
    ess_graph.mapping     extraction -> RDF quads with provenance (one named graph per clipping)
    ess_graph.validate    SHACL validation (fast SPARQL engine, pySHACL reference)
    ess_graph.store       the on-disk Oxigraph store
    ess_graph.queries     saved SPARQL queries
    ess_graph.serve       HTTP SPARQL endpoint, saved-query API, resource pages
    ess_graph.export      dumps, DCAT, VoID, CSV, GeoJSON, GEXF; push to a remote store

Ideas shared by several stages have one module each: ``names`` (accent folding,
escaping), ``formats`` (RDF and result formats), ``geometry`` (WKT), ``rdf``
(building triples), ``stats`` and ``void`` (statistics, VoID); see docs/architecture.md.

``ess_graph.api`` gathers the calls a notebook needs (each CLI command wraps one).
"""
__version__ = "0.1.0"
