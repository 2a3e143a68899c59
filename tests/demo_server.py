"""Helpers to run the server for the tests and benchmarks (not part of the package).

* :func:`demo_trig` / :func:`write_demo_store` build a small (or, with
  ``scale``, larger) store that follows essgraph's RDF model: territories with
  centroids and a polygon, clippings in their own graphs, organisations, a
  local authority, a person holding a post, facts as ``ess:Statement`` with
  ``oa:Annotation`` quotes.
* :class:`ServerThread` runs the real uvicorn server on a free loopback port
  in a background thread (``with ServerThread(app) as url: ...``).
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import uvicorn

from ess_graph.names import escape_string
from ess_graph.namespaces import sparql_prefix_block

_PREFIXES = sparql_prefix_block().replace("PREFIX ", "@prefix ").replace(">\n", "> .\n")
_WKT = "<http://www.opengis.net/def/crs/OGC/1.3/CRS84> "

_COMMUNES = [  # code, name, lon, lat
    ("05065", "Guillestre", 6.6494, 44.6603),
    ("05046", "Embrun", 6.4958, 44.5646),
    ("05061", "Gap", 6.0786, 44.5594),
    ("05023", "Briançon", 6.6436, 44.8986),
    ("05101", "Ristolas", 6.9536, 44.7711),
    ("05110", "Saint-Crépin", 6.6053, 44.7061),
]


def _h(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def _lit(s: str) -> str:
    return f'"{escape_string(s)}"'


def _communes(scale: int) -> list[tuple[str, str, float, float]]:
    """The six real communes, then synthetic ones (one per three clippings)."""
    out = list(_COMMUNES)
    for n in range(len(out), max(len(out), scale // 3)):
        code = f"{5 + n // 900:02d}{200 + n % 900:03d}"
        out.append((code, f"Commune {code}", 5.5 + (n * 0.37) % 2.0, 44.0 + (n * 0.23) % 1.6))
    return out


def _reference(scale: int = 1) -> str:
    lines = ["essr:graph/reference/cog-2024 {"]
    lines.append("""
  essr:territory/region/93 a ess:Territory, igeo:Region ; rdfs:label "Provence-Alpes-Côte d'Azur"@fr ;
    igeo:codeINSEE "93" ; igeo:nom "Provence-Alpes-Côte d'Azur" ;
    geo:hasCentroid <https://w3id.org/essgraph/id/territory/region/93#centroid> .
  <https://w3id.org/essgraph/id/territory/region/93#centroid> a sf:Point ;
    geo:asWKT "%sPOINT(6.05 43.95)"^^geo:wktLiteral .
  essr:territory/departement/05 a ess:Territory, igeo:Departement ; rdfs:label "Hautes-Alpes"@fr ;
    igeo:codeINSEE "05" ; igeo:nom "Hautes-Alpes" ; igeo:subdivisionDirecteDe essr:territory/region/93 ;
    ess:within essr:territory/region/93 ;
    geo:hasCentroid <https://w3id.org/essgraph/id/territory/departement/05#centroid> .
  <https://w3id.org/essgraph/id/territory/departement/05#centroid> a sf:Point ;
    geo:asWKT "%sPOINT(6.26 44.66)"^^geo:wktLiteral .
  essr:territory/epci/200067742 a ess:Territory, igeo:Intercommunalite, ess:Intercommunality ;
    rdfs:label "CC du Guillestrois et du Queyras"@fr ; igeo:codeINSEE "200067742" ; ess:siren "200067742" ;
    ess:within essr:territory/departement/05, essr:territory/region/93 .
