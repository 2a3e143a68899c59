"""Generate a synthetic N-Quads graph shaped like essgraph's, with ~1% injected violations.

Reference graph (régions, départements, EPCI, communes with INSEE codes, populations,
centroids, part-of links) plus one named graph per clipping (metadata, organisations,
persons holding posts, memberships, relation facts with their ess:Statement and
oa:Annotation + selectors). About 1% of the generated nodes carry a violation of the
bundled shapes (missing label, wrong datatype, bad INSEE code, span start after end,
relation not backed by a statement, unknown organisation kind, ...).

    python benchmarks/gen_graph.py 100000 /tmp/g100k.nq [--seed 1]

Deterministic: same arguments, same file.
"""
from __future__ import annotations

import argparse
import hashlib
import random

ESS = "https://w3id.org/essgraph/ontology#"
ID = "https://w3id.org/essgraph/id/"
ESC = "https://w3id.org/essgraph/concept/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
ORG = "http://www.w3.org/ns/org#"
PERSON = "http://www.w3.org/ns/person#"
PROV = "http://www.w3.org/ns/prov#"
OA = "http://www.w3.org/ns/oa#"
SCHEMA = "http://schema.org/"
IGEO = "http://rdf.insee.fr/def/geo#"
GEO = "http://www.opengis.net/ont/geosparql#"

REF = ID + "graph/reference/cog-2024"
KINDS = [("cooperative", "Cooperative"), ("mutual", "Mutual"), ("association", "Association"),
         ("network", "Network"), ("company", "Company")]
RELATIONS = ["memberOf", "partnerOf", "supplies", "funds", "locatedIn", "participatesIn"]
ROLES = ["maire", "adjoint", "president", "directeur", "conseiller"]
WORDS = ["solidaire", "coop", "terre", "avenir", "vallée", "réseau", "énergie", "habitat", "emploi",
         "circuit", "court", "insertion", "culture", "mobilité", "alimentation", "numérique"]


def lit(s: str, dt: str | None = None, lang: str | None = None) -> str:
    e = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if lang:
        return f'"{e}"@{lang}'
    if dt:
        return f'"{e}"^^<{dt}>'
    return f'"{e}"'


