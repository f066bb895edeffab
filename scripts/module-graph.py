#!/usr/bin/env python3
"""The library's module graph, checked: no import cycles between top-level
modules, and no module importing from the crate root.

Reads src/ (the library's modules as lib.rs declares them), collects every
`crate::<module>` a module's files name, and fails listing each cycle (a
strongly connected group of more than one module) and each `crate::<item>`
that is not a module. `--print` also prints the graph. Run by `make lint`.
"""

import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
DECLARED = re.compile(r"^\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z_0-9]+)\s*;", re.M)
PATH = re.compile(r"\bcrate::([A-Za-z_][A-Za-z_0-9]*)")
GROUP = re.compile(r"\bcrate::\{([^}]*)\}")


def strip_comments(text: str) -> str:
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def files_of(module: str) -> list[Path]:
    single = SRC / f"{module}.rs"
    folder = SRC / module
    files = [single] if single.exists() else []
    if folder.is_dir():
        files += sorted(folder.rglob("*.rs"))
    return files


def graph() -> tuple[dict[str, set[str]], list[str]]:
    modules = DECLARED.findall((SRC / "lib.rs").read_text())
    edges: dict[str, set[str]] = {m: set() for m in modules}
    from_root: list[str] = []
    for module in modules:
        for path in files_of(module):
            text = strip_comments(path.read_text())
            names = PATH.findall(text)
            for group in GROUP.findall(text):
                names += [n.strip().split("::")[0] for n in group.split(",") if n.strip()]
            for name in names:
                if name in edges:
                    if name != module:
                        edges[module].add(name)
                else:
                    from_root.append(f"{path.relative_to(SRC.parent)}: crate::{name}")
    return edges, from_root


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(edges[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def main() -> int:
    edges, from_root = graph()
    if "--print" in sys.argv:
        for module in sorted(edges):
            print(f"{module:16} → {', '.join(sorted(edges[module])) or '—'}")
    found = cycles(edges)
    for component in found:
        print(f"import cycle: {' ↔ '.join(component)}")
    for use in from_root:
        print(f"imports from the crate root: {use}")
    if found or from_root:
        return 1
    print(f"module graph: {len(edges)} modules, {sum(map(len, edges.values()))} imports, no cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
