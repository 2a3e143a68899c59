"""essgraph serve isolation, against a real ``essgraph serve`` process: a
memory-hungry query is stopped at its memory budget with a clear error,
endless queries move to the slow lane and cheap queries keep being answered."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from demo_server import ServerProcess, write_demo_store

ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?x ?y }"
HUNGRY = "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
CHEAP = "ASK { ?x a ess:Clipping }"


def tree_rss_mib(pid: int) -> float:
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * 4096
            for t in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(x) for x in (t / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            pass
    return total / 2 ** 20


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return write_demo_store(tmp_path_factory.mktemp("isolation") / "store", scale=200)


@pytest.fixture(scope="module")
def server(store):
    proc = ServerProcess(store, "--workers", "3", "--max-heavy", "1", "--timeout", "12",
                         "--max-query-memory", "300", "--max-total-memory", "1200")
    with proc as url, httpx.Client(base_url=url, timeout=60) as client:
        yield client, proc


def _in_background(client, query, out, key):
    def go():
        t = time.monotonic()
        r = client.get("/sparql", params={"query": query})
        out[key] = (r.status_code, r.text, time.monotonic() - t)
    th = threading.Thread(target=go)
    th.start()
    return th


def test_memory_hungry_query_is_stopped_at_its_budget(server):
    client, proc = server
    out: dict = {}
    peak = 0.0
    th = _in_background(client, HUNGRY, out, "hungry")
    cheap = []
    while th.is_alive():
        peak = max(peak, tree_rss_mib(proc.pid))
        t = time.monotonic()
        r = client.get("/sparql", params={"query": CHEAP})
        cheap.append(time.monotonic() - t)
        assert r.status_code == 200 and r.json()["boolean"] is True
        time.sleep(0.05)
    th.join()
    status, text, secs = out["hungry"]
    assert status == 422, text
    assert "memory limit of 300 MiB per query" in text and "--max-query-memory" in text
    assert "Traceback" not in text
    assert secs < 12  # stopped by the memory limit, not the timeout
    assert peak < 300 + 6 * 120, f"server tree RSS peaked at {peak:.0f} MiB"
    assert max(cheap) < 1.0, f"a cheap query took {max(cheap):.2f} s beside the hungry one"
    health = client.get("/health").json()
    assert health["memory_kills"] >= 1


def test_endless_queries_do_not_delay_cheap_ones(server):
    client, proc = server
    out: dict = {}
    threads = [_in_background(client, ENDLESS, out, f"endless{i}") for i in range(4)]
    # all of them past the fast-lane threshold (0.5 s of CPU each: slower on a loaded machine)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        health = client.get("/health").json()
        if health["heavy_waiting"] == 3:
            break
        time.sleep(0.1)
    assert health["heavy_running"] == 1 and health["heavy_waiting"] == 3, health
    lat = []
    for _ in range(40):
        t = time.monotonic()
        r = client.get("/sparql", params={"query": CHEAP})
        lat.append(time.monotonic() - t)
        assert r.status_code == 200
    lat.sort()
    assert lat[len(lat) // 2] < 0.1 and lat[-1] < 0.5, lat
    for th in threads:
        th.join(60)
    for i in range(4):
        status, text, secs = out[f"endless{i}"]
        assert status == 503 and "timed out" in text and "12 s" in text
    # the slow lane is empty again; the fast lane has its workers
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        h = client.get("/health").json()
        if h["heavy_running"] == 0 and h["heavy_waiting"] == 0 and h["workers"] == 3:
            break
        time.sleep(0.2)
    assert (h["heavy_running"], h["heavy_waiting"], h["workers"]) == (0, 0, 3), h
    assert client.get("/sparql", params={"query": CHEAP}).json()["boolean"] is True


def test_a_request_known_to_run_long_goes_straight_to_the_slow_lane(server):
    client, proc = server
    q = ENDLESS.replace("?m ?x ?y", "?m ?x ?z")  # a text of its own
    r = client.get("/sparql", params={"query": q})
    assert r.status_code == 503 and "timed out" in r.text
    before = client.get("/health").json()
    out: dict = {}
    th = _in_background(client, q, out, "again")
    time.sleep(0.3)  # before the 0.5 s threshold: already sent to the slow lane
    h = client.get("/health").json()
    assert h.get("slow_lane_direct", 0) == before.get("slow_lane_direct", 0) + 1, h
    deadline = time.monotonic() + 10  # its own worker starting (slowly on a loaded machine)
    while h["heavy_running"] + h["heavy_waiting"] < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
        h = client.get("/health").json()
    assert h["heavy_running"] + h["heavy_waiting"] >= 1
    # the fast lane kept all its workers for cheap queries
    t = time.monotonic()
    assert client.get("/sparql", params={"query": CHEAP}).json()["boolean"] is True
    assert time.monotonic() - t < 0.5
    th.join(60)
    assert out["again"][0] == 503
