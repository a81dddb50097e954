#!/usr/bin/env python3
"""Lists import circles between the modules of a crate: `crate::a::…` and `super::a` paths
in each production file (tests excluded), then every cycle in that graph.
Usage: tools/module-circles.py crates/web/src"""
import re, sys, pathlib

root = pathlib.Path(sys.argv[1])
graph = {}
for f in root.rglob("*.rs"):
    rel = f.relative_to(root).with_suffix("")
    parts = [p for p in rel.parts if p != "mod"]
    if parts == ["lib"] or parts == ["main"]:
        parts = ["lib"]
    name = "::".join(parts)
    text = f.read_text()
    text = text.split("#[cfg(test)]")[0]
    deps = set()
    for m in re.finditer(r"crate::([a-z_]+)(?:::([a-z_]+))?", text):
        first, second = m.group(1), m.group(2)
        cand = f"{first}::{second}" if second and (root / first / f"{second}.rs").exists() else first
        deps.add(cand)
    parent = parts[:-1]
    # `super::x`: the sibling module x, or an item of the parent module itself; a brace
    # list (`super::{a, b}`) names items or modules of the parent the same way.
    names = [m.group(1) for m in re.finditer(r"\bsuper::([a-z_]+)", text)]
    for m in re.finditer(r"\bsuper::\{([^}]*)\}", text):
        names += re.findall(r"\b([a-zA-Z_]\w*)", m.group(1))
    for n in names:
        sib = parent + [n]
        is_mod = (root.joinpath(*sib).with_suffix(".rs").exists() or root.joinpath(*sib, "mod.rs").exists())
        deps.add("::".join(sib) if is_mod else ("::".join(parent) if parent else "lib"))
    # Paths into this module's own children (`admin::routes()` in ui/mod.rs).
    own = [] if parts == ["lib"] else parts
    for m in re.finditer(r"(?<![:\w])([a-z_]+)::", text):
        child = own + [m.group(1)]
        if root.joinpath(*child).with_suffix(".rs").exists() or root.joinpath(*child, "mod.rs").exists():
            deps.add("::".join(child))
    deps.discard(name)
    graph[name] = {d for d in deps if d}

cycles = set()
def walk(start, node, path):
    for d in graph.get(node, ()):
        if d == start:
            cycles.add(tuple(sorted(path)))
        elif d not in path and d in graph and len(path) < 6:
            walk(start, d, path + [d])
for n in graph:
    walk(n, n, [n])
for c in sorted(cycles):
    print(" <-> ".join(c))
print(f"{len(cycles)} circle(s) among {len(graph)} modules")
sys.exit(1 if cycles else 0)
