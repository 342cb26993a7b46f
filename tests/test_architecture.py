"""The tree is the pipeline: every import (module level, inside functions, type-only)
goes to the same or an earlier layer, and the import graph has no cycle.

The layers are the ones docs/architecture.md draws; a new module belongs to the layer
of its package, and this test names the import that breaks the order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import newsvoice

PACKAGE = Path(newsvoice.__file__).parent

# earliest first; a module's layer is the longest prefix listed
LAYERS: list[tuple[str, ...]] = [
    (
        "newsvoice",
        "newsvoice.errors",
        "newsvoice.findings",
        "newsvoice.timecode",
        "newsvoice.assets",
    ),
    ("newsvoice.inputs",),  # bounded reads: the cache uses them too
    ("newsvoice.cache.root", "newsvoice.cache.phrases"),  # storage the stages write to
    ("newsvoice.text",),
    ("newsvoice.audio",),  # the signal toolkit speech uses
    ("newsvoice.speech",),
    ("newsvoice.subtitles",),
    ("newsvoice.options",),  # what shapes an output
    ("newsvoice.outputs",),
    ("newsvoice.cache",),  # the render memo and pruning
    ("newsvoice.pipeline",),
    ("newsvoice.cli", "newsvoice.service", "newsvoice.__main__"),
]


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    assert rank >= 0, f"{module}: in no layer (add its package to LAYERS and docs/architecture.md)"
    return rank


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every newsvoice module ``path`` imports, wherever the import statement stands."""
    me = module_name(path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "newsvoice"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = me.split(".")[
                    : len(me.split(".")) - node.level + (path.name == "__init__.py")
                ]
                base = ".".join([*pkg, base] if base else pkg)
            if base.split(".")[0] != "newsvoice":
                continue
            for a in node.names:  # `from newsvoice.cache import renders` imports a module
                sub = f"{base}.{a.name}"
                found.add(
                    sub
                    if (PACKAGE.parent / Path(*sub.split("."))).with_suffix(".py").exists()
                    or (PACKAGE.parent / Path(*sub.split("."))).is_dir()
                    else base
                )
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports(p) for p in PACKAGE.rglob("*.py") if "assets" not in p.parts}


def test_no_import_reaches_a_later_layer():
    bad = [
        f"{mod} (layer {layer_of(mod)}) imports {dep} (layer {layer_of(dep)})"
        for mod, deps in sorted(graph().items())
        for dep in sorted(deps)
        if layer_of(dep) > layer_of(mod)
    ]
    assert not bad, "\n".join(bad)


def test_import_graph_has_no_cycle():
    g = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(g.get(m, ())):
            if d == m or d not in g:
                continue
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(d) :], d]))
            if d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m)


def test_the_layer_check_sees_an_upward_import(tmp_path):
    """The checker itself: a text module importing the pipeline is caught."""
    assert layer_of("newsvoice.pipeline.render") > layer_of("newsvoice.text.plan")
    assert (
        layer_of("newsvoice.cache.phrases")
        < layer_of("newsvoice.speech.synth")
        < layer_of("newsvoice.cache.renders")
    )
