"""Score an extraction against a gold annotation.

The matching semantics are those of the project's scorer
``tools/score_extraction.py`` (shared research material), vendored here so that
``essgraph evaluate`` and that script give the same headline numbers:

* entities match when they share a normalised surface form or name (accents,
  case, punctuation, leading articles and a trailing "(ACRONYM)" ignored; the
  acronym itself counts as a form), or the same INSEE code, and their types
  fall in the same family (an Intercommunality counts as territory or org);
  matching is greedy and one-to-one within a clipping;
* relations match when the predicate is equal and both ends match (through
  the family matching); candidate relations are not scored;
* scores are micro-averaged.

On top of the scorer's figures this module reports precision/recall per
entity type and per predicate, and lists missed and spurious items.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError
from ..names import strip_accents

# --- vendored from tools/score_extraction.py (same behaviour) ---------------
FAMILY = {
    "Person": "person",
    "Organization": "org", "Cooperative": "org", "Mutual": "org", "Association": "org",
    "Network": "org", "PublicBody": "org", "Company": "org",
    "Commune": "territory", "Intercommunality": "territory", "Department": "territory",
    "Region": "territory", "Country": "territory",
    "Policy": "action", "Initiative": "action", "Event": "action",
}
DUAL = {"Intercommunality": {"territory", "org"}}
ARTICLES = ("le ", "la ", "les ", "l ", "du ", "des ", "de ", "d ")


def norm(s: str | None) -> str:
    if not s:
        return ""
    s = strip_accents(s)
    s = s.casefold().replace("\u2019", "'").replace("\u2018", "'")
    s = re.sub(r"[^\w]+", " ", s).strip()
    s = re.sub(r"\bst(e?)\b", lambda m: "saint" + ("e" if m.group(1) else ""), s)
    changed = True
    while changed:
        changed = False
        for a in ARTICLES:
            if s.startswith(a) and len(s) > len(a):
                s = s[len(a):]
                changed = True
    return s


def forms(ent: dict) -> set[str]:
    out = set()
    raw = [ent.get("text"), ent.get("name")] + list(ent.get("aliases") or [])
    raw += [m.get("text") for m in ent.get("mentions") or [] if isinstance(m, dict)]
    for r in raw:
        if not r:
            continue
        out.add(norm(r))
        m = re.match(r"^(.*?)\s*\(([^()]+)\)\s*$", r)
        if m:
            out.add(norm(m.group(1)))
            inner = m.group(2).strip()
            if re.fullmatch(r"[A-ZÀ-Ý0-9][A-ZÀ-Ý0-9\-]{1,15}", inner):
                out.add(norm(inner))
    out.discard("")
    return out


def families(t: str | None) -> set[str]:
    return DUAL.get(t, {FAMILY.get(t, "other")})


def match_entities(gold: list[dict], pred: list[dict], typed: bool) -> dict[int, int]:
    """Greedy one-to-one matching; returns {pred_index: gold_index}."""
    gforms = [forms(g) for g in gold]
    pairs = []
    for pi, p in enumerate(pred):
        pf = forms(p)
        for gi, g in enumerate(gold):
            if typed:
                ok_type = p.get("type") == g.get("type")
            else:
                ok_type = bool(families(p.get("type")) & families(g.get("type")))
            if not ok_type:
                continue
            same_code = bool(g.get("insee")) and str(p.get("insee") or "") == str(g["insee"])
            overlap = pf & gforms[gi]
            if same_code or overlap:
                pairs.append((0 if same_code else 1, -max((len(x) for x in overlap), default=0), pi, gi))
    pairs.sort()
    used_p, used_g, out = set(), set(), {}
    for _, _, pi, gi in pairs:
        if pi in used_p or gi in used_g:
            continue
        used_p.add(pi)
        used_g.add(gi)
        out[pi] = gi
    return out


def prf(tp: int, npred: int, ngold: int) -> dict[str, Any]:
    p = tp / npred if npred else 0.0
    r = tp / ngold if ngold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "tp": tp, "predicted": npred, "gold": ngold}
# --- end of vendored part ----------------------------------------------------


def load_jsonl(path: str | Path) -> dict[str, dict]:
    """{id: record} from a JSONL file; bad lines raise InputError with the line."""
    out: dict[str, dict] = {}
    src = str(path)
    try:
        fh = open(path, encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", source=src) from None
    with fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"not JSON: {e.msg}", source=src, line=n, column=e.colno) from None
            if not isinstance(rec, dict) or "id" not in rec:
                raise InputError("expected a JSON object with an \"id\"", source=src, line=n)
            out[str(rec["id"])] = rec
    return out


def score(gold: dict[str, dict], pred: dict[str, dict]) -> dict[str, Any]:
    """The scorer's figures + per-type and per-predicate scores + error lists."""
    tot = {"fam": [0, 0, 0], "typed": [0, 0, 0], "rel": [0, 0, 0], "code": [0, 0]}
    by_family: dict[str, list[int]] = {}
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_pred: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    missed, spurious, missed_rel, spurious_rel, wrong_codes, wrong_types = [], [], [], [], [], []
    for cid, g in gold.items():
        p = pred.get(cid, {"entities": [], "relations": []})
        gents = g.get("entities") or []
        pents = p.get("entities") or []
        fam = match_entities(gents, pents, typed=False)
        typ = match_entities(gents, pents, typed=True)
        tot["fam"][0] += len(fam)
        tot["fam"][1] += len(pents)
        tot["fam"][2] += len(gents)
        tot["typed"][0] += len(typ)
        tot["typed"][1] += len(pents)
        tot["typed"][2] += len(gents)
        for fname in ("person", "org", "territory", "action"):
            b = by_family.setdefault(fname, [0, 0, 0])
            b[1] += sum(1 for e in pents if fname in families(e.get("type")))
            b[2] += sum(1 for e in gents if fname in families(e.get("type")))
            b[0] += sum(1 for pi, gi in fam.items() if fname in families(gents[gi].get("type")))
        for e in pents:
            by_type[e.get("type")][1] += 1
        for e in gents:
            by_type[e.get("type")][2] += 1
        for pi, gi in typ.items():
            by_type[gents[gi].get("type")][0] += 1
        for pi, gi in fam.items():
            if pents[pi].get("type") != gents[gi].get("type"):
                wrong_types.append({"clipping": cid, "name": gents[gi].get("name"),
                                    "gold": gents[gi].get("type"), "predicted": pents[pi].get("type")})
            if gents[gi].get("insee"):
                tot["code"][1] += 1
                if str(pents[pi].get("insee") or "") == str(gents[gi]["insee"]):
                    tot["code"][0] += 1
                else:
                    wrong_codes.append({"clipping": cid, "name": gents[gi].get("name"),
                                        "gold": gents[gi]["insee"], "predicted": pents[pi].get("insee")})
        p2g = {}
        for pi, gi in fam.items():
            for key in ("name", "id", "iri", "text"):
                v = pents[pi].get(key)
                if v:
                    p2g.setdefault(v, gents[gi].get("name"))
        grels = {(r["subject"], r["predicate"], r["object"]) for r in g.get("relations") or []}
        prels = set()
        pnames = {}
        for e in pents:
            for key in ("id", "name", "iri"):
                if e.get(key):
                    pnames[e[key]] = e.get("name") or e.get("text")
        for r in p.get("relations") or []:
            if r.get("candidate") is True:
                continue
            s = p2g.get(r.get("subject"), "\x00unmatched:" + str(r.get("subject")))
            o = p2g.get(r.get("object"), "\x00unmatched:" + str(r.get("object")))
            prels.add((s, r.get("predicate"), o))
            if (s, r.get("predicate"), o) not in grels:
                spurious_rel.append({"clipping": cid, "subject": pnames.get(r.get("subject"), r.get("subject")),
                                     "predicate": r.get("predicate"),
                                     "object": pnames.get(r.get("object"), r.get("object")),
                                     "rule": r.get("rule")})
        tp = len(grels & prels)
        tot["rel"][0] += tp
        tot["rel"][1] += len(prels)
        tot["rel"][2] += len(grels)
        for r in prels:
            by_pred[r[1]][1] += 1
        for r in grels:
            by_pred[r[1]][2] += 1
        for r in grels & prels:
            by_pred[r[1]][0] += 1
        matched_g = set(fam.values())
        for gi, ge in enumerate(gents):
            if gi not in matched_g:
                missed.append({"clipping": cid, "type": ge.get("type"), "name": ge.get("name")})
        for pi, pe in enumerate(pents):
            if pi not in fam:
                spurious.append({"clipping": cid, "type": pe.get("type"), "name": pe.get("name") or pe.get("text")})
        for r in sorted(grels - prels):
            missed_rel.append({"clipping": cid, "subject": r[0], "predicate": r[1], "object": r[2]})
    return {
        "clippings": len(gold),
        "clippings_predicted": sum(1 for c in gold if c in pred),
        "entities_family": prf(*tot["fam"]),
        "entities_typed": prf(*tot["typed"]),
        "by_family": {k: prf(*v) for k, v in by_family.items()},
        "by_type": {k: prf(*v) for k, v in sorted(by_type.items(), key=lambda kv: str(kv[0]))},
        "relations": prf(*tot["rel"]),
        "by_predicate": {k: prf(*v) for k, v in sorted(by_pred.items(), key=lambda kv: str(kv[0]))},
        "territory_code_accuracy": round(tot["code"][0] / tot["code"][1], 4) if tot["code"][1] else 0.0,
        "territory_codes_checked": tot["code"][1],
        "missed_entities": missed,
        "spurious_entities": spurious,
        "wrong_types": wrong_types,
        "wrong_codes": wrong_codes,
        "missed_relations": missed_rel,
        "spurious_relations": spurious_rel,
    }


