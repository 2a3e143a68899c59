#!/usr/bin/env python3
"""A researcher's corrections improve the model: 20 curated facts on one half of dev-real's
training part, retrain, score the other half.

    python benchmarks/bench_curation_loop.py [--corrections 20] [--out DIR]

1. Model M0 is trained on the press training set only (data/annotations/press/train).
2. Half A of dev-real's training part (even positions) is extracted with M0; a simulated
   researcher writes a curation.yaml with N corrections taken from the gold annotation of half A:
   missed relations whose two ends were found are added (with the gold evidence), spurious
   asserted relations are rejected, alternately.
3. M1's relation classifier is trained on the press training set plus what the curation says
   (`essgraph train --with-curation`: the facts added or confirmed, those rejected; nothing else of
   half A), with M0's entity model.
4. Both are scored on half B (odd positions), which neither saw. The blind sets are not used.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import yaml

from ess_graph.extract import Extractor
from ess_graph.extract.annotations import read_set, write_set
from ess_graph.extract.evaluate import match_entities, score
from ess_graph.extract.train import curation_docs, train
from ess_graph.resources import bundled

ANNOT = bundled("data", "annotations")


def corrections(extractions, gold_docs, n: int) -> dict:
    """Up to ``n`` corrections, alternating additions of missed facts and rejections of wrong ones."""
    adds, rejects = [], []
    for x, g in zip(extractions, gold_docs):
        rec = x.to_jsonl_record()
        m = match_entities(g.entities, rec["entities"], typed=False)
        p2g = {rec["entities"][pi]["id"]: g.entities[gi]["name"] for pi, gi in m.items()}
        g2p = {g.entities[gi]["name"]: rec["entities"][pi]["name"] for pi, gi in m.items()}
        gold_rel = {(r["subject"], r["predicate"], r["object"]) for r in g.relations}
        pred_rel = set()
        by_id = {e["id"]: e["name"] for e in rec["entities"]}
        for r in rec["relations"]:
            if r.get("candidate"):
                continue
            key = (p2g.get(r["subject"]), r["predicate"], p2g.get(r["object"]))
            pred_rel.add(key)
            if key not in gold_rel:
                rejects.append((x.clipping.id, {"subject": by_id[r["subject"]], "predicate": r["predicate"],
                                                "object": by_id[r["object"]]}))
        for r in g.relations:
            key = (r["subject"], r["predicate"], r["object"])
            if key in pred_rel or r["subject"] not in g2p or r["object"] not in g2p:
                continue
            item = {"subject": g2p[r["subject"]], "predicate": r["predicate"], "object": g2p[r["object"]],
                    "evidence": r["evidence"]}
            if r.get("role"):
                item["role"] = r["role"]
            adds.append((x.clipping.id, item))
    chosen = []
    while len(chosen) < n and (adds or rejects):
        if adds:
            chosen.append(("relations", *adds.pop(0)))
        if rejects and len(chosen) < n:
            chosen.append(("reject", *rejects.pop(0)))
    clips: dict = {}
    for section, cid, item in chosen:
        clips.setdefault(cid, {}).setdefault(section, []).append(item)
    return {"curator": "simulated researcher", "date": "2026-12-04", "clippings": clips}, len(chosen)


def scores(model_dir: Path, docs) -> dict:
    ex = Extractor(model_dir=model_dir)
    pred = {x.clipping.id: x.to_jsonl_record() for x in ex.extract_many([d.clipping for d in docs])}
    gold = {d.id: {"id": d.id, "entities": d.entities, "relations": d.relations} for d in docs}
    res = score(gold, pred)
    return {k: res[k]["f1"] for k in ("entities_family", "entities_typed", "relations")} | {
        "relation_precision": res["relations"]["precision"], "relation_recall": res["relations"]["recall"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corrections", type=int, default=20)
    ap.add_argument("--out", default=None)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--m0", default=None, help="reuse this M0 model directory instead of training it")
    a = ap.parse_args(argv)
    work = Path(a.out or tempfile.mkdtemp(prefix="ess-curation-"))
    dev = read_set(ANNOT / "dev-real" / "train")
    half_a, half_b = dev[0::2], dev[1::2]
    m0 = Path(a.m0) if a.m0 else work / "m0"
    if not a.m0:
        train([ANNOT / "press" / "train"], m0, epochs=a.epochs)
    ex0 = Extractor(model_dir=m0)
    cur, n = corrections(ex0.extract_many([d.clipping for d in half_a]), half_a, a.corrections)
    cdir = work / "half-a"
    write_set(half_a, cdir)
    (cdir / "gold.jsonl").unlink()               # the researcher has clippings, not a gold file
    (cdir / "curation.yaml").write_text(yaml.safe_dump(cur, allow_unicode=True, sort_keys=False), encoding="utf-8")
    m1 = work / "m1"
    # the corrections retrain the relation classifier; the entity model is M0's
    train([ANNOT / "press" / "train"], m1, ner=False, extra_docs=curation_docs([cdir], extractor=ex0))
    shutil.copytree(m0 / "ess_ner", m1 / "ess_ner")
    s0, s1 = scores(m0, half_b), scores(m1, half_b)
    out = {"corrections": n, "half_a": len(half_a), "half_b": len(half_b), "before": s0, "after_corrections": s1}
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