""" % (_WKT, _WKT))
    for code, name, lon, lat in _communes(scale):
        t = f"<https://w3id.org/essgraph/id/territory/commune/{code}>"
        lines.append(f"""
  {t} a ess:Territory, igeo:Commune ; rdfs:label {_lit(name)}@fr ; skos:prefLabel {_lit(name)}@fr ;
    igeo:nom {_lit(name)} ; igeo:codeINSEE "{code}" ; ess:population {1000 + int(code[2:]) * 37} ;
    igeo:subdivisionDirecteDe essr:territory/departement/05 ;
    ess:within essr:territory/departement/05, essr:territory/region/93 ;
    geo:hasCentroid <https://w3id.org/essgraph/id/territory/commune/{code}#centroid> .
  <https://w3id.org/essgraph/id/territory/commune/{code}#centroid> a sf:Point ;
    geo:asWKT "{_WKT}POINT({lon} {lat})"^^geo:wktLiteral .""")
        if code == "05065":
            d = 0.04
            poly = f"POLYGON(({lon-d} {lat-d}, {lon+d} {lat-d*0.6}, {lon+d*1.2} {lat+d}, {lon-d*0.4} {lat+d*1.1}, {lon-d} {lat-d}))"
            lines.append(f"""  {t} geo:hasGeometry <https://w3id.org/essgraph/id/territory/commune/{code}#geometry> ;
    ess:within essr:territory/epci/200067742 .
  <https://w3id.org/essgraph/id/territory/commune/{code}#geometry> a sf:Polygon ;
    geo:asWKT "{_WKT}{poly}"^^geo:wktLiteral .""")
    lines.append("}")
    return "\n".join(lines)


def _clipping(i: int, communes) -> str:
    key = f"demo-{i:05d}"
    code, cname, _, _ = communes[i % len(communes)]
    clip = f"essr:clipping/{key}"
    org_slug = "cooperative-alpine" if i == 0 else f"cooperative-{i % 97}"
    org_name = "Coopérative Alpine" if i == 0 else f"Coopérative des Vallées {i % 97}"
    org = f"essr:org/{org_slug}"
    auth = f"essr:authority/commune/{code}"
    terr = f"essr:territory/commune/{code}"
    person = "essr:person/pauline-veron" if i == 0 else f"essr:person/personne-{i % 53}"
    pname = "Pauline Véron" if i == 0 else f"Personne {i % 53}"
    sentence = (f"La commune de {cname} est partenaire de la {org_name}, "
                f"explique {pname}, maire de {cname}.")
    text = f"Un article sur l'économie sociale. {sentence} Fin de l'article."
    act = f"essr:activity/extract/0.1.0/{_h(key)}"
    out = [f"{clip} {{"]
    out.append(f"""
  {clip} a ess:Clipping ; dcterms:identifier {_lit(key)} ; dcterms:title {_lit(f"Partenariat à {cname} ({i})")} ;
    schema:url <https://example.org/articles/{key}> ; dcterms:date "2013-11-{1 + i % 28:02d}"^^xsd:date ;
    dcterms:isPartOf essr:collection/demo ; schema:text {_lit(text)} ; ess:sha256 "{hashlib.sha256(text.encode()).hexdigest()}" ;
    ess:sourceFile "data/samples/demo.txt" ; ess:sourceFormat "pearltrees-text" ; ess:sourceOffset {i * 200} ; ess:sourceLine {i + 1} ;
    schema:mentions {org}, {terr}, {person} ; ess:extractedBy {act} .
  essr:collection/demo a ess:Collection ; rdfs:label "Démo" .
  {org} a org:Organization, org:FormalOrganization, ess:Cooperative ; skos:prefLabel {_lit(org_name)} ;
    rdfs:label {_lit(org_name)} ; ess:organisationKind esc:org-kind/cooperative ; ess:locatedIn {terr} .
  {auth} a ess:LocalAuthority, org:Organization, org:FormalOrganization ;
    rdfs:label {_lit("Commune de " + cname)}@fr ; ess:governs {terr} .
  {terr} rdfs:label {_lit(cname)} .
  {person} a person:Person, foaf:Person ; foaf:name {_lit(pname)} ; rdfs:label {_lit(pname)} ; org:holds essr:post/commune-{code}/maire .
  essr:post/commune-{code}/maire a org:Post ; org:postIn {auth} ; org:role esc:role/maire ; rdfs:label {_lit("maire de " + cname)} .
  {auth} ess:partnerOf {org} .""")
    # one fact with its statement + annotation, one mention annotation per entity
    for kind, s, p, o, exact in [
        ("fact", auth, "ess:partnerOf", org, sentence),
        ("fact", person, "org:holds", f"essr:post/commune-{code}/maire", f"{pname}, maire de {cname}"),
    ]:
        fid = _h(key, s, p, o)
        st = f"essr:fact/{fid}"
        a = f"https://w3id.org/essgraph/id/annotation/{fid}"
        b = text.index(exact)
        out.append(f"""
  {st} a ess:Statement ; rdf:subject {s} ; rdf:predicate {p} ; rdf:object {o} ;
    prov:wasDerivedFrom {clip} ; prov:wasGeneratedBy {act} ; ess:rule "demo-rule" ; ess:candidate false ;
    ess:evidence {_lit(sentence)}@fr .
  <{a}> a oa:Annotation ; oa:motivatedBy oa:describing ; oa:hasBody {st} ; oa:hasTarget <{a}#target> ;
    prov:wasGeneratedBy {act} .
  <{a}#target> a oa:SpecificResource ; oa:hasSource {clip} ; oa:hasSelector <{a}#quote>, <{a}#position> .
  <{a}#quote> a oa:TextQuoteSelector ; oa:exact {_lit(exact)} ; oa:prefix {_lit(text[max(0, b - 32):b])} ;
    oa:suffix {_lit(text[b + len(exact):b + len(exact) + 32])} .
  <{a}#position> a oa:TextPositionSelector ; oa:start {b} ; oa:end {b + len(exact)} .""")
    for ent, name in [(org, org_name), (terr, cname), (person, pname)]:
        mid = _h(key, ent, "mention")
        a = f"https://w3id.org/essgraph/id/annotation/{mid}"
        b = text.index(name)
        out.append(f"""
  <{a}> a oa:Annotation ; oa:motivatedBy oa:identifying ; oa:hasBody {ent} ; oa:hasTarget <{a}#target> .
  <{a}#target> a oa:SpecificResource ; oa:hasSource {clip} ; oa:hasSelector <{a}#quote> .
  <{a}#quote> a oa:TextQuoteSelector ; oa:exact {_lit(name)} ; oa:prefix {_lit(text[max(0, b - 32):b])} ;
    oa:suffix {_lit(text[b + len(name):b + len(name) + 32])} .""")
    out.append("}")
    return "\n".join(out)


