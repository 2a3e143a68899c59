"""Where extraction runs: in this process, in local worker processes, or on a Dask cluster.

:meth:`ess_graph.extract.Extractor.extract_many` cuts the clippings into batches and hands them to
one of three engines, chosen by :func:`engine_for`:

* :class:`SerialEngine` — this process (``--jobs 1``, the default);
* :class:`ProcessPoolEngine` — ``--jobs N`` worker processes on this machine
  (:class:`concurrent.futures.ProcessPoolExecutor`). On Linux the workers are forked from a process
  that has already loaded the models, so they start at once and share the model pages; elsewhere
  they are spawned and each loads the models once;
* :class:`DaskEngine` — a Dask distributed cluster (``--scheduler tcp://host:8786``). Each Dask
  worker process builds its extractor on its first batch and keeps it for the next ones
  (:func:`worker_extractor`), so the models are loaded once per worker process.

Every engine returns the batches' extractions in input order, and an extraction depends only on its
clipping, so the result is the same whichever engine ran it. Cross-clipping entity resolution
(:mod:`ess_graph.extract.resolve`) then runs in the calling process, and the store is written by
that one process.
"""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from .errors import EssGraphError

if TYPE_CHECKING:  # pragma: no cover
    from .extract.pipeline import Extractor
    from .model import Clipping, Extraction

BATCH = 64               # clippings per batch in this process: repeated paragraphs are parsed once per batch
REMOTE_BATCH = 16        # clippings per task sent to a worker: small enough to keep every worker busy
CONNECT_TIMEOUT = 10.0   # seconds to reach a Dask scheduler


@dataclass(frozen=True)
class ExtractorSpec:
    """What a worker needs to build the same extractor as the caller's.

    ``model_dir`` is None for the shipped models (each worker then uses its own installed copy);
    another model directory must be readable at the same path on every worker.
    """

    model_dir: str | None
    learned: bool = True
    use_ner: bool = True

    @classmethod
    def of(cls, extractor: "Extractor") -> "ExtractorSpec":
        from .extract.ner import default_model_dir
        mdir = Path(extractor.model_dir)
        shipped = mdir.resolve() == default_model_dir().resolve()
        return cls(None if shipped else str(mdir), extractor.learned, extractor.use_ner)

    def build(self) -> "Extractor":
        from .extract.pipeline import Extractor
        return Extractor(model_dir=self.model_dir, learned=self.learned, use_ner=self.use_ner)


_WORKERS: dict[ExtractorSpec, "Extractor"] = {}
_WORKERS_LOCK = threading.Lock()


def worker_extractor(spec: ExtractorSpec) -> "Extractor":
    """This process's extractor for ``spec``, built (models loaded) on first use."""
    with _WORKERS_LOCK:
        ex = _WORKERS.get(spec)
        if ex is None:
            ex = spec.build()
            ex.nlp
            ex.linker
            _WORKERS[spec] = ex
        return ex


def extract_batch(spec: ExtractorSpec, clippings: list["Clipping"]) -> list["Extraction"]:
    """The task a worker runs: extract one batch (no cross-clipping resolution)."""
    return worker_extractor(spec)._extract_batch(clippings)


def batches_of(items: Sequence, size: int) -> list[list]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


class SerialEngine:
    """Every batch in this process."""

    name = "serial"

    def run(self, extractor: "Extractor", clippings: Sequence["Clipping"]) -> Iterator[list["Extraction"]]:
        for part in batches_of(clippings, BATCH):
            yield extractor._extract_batch(part)


class ProcessPoolEngine:
    """``jobs`` worker processes on this machine."""

    name = "processes"

    def __init__(self, jobs: int):
        self.jobs = jobs

    def run(self, extractor: "Extractor", clippings: Sequence["Clipping"]) -> Iterator[list["Extraction"]]:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        parts = batches_of(clippings, REMOTE_BATCH)
        if len(parts) < 2:
            yield from SerialEngine().run(extractor, clippings)
            return
        spec = ExtractorSpec.of(extractor)
        if sys.platform == "linux":
            # forked workers inherit this process's loaded extractor (copy-on-write): no model loading
            extractor.nlp
            extractor.linker
            with _WORKERS_LOCK:
                _WORKERS[spec] = extractor
            ctx = multiprocessing.get_context("fork")
        else:
            ctx = multiprocessing.get_context("spawn")
        from concurrent.futures.process import BrokenProcessPool
        with ProcessPoolExecutor(max_workers=min(self.jobs, len(parts)), mp_context=ctx) as pool:
            try:
                yield from pool.map(extract_batch, [spec] * len(parts), parts)
            except BrokenProcessPool as e:
                raise EssGraphError(f"an extraction worker process died: {e}") from None


class DaskEngine:
    """The batches as tasks on a Dask distributed cluster; results gathered in input order."""

    name = "dask"

    def __init__(self, scheduler, timeout: float | None = None):
        """``scheduler`` is an address (``tcp://host:8786``) or a ``distributed.Client``."""
        self.scheduler = scheduler
        self.timeout = CONNECT_TIMEOUT if timeout is None else timeout

    def _client(self):
        try:
            from distributed import Client
        except ImportError:
            raise EssGraphError("--scheduler needs Dask distributed: pip install 'essgraph[distributed]'") from None
        if isinstance(self.scheduler, Client):
            return self.scheduler, False
        try:
            return Client(self.scheduler, timeout=self.timeout, set_as_default=False), True
        except (OSError, TimeoutError, ValueError) as e:
            raise EssGraphError(f"cannot reach the Dask scheduler {self.scheduler}: {e}") from None

    def run(self, extractor: "Extractor", clippings: Sequence["Clipping"]) -> Iterator[list["Extraction"]]:
        parts = batches_of(clippings, REMOTE_BATCH)
        if not parts:
            return
        spec = ExtractorSpec.of(extractor)
        client, own = self._client()
        try:
            from distributed import KilledWorker
            futures = client.map(extract_batch, [spec] * len(parts), parts, pure=False)
            try:
                for fut in futures:
                    try:
                        yield fut.result()
                    except KilledWorker as e:
                        raise EssGraphError(f"Dask workers died while extracting: {e}") from None
            finally:
                client.cancel(futures)
        finally:
            if own:
                client.close()


Engine = SerialEngine | ProcessPoolEngine | DaskEngine


def engine_for(jobs: int = 1, scheduler=None) -> Engine:
    """The engine for ``--jobs`` / ``--scheduler`` (a scheduler wins over jobs)."""
    if scheduler:
        return DaskEngine(scheduler)
    if jobs is not None and jobs > 1:
        return ProcessPoolEngine(jobs)
    return SerialEngine()


def run(extractor: "Extractor", clippings: Sequence["Clipping"], engine: Engine,
        progress: Callable[[int], None] | None = None) -> list["Extraction"]:
    """Every clipping's extraction, in input order."""
    out: list["Extraction"] = []
    for part in engine.run(extractor, clippings):
        out.extend(part)
        if progress:
            progress(len(out))
    return out
