"""A pool of pre-started worker processes with a hard deadline per job.

Each job goes to an idle worker over a Unix socket pair. If the answer has not
arrived when the deadline passes, the worker process is killed (SIGKILL: the
query stops using CPU at once) and a fresh worker is started in the
background; the caller gets :class:`JobTimeout`. Writes go to a single writer
process (the only one opening the store read-write). After writes, the next
read first asks the writer for a checkpoint of the store (a consistent,
immutable snapshot made of hard links) and readers switch to it before their
job: a read never sees a half-applied write and never races a compaction.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..errors import StoreError
from .protocol import encode, read_async

log = logging.getLogger("essgraph.serve")

_PKG_PARENT = str(Path(__file__).resolve().parents[2])


class JobTimeout(Exception):
    pass


class PoolBusy(Exception):
    pass


class WorkerDied(Exception):
    pass


class _Proc:
    def __init__(self, proc: subprocess.Popen, reader, writer):
        self.proc = proc
        self.reader = reader
        self.writer = writer
        self.jobs = 0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        try:
            self.proc.kill()
        except ProcessLookupError:
            pass
        try:
            self.writer.close()
        except Exception:
            pass


async def _spawn(cfg: dict, startup_timeout: float = 60.0) -> _Proc:
    w, _ = await _spawn_with_header(cfg, startup_timeout)
    return w


async def _spawn_with_header(cfg: dict, startup_timeout: float = 60.0) -> tuple[_Proc, dict]:
    parent, child = socket.socketpair()
    env = dict(os.environ)
    env["PYTHONPATH"] = _PKG_PARENT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    conf = dict(cfg, fd=child.fileno())
    try:
        proc = subprocess.Popen([sys.executable, "-m", "ess_graph.serve.worker", json.dumps(conf)],
                                pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, env=env,
                                close_fds=True)
    finally:
        child.close()
    reader, writer = await asyncio.open_unix_connection(sock=parent, limit=2 ** 20)
    w = _Proc(proc, reader, writer)
    try:
        header, _ = await asyncio.wait_for(read_async(reader), startup_timeout)
    except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
        w.kill()
        await asyncio.to_thread(proc.wait)
        raise StoreError("a query worker did not start", source=cfg.get("store")) from None
    if not header.get("ready"):
        await asyncio.to_thread(proc.wait)
        raise StoreError(header.get("error") or "a query worker could not open the store",
                         source=cfg.get("store"))
    return w, header


class WorkerPool:
    def __init__(self, cfg: dict, *, size: int = 2, writer: bool = False,
                 max_jobs_per_worker: int = 5000):
        self.cfg = cfg
        self.size = max(1, size)
        self.with_writer = writer
        self.max_jobs = max_jobs_per_worker
        self.gen = 0
        self.snapshot: str | None = None
        self._dirty = False
        self._idle: asyncio.Queue[_Proc] | None = None
        self._all: set[_Proc] = set()
        self._writer: _Proc | None = None
        self._write_lock: asyncio.Lock | None = None
        self._spawning = 0
        self._closed = False
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        self._write_lock = asyncio.Lock()
        if self.with_writer:
            await self._start_writer()
        procs = await asyncio.gather(*(_spawn(self._reader_cfg()) for _ in range(self.size)),
                                     return_exceptions=True)
        errors = [p for p in procs if isinstance(p, BaseException)]
        for p in procs:
            if not isinstance(p, BaseException):
                self._all.add(p)
                self._idle.put_nowait(p)
        if errors:
            await self.close()
            raise errors[0]

    def _reader_cfg(self) -> dict:
        cfg = dict(self.cfg, mode="read")
        if self.snapshot:
            cfg["store"] = self.snapshot
        return cfg

    async def _start_writer(self) -> None:
        self._writer, header = await _spawn_with_header(dict(self.cfg, mode="write"))
        if header.get("snapshot"):
            self.snapshot = header["snapshot"]
        self._dirty = False
        self.gen += 1

    async def _refresh_snapshot(self, deadline: float) -> None:
        """After writes, ask the writer for a new snapshot for the readers."""
        try:
            await asyncio.wait_for(self._write_lock.acquire(), max(0.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            raise PoolBusy("a write is still running") from None
        try:
            if not self._dirty:
                return
            try:
                header, _ = await self._exchange(self._writer, {"op": "snapshot"}, b"", deadline)
            except BaseException:
                await self._restart_writer()
                raise
            if header.get("snapshot"):
                self.snapshot = header["snapshot"]
                self._dirty = False
        finally:
            self._write_lock.release()

    async def _restart_writer(self) -> None:
        self._writer.kill()
        await asyncio.to_thread(self._writer.proc.wait)
        await self._start_writer()

    async def close(self) -> None:
        self._closed = True
        for t in list(self._tasks):
            t.cancel()
        procs = list(self._all) + ([self._writer] if self._writer else [])
        for p in procs:
            try:
                p.writer.close()  # EOF: the worker exits by itself
            except Exception:
                pass
        for p in procs:
            try:
                await asyncio.wait_for(asyncio.to_thread(p.proc.wait), 5)
            except asyncio.TimeoutError:
                p.kill()
                await asyncio.to_thread(p.proc.wait)
        self._all.clear()
        self._writer = None
        if self.cfg.get("snapshot_dir"):
            import shutil
            await asyncio.to_thread(shutil.rmtree, self.cfg["snapshot_dir"], True)

    def pids(self) -> list[int]:
        return [p.pid for p in self._all] + ([self._writer.pid] if self._writer else [])

    # -- replacing workers ----------------------------------------------
    def _replace(self, dead: _Proc) -> None:
        self._all.discard(dead)
        dead.kill()
        if self._closed:
            return
        task = asyncio.create_task(self._respawn(dead))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _respawn(self, dead: _Proc) -> None:
        await asyncio.to_thread(dead.proc.wait)
        self._spawning += 1
        try:
            while not self._closed:
                try:
                    w = await _spawn(self._reader_cfg())
                except Exception as e:  # keep trying: the store may be busy for a moment
                    log.error("cannot start a query worker: %s", e)
                    await asyncio.sleep(1.0)
                    continue
                if self._closed:
                    w.kill()
                    return
                self._all.add(w)
                self._idle.put_nowait(w)
                return
        finally:
            self._spawning -= 1

    # -- running jobs ----------------------------------------------------
    async def _exchange(self, w: _Proc, job: dict, body: bytes, deadline: float):
        w.writer.write(encode(job, body))
        await w.writer.drain()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise asyncio.TimeoutError
        return await asyncio.wait_for(read_async(w.reader), remaining)

    async def run(self, job: dict, body: bytes = b"", *, timeout: float) -> tuple[dict, bytes]:
        """Run a read job on an idle worker; JobTimeout past ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        if self._dirty:
            await self._refresh_snapshot(deadline)
        try:
            w = await asyncio.wait_for(self._idle.get(), max(0.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            raise PoolBusy("all query workers stayed busy") from None
        job = dict(job, snapshot=self.snapshot)
        try:
            result = await self._exchange(w, job, body, deadline)
        except asyncio.TimeoutError:
            self._replace(w)
            raise JobTimeout() from None
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self._replace(w)
            raise WorkerDied("the query worker stopped unexpectedly") from None
        except BaseException:  # cancelled (client gone, shutdown): state unknown
            self._replace(w)
            raise
        w.jobs += 1
        if w.jobs >= self.max_jobs:  # recycle: bounds any slow growth of a worker's memory
            self._replace(w)
        else:
            self._idle.put_nowait(w)
        return result

    async def write(self, job: dict, body: bytes = b"", *, timeout: float) -> tuple[dict, bytes]:
        """Run a write job on the writer process (one at a time)."""
        if self._writer is None:
            raise RuntimeError("writes are not enabled")
        deadline = time.monotonic() + timeout
        try:
            await asyncio.wait_for(self._write_lock.acquire(), timeout)
        except asyncio.TimeoutError:
            raise PoolBusy("another write is still running") from None
        try:
            try:
                result = await self._exchange(self._writer, job, body, deadline)
            except BaseException as e:
                # an interrupted write: kill it (the transaction is not committed)
                # and start a new writer on the same store
                await self._restart_writer()
                if isinstance(e, asyncio.TimeoutError):
                    raise JobTimeout() from None
                if isinstance(e, (asyncio.IncompleteReadError, ConnectionError)):
                    raise WorkerDied("the writer stopped unexpectedly") from None
                raise
            if result[0].get("status", 500) < 300:
                self.gen += 1
                self._dirty = True
            return result
        finally:
            self._write_lock.release()
