"""The learned entity recogniser: spaCy's NER fine-tuned on annotated real passages.

The component ``ess_ner`` starts from the weights of ``fr_core_news_md``'s own NER (its tok2vec
was trained on WikiNER with the model's static vectors) and learns the project's sixteen entity
types. It runs after the stock NER, whose PER/ORG/LOC/MISC spans are kept aside in
``doc.spans["base_ner"]`` for the rule proposers (``ess_stash_ents``), so both readings are
available. The shipped weights live in ``data/models/ess_ner/`` (see :mod:`ess_graph.extract.train`).
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Sequence

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from ..model import ENTITY_TYPES
from . import text as T
from .annotations import AnnotatedDoc, entity_spans

COMPONENT = "ess_ner"
STASH = "ess_stash_ents"
BASE_KEY = "base_ner"


@Language.component(STASH)
def stash_ents(doc: Doc) -> Doc:
    """Move the stock NER's entities to ``doc.spans["base_ner"]`` so ``ess_ner`` starts clean."""
    doc.spans[BASE_KEY] = list(doc.ents)
    doc.ents = []
    return doc


def _ner_config(nlp: Language) -> dict:
    cfg = dict(nlp.config["components"]["ner"])
    cfg.pop("factory", None)
    return cfg


def attach(nlp: Language, model_dir: Path) -> Language:
    """Add the stash and the trained ``ess_ner`` (from ``model_dir/ess_ner``) to a loaded pipeline."""
    if STASH not in nlp.pipe_names:
        nlp.add_pipe(STASH, after="ner" if "ner" in nlp.pipe_names else None)
    if COMPONENT not in nlp.pipe_names:
        ner = nlp.add_pipe("ner", name=COMPONENT, config=_ner_config(nlp), last=True)
        ner.from_disk(Path(model_dir) / COMPONENT, exclude=["vocab"])
        _cast(ner.model, "float32")
    return nlp


def _cast(model, dtype: str) -> None:
    """Every weight of ``model`` as ``dtype`` (the shipped file stores float16: half the size)."""
    for node in model.walk():
        for name in node.param_names:
            if node.has_param(name):
                node.set_param(name, node.get_param(name).astype(dtype))


def training_examples(nlp: Language, docs: Sequence[AnnotatedDoc]) -> list[Example]:
    """One example per sentence of each passage (normalised as the extractor reads it), with the
    gold spans aligned to tokens (a span that cuts a token is left out)."""
    out = []
    for d in docs:
        norm = T.normalise(d.clipping.text)
        spans = entity_spans(d)
        for b in T.blocks(norm):
            for sent in T.sentences(norm, b):
                pred = nlp.make_doc(norm[sent.start:sent.end])
                ents = []
                for g in spans:
                    if g.start < sent.start or g.end > sent.end:
                        continue
                    span = pred.char_span(g.start - sent.start, g.end - sent.start, label=g.type,
                                          alignment_mode="strict")
                    if span is not None:
                        ents.append((span.start_char, span.end_char, g.type))
                out.append(Example.from_dict(pred, {"entities": ents}))
    return out


def train_ner(nlp: Language, docs: Sequence[AnnotatedDoc], *, seed: int = 0, epochs: int = 20,
              dropout: float = 0.3, batch_size: int = 16, log=None) -> Language:
    """Fine-tune a copy of the stock NER as ``ess_ner`` on ``docs`` (in place on ``nlp``)."""
    fix_random_seed(seed)
    if COMPONENT in nlp.pipe_names:
        nlp.remove_pipe(COMPONENT)
    source = spacy.load(nlp.meta["lang"] + "_" + nlp.meta["name"],
                        exclude=[p for p in nlp.pipe_names if p not in ("ner",)])
    ner = nlp.add_pipe("ner", name=COMPONENT, source=source, last=True)
    for label in ENTITY_TYPES:
        ner.add_label(label)
    examples = training_examples(nlp, docs)
    rng = random.Random(seed)
    with nlp.select_pipes(enable=[COMPONENT]):
        optimizer = nlp.resume_training()
        for epoch in range(epochs):
            order = list(examples)
            rng.shuffle(order)
            losses: dict[str, float] = {}
            for batch in minibatch(order, size=batch_size):
                nlp.update(batch, sgd=optimizer, drop=dropout, losses=losses)
            if log:
                log(f"ess_ner epoch {epoch + 1}/{epochs}: loss {losses.get(COMPONENT, 0.0):.1f}")
    # the stock labels (PER, ORG, LOC, MISC) stay in the move table but are never predicted after
    # training; spans with them are ignored by the extractor.
    return nlp


def save(nlp: Language, model_dir: Path) -> Path:
    """Write ``ess_ner`` without the vocabulary (``fr_core_news_md`` ships it), weights as float16."""
    path = Path(model_dir) / COMPONENT
    path.parent.mkdir(parents=True, exist_ok=True)
    ner = nlp.get_pipe(COMPONENT)
    _cast(ner.model, "float16")
    try:
        ner.to_disk(path, exclude=["vocab"])
    finally:
        _cast(ner.model, "float32")
    return path
