"""HTML documentation of the essgraph ontology and its concept schemes.

:func:`render_html` reads ``ontology/*.ttl`` and returns one self-contained
HTML page (inline CSS, no script, nothing fetched when it is opened): the
ontology header, every class and property with its French and English labels
and definitions, super-classes, domains and ranges, the alignment axioms that
essgraph asserts about other vocabularies, and every SKOS concept scheme.

Anchors: a class or property is at ``#LocalName`` (``#Cooperative``,
``#memberOf``); a concept scheme at ``#scheme-{name}`` and a concept at
``#{path}`` (``#role/maire``, ``#org-kind/cooperative``).

The output is deterministic: the same files give the same bytes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection

from . import vocab
from .curie import curie
from .errors import InputError
from .namespaces import CONCEPT, ESS, PREFIXES

__all__ = ["render_html", "write_html", "ontology_model"]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_DCT = "http://purl.org/dc/terms/"
_LANGS = ("fr", "en")

_EXTRA_PREFIXES = {
    "vann": "http://purl.org/vocab/vann/",
    "cpsv": "http://purl.org/vocab/cpsv#",
    "eli": "http://data.europa.eu/eli/ontology#",
    "opengov": "http://www.w3.org/ns/opengov#",
    "essglobal-legal-form": "http://purl.org/essglobal/standard/legal-form/",
    "essglobal-os": "http://purl.org/essglobal/standard/organisational-structure/",
    "essglobal-theme": "http://purl.org/essglobal/standard/themes/",
}


def _prefixes() -> list[tuple[str, str]]:
    items = dict(PREFIXES)
    for k, v in _EXTRA_PREFIXES.items():
        items.setdefault(k, v)
    # longest namespace first, so that esc: wins over a shorter match
    return sorted(items.items(), key=lambda kv: (-len(kv[1]), kv[0]))


class _Model:
    """Plain-data view of the ontology graph, everything sorted."""

    def __init__(self, g) -> None:
        self.g = g
        self.U = URIRef
        self.prefixes = _prefixes()

    # -- helpers ---------------------------------------------------------
    def u(self, ns: str, name: str):
        return self.U(ns + name)

    def qname(self, iri: str) -> str:
        return curie(iri, dict(self.prefixes))

    def href(self, iri: str) -> str:
        if iri.startswith(ESS):
            return "#" + iri[len(ESS):]
        if iri.startswith(CONCEPT) and iri[len(CONCEPT):] in self.scheme_names:
            return "#scheme-" + iri[len(CONCEPT):]
        if iri.startswith(CONCEPT):
            return "#" + iri[len(CONCEPT):]
        return iri

    def node(self, n) -> dict[str, Any]:
        """A resource reference: a link, or an OWL union of links."""
        if isinstance(n, URIRef):
            iri = str(n)
            return {"kind": "iri", "iri": iri, "label": self.qname(iri), "href": self.href(iri),
                    "local": iri.startswith(ESS) or iri.startswith(CONCEPT)}
        if isinstance(n, BNode):
            union = self.g.value(n, self.u(_OWL, "unionOf"))
            if union is not None:
                items = [self.node(x) for x in Collection(self.g, union)]
                return {"kind": "union", "items": items}
        return {"kind": "text", "label": str(n)}

    def nodes(self, s, ns: str, name: str, inverse: bool = False) -> list[dict[str, Any]]:
        p = self.u(ns, name)
        objs = self.g.subjects(p, s) if inverse else self.g.objects(s, p)
        out = [self.node(o) for o in set(objs)]
        return sorted(out, key=_node_key)

    def texts(self, s, ns: str, name: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for o in self.g.objects(s, self.u(ns, name)):
            if isinstance(o, Literal):
                out.setdefault(o.language or "", []).append(str(o))
        return {k: sorted(v) for k, v in sorted(out.items(), key=lambda kv: _lang_key(kv[0]))}

    def types(self, s) -> set[str]:
        return {str(t) for t in self.g.objects(s, self.u(_RDF, "type"))}

    # -- sections --------------------------------------------------------
    def build(self) -> dict[str, Any]:
        g = self.g
        rdf_type = self.u(_RDF, "type")
        self.scheme_names = {str(s)[len(CONCEPT):] for s in g.subjects(rdf_type, self.u(_SKOS, "ConceptScheme"))
                             if str(s).startswith(CONCEPT)}

        onts = sorted(str(s) for s in g.subjects(rdf_type, self.u(_OWL, "Ontology")))
        ont = URIRef(onts[0]) if onts else None
        header: dict[str, Any] = {"iri": str(ont) if ont else ESS, "namespace": ESS, "title": {},
                                  "description": {}, "version": [], "version_iri": [],
                                  "license": [], "creator": []}
        if ont is not None:
            header.update(
                title=self.texts(ont, _DCT, "title"),
                description=self.texts(ont, _DCT, "description"),
                version=[str(v) for v in sorted(g.objects(ont, self.u(_OWL, "versionInfo")))],
                version_iri=[self.node(v) for v in sorted(g.objects(ont, self.u(_OWL, "versionIRI")))],
                license=[self.node(v) for v in sorted(g.objects(ont, self.u(_DCT, "license")))],
                creator=[str(v) for v in sorted(g.objects(ont, self.u(_DCT, "creator")))],
            )

        classes, obj_props, data_props = [], [], []
        ess_subjects = sorted({s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(ESS)}, key=str)
        for s in ess_subjects:
            t = self.types(s)
            if _OWL + "Class" in t or _RDFS + "Class" in t:
                classes.append(self.term(s, "class"))
            elif _OWL + "ObjectProperty" in t:
                obj_props.append(self.term(s, "object"))
            elif _OWL + "DatatypeProperty" in t:
                data_props.append(self.term(s, "datatype"))

        alignments = []
        for s, o in sorted(g.subject_objects(self.u(_RDFS, "subClassOf")), key=lambda so: (str(so[0]), str(so[1]))):
            if isinstance(s, URIRef) and not str(s).startswith(ESS) and str(o).startswith(ESS):
                alignments.append({"sub": self.node(s), "super": self.node(o), "relation": "rdfs:subClassOf"})
        for s, o in sorted(g.subject_objects(self.u(_RDFS, "subPropertyOf")), key=lambda so: (str(so[0]), str(so[1]))):
            if isinstance(s, URIRef) and not str(s).startswith(ESS) and str(o).startswith(ESS):
                alignments.append({"sub": self.node(s), "super": self.node(o), "relation": "rdfs:subPropertyOf"})

        schemes = [self.scheme(s) for s in sorted(g.subjects(rdf_type, self.u(_SKOS, "ConceptScheme")), key=str)]
        used_prefixes = self._used_prefixes(classes + obj_props + data_props, alignments, schemes)
        return {"header": header, "classes": classes, "object_properties": obj_props,
                "datatype_properties": data_props, "alignments": alignments, "schemes": schemes,
                "prefixes": used_prefixes,
                "counts": {"classes": len(classes), "object_properties": len(obj_props),
                           "datatype_properties": len(data_props),
                           "schemes": len(schemes),
                           "concepts": sum(len(s["concepts"]) for s in schemes)}}

    def term(self, s, kind: str) -> dict[str, Any]:
        iri = str(s)
        t = self.types(s)
        d: dict[str, Any] = {
            "kind": kind, "iri": iri, "name": iri[len(ESS):], "qname": self.qname(iri),
            "labels": self.texts(s, _RDFS, "label"),
            "definitions": self.texts(s, _SKOS, "definition"),
            "comments": self.texts(s, _RDFS, "comment"),
            "notes": self.texts(s, _SKOS, "scopeNote"),
            "see_also": self.nodes(s, _RDFS, "seeAlso"),
        }
        if kind == "class":
            d["supers"] = self.nodes(s, _RDFS, "subClassOf")
            d["subs"] = self.nodes(s, _RDFS, "subClassOf", inverse=True)
            d["equivalent"] = self.nodes(s, _OWL, "equivalentClass")
            d["disjoint"] = self._disjoint_with(s)
            d["domain_of"] = self.nodes(s, _RDFS, "domain", inverse=True)
            d["range_of"] = self._range_of(s)
        else:
            d["supers"] = self.nodes(s, _RDFS, "subPropertyOf")
            d["subs"] = self.nodes(s, _RDFS, "subPropertyOf", inverse=True)
            d["domain"] = self.nodes(s, _RDFS, "domain")
            d["range"] = self.nodes(s, _RDFS, "range")
            d["inverse"] = self.nodes(s, _OWL, "inverseOf")
            d["characteristics"] = sorted(
                c for c in ("TransitiveProperty", "SymmetricProperty", "FunctionalProperty",
                            "InverseFunctionalProperty", "AsymmetricProperty")
                if _OWL + c in t)
        return d

    def _disjoint_with(self, s) -> list[dict[str, Any]]:
        out = {str(o) for o in self.g.objects(s, self.u(_OWL, "disjointWith"))}
        for adc in self.g.subjects(self.u(_RDF, "type"), self.u(_OWL, "AllDisjointClasses")):
            members = self.g.value(adc, self.u(_OWL, "members"))
            if members is None:
                continue
            items = [str(x) for x in Collection(self.g, members)]
            if str(s) in items:
                out.update(x for x in items if x != str(s))
        return sorted((self.node(self.U(x)) for x in out), key=_node_key)

    def _range_of(self, s) -> list[dict[str, Any]]:
        found = set()
        for p, r in self.g.subject_objects(self.u(_RDFS, "range")):
            if r == s:
                found.add(p)
            else:
                union = self.g.value(r, self.u(_OWL, "unionOf"))
                if union is not None and s in list(Collection(self.g, union)):
                    found.add(p)
        return sorted((self.node(p) for p in found), key=_node_key)

    def scheme(self, s) -> dict[str, Any]:
        iri = str(s)
        name = iri[len(CONCEPT):] if iri.startswith(CONCEPT) else self.qname(iri)
        concepts = []
        for c in sorted(self.g.subjects(self.u(_SKOS, "inScheme"), s), key=str):
            ciri = str(c)
            matches = []
            for m in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch"):
                for n in self.nodes(c, _SKOS, m):
                    matches.append({"relation": "skos:" + m, "node": n})
            concepts.append({
                "iri": ciri, "path": ciri[len(CONCEPT):] if ciri.startswith(CONCEPT) else ciri,
                "qname": self.qname(ciri),
                "notation": sorted(str(n) for n in self.g.objects(c, self.u(_SKOS, "notation"))),
                "pref": self.texts(c, _SKOS, "prefLabel"),
                "alt": self.texts(c, _SKOS, "altLabel"),
                "definitions": self.texts(c, _SKOS, "definition"),
                "broader": self.nodes(c, _SKOS, "broader"),
                "matches": matches,
                "see_also": self.nodes(c, _RDFS, "seeAlso"),
            })
        return {"iri": iri, "name": name, "qname": self.qname(iri),
                "labels": self.texts(s, _SKOS, "prefLabel"),
                "definitions": self.texts(s, _SKOS, "definition"),
                "concepts": concepts}

    def _used_prefixes(self, terms, alignments, schemes) -> list[tuple[str, str]]:
        seen: set[str] = set()

        def visit(x: Any) -> None:
            if isinstance(x, dict):
                if x.get("kind") == "iri":
                    seen.add(x["label"].split(":", 1)[0] if ":" in x["label"] and not x["label"].startswith("http") else "")
                for v in x.values():
                    visit(v)
            elif isinstance(x, list):
                for v in x:
                    visit(v)

        visit(terms)
        visit(alignments)
        visit(schemes)
        seen.update({"ess", "esc"})
        seen.update(p for p, ns in self.prefixes if ns.startswith(CONCEPT))  # role:, theme: …
        return sorted((p, ns) for p, ns in self.prefixes if p in seen)


def _lang_key(lang: str) -> tuple[int, str]:
    return (_LANGS.index(lang) if lang in _LANGS else len(_LANGS), lang)


def _node_key(n: dict[str, Any]) -> tuple[str, str]:
    if n["kind"] == "union":
        return ("~union", "|".join(i.get("label", "") for i in n["items"]))
    return (n.get("label", ""), n.get("iri", ""))


def ontology_model(ontology_dir: Path | None = None) -> dict[str, Any]:
    """The data the HTML page is made from (classes, properties, schemes…)."""
    paths = None if ontology_dir is None else sorted(Path(ontology_dir).glob("*.ttl"))
    if paths is not None and not paths:
        raise InputError("no ontology files (*.ttl) found", source=str(ontology_dir))
    g = vocab.load_graph(paths)
    return _Model(g).build()


def render_html(ontology_dir: Path | None = None) -> str:
    """Self-contained HTML documentation of ``ontology/*.ttl``.

    ``ontology_dir`` defaults to the bundled ontology folder
    (:func:`ess_graph.resources.ontology_dir`).
    """
    model = ontology_model(ontology_dir)
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.from_string(_TEMPLATE).render(m=model, langs=_LANGS)


def write_html(destination: Path, ontology_dir: Path | None = None) -> Path:
    """Write :func:`render_html` to ``destination`` (UTF-8, ``\\n`` line ends)."""
    destination = Path(destination)
    destination.write_bytes(render_html(ontology_dir).encode("utf-8"))
    return destination


_TEMPLATE = r"""<!DOCTYPE html>
{% macro ref(n) -%}
{%- if n.kind == 'iri' -%}<a href="{{ n.href }}"{% if not n.local %} class="ext"{% endif %}><code>{{ n.label }}</code></a>
{%- elif n.kind == 'union' -%}({% for i in n['items'] %}{{ ref(i) }}{% if not loop.last %} <span class="op">or</span> {% endif %}{% endfor %})
{%- else -%}{{ n.label }}{%- endif -%}
{%- endmacro %}
{% macro refs(ns) -%}{% for n in ns %}{{ ref(n) }}{% if not loop.last %}, {% endif %}{% endfor %}{%- endmacro %}
{% macro bilingual(d) -%}
{% for lang, vals in d.items() %}{% for v in vals %}<p lang="{{ lang }}"><span class="lang">{{ lang or '—' }}</span> {{ v }}</p>{% endfor %}{% endfor %}
{%- endmacro %}
{% macro term(t) %}
<section class="term {{ t.kind }}" id="{{ t.name }}">
<h3><code>{{ t.qname }}</code>{% for lang in langs %}{% if t.labels.get(lang) %} <span class="label" lang="{{ lang }}">{{ t.labels[lang][0] }}</span>{% endif %}{% endfor %}</h3>
<p class="iri">IRI: <code>{{ t.iri }}</code></p>
<table>
<tr><th>Label</th><td>{{ bilingual(t.labels) }}</td></tr>
<tr><th>Definition</th><td>{{ bilingual(t.definitions) }}</td></tr>
{% if t.comments %}<tr><th>Comment</th><td>{{ bilingual(t.comments) }}</td></tr>{% endif %}
{% if t.notes %}<tr><th>Note</th><td>{{ bilingual(t.notes) }}</td></tr>{% endif %}
{% if t.kind == 'class' %}
{% if t.supers %}<tr><th>Super-classes</th><td>{{ refs(t.supers) }}</td></tr>{% endif %}
{% if t.subs %}<tr><th>Sub-classes</th><td>{{ refs(t.subs) }}</td></tr>{% endif %}
{% if t.equivalent %}<tr><th>Equivalent to</th><td>{{ refs(t.equivalent) }}</td></tr>{% endif %}
{% if t.disjoint %}<tr><th>Disjoint with</th><td>{{ refs(t.disjoint) }}</td></tr>{% endif %}
{% if t.domain_of %}<tr><th>In domain of</th><td>{{ refs(t.domain_of) }}</td></tr>{% endif %}
{% if t.range_of %}<tr><th>In range of</th><td>{{ refs(t.range_of) }}</td></tr>{% endif %}
{% else %}
<tr><th>Type</th><td>{{ 'owl:ObjectProperty' if t.kind == 'object' else 'owl:DatatypeProperty' }}{% for c in t.characteristics %}, owl:{{ c }}{% endfor %}</td></tr>
{% if t.supers %}<tr><th>Super-properties</th><td>{{ refs(t.supers) }}</td></tr>{% endif %}
{% if t.subs %}<tr><th>Sub-properties</th><td>{{ refs(t.subs) }}</td></tr>{% endif %}
{% if t.inverse %}<tr><th>Inverse of</th><td>{{ refs(t.inverse) }}</td></tr>{% endif %}
<tr><th>Domain</th><td>{% if t.domain %}{{ refs(t.domain) }}{% else %}<span class="none">not restricted</span>{% endif %}</td></tr>
<tr><th>Range</th><td>{% if t.range %}{{ refs(t.range) }}{% else %}<span class="none">not restricted</span>{% endif %}</td></tr>
{% endif %}
{% if t.see_also %}<tr><th>See also</th><td>{{ refs(t.see_also) }}</td></tr>{% endif %}
</table>
</section>
{% endmacro %}
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ (m.header.title.get('en') or m.header.title.get('fr') or ['essgraph ontology'])[0] }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.45;margin:0;color:#1d2327;background:#fff}
header,main,nav{max-width:62rem;margin:0 auto;padding:0 1.25rem}
header{padding-top:1.5rem;border-bottom:1px solid #dcdcde}
h1{font-size:1.6rem;margin:.2rem 0}h2{margin-top:2.5rem;border-bottom:2px solid #2271b1;padding-bottom:.2rem}
h3{font-size:1.1rem;margin:0 0 .3rem}h3 .label{font-weight:normal;color:#50575e;margin-left:.6rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
a{color:#2271b1;text-decoration:none}a:hover{text-decoration:underline}a.ext code{color:#555d66}
section.term{border:1px solid #dcdcde;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
section.term:target,tr:target{outline:3px solid #f0b849}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.25rem .5rem;border-top:1px solid #f0f0f1}
th{width:10rem;color:#50575e;font-weight:600}td p{margin:.1rem 0}
.lang{display:inline-block;min-width:1.6rem;font-size:.75em;color:#fff;background:#8c8f94;border-radius:3px;text-align:center;margin-right:.3rem}
.iri{margin:.1rem 0 .5rem;color:#50575e;font-size:.9em}.none{color:#8c8f94}.op{color:#8c8f94;font-style:italic}
nav ul{columns:3;list-style:none;padding-left:0}nav li{break-inside:avoid}
table.concepts td,table.concepts th{font-size:.92em}table.concepts th{width:auto}
</style>
</head>
<body>
<header>
{% for lang in langs %}{% for v in m.header.title.get(lang, []) %}<h1 lang="{{ lang }}">{{ v }}</h1>{% endfor %}{% endfor %}
<table>
<tr><th>Ontology IRI</th><td><code>{{ m.header.iri }}</code></td></tr>
{% if m.header.version %}<tr><th>Version</th><td>{{ m.header.version|join(', ') }}{% if m.header.version_iri %} ({{ refs(m.header.version_iri) }}){% endif %}</td></tr>{% endif %}
<tr><th>Namespace</th><td><code>ess:</code> <code>{{ m.header.namespace }}</code></td></tr>
{% if m.header.license %}<tr><th>Licence</th><td>{{ refs(m.header.license) }}</td></tr>{% endif %}
{% if m.header.creator %}<tr><th>Creator</th><td>{{ m.header.creator|join(', ') }}</td></tr>{% endif %}
<tr><th>Contents</th><td>{{ m.counts.classes }} classes, {{ m.counts.object_properties }} object properties, {{ m.counts.datatype_properties }} datatype properties, {{ m.counts.schemes }} concept schemes ({{ m.counts.concepts }} concepts)</td></tr>
</table>
{% for lang in langs %}{% for v in m.header.description.get(lang, []) %}<p lang="{{ lang }}"><span class="lang">{{ lang }}</span> {{ v }}</p>{% endfor %}{% endfor %}
</header>
<nav>
<h2 id="toc">Contents</h2>
<h3>Classes</h3>
<ul>{% for t in m.classes %}<li><a href="#{{ t.name }}">{{ t.qname }}</a></li>{% endfor %}</ul>
<h3>Object properties</h3>
<ul>{% for t in m.object_properties %}<li><a href="#{{ t.name }}">{{ t.qname }}</a></li>{% endfor %}</ul>
<h3>Datatype properties</h3>
<ul>{% for t in m.datatype_properties %}<li><a href="#{{ t.name }}">{{ t.qname }}</a></li>{% endfor %}</ul>
<h3>Concept schemes</h3>
<ul>{% for s in m.schemes %}<li><a href="#scheme-{{ s.name }}">{{ s.qname }}</a></li>{% endfor %}</ul>
<p><a href="#alignments">Alignment axioms</a> · <a href="#namespaces">Namespaces</a></p>
</nav>
<main>
<h2 id="classes">Classes</h2>
{% for t in m.classes %}{{ term(t) }}{% endfor %}
<h2 id="object-properties">Object properties</h2>
{% for t in m.object_properties %}{{ term(t) }}{% endfor %}
<h2 id="datatype-properties">Datatype properties</h2>
{% for t in m.datatype_properties %}{{ term(t) }}{% endfor %}
<h2 id="alignments">Alignment axioms</h2>
<p>Statements that essgraph makes about terms of other vocabularies.</p>
<table>
{% for a in m.alignments %}<tr><td>{{ ref(a.sub) }}</td><td><code>{{ a.relation }}</code></td><td>{{ ref(a.super) }}</td></tr>
{% endfor %}
</table>
<h2 id="schemes">Concept schemes</h2>
{% for s in m.schemes %}
<section class="scheme" id="scheme-{{ s.name }}">
<h3><code>{{ s.qname }}</code>{% for lang in langs %}{% if s.labels.get(lang) %} <span class="label" lang="{{ lang }}">{{ s.labels[lang][0] }}</span>{% endif %}{% endfor %}</h3>
<p class="iri">IRI: <code>{{ s.iri }}</code></p>
{{ bilingual(s.definitions) }}
<table class="concepts">
<tr><th>Concept</th><th>fr</th><th>en</th><th>Definition</th><th>Broader, mappings</th></tr>
{% for c in s.concepts %}
<tr id="{{ c.path }}"><td><code>{{ c.qname }}</code>{% for n in c.notation %} <span class="none">[{{ n }}]</span>{% endfor %}</td>
<td lang="fr"><strong>{{ c.pref.get('fr', [''])[0] }}</strong>{% if c.alt.get('fr') %}<br><span class="none">{{ c.alt['fr']|join(' · ') }}</span>{% endif %}</td>
<td lang="en"><strong>{{ c.pref.get('en', [''])[0] }}</strong>{% if c.alt.get('en') %}<br><span class="none">{{ c.alt['en']|join(' · ') }}</span>{% endif %}</td>
<td>{{ bilingual(c.definitions) }}</td>
<td>{% if c.broader %}<p>skos:broader {{ refs(c.broader) }}</p>{% endif %}{% for x in c.matches %}<p>{{ x.relation }} {{ ref(x.node) }}</p>{% endfor %}{% if c.see_also %}<p>rdfs:seeAlso {{ refs(c.see_also) }}</p>{% endif %}</td></tr>
{% endfor %}
</table>
</section>
{% endfor %}
<h2 id="namespaces">Namespaces</h2>
<table>
{% for p, ns in m.prefixes %}<tr><th><code>{{ p }}:</code></th><td><code>{{ ns }}</code></td></tr>
{% endfor %}
</table>
</main>
</body>
</html>
"""