def headline(res: dict[str, Any]) -> str:
    return (f"entity_f1={res['entities_family']['f1']:.3f} typed_f1={res['entities_typed']['f1']:.3f} "
            f"relation_f1={res['relations']['f1']:.3f} code_acc={res['territory_code_accuracy']:.3f}")


def read_clippings_jsonl(path: str | Path):
    """Clippings of a JSONL file (through the project importer)."""
    from ..importers import read_clippings
    return read_clippings([path])


def evaluate(gold_path: str | Path, clippings_path: str | Path | None = None, *,
             predicted_path: str | Path | None = None, extractor=None) -> dict[str, Any]:
    """Extract the clippings (default: clippings.jsonl beside the gold) and score them.

    With ``predicted_path``, score that JSONL file instead of extracting.
    """
    gold = load_jsonl(gold_path)
    if predicted_path is not None:
        pred = load_jsonl(predicted_path)
    else:
        cpath = Path(clippings_path) if clippings_path else Path(gold_path).with_name("clippings.jsonl")
        if not cpath.exists():
            raise InputError("no clippings file (give CLIPPINGS, or put clippings.jsonl beside the gold)",
                             source=str(cpath))
        from . import Extractor
        clippings = read_clippings_jsonl(cpath)
        ex = extractor or Extractor.default()
        pred = {e.clipping.id: e.to_jsonl_record() for e in ex.extract_many(clippings)}
    return score(gold, pred)


