"""The installed package carries what the commands need, wherever they are run from."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import ess_graph
from ess_graph import resources

BIN = Path(sys.executable).parent / "essgraph"


def test_bundled_resources_are_present():
    assert sorted(p.name for p in resources.ontology_dir().glob("*.ttl")) == ["concepts.ttl", "essgraph.ttl"]
    assert list(resources.shapes_dir().glob("*.ttl"))
    assert (resources.queries_dir() / "communes-coops.rq").is_file()
    assert sorted(p.name for p in resources.sample_dir().glob("*.txt")) == [
        "000_d7e84c7c69a0cdd7.txt", "002_0c37a30f400a6855.txt"]
    assert (resources.data_dir() / "territories" / "communes.csv.xz").is_file()
    assert (resources.data_dir() / "lexicon" / "organisations.yaml").is_file()


def test_installed_wheel_uses_its_own_copies():
    pkg = Path(ess_graph.__file__).resolve().parent
    if "site-packages" in pkg.parts:  # the README's non-editable install
        assert resources.queries_dir() == pkg / "_bundled" / "queries"
        assert resources.data_dir() == pkg / "_bundled" / "data"


def test_commands_work_from_any_directory(tmp_path):
    p = subprocess.run([str(BIN), "queries", "--format", "json"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert len(json.loads(p.stdout)) >= 10
    f = tmp_path / "article.md"
    f.write_text("---\ntitle: Test\n---\nLa mairie de Caen adhère au RTES.\n", encoding="utf-8")
    p = subprocess.run([str(BIN), "extract", "article.md", "--format", "jsonl"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    rec = json.loads(p.stdout)
    assert any(e.get("insee") == "14118" for e in rec["entities"])
    assert any("RTES" in e["aliases"] and e["type"] == "Network" for e in rec["entities"])


def test_the_package_holds_runtime_code_only():
    """Test helpers live in tests/ and build scripts in tools/: no module of the package imports a
    test library, and none runs as a script but the CLI and the server's worker process."""
    import ast

    pkg = Path(ess_graph.__file__).resolve().parent
    scripts, test_imports = [], []
    for p in sorted(pkg.rglob("*.py")):
        rel = p.relative_to(pkg).as_posix()
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                names = []
            if any(n.split(".")[0] in ("pytest", "playwright", "demo_server") for n in names):
                test_imports.append(rel)
            if isinstance(node, ast.If) and ast.unparse(node.test) == "__name__ == '__main__'":
                scripts.append(rel)
    assert scripts == ["cli/__init__.py", "serve/worker.py"]
    assert not test_imports
    assert not (pkg / "serve" / "testing.py").exists()
    assert not (pkg / "territories" / "build.py").exists()
    root = pkg.parent
    if not (root / "tools").is_dir():  # an installed wheel: no checkout around it
        pytest.skip("tools/ and tests/ are in the source checkout only")
    assert (root / "tools" / "build_territories.py").is_file()
    assert (root / "tests" / "demo_server.py").is_file()
