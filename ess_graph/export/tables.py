"""CSV tables for people who do not use RDF, described by a CSVW metadata file.

UTF-8, comma-separated, RFC 4180 quoting, CRLF line ends, one header row; IRIs
are the keys; several values in one cell are separated by `` | `` (declared as
the CSVW ``separator``); rows sorted by their key.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from ..curie import curie
from .views import Views

SEP = " | "


@dataclass(frozen=True)
class Column:
    name: str
    datatype: str
    description: str
    multi: bool = False
    required: bool = False


@dataclass(frozen=True)
class Table:
    file: str
    title: str
    description: str
    columns: tuple[Column, ...]
    foreign_keys: tuple[tuple[str, str, str], ...] = ()   # (column, table file, column)


ACTORS = Table("actors.csv", "Acteurs",
               "Organisations (coopératives, associations, mutuelles, réseaux, entreprises), "
               "collectivités locales et personnes.", (
    Column("iri", "anyURI", "IRI of the actor (key)", required=True),
    Column("label", "string", "Name"),
    Column("kind", "string", "Most specific kind: Cooperative, Mutual, Association, Network, "
           "Company, PublicBody, LocalAuthority, Syndicate, Organization or Person"),
    Column("alt_labels", "string", "Other names and acronyms", multi=True),
    Column("types", "string", "All RDF classes (prefixed names)", multi=True),
    Column("located_in", "anyURI", "Places the actor is located in (ess:locatedIn)", multi=True),
    Column("governs", "anyURI", "Territory governed (local authorities, ess:governs)", multi=True),
    Column("mentioned_in", "integer", "Number of clippings mentioning the actor"),
))
TERRITORIES = Table("territories.csv", "Territoires",
                    "Communes, intercommunalités, syndicats, départements, régions, pays, lieux "
                    "étrangers et lieux non résolus.", (
    Column("iri", "anyURI", "IRI of the territory (key)", required=True),
    Column("label", "string", "Name"),
    Column("kind", "string", "Commune, Intercommunalite, Syndicate, Departement, Region, Country, "
           "ForeignPlace, UnresolvedPlace"),
    Column("code_insee", "string", "INSEE code (SIREN for an EPCI)"),
    Column("siren", "string", "SIREN"),
    Column("population", "integer", "Population"),
    Column("within", "anyURI", "Enclosing territories (ess:within)", multi=True),
    Column("longitude", "decimal", "Centroid longitude (WGS84 / CRS84)"),
    Column("latitude", "decimal", "Centroid latitude (WGS84 / CRS84)"),
    Column("country", "string", "ISO 3166-1 country code (foreign places)"),
    Column("candidate_territories", "anyURI", "Candidates of an unresolved place name", multi=True),
    Column("same_as", "anyURI", "Same territory in INSEE / Wikidata", multi=True),
    Column("mentioned_in", "integer", "Number of clippings mentioning the territory"),
))
RELATIONS = Table("relations.csv", "Relations et preuves",
                  "Chaque relation extraite ou saisie (ess:Statement), avec la phrase et le "
                  "passage exact de la coupure qui l'établissent.", (
    Column("statement", "anyURI", "IRI of the statement (key)", required=True),
    Column("subject", "anyURI", "Subject IRI"),
    Column("subject_label", "string", "Subject name"),
    Column("predicate", "anyURI", "Predicate IRI"),
    Column("predicate_name", "string", "Predicate as a prefixed name"),
    Column("object", "anyURI", "Object IRI"),
    Column("object_label", "string", "Object name"),
    Column("candidate", "boolean", "true: a candidate, not asserted in the graph"),
    Column("rule", "string", "Extraction rule"),
    Column("source", "string", "extraction or curation"),
    Column("clipping", "anyURI", "Clipping the statement is derived from", multi=True),
    Column("evidence", "string", "Sentence stating the relation"),
    Column("quote", "string", "Exact quoted text of the annotation"),
    Column("quote_start", "integer", "Start offset of the quote in the clipping text"),
    Column("quote_end", "integer", "End offset (exclusive)"),
    Column("attributed_to", "anyURI", "Curator (curated statements)", multi=True),
), foreign_keys=(("clipping", "clippings.csv", "iri"),))
CLIPPINGS = Table("clippings.csv", "Coupures de presse",
                  "Les coupures de presse dont le graphe est extrait, avec leur texte exact.", (
    Column("iri", "anyURI", "IRI of the clipping, also the name of its graph (key)", required=True),
    Column("identifier", "string", "Identifier"),
    Column("title", "string", "Title"),
    Column("url", "anyURI", "Original URL"),
    Column("date", "date", "Date"),
    Column("collection", "anyURI", "Collection IRI"),
    Column("collection_label", "string", "Collection name"),
    Column("source_file", "string", "Source file"),
    Column("source_format", "string", "Source format"),
    Column("source_line", "integer", "Line of the item in the source file"),
    Column("sha256", "string", "SHA-256 of the text"),
    Column("mentions", "integer", "Entities mentioned"),
    Column("statements", "integer", "Statements derived from the clipping"),
    Column("text", "string", "Exact text that annotation offsets refer to"),
))
TABLES = (ACTORS, TERRITORIES, RELATIONS, CLIPPINGS)
CSVW_FILE = "csv-metadata.json"


def _num(v: float | None) -> str:
    return "" if v is None else repr(round(v, 7))


def table_rows(views: Views) -> dict[str, list[list]]:
    lab = views.label
    out: dict[str, list[list]] = {}
    out[ACTORS.file] = [
        [a.iri, a.label, a.kind, a.alt_labels, a.types, a.located_in, a.governs, a.mentioned_in]
        for a in sorted(views.actors.values(), key=lambda a: a.iri)]
    out[TERRITORIES.file] = [
        [t.iri, t.label, t.kind, t.code_insee, t.siren, t.population, t.within, _num(t.lon),
         _num(t.lat), t.country, t.candidates, t.same_as, t.mentioned_in]
        for t in sorted(views.territories.values(), key=lambda t: t.iri)]
    out[RELATIONS.file] = [
        [r.statement, r.subject, lab(r.subject), r.predicate, curie(r.predicate), r.object,
         lab(r.object), "true" if r.candidate else "false", r.rule, r.source,
         r.clipping.split(SEP) if r.clipping else [], r.evidence, r.quote, r.quote_start,
         r.quote_end, r.attributed_to.split(SEP) if r.attributed_to else []]
        for r in views.relations]
    out[CLIPPINGS.file] = [
        [c.iri, c.identifier, c.title, c.url, c.date, c.collection, c.collection_label,
         c.source_file, c.source_format, c.source_line, c.sha256, c.mentions, c.statements, c.text]
        for c in sorted(views.clippings.values(), key=lambda c: c.iri)]
    return out


def render_csv(table: Table, rows: list[list]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.name for c in table.columns])
    for row in rows:
        w.writerow([SEP.join(v) if isinstance(v, list) else v for v in row])
    return buf.getvalue().encode("utf-8")


def csvw_metadata(licence: str, title: str) -> bytes:
    tables = []
    for t in TABLES:
        cols = []
        for c in t.columns:
            col = {"name": c.name, "titles": c.name, "datatype": c.datatype,
                   "dc:description": c.description}
            if c.multi:
                col["separator"] = SEP
            if c.required:
                col["required"] = True
            cols.append(col)
        schema = {"columns": cols, "primaryKey": t.columns[0].name}
        if t.foreign_keys:
            schema["foreignKeys"] = [
                {"columnReference": col, "reference": {"resource": ref, "columnReference": rcol}}
                for col, ref, rcol in t.foreign_keys]
        tables.append({"url": t.file, "dc:title": t.title, "dc:description": t.description,
                       "tableSchema": schema})
    doc = {"@context": ["http://www.w3.org/ns/csvw", {"@language": "fr"}],
           "dc:title": title, "dc:license": {"@id": licence},
           "dialect": {"encoding": "utf-8", "lineTerminators": ["\r\n"], "header": True},
           "tables": tables}
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
