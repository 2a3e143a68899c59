#!/usr/bin/env python3
"""Extraction quality on the blind parts of the annotated sets, with the project's scorer matching.

    python benchmarks/bench_extraction_quality.py [--model DIR] [--json OUT]

Scores the shipped models (or --model DIR) and, in the same run, the rule layer alone
(``Extractor(learned=False)``, the 0.1.0 design) on:

- data/annotations/dev-real/blind (every fourth passage of ../shared/dev-real, fixed before reading);
- data/annotations/press/blind (every fourth passage of each annotation batch);
- both pooled.

These passages are never used for training or tuning (``essgraph train`` skips folders named
``blind``). The figures are the scorer's four headline numbers, relation precision and recall, and
the relation F1 per predicate. The cross-validated training figures are read from the model's
metrics.json.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ess_graph.extract import Extractor
from ess_graph.extract.annotations import read_set
from ess_graph.extract.evaluate import score
from ess_graph.extract.ner import default_model_dir
from ess_graph.resources import bundled

ANNOT = bundled("data", "annotations")
SETS = {"dev-real blind": ANNOT / "dev-real" / "blind", "press blind": ANNOT / "press" / "blind"}


def figures(ex: Extractor, docs) -> dict:
    t = time.perf_counter()
    pred = {x.clipping.id: x.to_jsonl_record() for x in ex.extract_many([d.clipping for d in docs])}
    secs = time.perf_counter() - t
    gold = {d.id: {"id": d.id, "entities": d.entities, "relations": d.relations} for d in docs}
    res = score(gold, pred)
    return {
        "passages": len(docs), "seconds": round(secs, 1),
        "entity_f1": res["entities_family"]["f1"], "typed_f1": res["entities_typed"]["f1"],
        "relation_f1": res["relations"]["f1"], "relation_precision": res["relations"]["precision"],
        "relation_recall": res["relations"]["recall"], "code_accuracy": round(res["territory_code_accuracy"], 4),
        "codes_checked": res["territory_codes_checked"],
        "by_family": {k: v["f1"] for k, v in res["by_family"].items()},
        "by_predicate": {k: {"f1": v["f1"], "tp": v["tp"], "predicted": v["predicted"], "gold": v["gold"]}
                         for k, v in res["by_predicate"].items()},
    }


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model directory (default: the shipped models)")
    ap.add_argument("--json", default=None, help="also write the figures to this file")
    a = ap.parse_args(argv)
    mdir = Path(a.model) if a.model else default_model_dir()
    learned = Extractor(model_dir=mdir)
    rules = Extractor(learned=False)
    docs = {name: read_set(path) for name, path in SETS.items()}
    docs["pooled blind"] = [d for v in docs.values() for d in v]
    out: dict = {"model": str(mdir), "learned": {}, "rules_only": {}}
    for name, ds in docs.items():
        out["learned"][name] = figures(learned, ds)
        out["rules_only"][name] = figures(rules, ds)
    metrics = mdir / "metrics.json"
    if metrics.is_file():
        m = json.loads(metrics.read_text(encoding="utf-8"))
        out["training"] = {k: m.get(k) for k in ("passages", "entities", "relations", "seed", "data_digest",
                                                   "cv_end_to_end", "relations_cv_on_gold_entities",
                                                   "sizes_bytes", "thresholds")}
    text = json.dumps(out, indent=2, ensure_ascii=False)
    print(text)
    if a.json:
        Path(a.json).write_text(text + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
