"""List the functions of a Python tree that are longer than a limit (60 lines by default).

    python tools/long_functions.py [ROOT ...] [--max-lines N]

A function's length is counted from its ``def`` line (decorators excluded) to its
last line, nested functions included. Prints ``path:line qualified.name length``,
longest first, and exits 1 when any is found.
"""
from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

MAX_LINES = 60


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.AST]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = prefix + node.name
            yield name, node
            yield from _functions(node, name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, prefix + node.name + ".")


def long_functions(root: Path, max_lines: int = MAX_LINES) -> list[tuple[str, int, str, int]]:
    """``(path, line, qualified name, length)`` of every function longer than ``max_lines``.

    ``path`` is relative to ``root``'s parent when ``root`` is a directory, in POSIX form.
    """
    files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
    base = root.parent if root.is_dir() else root.parent
    found = []
    for f in files:
        tree = ast.parse(f.read_text(encoding="utf-8"), filename=str(f))
        for name, node in _functions(tree):
            length = node.end_lineno - node.lineno + 1
            if length > max_lines:
                found.append((f.relative_to(base).as_posix(), node.lineno, name, length))
    return sorted(found, key=lambda r: (-r[3], r[0], r[1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("roots", nargs="*", type=Path, default=[Path("ess_graph")])
    ap.add_argument("--max-lines", type=int, default=MAX_LINES)
    args = ap.parse_args(argv)
    rows = [r for root in args.roots for r in long_functions(root, args.max_lines)]
    for path, line, name, length in rows:
        print(f"{path}:{line}\t{name}\t{length}")
    return 1 if rows else 0


if __name__ == "__main__":
    sys.exit(main())
