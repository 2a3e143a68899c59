"""Deterministic IRIs: the same input always gives the same IRI.

Scheme (documented in docs/iri-scheme.md), all under ``https://w3id.org/essgraph/id/``:

=====================  ===============================================
territory/commune/05065        commune (INSEE code; also arrondissements, communes déléguées)
territory/epci/200067452       EPCI (SIREN)
territory/syndicate/{slug}     syndicate without a code (SIVU, SIVOM, syndicat mixte)
territory/intercommunality/{slug}  an intercommunality named in a clipping that matches no EPCI
territory/departement/05       département
territory/region/93            région (pre-2016 régions keep their own codes, e.g. 54)
territory/country/FR           country (ISO 3166-1 alpha-2)
place/{cc}/{slug}              place outside France (Genève → place/ch/geneve)
place/unresolved/{slug}        a place name that could not be resolved
authority/{territory-key}      the collectivité governing a territory (Ville de Paris)
org/{slug}                     organisation, keyed by its canonical (long) name
person/{slug}                  person (see entity resolution for homonyms)
policy/{slug}, initiative/{slug}, event/{slug}
clipping/{key}                 clipping; also the name of its named graph
=====================  ===============================================
"""
from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from .names import strip_accents
from .namespaces import ID

if TYPE_CHECKING:  # pragma: no cover
    from .model import Clipping, Entity

_SYNDICATE = re.compile(r"\b(syndicats?|sivu|sivom|sivm|smi|pôle métropolitain|petr)\b", re.I)
_SAFE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")


def short_hash(*parts: str, length: int = 12) -> str:
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return h[:length]


def slugify(text: str, max_len: int = 80) -> str:
    """ASCII slug: accents stripped, lower case, words joined by '-'."""
    s = strip_accents(text).casefold().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    if not s:
        return "x-" + short_hash(text, length=10)
    if len(s) > max_len:
        s = s[:max_len].rstrip("-") + "-" + short_hash(text, length=8)
    return s


TERRITORY_SEGMENT = {
    "Commune": "commune",
    "Intercommunality": "epci",
    "Department": "departement",
    "Region": "region",
    "Country": "country",
}
ACTION_SEGMENT = {"Policy": "policy", "Initiative": "initiative", "Event": "event"}


def territory_key(type_: str, code: str) -> str:
    return f"territory/{TERRITORY_SEGMENT[type_]}/{code}"


def territory_iri(type_: str, code: str) -> str:
    return ID + territory_key(type_, code)


def default_entity_key(e: "Entity") -> str:
    t = e.type
    if t in TERRITORY_SEGMENT:
        if t == "Country" and e.insee:
            return territory_key(t, e.insee.upper())
        if e.insee and (e.country in (None, "FR")):
            return territory_key(t, e.insee)
        if t == "Intercommunality":
            if _SYNDICATE.search(e.name):
                return f"territory/syndicate/{slugify(e.name)}"
            return f"territory/intercommunality/{slugify(e.name)}"  # an EPCI the linker could not resolve
        if e.country and e.country != "FR":
            return f"place/{e.country.lower()}/{slugify(e.name)}"
        if t == "Country":
            return f"territory/country/{slugify(e.name)}"
        return f"place/unresolved/{slugify(e.name)}"
    if t == "Person":
        return f"person/{slugify(e.name)}"
    if t in ACTION_SEGMENT:
        return f"{ACTION_SEGMENT[t]}/{slugify(e.name)}"
    return f"org/{slugify(e.name)}"


def entity_key(e: "Entity") -> str:
    return e.key or default_entity_key(e)


def entity_iri(e: "Entity") -> str:
    return ID + entity_key(e)


def authority_iri(territory_entity_key: str) -> str:
    """The collectivité that governs a territory (territory/commune/75056 → authority/commune/75056)."""
    k = territory_entity_key
    if k.startswith("territory/"):
        k = k[len("territory/"):]
    return ID + "authority/" + k


def clipping_key(clipping_id: str) -> str:
    """``seed-000`` stays as is, ``file#3`` becomes ``file/3``; anything else is slugged and hashed."""
    if _SAFE_KEY.fullmatch(clipping_id):
        return clipping_id
    head, sep, num = clipping_id.rpartition("#")
    if sep and num.isdigit() and _SAFE_KEY.fullmatch(head):
        return f"{head}/{num}"
    return slugify(clipping_id, max_len=60) + "-" + short_hash(clipping_id, length=10)


def clipping_iri(c: "Clipping | str") -> str:
    cid = c if isinstance(c, str) else c.id
    return ID + "clipping/" + clipping_key(cid)


def collection_iri(name: str) -> str:
    return ID + "collection/" + slugify(name)
