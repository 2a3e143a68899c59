#!/usr/bin/env python3
"""Vendor the query page's editor from npm: CodeMirror 5 with its SPARQL mode.

Fetches a pinned release with ``npm pack`` (checking npm's integrity hash),
then writes into ess_graph/serve/static/vendor/codemirror/:

* ``codemirror-sparql.js``: lib/codemirror.js + mode/sparql/sparql.js +
  addon/hint/show-hint.js + addon/edit/matchbrackets.js +
  addon/edit/closebrackets.js, concatenated unchanged;
* ``codemirror.css``: lib/codemirror.css + addon/hint/show-hint.css;
* ``LICENSE`` (MIT) and ``VENDORED.txt`` (package, version, integrity, files).

The page loads them from /static: nothing is fetched from a CDN. Run it
again only to change the pinned version (then commit the result):

    python3 tools/vendor_editor.py
"""
from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "codemirror"
VERSION = "5.65.21"
INTEGRITY = "sha512-6teYk0bA0nR3QP0ihGMoxuKzpl5W80FpnHpBJpgy66NK3cZv5b/d/HY8PnRvfSsCG1MTfr92u2WUl+wT0E40mQ=="

JS = ["lib/codemirror.js", "mode/sparql/sparql.js", "addon/hint/show-hint.js",
      "addon/edit/matchbrackets.js", "addon/edit/closebrackets.js"]
CSS = ["lib/codemirror.css", "addon/hint/show-hint.css"]

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "ess_graph" / "serve" / "static" / "vendor" / "codemirror"


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            p = subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--json", "--pack-destination", tmp],
                               capture_output=True, text=True, check=True)
        except FileNotFoundError:
            print("vendor_editor: npm is needed (apt-get install npm)", file=sys.stderr)
            return 1
        except subprocess.CalledProcessError as e:
            print(f"vendor_editor: npm pack failed: {e.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return 1
        info = json.loads(p.stdout)[0]
        integrity = info["integrity"]
        expected = INTEGRITY
        if not expected and (OUT / "VENDORED.txt").exists():
            for line in (OUT / "VENDORED.txt").read_text().splitlines():
                if line.startswith("integrity: "):
                    expected = line.split(": ", 1)[1]
        if expected and integrity != expected:
            print(f"vendor_editor: integrity mismatch for {PACKAGE}@{VERSION}: {integrity} != {expected}",
                  file=sys.stderr)
            return 1
        with tarfile.open(Path(tmp) / info["filename"]) as tar:
            def read(name: str) -> str:
                return tar.extractfile("package/" + name).read().decode("utf-8")
            OUT.mkdir(parents=True, exist_ok=True)
            banner = f"/* {PACKAGE} {VERSION} (MIT, see LICENSE) — vendored by tools/vendor_editor.py */\n"
            (OUT / "codemirror-sparql.js").write_text(
                banner + "\n".join(f"/* --- {n} --- */\n{read(n)}" for n in JS), encoding="utf-8")
            (OUT / "codemirror.css").write_text(
                banner + "\n".join(f"/* --- {n} --- */\n{read(n)}" for n in CSS), encoding="utf-8")
            (OUT / "LICENSE").write_text(read("LICENSE"), encoding="utf-8")
        (OUT / "VENDORED.txt").write_text(
            f"package: {PACKAGE}\nversion: {VERSION}\nintegrity: {integrity}\nlicense: MIT\n"
            f"source: npm pack {PACKAGE}@{VERSION}\njs: {', '.join(JS)}\ncss: {', '.join(CSS)}\n",
            encoding="utf-8")
    for f in sorted(OUT.iterdir()):
        print(f"{f.relative_to(ROOT)}  {f.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