def format_report(res: dict[str, Any], limit: int | None = None) -> Iterable[str]:
    """Human-readable lines: headline figures, per type/predicate, then the errors."""
    for k in ("entities_family", "entities_typed", "relations"):
        v = res[k]
        yield (f"{k:18} P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f} "
               f"(tp={v['tp']} pred={v['predicted']} gold={v['gold']})")
    for k, v in res["by_family"].items():
        yield f"  family {k:12} P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f}"
    yield "by type:"
    for k, v in res["by_type"].items():
        yield f"  {str(k):16} P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f} (tp={v['tp']} pred={v['predicted']} gold={v['gold']})"
    yield "by predicate:"
    for k, v in res["by_predicate"].items():
        yield f"  {str(k):16} P={v['precision']:.3f} R={v['recall']:.3f} F1={v['f1']:.3f} (tp={v['tp']} pred={v['predicted']} gold={v['gold']})"
    yield f"territory codes    {res['territory_code_accuracy']:.3f} of {res['territory_codes_checked']}"
    sections = (("missed entity", "missed_entities", "{clipping}: {type} {name!r}"),
                ("spurious entity", "spurious_entities", "{clipping}: {type} {name!r}"),
                ("wrong type", "wrong_types", "{clipping}: {name!r} gold {gold} predicted {predicted}"),
                ("wrong code", "wrong_codes", "{clipping}: {name!r} gold {gold} predicted {predicted}"),
                ("missed relation", "missed_relations", "{clipping}: {subject} {predicate} {object}"),
                ("spurious relation", "spurious_relations", "{clipping}: {subject} {predicate} {object}"))
    for title, key, fmt in sections:
        items = res[key][:limit] if limit else res[key]
        for it in items:
            yield f"{title}: " + fmt.format(**it)
    yield headline(res)
