"""How the code is laid out, checked: no module uses a private name of another (STYLE.md, "layers point one way").

A name starting with one underscore belongs to the module that defines it; what another module
needs is public, with a docstring. Both ways of reaching in count: ``from autograd.ops import _sum``
and ``engine._recording`` after ``from autograd import engine``.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn", "demos")


def private_uses(source, here):
    """The private names of other project modules that source, the text of module here, uses (each once)."""
    tree = ast.parse(source)
    bound, uses = {}, []  # local name -> the project module (or name) it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    uses.append(f"{node.module}.{alias.name}")
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:  # import nn.sequential binds nn; ... as seq binds the module
                    bound[alias.asname] = alias.name if alias.asname else None
                    bound.setdefault(alias.name.split(".")[0], alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            parts, base = [], node.value
            while isinstance(base, ast.Attribute):
                parts.insert(0, base.attr)
                base = base.value
            if isinstance(base, ast.Name) and bound.get(base.id):
                owner = ".".join([bound[base.id]] + parts)
                if owner != here:
                    uses.append(f"{owner}.{node.attr}")
    return list(dict.fromkeys(uses))


def test_no_module_uses_a_private_name_of_another():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = path.relative_to(ROOT)
            here = ".".join(module.with_suffix("").parts)
            found += [(module.as_posix(), name) for name in private_uses(path.read_text(encoding="utf-8"), here)]
    assert found == []


def test_the_check_sees_every_way_of_reaching_in():
    source = ("from autograd.ops import _sum, factor\nfrom autograd import engine\nimport nn.sequential as seq\n"
              "import autograd.scene\nengine._recording = None\nseq._as_values([])\nautograd.scene._boxes\n"
              "factor._cache\nself._own\n")
    assert sorted(private_uses(source, "demos.probe")) == ["autograd.engine._recording", "autograd.ops._sum",
                                                           "autograd.ops.factor._cache", "autograd.scene._boxes",
                                                           "nn.sequential._as_values"]
    assert private_uses("from autograd import engine\nengine._x\n", "autograd.engine") == []


VIEWS = ("collapse", "dot_source", "latex", "layout", "page_html", "page_live", "slides", "timeline")
GRAPH_WALKS = {"topological_order", "start_grads", "walk", "chain_rule", "backward_steps", "operand_paths",
               "edge_rule"}


def test_the_views_read_the_scene_not_the_graph():
    """issue 22, data flows down: a view reads the scene's values, operands, steps and ops (``Node.rules``), by the
    scene's ids; none asks a Value for its op (``._op``), walks the graph itself, or maps graph nodes (``.ids``)."""
    found = []
    for view in VIEWS:
        tree = ast.parse((ROOT / "autograd" / f"{view}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and (node.attr in ("_op", "local_grads") or node.attr == "ids" and
                                                    isinstance(node.value, ast.Name) and node.value.id == "scene"):
                found.append((view, node.attr))
            elif isinstance(node, ast.ImportFrom) and node.module in ("autograd.engine", "autograd.explain"):
                found += [(view, alias.name) for alias in node.names if alias.name in GRAPH_WALKS]
    assert found == []
