"""A pool of pre-started worker processes with a hard deadline per job.

Each job goes to an idle worker over a Unix socket pair. If the answer has not
arrived when the deadline passes, the worker process is killed (SIGKILL: the
query stops using CPU at once) and a fresh worker is started in the
background; the caller gets :class:`JobTimeout`. Writes go to a single writer
process (the only one opening the store read-write). After writes, the next
read first asks the writer for a checkpoint of the store (a consistent,
immutable snapshot made of hard links) and readers switch to it before their
job: a read never sees a half-applied write and never races a compaction.

Isolation between queries (a watchdog task checks every running job each
``WATCH_INTERVAL`` seconds):

* **fast lane / slow lane.** ``size`` workers serve new jobs. A job still
  running after ``heavy_after`` seconds that has used at least
  ``HEAVY_MIN_CPU`` × ``heavy_after`` seconds of CPU becomes *heavy*. The CPU
  floor keeps ordinary queries that merely wait for a core on a saturated
  machine from being taken for long ones (a job waiting on the disk keeps its
  fast-lane worker until it ends or times out): every thread of its
  worker is reniced (nice 10, so cheap queries on the other workers get the
  CPU first), a fresh worker is started to take its place in the fast lane,
  and the heavy worker is retired when its job ends. At most ``max_heavy``
  heavy jobs run at once; further ones are paused (SIGSTOP: no CPU) and
  resumed in arrival order, their deadline still running. Past
  ``max_paused`` paused jobs, a new heavy job is stopped with
  :class:`PoolBusy`.
* **memory.** A job whose worker's resident memory passes ``memory_limit``
  bytes is killed and its caller gets :class:`MemoryLimit`; when the workers'
  resident memory together passes ``total_memory_limit``, the job using most
  is killed the same way.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
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


class MemoryLimit(Exception):
    """A job was stopped because of a memory limit (the message names it)."""


WATCH_INTERVAL = 0.05
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
HEAVY_NICE = 10
HEAVY_MIN_CPU = 0.2   # share of heavy_after a job must have used in CPU time to count as heavy


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, ValueError, IndexError):
        return 0.0


def _renice(pid: int, nice: int) -> None:
    """Lower the priority of every thread of ``pid`` (Linux nice is per thread)."""
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        tids = [pid]
    for tid in tids:
        try:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        except (OSError, AttributeError):
            pass


class _Proc:
    def __init__(self, proc: subprocess.Popen, reader, writer):
        self.proc = proc
        self.reader = reader
        self.writer = writer
        self.jobs = 0
        self.busy_since: float | None = None
        self.cpu_total = 0.0          # the worker's CPU seconds at the end of its last job
        self.deadline: float | None = None
        self.heavy = False
        self.paused = False
        self.stop_reason: Exception | None = None   # why the watchdog killed it

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        try:
            self.proc.kill()
        except ProcessLookupError:
            pass
        if self.paused:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        try:
            self.writer.close()
        except Exception:
            pass


async def _spawn(cfg: dict, startup_timeout: float = 60.0, nice: int = 0) -> _Proc:
    w, _ = await _spawn_with_header(cfg, startup_timeout, nice)
    return w


async def _spawn_with_header(cfg: dict, startup_timeout: float = 60.0,
                             nice: int = 0) -> tuple[_Proc, dict]:
    parent, child = socket.socketpair()
    env = dict(os.environ)
    env["PYTHONPATH"] = _PKG_PARENT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    conf = dict(cfg, fd=child.fileno())
    try:
        proc = subprocess.Popen([sys.executable, "-m", "ess_graph.serve.worker", json.dumps(conf)],
                                pass_fds=[child.fileno()], stdin=subprocess.DEVNULL, env=env,
                                close_fds=True, preexec_fn=(lambda: os.nice(nice)) if nice else None)
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
    w.cpu_total = float(header.get("cpu_total", 0.0))
    return w, header


class WorkerPool:
    def __init__(self, cfg: dict, *, size: int = 2, writer: bool = False,
                 max_jobs_per_worker: int = 5000, heavy_after: float = 0.5, max_heavy: int = 2,
                 max_paused: int | None = None, memory_limit: int | None = None,
                 total_memory_limit: int | None = None):
        self.cfg = cfg
        self.size = max(1, size)
        self.heavy_after = heavy_after
        self.max_heavy = max(1, max_heavy)
        self.max_paused = max_paused if max_paused is not None else 2 * self.size
        self.memory_limit = memory_limit
        self.total_memory_limit = total_memory_limit
        self._busy: set[_Proc] = set()
        self._heavy: set[_Proc] = set()      # heavy jobs running (not paused)
        self._paused: list[_Proc] = []       # heavy jobs waiting for a slot, oldest first
        self.stats = {"heavy": 0, "paused": 0, "memory_kills": 0, "busy_kills": 0}
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
        self._spawn_task(self._watch())

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
        for w in list(self._paused):
            w.kill()
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

    def rss(self) -> int:
        """Resident memory of all worker processes (and the writer), bytes."""
        return sum(rss_bytes(p) for p in self.pids())

    def _spawn_task(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- the watchdog: heavy jobs, memory ------------------------------------
    async def _watch(self) -> None:
        while not self._closed:
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                self._check()
            except Exception:  # the watchdog must keep running
                log.exception("worker watchdog")

    def _check(self) -> None:
        now = time.monotonic()
        sizes: dict[_Proc, int] = {}
        for w in list(self._busy):
            if w.stop_reason is not None:
                continue
            rss = sizes[w] = rss_bytes(w.pid)
            if self.memory_limit and rss > self.memory_limit:
                self._stop(w, MemoryLimit(
                    f"query stopped: it used more than the memory limit of "
                    f"{self.memory_limit // 2 ** 20} MiB per query (--max-query-memory)"))
                continue
            if w.deadline is not None and now > w.deadline:
                self._stop(w, JobTimeout())
                continue
            if (not w.heavy and w.busy_since is not None and now - w.busy_since > self.heavy_after
                    and cpu_seconds(w.pid) - w.cpu_total > HEAVY_MIN_CPU * self.heavy_after):
                self._make_heavy(w)
        if self.total_memory_limit and sizes:
            total = sum(sizes.values()) + sum(rss_bytes(w.pid) for w in self._all if w not in sizes)
            if self._writer:
                total += rss_bytes(self._writer.pid)
            if total > self.total_memory_limit:
                biggest = max((w for w in sizes if w.stop_reason is None), key=sizes.get, default=None)
                if biggest is not None:
                    self._stop(biggest, MemoryLimit(
                        f"query stopped: the query workers together used more than the server's "
                        f"memory limit of {self.total_memory_limit // 2 ** 20} MiB (--max-total-memory), "
                        f"and this query used the most ({sizes[biggest] // 2 ** 20} MiB)"))

    def _stop(self, w: _Proc, reason: Exception) -> None:
        """Kill a busy worker; its caller gets ``reason``."""
        w.stop_reason = reason
        kind = ("memory_kills" if isinstance(reason, MemoryLimit)
                else "timeouts" if isinstance(reason, JobTimeout) else "busy_kills")
        self.stats[kind] = self.stats.get(kind, 0) + 1
        w.kill()

    def _make_heavy(self, w: _Proc, spare: bool = True) -> None:
        w.heavy = True
        self.stats["heavy"] += 1
        _renice(w.pid, HEAVY_NICE)
        if spare and not self._closed:
            self._spawn_task(self._add_worker())  # keeps the fast lane at `size` workers
        if len(self._heavy) < self.max_heavy:
            self._heavy.add(w)
            return
        if len(self._paused) >= self.max_paused:
            self._stop(w, PoolBusy(f"{len(self._heavy)} long-running queries are running and "
                                   f"{len(self._paused)} are waiting (limits {self.max_heavy} and "
                                   f"{self.max_paused})"))
            return
        try:
            os.kill(w.pid, signal.SIGSTOP)
        except ProcessLookupError:
            return
        w.paused = True
        self.stats["paused"] += 1
        self._paused.append(w)

    def _heavy_done(self, w: _Proc) -> None:
        """A heavy job ended (answer, timeout, death): give its slot to the oldest paused one."""
        self._heavy.discard(w)
        if w in self._paused:
            self._paused.remove(w)
        while self._paused and len(self._heavy) < self.max_heavy:
            nxt = self._paused.pop(0)
            nxt.paused = False
            try:
                os.kill(nxt.pid, signal.SIGCONT)
            except ProcessLookupError:
                continue
            self._heavy.add(nxt)

    # -- replacing workers ----------------------------------------------
    def _replace(self, dead: _Proc) -> None:
        self._all.discard(dead)
        dead.kill()
        if self._closed:
            return
        if dead.heavy:  # a spare already took its place when it turned heavy
            self._spawn_task(asyncio.to_thread(dead.proc.wait))
            return
        self._spawn_task(self._respawn(dead))

    def _retire(self, w: _Proc) -> None:
        """A heavy worker whose job is done: stop it (its spare serves instead)."""
        self._all.discard(w)
        w.kill()
        self._spawn_task(asyncio.to_thread(w.proc.wait))

    async def _add_worker(self) -> None:
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

    async def _respawn(self, dead: _Proc) -> None:
        await asyncio.to_thread(dead.proc.wait)
        await self._add_worker()

    # -- running jobs ----------------------------------------------------
    async def _exchange(self, w: _Proc, job: dict, body: bytes, deadline: float):
        w.writer.write(encode(job, body))
        await w.writer.drain()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise asyncio.TimeoutError
        return await asyncio.wait_for(read_async(w.reader), remaining)

    async def _read_job(self, w: _Proc, job: dict, body: bytes, deadline: float):
        """Send a read job and wait for its answer. No timer per job: the watchdog kills the
        worker at ``deadline`` (within ``WATCH_INTERVAL``), which ends the read here."""
        w.deadline = deadline
        w.writer.write(encode(job, body))
        return await read_async(w.reader)

    async def run(self, job: dict, body: bytes = b"", *, timeout: float,
                  slow: bool = False) -> tuple[dict, bytes]:
        """Run a read job on an idle worker; JobTimeout past ``timeout`` seconds.

        ``slow``: the job is known to be long-running (the same request was
        before): it goes straight to the slow lane on a worker of its own,
        so it never takes a fast-lane worker. The answer's header carries
        ``elapsed`` (seconds the job ran) and ``cpu`` (CPU seconds it used)."""
        deadline = time.monotonic() + timeout
        if self._dirty:
            await self._refresh_snapshot(deadline)
        if slow:
            if len(self._heavy) >= self.max_heavy and len(self._paused) >= self.max_paused:
                raise PoolBusy(f"{len(self._heavy)} long-running queries are running and "
                               f"{len(self._paused)} are waiting (limits {self.max_heavy} and "
                               f"{self.max_paused})")
            self.stats["slow_lane_direct"] = self.stats.get("slow_lane_direct", 0) + 1
            try:
                # started at low priority: its start-up does not compete with cheap queries
                w = await asyncio.wait_for(_spawn(self._reader_cfg(), nice=HEAVY_NICE),
                                           max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                raise PoolBusy("no query worker could be started in time") from None
            except StoreError as e:
                raise WorkerDied(f"a query worker could not start: {e}") from None
            self._all.add(w)
        else:
            try:
                w = self._idle.get_nowait()
            except asyncio.QueueEmpty:
                try:
                    w = await asyncio.wait_for(self._idle.get(), max(0.0, deadline - time.monotonic()))
                except asyncio.TimeoutError:
                    raise PoolBusy("all query workers stayed busy") from None
        job = dict(job, snapshot=self.snapshot)
        started = w.busy_since = time.monotonic()
        self._busy.add(w)
        if slow:
            self._make_heavy(w, spare=False)
        try:
            result = await self._read_job(w, job, body, deadline)
        except asyncio.TimeoutError:
            self._replace(w)
            if w.stop_reason is not None:
                raise w.stop_reason from None
            raise JobTimeout() from None
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            self._replace(w)
            if w.stop_reason is not None:
                raise w.stop_reason from None
            raise WorkerDied("the query worker stopped unexpectedly") from None
        except BaseException:  # cancelled (client gone, shutdown): state unknown
            self._replace(w)
            raise
        finally:
            self._busy.discard(w)
            w.busy_since = w.deadline = None
            if w.heavy:
                self._heavy_done(w)
        w.jobs += 1
        result[0]["elapsed"] = round(time.monotonic() - started, 4)
        cpu_total = float(result[0].pop("cpu_total", w.cpu_total))
        result[0]["cpu"] = round(cpu_total - w.cpu_total, 4)
        w.cpu_total = cpu_total
        if w.heavy:
            self._retire(w)
        elif w.jobs >= self.max_jobs:  # recycle: bounds any slow growth of a worker's memory
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