class Gen:
    def __init__(self, target: int, seed: int, rate: float):
        self.rnd = random.Random(seed)
        self.target = target
        self.rate = rate
        self.lines: list[str] = []
        self.violations = 0

    def q(self, s, p, o, g):
        obj = o if o[0] in '"<_' else "<" + o + ">"
        self.lines.append(f"<{s}> <{p}> {obj} <{g}> .")

    def bad(self) -> bool:
        if self.rnd.random() < self.rate:
            self.violations += 1
            return True
        return False

    def iri(self, o: str) -> str:
        return f"<{o}>"

    # -- reference graph ---------------------------------------------------
    def territories(self, n_communes: int):
        q, g, r = self.q, REF, self.rnd
        self.communes = []
        n_dep = max(2, min(96, n_communes // 40))
        regions = [f"{ID}territory/region/{10 + i}" for i in range(max(1, n_dep // 6))]
        for i, reg in enumerate(regions):
            q(reg, RDF + "type", ESS + "Territory", g); q(reg, RDF + "type", IGEO + "Region", g)
            q(reg, RDFS + "label", lit(f"Région {i}", lang="fr"), g)
            q(reg, IGEO + "codeINSEE", lit(f"{10 + i}"), g)
        deps = []
        for i in range(n_dep):
            code = f"{i + 1:02d}"
            d = f"{ID}territory/departement/{code}"
            deps.append((d, code))
            reg = regions[i % len(regions)]
            q(d, RDF + "type", ESS + "Territory", g); q(d, RDF + "type", IGEO + "Departement", g)
            q(d, RDFS + "label", lit(f"Département {code}", lang="fr"), g)
            q(d, IGEO + "codeINSEE", lit(code), g)
            q(d, IGEO + "subdivisionDirecteDe", self.iri(reg), g); q(d, ESS + "within", self.iri(reg), g)
        epcis = []
        for i in range(max(1, n_communes // 15)):
            e = f"{ID}territory/epci/{200000000 + i}"
            d, _ = deps[i % len(deps)]
            epcis.append(e)
            q(e, RDF + "type", ESS + "Territory", g); q(e, RDF + "type", IGEO + "Intercommunalite", g)
            q(e, RDF + "type", ESS + "Intercommunality", g)
            q(e, RDFS + "label", lit(f"Communauté de communes {i}", lang="fr"), g)
            siren = f"{200000000 + i}" if not self.bad() else f"2000{i}"
            q(e, IGEO + "codeINSEE", lit(siren), g); q(e, ESS + "siren", lit(siren), g)
            q(e, ESS + "within", self.iri(d), g)
        for i in range(n_communes):
            d, dcode = deps[i % len(deps)]
            code = f"{dcode}{i // len(deps) % 1000:03d}"
            c = f"{ID}territory/commune/{code}-{i}"
            self.communes.append(c)
            e = epcis[i % len(epcis)]
            q(c, RDF + "type", ESS + "Territory", g); q(c, RDF + "type", IGEO + "Commune", g)
            name = f"{r.choice(WORDS).capitalize()}-{i}"
            if not self.bad():
                q(c, RDFS + "label", lit(name, lang="fr"), g)
            q(c, IGEO + "nom", lit(name), g)
            q(c, IGEO + "codeINSEE", lit(code if not self.bad() else code[:3] + "X"), g)
            pop = str(r.randint(30, 90000))
            q(c, ESS + "population", lit(pop if not self.bad() else "inconnue", XSD + "integer"), g)
            q(c, IGEO + "subdivisionDirecteDe", self.iri(d), g)
            q(c, IGEO + "subdivisionDirecteDe", self.iri(e), g)
            q(c, ESS + "within", self.iri(d), g); q(c, ESS + "within", self.iri(e), g)
            cen = c + "#centroid"
            q(c, GEO + "hasCentroid", self.iri(cen), g)
            q(cen, RDF + "type", "http://www.opengis.net/ont/sf#Point", g)
            x, y = r.uniform(-5, 9), r.uniform(41, 51)
            wkt = f"<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT({x:.5f} {y:.5f})"
            q(cen, GEO + "asWKT", lit(wkt if not self.bad() else f"POINT({x:.5f})", GEO + "wktLiteral"), g)

    # -- clippings ------------------------------------------------------------
    def clipping(self, k: int):
        q, r = self.q, self.rnd
        key = hashlib.sha1(str(k).encode()).hexdigest()[:12]
        c = f"{ID}clipping/{key}"
        g = c
        text = " ".join(r.choice(WORDS) for _ in range(120))
        q(c, RDF + "type", ESS + "Clipping", g)
        q(c, DCT + "identifier", lit(key), g)
        q(c, DCT + "title", lit(f"Article {k} sur l'ESS"), g)
        q(c, SCHEMA + "url", self.iri(f"https://example.org/article/{k}"), g)
        q(c, DCT + "date", lit(f"2013-{1 + k % 12:02d}-{1 + k % 28:02d}", XSD + "date" if not self.bad() else None), g)
        coll = f"{ID}collection/c{k % 20}"
        q(c, DCT + "isPartOf", self.iri(coll), g)
        q(coll, RDF + "type", ESS + "Collection", g)
        q(coll, RDFS + "label", lit(f"Collection {k % 20}"), g)
        q(c, SCHEMA + "text", lit(text), g)
        q(c, ESS + "sha256", lit(hashlib.sha256(text.encode()).hexdigest()), g)
        q(c, ESS + "sourceFile", lit(f"data/clippings/c{k // 50}.txt"), g)
        q(c, ESS + "sourceFormat", lit("pearltrees-text"), g)
        q(c, ESS + "sourceOffset", lit(str(k * 1000), XSD + "integer"), g)
        q(c, ESS + "sourceLine", lit(str(1 + k * 20), XSD + "integer"), g)
        act = f"{ID}activity/extract/0.1.0/{key}"
        q(c, ESS + "extractedBy", self.iri(act), g)
        orgs = []
        for j in range(r.randint(2, 4)):
            slug, cls = r.choice(KINDS)
            o = f"{ID}org/{slug}-{r.randint(0, self.n_orgs)}"
            orgs.append(o)
            q(o, RDF + "type", ORG + "Organization", g); q(o, RDF + "type", ORG + "FormalOrganization", g)
            q(o, RDF + "type", ESS + cls, g)
            name = f"{r.choice(WORDS).capitalize()} {slug} {o.rsplit('-', 1)[1]}"
            if not self.bad():
                q(o, RDFS + "label", lit(name), g)
            q(o, SKOS + "prefLabel", lit(name), g)
            q(o, ESS + "organisationKind", self.iri(ESC + "org-kind/" + (slug if not self.bad() else "sect")), g)
            q(c, SCHEMA + "mentions", self.iri(o), g)
            self.annotation(c, o, "identifying", len(text), g)
        for j in range(r.randint(0, 2)):
            p = f"{ID}person/p{r.randint(0, self.n_orgs)}"
            q(p, RDF + "type", PERSON + "Person", g); q(p, RDF + "type", FOAF + "Person", g)
            name = f"Personne {p.rsplit('p', 1)[1]}"
            q(p, FOAF + "name", lit(name if not self.bad() else "X"), g); q(p, RDFS + "label", lit(name), g)
            q(c, SCHEMA + "mentions", self.iri(p), g)
            self.annotation(c, p, "identifying", len(text), g)
            org = r.choice(orgs)
            role = r.choice(ROLES)
            post = f"{ID}post/{org.rsplit('/', 1)[1]}/{role}"
            q(post, RDF + "type", ORG + "Post", g); q(post, ORG + "postIn", self.iri(org), g)
            q(post, ORG + "role", self.iri(ESC + "role/" + role), g); q(post, RDFS + "label", lit(role), g)
            q(ESC + "role/" + role, RDF + "type", ORG + "Role", g)
            q(ESC + "role/" + role, RDF + "type", SKOS + "Concept", g)
            q(ESC + "role/" + role, SKOS + "inScheme", self.iri(ESC + "roles"), g)
            q(ESC + "role/" + role, SKOS + "prefLabel", lit(role, lang="fr"), g)
            q(p, ORG + "holds", self.iri(post), g)
            m = f"{ID}membership/{hashlib.sha1((p + post).encode()).hexdigest()[:12]}"
            q(m, RDF + "type", ORG + "Membership", g); q(m, ORG + "member", self.iri(p), g)
            q(m, ORG + "organization", self.iri(org), g); q(m, ORG + "role", self.iri(ESC + "role/" + role), g)
            q(m, ESS + "post", self.iri(post), g)
            q(m, ESS + "roleLabel", lit(f"{role} de {org.rsplit('/', 1)[1]}", lang="fr"), g)
            self.fact(c, p, ORG + "holds", post, act, g, assert_plain=False)
        for j in range(r.randint(1, 3)):
            rel = r.choice(RELATIONS)
            s = r.choice(orgs)
            o = r.choice(self.communes) if rel == "locatedIn" else r.choice(orgs)
            if rel == "locatedIn":
                q(o, RDF + "type", ESS + "Place", g)
                q(o, RDFS + "label", lit("Commune"), g)
            self.fact(c, s, ESS + rel, o, act, g)

    def fact(self, c, s, p, o, act, g, assert_plain=True):
        q = self.q
        if assert_plain:
            q(s, p, self.iri(o), g)
            if self.bad():
                return  # relation not backed by any statement (SPARQL constraint)
        f = f"{ID}fact/{hashlib.sha1((s + p + o + c).encode()).hexdigest()[:16]}"
        q(f, RDF + "type", ESS + "Statement", g)
        q(f, RDF + "subject", self.iri(s), g); q(f, RDF + "predicate", self.iri(p), g)
        q(f, RDF + "object", self.iri(o), g)
        if not self.bad():
            q(f, PROV + "wasDerivedFrom", self.iri(c), g)
        q(f, PROV + "wasGeneratedBy", self.iri(act), g)
        q(f, ESS + "rule", lit("pattern-verb"), g)
        q(f, ESS + "candidate", lit("false", XSD + "boolean"), g)
        q(f, ESS + "evidence", lit("une phrase de l'article", lang="fr"), g)
        self.annotation(c, f, "describing", 600, g)

    def annotation(self, c, body, motivation, textlen, g):
        q, r = self.q, self.rnd
        a = f"{ID}annotation/{hashlib.sha1((c + body + str(r.random())).encode()).hexdigest()[:16]}"
        q(a, RDF + "type", OA + "Annotation", g)
        q(a, OA + "motivatedBy", self.iri(OA + motivation), g)
        q(a, OA + "hasBody", self.iri(body), g)
        t = a + "#target"
        q(a, OA + "hasTarget", self.iri(t), g)
        q(t, RDF + "type", OA + "SpecificResource", g)
        q(t, OA + "hasSource", self.iri(c), g)
        qs, ps = a + "#quote", a + "#position"
        q(t, OA + "hasSelector", self.iri(qs), g)
        q(qs, RDF + "type", OA + "TextQuoteSelector", g)
        q(qs, OA + "exact", lit("vallée"), g)
        if not self.bad():
            q(t, OA + "hasSelector", self.iri(ps), g)
        q(ps, RDF + "type", OA + "TextPositionSelector", g)
        start = r.randint(0, max(1, textlen - 20))
        end = start + 6 if not self.bad() else start - 1
        q(ps, OA + "start", lit(str(start), XSD + "nonNegativeInteger"), g)
        q(ps, OA + "end", lit(str(max(end, 0)), XSD + "nonNegativeInteger"), g)

    def run(self) -> list[str]:
        n_communes = max(20, self.target // 55)          # ~35% of the triples: reference graph
        self.n_orgs = max(10, self.target // 150)
        self.territories(n_communes)
        k = 0
        while len(self.lines) < self.target:
            self.clipping(k)
            k += 1
        self.n_clippings = k
        return self.lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("triples", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--violation-rate", type=float, default=0.01)
    a = ap.parse_args(argv)
    gen = Gen(a.triples, a.seed, a.violation_rate)
    lines = gen.run()
    with open(a.out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"{len(lines)} quads, {gen.n_clippings} clippings, {gen.violations} injected violations -> {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
