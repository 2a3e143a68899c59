"""Pearltrees' RDF export of a collection (``pearltrees-rdf``).

Pearltrees exports an account's collections as one RDF/XML file in its own vocabulary
(``http://www.pearltrees.com/rdf/0.1/#``, prefix ``pt:``; Pearltrees binds ``dcterms:`` to the
Dublin Core *elements* namespace ``http://purl.org/dc/elements/1.1/``)::

    <pt:Tree rdf:about="https://www.pearltrees.com/rtes/ess-collectivites/id5587311">
       <dcterms:title>Economie sociale solidaire &amp; collectivités</dcterms:title>
       <pt:treeId>5587311</pt:treeId> …
    </pt:Tree>
    <pt:PagePearl rdf:about="…/id5587311?show=item,77340214">
       <dcterms:title>33ème Congrès de l'AIMF …</dcterms:title>
       <dcterms:identifier>http://www.aimf.asso.fr/…</dcterms:identifier>   <- the page's URL
       <pt:parentTree rdf:resource="…/id5587311"/>
       <pt:inTreeSinceDate>2013-11-26T10:41:52</pt:inTreeSinceDate>
       <pt:leftPos>2</pt:leftPos> …
    </pt:PagePearl>
    <pt:Note rdf:about="…">
       <pt:parentPearl rdf:resource="…/id5587311?show=item,77340214"/>
       <pt:noteText>Lors de cet atelier présidé par Pauline Véron, …</pt:noteText>
    </pt:Note>

Each content pearl (``pt:PagePearl``, and any other ``pt:…Pearl`` but the structural
``RootPearl``, ``RefPearl``, ``AliasPearl`` and ``SectionPearl``) becomes one clipping:

- ``id``: ``pearltrees-{item}``, the pearl's item number in its URI (``show=item,77340214``);
  the file's stem and the pearl's rank when the URI has none;
- ``text``: the title, then the text of each note attached to the pearl, one paragraph each;
- ``url``: the page's address (``dcterms:identifier``, else ``rdfs:seeAlso``);
- ``date``: the day it was pearled (``pt:inTreeSinceDate``);
- ``collection``: the title of the pearl's tree;
- ``metadata``: the pearl's IRI, type, tree and position.

Clippings come in a fixed order: by tree, then by position in the tree (``pt:leftPos``,
``pt:posOrder``), then by IRI. The file is read as RDF (pyoxigraph's RDF/XML parser, lenient
about the page addresses Pearltrees stores); a file that is not well-formed XML is reported at
its line and column.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pyoxigraph as ox

from ..errors import InputError
from ..model import Clipping
from ._common import line_of, normalize_date, source_name, stem
from .registry import register

FORMAT = "pearltrees-rdf"
PT = "http://www.pearltrees.com/rdf/0.1/#"
DC = "http://purl.org/dc/elements/1.1/"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"
#: pearls that structure a collection rather than hold content
STRUCTURAL = frozenset({"RootPearl", "RefPearl", "AliasPearl", "SectionPearl"})
_ITEM = re.compile(r"(?:item,|item=|#item)(\d+)|(\d+)(?!.*\d)")


def looks_like(sample: str) -> bool:
    """Detection by content: an XML document that uses the Pearltrees RDF vocabulary."""
    head = sample.lstrip("\ufeff \t\r\n")
    return head.startswith("<") and "http://www.pearltrees.com/rdf/0.1/" in sample and "RDF" in sample


def _check_xml(text: str, src: str) -> None:
    try:
        ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as e:
        line, col = e.position
        raise InputError(f"not well-formed XML: {ET.ParseError.__str__(e).split(':')[0]}",
                         source=src, line=line, column=col + 1) from None


def _triples(text: str, src: str) -> list[ox.Triple]:
    _check_xml(text, src)
    try:
        return list(ox.parse(text.encode("utf-8"), format=ox.RdfFormat.RDF_XML, lenient=True))
    except SyntaxError as e:
        raise InputError(f"invalid RDF/XML: {e}", source=src) from None


def _first(values: list[str]) -> str | None:
    return sorted(values)[0] if values else None


def _int(value: str | None) -> int:
    try:
        return int(value) if value is not None else 1 << 62
    except ValueError:
        return 1 << 62


def _offset(text: str, iri: str) -> int | None:
    for attr in (quoteattr(iri), quoteattr(iri).replace('"', "'")):
        at = text.find("rdf:about=" + attr)
        if at != -1:
            return text.rfind("<", 0, at)
    return None


def _index(text: str, src: str) -> tuple[dict[str, dict[str, list[str]]], dict[str, str]]:
    """(values by subject and predicate, Pearltrees type of each subject) of the export."""
    props: dict[str, dict[str, list[str]]] = {}
    types: dict[str, str] = {}
    for t in _triples(text, src):
        s = t.subject.value
        p = t.predicate.value
        if p == RDF_TYPE and t.object.value.startswith(PT):
            types[s] = t.object.value[len(PT):]
            continue
        props.setdefault(s, {}).setdefault(p, []).append(t.object.value)
    return props, types


def read(path: str | Path, text: str) -> list[Clipping]:
    src = source_name(path)
    props, types = _index(text, src)

    def one(s: str, *preds: str) -> str | None:
        for p in preds:
            v = _first([x.strip() for x in props.get(s, {}).get(p, []) if x.strip()])
            if v:
                return v
        return None

    notes: dict[str, list[tuple[str, str]]] = {}
    for s, kind in types.items():
        if kind == "Note":
            body = one(s, PT + "noteText")
            for parent in props.get(s, {}).get(PT + "parentPearl", []):
                if body:
                    notes.setdefault(parent, []).append((s, body))

    pearls = []
    for s, kind in types.items():
        if not kind.endswith("Pearl") or kind in STRUCTURAL:
            continue
        tree = one(s, PT + "parentTree") or ""
        pos = _int(one(s, PT + "leftPos", PT + "posOrder"))
        pearls.append((tree, pos, s, kind))
    if not pearls:
        raise InputError("Pearltrees RDF export holds no page pearl (pt:PagePearl)", source=src)
    pearls.sort()

    key = stem(path)
    clippings: list[Clipping] = []
    for n, (tree, pos, s, kind) in enumerate(pearls, start=1):
        title = one(s, DC + "title", DCT + "title")
        paragraphs = [title] if title else []
        paragraphs += [body for _, body in sorted(notes.get(s, []))]
        if not paragraphs:
            continue
        m = _ITEM.search(s.rsplit("/", 1)[-1])
        item = (m.group(1) or m.group(2)) if m else None
        offset = _offset(text, s)
        line = line_of(text, offset) if offset is not None else None
        meta = {"pearl": s, "pearl_type": kind, "tree": tree or None}
        if pos != 1 << 62:
            meta["position"] = pos
        clippings.append(Clipping(
            id=f"pearltrees-{item}" if item else f"{key}#{n}",
            text="\n\n".join(paragraphs), title=title,
            url=one(s, DC + "identifier", DCT + "identifier", SEE_ALSO),
            date=normalize_date(one(s, PT + "inTreeSinceDate"), source=src, line=line),
            collection=one(tree, DC + "title", DCT + "title") if tree else None,
            source_file=src, source_format=FORMAT, source_offset=None, source_line=line,
            metadata=meta))
    return clippings


register("pearltrees-rdf", suffixes=(".rdf",), read=read, sniff=looks_like, priority=10,
         description="Pearltrees RDF export (vocabulary http://www.pearltrees.com/rdf/0.1/#)")
