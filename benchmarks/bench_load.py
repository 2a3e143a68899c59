"""End-to-end `essgraph load` at scale, against `oxigraph load` of the same quads in the same run.

Corpus: synthetic clippings of about 264 words each (the size of the issue's corpus: 1,000
clippings = 264k words), built from the sentences of the real passages in ``SHARED/dev-real`` and
``SHARED/dev-gold``: sentences are drawn with a fixed seed, and person and place names are rotated,
so that no two clippings are identical. Written as one JSONL file.

For each size the script runs, on a new store each time:

1. ``essgraph load CORPUS --store S --jobs J -q --format json`` (default mode: batched above 500
   clippings) in a subprocess; wall time, peak RSS of the main process and peak RSS of the whole
   process tree (main + extraction workers, sampled every 0.2 s from /proc), store size on disk,
   seconds per phase (from the load report);
2. a dump of the resulting store as N-Quads, then ``oxigraph load --location S2 --file dump.nq``
   of exactly these quads: wall time, quads/s and store size.

    .venv/bin/python benchmarks/bench_load.py --shared ../shared --sizes 1000 10000 --jobs 2

``--shared`` defaults to $ESSGRAPH_SHARED, else ``../shared`` beside the repository. Results are
printed as JSON (and written to ``--out`` when given). Linux only (/proc).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS_PER_CLIPPING = 264
PEOPLE = ["Claire Dufour", "Paul Girard", "Hélène Marchand", "Marc Lefort", "Julie Perrin", "Karim Benali",
          "Sophie Mercier", "Vincent Roux", "Anne Lambert", "Thomas Petit", "Nadia Haddad", "Luc Moreau"]
PLACES = ["Rennes", "Nantes", "Grenoble", "Poitiers", "Brest", "Lille", "Dijon", "Limoges", "Valence",
          "Quimperlé", "Niort", "Caen", "Montpellier", "Bordeaux", "Besançon", "Angers"]
_SENT = re.compile(r"(?<=[.!?»])\s+(?=[A-ZÀ-Ý«])")


def shared_dir(arg: str | None) -> Path:
    p = Path(arg or os.environ.get("ESSGRAPH_SHARED") or ROOT.parent / "shared")
    if not (p / "dev-real" / "clippings.jsonl").is_file():
        sys.exit(f"bench_load: no dev-real/clippings.jsonl under {p} (give --shared DIR)")
    return p


def sentences(shared: Path) -> list[str]:
    out = []
    for name in ("dev-real", "dev-gold"):
        f = shared / name / "clippings.jsonl"
        if not f.is_file():
            continue
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line)["text"]
                for para in re.split(r"\n\s*\n", text):
                    out += [s.strip() for s in _SENT.split(para) if len(s.split()) >= 4]
    return out


def write_corpus(path: Path, n: int, sents: list[str], seed: int = 7) -> int:
    """``n`` clippings of about WORDS_PER_CLIPPING words; returns the number of words."""
    rng = random.Random(seed)
    words = 0
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            paras, count = [], 0
            while count < WORDS_PER_CLIPPING:
                p = " ".join(rng.sample(sents, rng.randint(2, 4)))
                for name in PEOPLE[:3]:
                    p = p.replace(name, rng.choice(PEOPLE))
                paras.append(p)
                count += len(p.split())
            text = "\n\n".join(paras)
            words += len(text.split())
            fh.write(json.dumps({"id": f"bench-{i:06d}", "title": f"Article {i}", "text": text,
                                 "date": "2024-01-01", "collection": "bench"}, ensure_ascii=False) + "\n")
    return words


def _tree_rss(pid: int) -> tuple[int, int]:
    """(RSS of pid, RSS of pid and all its descendants), in bytes, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                parts = fh.read().rsplit(")", 1)[1].split()
            ppid = int(parts[1])
            rss[int(d)] = int(parts[21]) * os.sysconf("SC_PAGE_SIZE")
            children.setdefault(ppid, []).append(int(d))
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack += children.get(p, [])
    return rss.get(pid, 0), total


