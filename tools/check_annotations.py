#!/usr/bin/env python3
"""Check an annotated passage set (clippings.jsonl + gold.jsonl) against the conventions.

Usage: python tools/check_annotations.py DIR   (DIR holds clippings.jsonl and gold.jsonl)

Checks: ids match, passages have a URL and 100-350 words, every entity's text and aliases occur in
the passage, types and predicates are the known ones, relation ends name entities, evidence is an
exact substring, codes exist in the bundled COG (communes, départements, régions, EPCI SIREN).
Prints one line per problem and exits 1 if there is any.
"""
import csv
import io
import json
import lzma
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPES = {"Person", "Organization", "Cooperative", "Mutual", "Association", "Network", "PublicBody",
         "Company", "Commune", "Intercommunality", "Department", "Region", "Country", "Policy",
         "Initiative", "Event"}
PREDICATES = {"hasRole", "presides", "organizes", "implements", "locatedIn", "funds", "memberOf",
              "createdBy", "supplies", "partnerOf", "participatesIn"}


def _codes():
    terr = ROOT / "data" / "territories"
    codes = {"Commune": set(), "Department": set(), "Region": set(), "Intercommunality": set()}
    with lzma.open(terr / "communes.csv.xz", "rt", encoding="utf-8") as fh:
        codes["Commune"] = {r["code"] for r in csv.DictReader(fh)}
    with open(terr / "departements.csv", encoding="utf-8") as fh:
        codes["Department"] = {r["code"] for r in csv.DictReader(fh)}
    with open(terr / "regions.csv", encoding="utf-8") as fh:
        codes["Region"] = {r["code"] for r in csv.DictReader(fh)}
    with lzma.open(terr / "epci.csv.xz", "rt", encoding="utf-8") as fh:
        codes["Intercommunality"] = {r["siren"] for r in csv.DictReader(fh)}
    return codes


def _read(path):
    out = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            rec = json.loads(line)
            out[rec["id"]] = (n, rec)
    return out


def check(folder: Path) -> list[str]:
    problems = []
    clips, gold = _read(folder / "clippings.jsonl"), _read(folder / "gold.jsonl")
    codes = _codes()
    if list(clips) != list(gold):
        problems.append("ids of clippings.jsonl and gold.jsonl differ or are in another order")
    for cid, (n, g) in gold.items():
        where = f"{folder / 'gold.jsonl'}:{n} ({cid})"
        if cid not in clips:
            problems.append(f"{where}: no passage with this id")
            continue
        c = clips[cid][1]
        text = c.get("text") or ""
        if not str(c.get("url", "")).startswith("http"):
            problems.append(f"{where}: passage has no source url")
        words = len(text.split())
        if not 100 <= words <= 350:
            problems.append(f"{where}: passage has {words} words (want 140-300)")
        names = set()
        for e in g.get("entities", []):
            if e.get("type") not in TYPES:
                problems.append(f"{where}: entity {e.get('name')!r}: unknown type {e.get('type')!r}")
            if e.get("name") in names:
                problems.append(f"{where}: two entities named {e.get('name')!r}")
            names.add(e.get("name"))
            for form in [e.get("text")] + list(e.get("aliases") or []):
                if not form or form not in text:
                    problems.append(f"{where}: entity {e.get('name')!r}: {form!r} is not in the passage")
            code = e.get("insee")
            if code is not None:
                known = codes.get(e.get("type"))
                if known is None:
                    problems.append(f"{where}: {e.get('name')!r}: a code on a {e.get('type')}")
                elif str(code) not in known:
                    problems.append(f"{where}: {e.get('name')!r}: code {code!r} is not a current {e.get('type')} code")
        for r in g.get("relations", []):
            if r.get("predicate") not in PREDICATES:
                problems.append(f"{where}: unknown predicate {r.get('predicate')!r}")
            for end in ("subject", "object"):
                if r.get(end) not in names:
                    problems.append(f"{where}: relation {end} {r.get(end)!r} is not an entity name")
            if not r.get("evidence") or r["evidence"] not in text:
                problems.append(f"{where}: evidence is not an exact substring: {str(r.get('evidence'))[:60]!r}")
            if r.get("predicate") == "hasRole" and not r.get("role"):
                problems.append(f"{where}: hasRole without a role label")
    return problems


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    found = check(Path(sys.argv[1]))
    for p in found:
        print(p)
    print(f"{len(found)} problem(s)")
    sys.exit(1 if found else 0)
