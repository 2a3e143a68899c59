"""spaCy ``fr_core_news_md`` with the project's learned components.

The pipeline is the stock model whole (tok2vec, morphologizer, parser, lemmatizer, NER: the
relation classifier reads the dependency parse and lemmas) plus, when the model directory holds it,
the fine-tuned ``ess_ner`` (:mod:`ess_graph.extract.learned_ner`). The stock NER's spans are kept
in ``doc.spans["base_ner"]`` for the rule proposers; ``doc.ents`` holds ``ess_ner``'s.

The model is loaded once per process and per model directory. Texts are fed in chunks of bounded
size (blocks, then sentences, then hard cuts), so a megabyte without punctuation cannot exhaust
memory or stall.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterable

from ..errors import EssGraphError
from ..resources import bundled

MODEL = "fr_core_news_md"
_lock = threading.Lock()
_cache: dict[tuple[str, str], object] = {}


def default_model_dir() -> Path:
    """The shipped models: ``data/models`` (rebuilt by ``essgraph train``)."""
    return bundled("data", "models")


def load_model(name: str = MODEL, model_dir: Path | str | None = None, *, learned: bool = True):
    """The spaCy pipeline, with ``ess_ner`` from ``model_dir`` (default: the shipped models)."""
    mdir = Path(model_dir) if model_dir is not None else default_model_dir()
    key = (name, str(mdir) if learned else "")
    with _lock:
        nlp = _cache.get(key)
        if nlp is None:
            try:
                import spacy
                nlp = spacy.load(name)
            except OSError as e:  # model package missing
                raise EssGraphError(
                    f"spaCy model {name!r} is not installed (pip install {name.replace('_', '-')}): {e}") from None
            from .learned_ner import COMPONENT, attach, STASH
            if learned and (mdir / COMPONENT).is_dir():
                try:
                    attach(nlp, mdir)
                except (OSError, ValueError, KeyError) as e:
                    raise EssGraphError(f"cannot load the entity model: {e}", source=str(mdir / COMPONENT)) from None
            else:
                nlp.add_pipe(STASH, after="ner")
            nlp.max_length = 2_000_000
            fast_lemma_index(nlp)
            _cache[key] = nlp
        return nlp


def fast_lemma_index(nlp) -> None:
    """Make the French lemmatizer's word index sets instead of lists.

    ``spacy.lang.fr.lemmatizer`` tests ``word in index[pos]`` for every token, and the tables of
    ``fr_core_news_md`` hold those indexes as lists of thousands of words: a linear scan per token,
    the lemmatizer's whole cost. Membership, hence every lemma, is unchanged.
    """
    if "lemmatizer" not in nlp.pipe_names:
        return
    lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return
    table = lookups.get_table("lemma_index")
    for k in list(table.keys()):
        v = table[k]
        if isinstance(v, list):
            table[k] = frozenset(v)


def parse(nlp, texts: Iterable[str], batch_size: int = 64) -> list:
    """The parsed docs of ``texts`` (one per text, in order)."""
    return list(nlp.pipe(texts, batch_size=batch_size))


def base_spans(doc) -> list[tuple[int, int, str]]:
    """The stock NER's (start, end, label), without one-word spans that are no names (see
    :func:`learned_spans`)."""
    return [(e.start_char, e.end_char, e.label_) for e in doc.spans.get("base_ner", []) if _name_like(e)]


def _name_like(e) -> bool:
    first = e[0]
    if len(e) == 1 and first.pos_ != "PROPN" and not first.is_upper and not any(c.isdigit() for c in first.text):
        return False
    return True


_INDEFINITE = {"un", "une", "cette", "ce", "cet", "ces", "des", "leur", "leurs", "son", "sa", "ses", "notre"}


def learned_spans(doc) -> list[tuple[int, int, str]]:
    """``ess_ner``'s (start, end, type) with the project's types (stock labels ignored).

    Two readings the parse shows to be no names are left out: a span opening on an indefinite,
    demonstrative or possessive determiner ("Une loi", "Cette dernière…"), and a one-word span
    that the tagger does not read as a proper noun, an acronym or a code ("Lancé", "Association").
    """
    from ..model import ENTITY_TYPES
    out = []
    for e in doc.ents:
        if e.label_ not in ENTITY_TYPES:
            continue
        if e[0].lower_ in _INDEFINITE or not _name_like(e):
            continue
        out.append((e.start_char, e.end_char, e.label_))
    return out
