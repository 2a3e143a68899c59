"""Training the learned extractor from annotated real passages (``essgraph train``).

``train(paths, out_dir)`` reads every annotated set under ``paths`` (``clippings.jsonl`` +
``gold.jsonl``, :mod:`ess_graph.extract.annotations`), then writes into ``out_dir``:

- ``ess_ner/``: spaCy's NER fine-tuned from ``fr_core_news_md`` on the project's types;
- ``relations.json``: one logistic regression per predicate over the pair features of
  :mod:`ess_graph.extract.relclf`, with a threshold per predicate chosen on out-of-fold scores
  (5 folds by passage) and the type signatures seen in the annotation;
- ``metrics.json``: what it was trained on (passages, entities, relations, a digest of the data),
  the seed, the out-of-fold relation scores and the size of each file.

Everything is seeded: the same data and seed give the same weights.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ..model import PREDICATES
from . import text as T
from .annotations import AnnotatedDoc, entity_spans, read_sets
from .learned_rel import CANDIDATE_RATIO, UNLEARNED   # the threshold of a predicate whose facts come from the rules
from .relclf import LinearModel, PMention, family, mention_pairs, pair_features, parse, sentences_of

Log = Callable[[str], None]


CURATION_WEIGHT = 20.0   # one curated fact counts as this many annotated pairs


@dataclass
class PairRow:
    doc: int                    # index of the passage
    s: int                      # gold entity indexes
    o: int
    s_type: str
    o_type: str
    feats: dict[str, float]
    labels: set[str]
    ignore: set[str]
    weight: float = 1.0


def _rule_pairs(ex, d: AnnotatedDoc, spans_by_entity: dict[int, list[tuple[int, int]]]) -> dict[tuple[int, int], set[str]]:
    """What the hand-written rules assert, moved onto gold entities by span overlap."""
    extraction = ex.extract(d.clipping)
    to_gold: dict[str, int] = {}
    for e in extraction.entities:
        best, best_n = None, 0
        for gi, spans in spans_by_entity.items():
            n = sum(1 for m in e.mentions for a, b in spans if m.start < b and a < m.end)
            if n > best_n:
                best, best_n = gi, n
        if best is not None:
            to_gold[e.id] = best
    out: dict[tuple[int, int], set[str]] = {}
    for r in extraction.relations:
        if r.candidate or r.subject not in to_gold or r.object not in to_gold:
            continue
        out.setdefault((to_gold[r.subject], to_gold[r.object]), set()).add(r.predicate)
    return out


def relation_rows(docs: Sequence[AnnotatedDoc], rules_extractor, log: Log | None = None) -> list[PairRow]:
    """Feature rows for every ordered pair of gold entities mentioned in one sentence."""
    nlp = rules_extractor.nlp
    rows: list[PairRow] = []
    for di, d in enumerate(docs):
        norm = T.normalise(d.clipping.text)
        parsed = parse(nlp, norm)
        names = {e["name"]: i for i, e in enumerate(d.entities)}
        gspans = entity_spans(d, names_only=False, nested=True)
        mentions = [PMention(g.start, g.end, g.type, names[g.name]) for g in gspans]
        by_entity: dict[int, list[tuple[int, int]]] = {}
        for m in mentions:
            by_entity.setdefault(m.entity, []).append((m.start, m.end))
        rules = _rule_pairs(rules_extractor, d, by_entity)
        gold: dict[tuple[int, str, int], list[tuple[int, int]]] = {}
        for r in d.relations:
            ev = r.get("evidence") or ""
            pos = d.clipping.text.find(ev) if ev else -1
            span = (pos, pos + len(ev)) if pos >= 0 else (0, len(norm))
            gold.setdefault((names[r["subject"]], r["predicate"], names[r["object"]]), []).append(span)
        refused = {(names.get(r["subject"]), r["predicate"], names.get(r["object"])) for r in d.rejected}
        touched = {(k[0], k[2]) for k in gold} | {(k[0], k[2]) for k in refused}
        sents = sentences_of(norm)
        for sent, x, y, between in mention_pairs(sents, mentions):
            for s, o in ((x, y), (y, x)):
                if d.partial and (s.entity, o.entity) not in touched:
                    continue      # a curated clipping says nothing of the pairs it did not touch
                labels, ignore = set(), set()
                for p in PREDICATES:
                    if d.partial and p not in {k[1] for k in gold if (k[0], k[2]) == (s.entity, o.entity)} \
                            and (s.entity, p, o.entity) not in refused:
                        ignore.add(p)
                        continue
                    evs = gold.get((s.entity, p, o.entity))
                    if not evs:
                        continue
                    if any(a < sent.end and sent.start < b for a, b in evs):
                        labels.add(p)
                    else:
                        ignore.add(p)
                feats = pair_features(norm, parsed, sent, s, o, between,
                                      rules.get((s.entity, o.entity), ()), rules.get((o.entity, s.entity), ()))
                rows.append(PairRow(di, s.entity, o.entity, s.type, o.type, feats, labels, ignore,
                                    CURATION_WEIGHT if d.partial else 1.0))
        if log and (di + 1) % 25 == 0:
            log(f"relation features: {di + 1}/{len(docs)} passages")
    return rows


def _signatures(docs: Sequence[AnnotatedDoc]) -> dict[str, set[tuple[str, str]]]:
    sig: dict[str, set[tuple[str, str]]] = {p: set() for p in PREDICATES}
    for d in docs:
        types = {e["name"]: e["type"] for e in d.entities}
        for r in d.relations:
            sig[r["predicate"]].add((family(types[r["subject"]]), family(types[r["object"]])))
    return sig


def _fit_one(rows: Sequence[PairRow], p: str, sig: set[tuple[str, str]], seed: int, c: float,
             min_count: int) -> tuple[dict[str, float], float]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    use = [r for r in rows if p not in r.ignore and (family(r.s_type), family(r.o_type)) in sig]
    y = [1 if p in r.labels else 0 for r in use]
    if sum(y) == 0 or sum(y) == len(y):
        return {}, -10.0
    counts: dict[str, int] = {}
    for r in use:
        for k in r.feats:
            counts[k] = counts.get(k, 0) + 1
    keep = {k for k, n in counts.items() if n >= min_count}
    vec = DictVectorizer(sort=True)
    X = vec.fit_transform([{k: v for k, v in r.feats.items() if k in keep} for r in use]).tocsr()
    X.indices = X.indices.astype("int32")
    X.indptr = X.indptr.astype("int32")
    clf = LogisticRegression(C=c, solver="liblinear", random_state=seed, max_iter=2000)
    clf.fit(X, y, sample_weight=[r.weight for r in use])
    w = {name: round(float(v), 5) for name, v in zip(vec.get_feature_names_out(), clf.coef_[0]) if abs(v) >= 1e-4}
    return w, round(float(clf.intercept_[0]), 5)


def fit_relations(rows: Sequence[PairRow], sig: dict[str, set[tuple[str, str]]], *, seed: int = 0,
                  c: float = 0.3, min_count: int = 2, thresholds: dict[str, float] | None = None,
                  meta: dict | None = None) -> LinearModel:
    weights, bias = {}, {}
    for p in PREDICATES:
        if not sig.get(p):
            continue
        weights[p], bias[p] = _fit_one(rows, p, sig[p], seed, c, min_count)
    thr = {p: (thresholds or {}).get(p, 0.5) for p in weights}
    return LinearModel(weights, bias, thr, {p: sorted(list(x) for x in sig[p]) for p in weights}, meta)


def _entity_pair_scores(model: LinearModel, rows: Sequence[PairRow]) -> dict[tuple[int, int, str, int], float]:
    best: dict[tuple[int, int, str, int], float] = {}
    for r in rows:
        for p in model.predicates:
            if not model.allowed(p, r.s_type, r.o_type):
                continue
            k = (r.doc, r.s, p, r.o)
            sc = model.score(p, r.feats)
            if sc > best.get(k, -1.0):
                best[k] = sc
    return best


def cross_validate(rows: Sequence[PairRow], docs: Sequence[AnnotatedDoc], sig, *, folds: int = 5, seed: int = 0,
                   c: float = 0.3) -> tuple[dict[str, float], dict]:
    """Out-of-fold entity-pair scores → a threshold per predicate and the relation P/R/F1 it gives
    (on gold entities: an upper bound of the end-to-end figure)."""
    oof: dict[tuple[int, int, str, int], float] = {}
    for k in range(folds):
        train = [r for r in rows if r.doc % folds != k]
        test = [r for r in rows if r.doc % folds == k]
        model = fit_relations(train, sig, seed=seed, c=c)
        oof.update(_entity_pair_scores(model, test))
    gold = set()
    for di, d in enumerate(docs):
        names = {e["name"]: i for i, e in enumerate(d.entities)}
        for r in d.relations:
            gold.add((di, names[r["subject"]], r["predicate"], names[r["object"]]))
    thresholds = {}
    for p in PREDICATES:
        cand = sorted((v, k) for k, v in oof.items() if k[2] == p)
        gp = {g for g in gold if g[2] == p}
        best_t, best_f = 0.5, -1.0
        for t in [x / 20 for x in range(3, 18)]:
            pred = {k for v, k in cand if v >= t}
            tp = len(pred & gp)
            f = 2 * tp / (len(pred) + len(gp)) if pred or gp else 0.0
            if f > best_f + 1e-9:
                best_t, best_f = t, f
        thresholds[p] = best_t
    pred = {k for k, v in oof.items() if v >= thresholds[k[2]]}
    tp = len(pred & gold)
    prec = tp / len(pred) if pred else 0.0
    rec = tp / len(gold) if gold else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    per = {}
    for p in PREDICATES:
        pp = {k for k in pred if k[2] == p}
        gp = {g for g in gold if g[2] == p}
        t = len(pp & gp)
        per[p] = {"tp": t, "predicted": len(pp), "gold": len(gp), "threshold": thresholds[p]}
    return thresholds, {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4),
                        "per_predicate": per}


def default_training_sets() -> list[Path]:
    """The bundled annotated sets, blind parts excluded (``data/annotations/**/`` not under ``blind``)."""
    from ..resources import bundled
    from .annotations import find_sets
    root = bundled("data", "annotations")
    return [p for p in find_sets([root]) if "blind" not in p.relative_to(root).parts]


def curation_docs(paths: Sequence[Path | str], extractor=None) -> list[AnnotatedDoc]:
    """What the researcher's curation files under ``paths`` say, as partial training examples: for
    each curated clipping, the facts added or confirmed (positive) and those rejected (negative).
    Facts the researcher did not touch are not taken as truth (the extraction's own errors would be
    learned back)."""
    from ..curation import apply_curation, load_curation
    from ..importers import read_clippings
    from ..pipeline import split_inputs
    from .annotations import from_curation
    from .pipeline import Extractor
    inputs, curation_files = split_inputs(list(paths))
    clippings = read_clippings(inputs) if inputs else []
    ex = extractor or Extractor.default()
    before = ex.extract_many(clippings)
    after = before                # apply_curation returns new extractions; ``before`` stays as extracted
    for f in curation_files:
        after = apply_curation(after, load_curation(f))
    docs = [from_curation(b, a) for b, a in zip(before, after)]
    return [d for d in docs if d is not None]


def _digest(docs: Iterable[AnnotatedDoc]) -> str:
    h = hashlib.sha256()
    for d in docs:
        h.update(d.clipping.text.encode("utf-8"))
        h.update(json.dumps([d.entities, d.relations], sort_keys=True, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()[:16]


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _matched_scores(extraction, doc: AnnotatedDoc) -> tuple[list[tuple[str, float, bool]], list[str]]:
    """(predicate, confidence, correct) of the classifier's relations on one held-out passage, and the
    predicates of its gold relations (the scorer's entity matching)."""
    from .evaluate import match_entities
    rec = extraction.to_jsonl_record()
    m = match_entities(doc.entities, rec["entities"], typed=False)
    p2g = {rec["entities"][pi]["id"]: doc.entities[gi]["name"] for pi, gi in m.items()}
    gold = {(r["subject"], r["predicate"], r["object"]) for r in doc.relations}
    out = []
    for r in extraction.relations:
        if r.confidence is None:
            continue
        key = (p2g.get(r.subject), r.predicate, p2g.get(r.object))
        out.append((r.predicate, r.confidence, key in gold))
    return out, [r["predicate"] for r in doc.relations]


BETA = 0.5   # thresholds maximise F0.5: a wrong fact in the graph costs more than a missed one
MIN_PRECISION = 0.4   # below this held-out precision at every threshold, the model does not assert


def choose_thresholds(scored: Sequence[tuple[str, float, bool]], gold_count: dict[str, int],
                      beta: float = BETA) -> dict[str, float]:
    """Per predicate, the confidence above which held-out relations give the best F-beta
    (``scored``: predicate, confidence, correct; ``gold_count``: annotated relations per predicate).
    A predicate whose held-out precision never reaches ``MIN_PRECISION`` gets ``UNLEARNED``: the
    classifier does not assert it, and the rule layer's readings of it stand."""
    b2 = beta * beta
    thresholds: dict[str, float] = {}
    for p in PREDICATES:
        items = sorted(((c, ok) for q, c, ok in scored if q == p), reverse=True)
        g = gold_count.get(p, 0)
        best_t, best_f, tp = UNLEARNED, 0.0, 0
        for n, (c, ok) in enumerate(items, 1):
            tp += ok
            prec, rec = tp / n, (tp / g if g else 0.0)
            f = (1 + b2) * prec * rec / (b2 * prec + rec) if prec + rec else 0.0
            if prec >= MIN_PRECISION and f > best_f + 1e-9 and (n == len(items) or items[n][0] < c):
                best_t, best_f = c, f
        thresholds[p] = round(max(0.05, best_t), 4)
    return thresholds


def calibrate(docs: Sequence[AnnotatedDoc], work: Path, *, folds: int = 5, seed: int = 0, epochs: int = 20,
              log: Log | None = None) -> tuple[dict[str, float], dict]:
    """Thresholds chosen on end-to-end held-out extractions (predicted entities, as in use): for each
    fold, models trained on the other folds extract it, and each predicate's threshold maximises F1
    over all folds' relations. Also returns the cross-validated end-to-end scores."""
    from .evaluate import score
    from .pipeline import Extractor
    scored: list[tuple[str, float, bool]] = []
    gold_count: dict[str, int] = {}
    splits = []
    for k in range(folds):
        tr = [d for i, d in enumerate(docs) if i % folds != k]
        te = [d for i, d in enumerate(docs) if i % folds == k]
        mdir = work / f"fold{k}"
        train([], mdir, seed=seed, epochs=epochs, extra_docs=tr, calibrate_folds=0,
              log=(lambda m, k=k: log(f"[fold {k + 1}/{folds}] {m}")) if log else None)
        ex = Extractor(model_dir=mdir)
        ex.candidate_ratio = 0.05
        for x, d in zip(ex.extract_many([d.clipping for d in te]), te):
            got, gold = _matched_scores(x, d)
            scored.extend(got)
            for p in gold:
                gold_count[p] = gold_count.get(p, 0) + 1
        splits.append((ex, te))
    thresholds = choose_thresholds(scored, gold_count)
    # the end-to-end cross-validated figures: each fold's models with these thresholds, as in use
    # (the rules' readings of the predicates the classifier does not assert come back)
    gold_all, pred_all = {}, {}
    for ex, te in splits:
        ex.relation_model.thresholds = {p: thresholds.get(p, t) for p, t in ex.relation_model.thresholds.items()}
        ex.candidate_ratio = CANDIDATE_RATIO
        for x, d in zip(ex.extract_many([d.clipping for d in te]), te):
            gold_all[d.id] = {"id": d.id, "entities": d.entities, "relations": d.relations}
            pred_all[d.id] = x.to_jsonl_record()
    res = score(gold_all, pred_all)
    cv = {k: {m: res[k][m] for m in ("precision", "recall", "f1")}
          for k in ("entities_family", "entities_typed", "relations")}
    cv["territory_code_accuracy"] = res["territory_code_accuracy"]
    cv["folds"] = folds
    cv["beta"] = BETA
    cv["scored"] = [[p, round(c, 4), ok] for p, c, ok in scored]
    cv["gold_count"] = gold_count
    return thresholds, cv


def train(paths: Sequence[Path | str], out_dir: Path | str, *, seed: int = 0, epochs: int = 20,
          extra_docs: Sequence[AnnotatedDoc] = (), log: Log | None = None, ner: bool = True,
          calibrate_folds: int = 0) -> dict:
    """Build the models from the annotated sets under ``paths`` (plus ``extra_docs``, e.g. curation).

    ``calibrate_folds`` > 1 chooses the relation thresholds on end-to-end cross-validated extractions
    (:func:`calibrate`; slower: one training per fold) instead of on gold entities."""
    from .pipeline import Extractor
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    docs = (read_sets(paths) if paths else []) + list(extra_docs)
    if not docs:
        from ..errors import InputError
        raise InputError("no annotated passages found (want clippings.jsonl + gold.jsonl)",
                         source=", ".join(str(p) for p in paths))
    t0 = time.time()
    rules = Extractor(learned=False)
    metrics: dict = {"seed": seed, "passages": len(docs),
                     "entities": sum(len(d.entities) for d in docs),
                     "relations": sum(len(d.relations) for d in docs),
                     "data_digest": _digest(docs), "sources": [str(p) for p in paths]}
    if ner:
        from . import learned_ner
        import spacy
        nlp = spacy.load("fr_core_news_md")
        learned_ner.train_ner(nlp, [d for d in docs if not d.partial], seed=seed, epochs=epochs, log=log)
        learned_ner.save(nlp, out)
        metrics["ner_epochs"] = epochs
        if log:
            log(f"entity model trained in {time.time() - t0:.0f} s")
    rows = relation_rows(docs, rules, log=log)
    sig = _signatures(docs)
    thresholds, cv = cross_validate(rows, docs, sig, seed=seed)
    metrics["relations_cv_on_gold_entities"] = cv
    model = fit_relations(rows, sig, seed=seed, thresholds=thresholds,
                          meta={"seed": seed, "passages": len(docs), "data_digest": metrics["data_digest"]})
    if calibrate_folds > 1 and ner:
        import tempfile
        with tempfile.TemporaryDirectory(prefix="essgraph-calibrate-") as tmp:
            e2e_thr, e2e = calibrate([d for d in docs if not d.partial], Path(tmp), folds=calibrate_folds,
                                     seed=seed, epochs=epochs, log=log)
        model.thresholds = {p: e2e_thr.get(p, t) for p, t in model.thresholds.items()}
        calib = {"scored": e2e.pop("scored"), "gold_count": e2e.pop("gold_count")}
        (out / "calibration.json").write_text(json.dumps(calib, ensure_ascii=False, separators=(",", ":")),
                                              encoding="utf-8")
        metrics["cv_end_to_end"] = e2e
        metrics["thresholds"] = model.thresholds
    model.save(out / "relations.json")
    metrics["sizes_bytes"] = {p.name: _size(p) for p in sorted(out.iterdir())
                              if p.name not in ("metrics.json", "calibration.json")}
    metrics["seconds"] = round(time.time() - t0, 1)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if log:
        log(f"relations (out-of-fold, gold entities): P={cv['precision']} R={cv['recall']} F1={cv['f1']}")
    return metrics
