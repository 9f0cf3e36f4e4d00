#!/usr/bin/env python3
"""Fails when the modules of a crate import each other in a cycle.

Cargo keeps the crate graph one-directional; inside a crate nothing does. This reads every
`crates/*/src` tree as text and, for each pair of sibling modules (children of the same
parent), records an edge A -> B when any file of A names B by path (`use crate::b::...`,
`super::b::...`, `crate::b::f(...)`, grouped `use crate::{b, c::d}`). A strongly connected
set of siblings is a cycle: each is reported with the lines that make its edges.

A child naming its parent's items (`use super::Thing`) and a parent naming its children are
not sibling edges: that is how Rust modules are built. Test code counts like any other code.

  python3 scripts/module_cycles.py              # check crates/*/src, exit 1 on a cycle
  python3 scripts/module_cycles.py --self-test  # check that the check finds what it must
"""

import os
import re
import sys
import tempfile
from collections import defaultdict

PATH = re.compile(r"\b(crate|super|self)((?:::\w+)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super|self)::((?:\w+::)*)\{")


def module_of(src: str, path: str) -> tuple:
    parts = os.path.relpath(path, src)[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def grouped(text: str, start: int) -> str:
    """The body of the braces opening at `start` (nested braces kept)."""
    depth, i = 0, start
    while i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
        i += 1
    return ""


def expand(prefix: list, body: str):
    """Paths of a use tree's group: `a, b::{c, d}` under `prefix`."""
    part, depth, items = "", 0, []
    for ch in body + ",":
        if ch == "," and depth == 0:
            items.append(part.strip())
            part = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        part += ch
    for item in filter(None, items):
        if "{" in item:
            head = item[: item.index("{")].rstrip(":").strip()
            inner = item[item.index("{") + 1 : item.rindex("}")]
            yield from expand(prefix + [p for p in head.split("::") if p], inner)
        else:
            yield prefix + [p.strip() for p in item.split(" as ")[0].split("::") if p.strip()]


def resolve(me: tuple, anchor: str, rest: list) -> list:
    """An absolute module path for `anchor::rest` written in module `me`."""
    if anchor == "crate":
        return rest
    base = list(me)
    if anchor == "super":
        base = base[:-1]
        while rest and rest[0] == "super":
            base, rest = base[:-1], rest[1:]
    return base + rest


def references(me: tuple, text: str):
    """(absolute path, line number) for each path the file names."""
    for m in PATH.finditer(text):
        rest = [p for p in m.group(2).split("::") if p]
        yield resolve(me, m.group(1), rest), text.count("\n", 0, m.start()) + 1
    for m in USE_GROUP.finditer(text):
        head = [p for p in m.group(2).split("::") if p]
        body = grouped(text, m.end() - 1)
        line = text.count("\n", 0, m.start()) + 1
        for path in expand(head, body):
            yield resolve(me, m.group(1), path), line


def sibling_edges(src: str):
    files = []
    for root, _, names in os.walk(src):
        files += [os.path.join(root, n) for n in names if n.endswith(".rs")]
    modules = {module_of(src, f) for f in files}
    edges = defaultdict(list)  # (a, b) -> [where]
    for f in sorted(files):
        me = module_of(src, f)
        with open(f, encoding="utf-8") as fh:
            text = strip_comments(fh.read())
        for target, line in references(me, text):
            # The longest prefix of the target that is a module of this crate.
            target = tuple(target)
            while target and target not in modules:
                target = target[:-1]
            k = 0
            while k < min(len(me), len(target)) and me[k] == target[k]:
                k += 1
            if k < len(me) and k < len(target):
                a, b = me[: k + 1], target[: k + 1]
                edges[(a, b)].append(f"{f}:{line}")
    return edges


def cycles(edges):
    graph = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(100_000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def check(srcs) -> int:
    bad = 0
    for src in srcs:
        edges = sibling_edges(src)
        for comp in cycles(edges):
            bad += 1
            names = ", ".join("::".join(m) for m in comp)
            print(f"{src}: modules import each other in a cycle: {names}")
            for (a, b), where in sorted(edges.items()):
                if a in comp and b in comp:
                    print(f"  {'::'.join(a)} -> {'::'.join(b)}: {where[0]}")
    return bad


def self_test() -> None:
    tree = {
        "lib.rs": "mod a; mod b; mod c; mod d;\n",
        # a -> b through a grouped use, b -> a through a path in code: a cycle.
        "a/mod.rs": "use crate::{x, b::{Thing, other}};\nmod inner;\n",
        "a/inner.rs": "use super::super::c::Z; // crate::d::W in a comment is no edge\n",
        "b.rs": "fn f() { crate::a::g(); }\n",
        # c -> d only; a child naming its parent is not a sibling edge.
        "c/mod.rs": "mod leaf; use crate::d::W;\n",
        "c/leaf.rs": "use super::Z;\n",
        "d.rs": "pub struct W;\n",
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in tree.items():
            path = os.path.join(tmp, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as fh:
                fh.write(text)
        edges = sibling_edges(tmp)
        got = {("::".join(a), "::".join(b)) for a, b in edges}
        want = {("a", "b"), ("b", "a"), ("a", "c"), ("c", "d")}
        assert got == want, f"edges: {sorted(got)} != {sorted(want)}"
        assert cycles(edges) == [[("a",), ("b",)]], cycles(edges)
    print("module_cycles self-test passed")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        sys.exit(0)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    crates = os.path.join(root, "crates")
    srcs = sorted(
        os.path.relpath(os.path.join(crates, c, "src"))
        for c in os.listdir(crates)
        if os.path.isdir(os.path.join(crates, c, "src"))
    )
    found = check(srcs)
    if found:
        sys.exit(1)
    print(f"no import cycles between the modules of {len(srcs)} crates")