def run_measured(cmd: list[str], env: dict | None = None) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = {"main": 0, "tree": 0}

    def sample():
        while proc.poll() is None:
            m, t = _tree_rss(proc.pid)
            peak["main"] = max(peak["main"], m)
            peak["tree"] = max(peak["tree"], t)
            time.sleep(0.2)
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    th.join()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return {"wall_s": wall, "peak_rss_main_mb": peak["main"] / 2**20, "peak_rss_tree_mb": peak["tree"] / 2**20,
            "stdout": out.decode()}


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        sys.exit("bench_load: the oxigraph binary is missing (pip install oxigraph)")
    return found


def bench_size(n: int, sents: list[str], jobs: int, work: Path, extra: list[str]) -> dict:
    corpus = work / f"corpus-{n}.jsonl"
    words = write_corpus(corpus, n, sents)
    store = work / f"store-{n}"
    shutil.rmtree(store, ignore_errors=True)
    essgraph = str(Path(sys.executable).parent / "essgraph")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = run_measured([essgraph, "load", str(corpus), "--store", str(store), "--jobs", str(jobs),
                      "-q", "--format", "json", *extra], env=env)
    rep = json.loads(r.pop("stdout"))
    size = du(store)
    dump = work / f"dump-{n}.nq"
    import pyoxigraph as ox
    st = ox.Store.read_only(str(store))
    st.dump(output=str(dump), format=ox.RdfFormat.N_QUADS)
    del st
    quads = sum(1 for _ in dump.open("rb"))
    ref_store = work / f"oxigraph-{n}"
    shutil.rmtree(ref_store, ignore_errors=True)
    t0 = time.perf_counter()
    subprocess.run([oxigraph_binary(), "load", "--location", str(ref_store), "--file", str(dump)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ox_wall = time.perf_counter() - t0
    ox_size = du(ref_store)
    write_s = rep["seconds_by_phase"].get("write", 0) + rep["seconds_by_phase"].get("reference", 0)
    out = {
        "clippings": n, "words": words, "jobs": jobs, "mode": rep["mode"], "batches": rep["batches"],
        "stored": rep["stored"], "violations": rep["violations"], "dropped_facts": rep["dropped_facts"],
        "wall_s": round(r["wall_s"], 1), "words_per_s": round(words / r["wall_s"]),
        "peak_rss_main_mb": round(r["peak_rss_main_mb"]), "peak_rss_tree_mb": round(r["peak_rss_tree_mb"]),
        "store_mb": round(size / 2**20, 1), "quads": quads,
        "quads_per_s_end_to_end": round(quads / r["wall_s"]),
        "quads_per_s_writing": round(quads / write_s) if write_s else None,
        "seconds_by_phase": rep["seconds_by_phase"],
        "oxigraph_load_s": round(ox_wall, 1), "oxigraph_quads_per_s": round(quads / ox_wall),
        "oxigraph_store_mb": round(ox_size / 2**20, 1),
        "store_size_ratio": round(size / ox_size, 2),
        "load_avg_1min": os.getloadavg()[0],
    }
    for p in (dump, corpus):
        p.unlink()
    shutil.rmtree(ref_store, ignore_errors=True)
    shutil.rmtree(store, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", help="the shared folder with dev-real/ and dev-gold/ ($ESSGRAPH_SHARED)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--work", help="scratch folder (default: a temporary one)")
    ap.add_argument("--out", help="also write the results to this JSON file")
    ap.add_argument("load_args", nargs="*", help="extra arguments for essgraph load (after --)")
    a = ap.parse_args()
    sents = sentences(shared_dir(a.shared))
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="essgraph-bench-load-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for n in a.sizes:
        res = bench_size(n, sents, a.jobs, work, a.load_args)
        print(json.dumps(res), flush=True)
        results.append(res)
    if len(results) > 1:
        base = results[0]["words_per_s"]
        for r in results[1:]:
            r["words_per_s_vs_first"] = round(r["words_per_s"] / base, 2)
    if a.out:
        Path(a.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
