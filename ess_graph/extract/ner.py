"""spaCy ``fr_core_news_md`` (tok2vec + ner only) as a mention proposer.

The model is loaded once per process and shared by every :class:`Extractor`.
Texts are fed in chunks of bounded size (blocks, then sentences, then hard
cuts), so a megabyte without punctuation cannot exhaust memory or stall.
"""
from __future__ import annotations

import threading
from typing import Iterable

from ..errors import EssGraphError

MODEL = "fr_core_news_md"
_EXCLUDE = ["morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter"]
_lock = threading.Lock()
_cache: dict[str, object] = {}


def load_model(name: str = MODEL):
    with _lock:
        nlp = _cache.get(name)
        if nlp is None:
            try:
                import spacy
                nlp = spacy.load(name, exclude=_EXCLUDE)
            except OSError as e:  # model package missing
                raise EssGraphError(
                    f"spaCy model {name!r} is not installed (pip install {name.replace('_', '-')}): {e}") from None
            nlp.max_length = 2_000_000
            _cache[name] = nlp
        return nlp


def ner_spans(nlp, texts: Iterable[str], batch_size: int = 64) -> list[list[tuple[int, int, str]]]:
    """(start, end, label) per text."""
    out = []
    for doc in nlp.pipe(texts, batch_size=batch_size):
        out.append([(e.start_char, e.end_char, e.label_) for e in doc.ents])
    return out