_NS_NAME = re.compile(r"\b(essr|esc):([\w/\-.]*[\w/\-])")
_NS_IRI = {"essr": "https://w3id.org/essgraph/id/", "esc": "https://w3id.org/essgraph/concept/"}


def _full_iris(text: str) -> str:
    # local names with "/" are not valid prefixed names in Turtle: write full IRIs
    return _NS_NAME.sub(lambda m: f"<{_NS_IRI[m.group(1)]}{m.group(2)}>", text)


def demo_trig(scale: int = 1) -> str:
    """TriG text of the demo dataset with ``scale`` clippings."""
    communes = _communes(scale)
    parts = [_PREFIXES, _full_iris(_reference(scale))]
    parts.extend(_full_iris(_clipping(i, communes)) for i in range(scale))
    parts.append("""<https://w3id.org/essgraph/id/graph/provenance> {
  <https://w3id.org/essgraph/id/agent/essgraph/0.1.0> a prov:SoftwareAgent ; schema:softwareVersion "0.1.0" .
}""")
    return "\n".join(parts) + "\n"


def write_demo_store(path, scale: int = 1) -> Path:
    """Create (or add to) an on-disk store at ``path`` holding the demo dataset."""
    p = Path(path)
    store = ox.Store(str(p))
    store.bulk_load(demo_trig(scale).encode("utf-8"), format=ox.RdfFormat.TRIG)
    store.flush()
    del store
    return p


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """Run an ASGI app with uvicorn on 127.0.0.1:<free port> in a thread."""

    def __init__(self, app, port: int | None = None, startup_timeout: float = 60.0):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                     access_log=False, lifespan="on")
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.startup_timeout = startup_timeout

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the server stopped during startup")
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self.url

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)


class ServerProcess:
    """Run ``essgraph serve`` as a separate process on a free loopback port.

    ``with ServerProcess(store, "--timeout", "5") as url: ...``; ``pid`` is the
    server's process id (its workers are its children), ``output()`` what it
    printed.
    """

    def __init__(self, store, *args: str, port: int | None = None, startup_timeout: float = 90.0,
                 env: dict | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cmd = [sys.executable, "-c", "import sys; from ess_graph.cli import main; sys.exit(main())", "serve", "--store", str(store),
                    "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning", *args]
        self.env = dict(os.environ, **(env or {}))
        self.startup_timeout = startup_timeout
        self.log = tempfile.TemporaryFile()
        self.proc = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def __enter__(self) -> str:
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"essgraph serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self.url
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError(f"essgraph serve did not start:\n{self.output()}")
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
