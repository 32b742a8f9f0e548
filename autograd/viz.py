"""Pictures of a graph for users: ``to_dot``, ``draw``, ``render`` (a file made by Graphviz's ``dot``) and ``tree``.

Each builds the graph's scene once (scene.py; a model's graph collapsed to one record per unit by
collapse.py) and hands it to a renderer: dot_source.py writes the DOT text, ``tree`` writes text
for terminals. A picture shows the ``.grad`` each node holds now and changes nothing. Formulas
and rules come from the ops themselves, so a picture cannot disagree with the maths.

``dot`` runs here, with a time limit (``DOT_TIMEOUT`` seconds); the graphviz Python package is
imported only by ``draw``; ``to_dot`` needs nothing, and ``render`` needs only the ``dot`` program.
"""

import os
import shutil
import signal
import stat
import subprocess
from pathlib import Path

from autograd import collapse as collapsing
from autograd import scene as scenes
from autograd.dot_source import Look, dot_source, statements
from autograd.files import write_atomic
from autograd.scene import MAX_NODES, arrow_count, expect_value  # noqa: F401 (arrow_count: for demos)
from autograd.text import fmt, shorten, visible

DOT_TIMEOUT = 8.0  # seconds dot may take before it is stopped
_RENDER_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


class GraphvizError(RuntimeError):
    """Graphviz's ``dot`` failed or was stopped at its time limit, so no picture was made."""


class GraphvizNotFoundError(GraphvizError):
    """Graphviz's ``dot`` program is not installed (or not on PATH), so no picture was made."""


def drawn_scene(root, what, rankdir="LR", max_nodes=MAX_NODES, groups=None, expand=None):
    """The scene a picture of root draws: a model's graph one record per unit (see collapse.py)."""
    scene = scenes.build(root, what, expand=expand, max_nodes=max_nodes, groups=groups, rankdir=rankdir)
    return collapsing.collapse(scene, max_nodes, what)


def to_dot(root, rankdir="LR", show_contributions=False, max_nodes=MAX_NODES, groups=None, show_rules=False,
           expand=None):
    """The graph of root as Graphviz DOT source (needs neither the graphviz package nor ``dot``).

    Shows each node's current ``.grad`` (what the latest backward left) and changes nothing.
    ``show_rules=True`` writes each edge's rule: ``∂o/∂n = 1 - o² = 0.5``.
    ``groups`` ({node: title}, e.g. ``nn.time_steps(outputs)``) draws a box around each title's nodes
    (instead of the boxes of a model's parts).
    An nn model's graph is drawn one node per neuron; ``expand`` names parts to draw in full (see collapse.py).
    """
    scene = drawn_scene(root, "to_dot", rankdir, max_nodes, groups, expand)
    return dot_source(scene, Look(show_rules=show_rules, show_contributions=show_contributions))


def draw(root, rankdir="LR", show_contributions=False, max_nodes=MAX_NODES, show_rules=False, expand=None):
    """The graph of root as a ``graphviz.Digraph`` (Jupyter shows it inline); needs ``pip install graphviz``.

    Shows each node's current ``.grad`` and changes nothing; options as for ``to_dot``.
    """
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "draw needs the graphviz Python package: pip install graphviz "
            "(to_dot(root) gives the DOT source without it)"
        ) from None
    scene = drawn_scene(root, "draw", rankdir, max_nodes, None, expand)
    lines = statements(scene, Look(show_rules=show_rules, show_contributions=show_contributions))
    # The body is to_dot's own lines, so labels are escaped once, the same way, and the graphviz
    # package never reads a label (it would take "<...>" for an HTML-like label).
    return graphviz.Digraph("chainrule", graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
                            node_attr={"fontname": "Helvetica", "fontsize": "11"},
                            edge_attr={"fontname": "Helvetica"},
                            body=[f"\t{line[2:]}\n" for line in lines])


def run_dot(source, fmt_name, what):
    """Run Graphviz's dot on DOT source and return the output bytes; None when dot is missing.

    dot is stopped after ``DOT_TIMEOUT`` seconds; a timeout or a failure raises GraphvizError
    saying what happened (the exit status or signal, and dot's own message).
    """
    exe = shutil.which("dot")
    if exe is None:
        return None
    timeout = DOT_TIMEOUT
    try:
        result = subprocess.run([exe, f"-T{fmt_name}"], input=source.encode("utf-8"), capture_output=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired:  # subprocess.run has killed dot
        raise GraphvizError(
            f"{what}: Graphviz's dot was stopped after {timeout:g} s without finishing the layout "
            f"({source.count(' -> ')} arrows). Draw a smaller graph (fewer nodes; keep the "
            "max_nodes / --max-nodes limit on), or see it as text: tree(root), to_dot(root) or the "
            "command line's --dot. To wait longer, raise autograd.viz.DOT_TIMEOUT."
        ) from None
    except OSError as error:
        raise GraphvizError(f"{what}: could not run Graphviz's dot ({exe}): {error.strerror or error}") from None
    if result.returncode != 0:
        raise GraphvizError(f"{what}: Graphviz's dot {_failure(result.returncode)}{_last_words(result.stderr)}")
    return result.stdout


def _failure(returncode):
    """How dot ended: "exited with status 1", "was killed by SIGKILL (...)"."""
    if returncode > 0:
        return f"failed (exit status {returncode})"
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    why = {"SIGKILL": " (usually the system ran out of memory: draw a smaller graph)",
           "SIGSEGV": " (it crashed: draw a smaller graph)"}.get(name, "")
    return f"was killed by {name}{why}"


def _last_words(stderr):
    """dot's error line (or its last line of output), ready to append to a message."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        return "; it printed nothing"
    line = next((line for line in lines if line.lower().startswith("error")), lines[-1])
    return f"; it said: {shorten(visible(line), 300)}"


def install_hint():
    """How to install Graphviz's dot program on common systems."""
    return (
        "Install Graphviz (the program; `pip install graphviz` installs only the Python wrapper):\n"
        "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
        "  macOS:          brew install graphviz\n"
        "  conda:          conda install -c conda-forge graphviz\n"
        "  Windows:        winget install graphviz   (then open a new terminal so `dot` is on PATH)"
    )


def render(root, path, **draw_options):
    """Write the picture of root to path (.svg, .png or .pdf) with Graphviz's ``dot``; returns the path.

    Options as for ``to_dot``; shows each node's current ``.grad`` and changes no ``.grad``.
    Missing folders are created, and the file is written whole or not at all (see autograd.files).
    When ``dot`` is missing, writes the DOT source next to it (``graph.svg`` -> ``graph.dot``,
    unless a ``graph.dot`` that render did not write is there) and raises GraphvizNotFoundError
    saying how to install Graphviz.
    """
    fmt_name = _RENDER_FORMATS.get(Path(path).suffix.lower()) if str(path).strip() else None
    if fmt_name is None:
        raise ValueError(
            f"render: cannot tell the picture format from {str(path)!r}; "
            f"end the file name with one of {', '.join(_RENDER_FORMATS)}"
        )
    options = {"rankdir": "LR", "show_contributions": False, "max_nodes": MAX_NODES, "groups": None,
               "show_rules": False, "expand": None}
    unknown = sorted(set(draw_options) - set(options))
    options.update(draw_options)
    draw_options = unknown
    if draw_options:
        raise TypeError(f"render: unknown option(s) {', '.join(sorted(draw_options))}; "
                        f"it takes rankdir, show_contributions, show_rules, max_nodes, groups and expand")
    scene = drawn_scene(root, "render", options["rankdir"], options["max_nodes"], options["groups"], options["expand"])
    source = dot_source(scene, Look(show_rules=options["show_rules"], show_contributions=options["show_contributions"]))
    path = Path(path)
    picture = run_dot(source, fmt_name, "render")
    if picture is None:
        raise GraphvizNotFoundError(_not_found(path, fmt_name, _save_source(path.with_suffix(".dot"), source)))
    return write_atomic(path, picture, what="render")


def _save_source(dot_path, source):
    """Write the DOT source to dot_path unless another program's file is there; returns a line saying what happened."""
    header = "digraph chainrule {"
    try:
        ours = stat.S_ISREG(os.stat(dot_path).st_mode)  # never open a FIFO or a device
        if ours:
            with open(dot_path, encoding="utf-8", errors="replace") as f:
                ours = f.read(len(header)) == header
    except FileNotFoundError:
        ours = True
    except OSError:
        ours = False
    if not ours:
        return (f"{dot_path} already exists and render did not write it, so it was left as it was; "
                "to_dot(root) gives the DOT source.")
    try:
        write_atomic(dot_path, source, what="render")
    except OSError as error:
        return f"The DOT source could not be saved either: {error}"
    return f"The graph's DOT source is saved in {dot_path}."


def _not_found(path, fmt_name, saved):
    """The message of GraphvizNotFoundError: what is missing, what was kept, how to install dot."""
    lines = [f"render: Graphviz's `dot` program is not installed (or not on PATH), so {path} was not drawn.",
             saved]
    if saved.startswith("The graph's DOT source is saved in"):
        lines.append(f"With Graphviz installed: dot -T{fmt_name} {path.with_suffix('.dot')} -o {path}")
    return "\n".join(lines + [install_hint()])


def tree(root, max_depth=32):
    """An indented text picture of the graph: op, data, current grad and label of every node.

    A node used more than once is printed in full the first time and as ``-> see [k]``
    after that. Deeper than max_depth levels, a subtree continues as its own block below
    (so the text grows linearly however deep the graph is). Iterative. Reads the graph's scene.
    """
    expect_value(root, "tree")
    scene = scenes.build(root, "tree", max_nodes=None, expand="all")
    values = scene.values
    number = {}
    lines = []
    blocks = [scene.root]
    while blocks:
        if lines:
            lines.append("")
        stack = [(blocks.pop(0), "", "", 0)]  # node, prefix of its line, prefix of its children, depth
        while stack:
            vid, line_prefix, child_prefix, depth = stack.pop()
            node = values[vid]
            shown = f"data {fmt(node.data)}  grad {fmt(node.grad)}"
            if not node.operands:
                what = "leaf" if node.label else "constant"
                lines.append(f"{line_prefix}{node.name}  {shown}  ({what})")
                continue
            if depth and vid in number:
                lines.append(f"{line_prefix}{node.name} -> see [{number[vid]}]")
                continue
            number.setdefault(vid, len(number) + 1)
            if depth > max_depth:
                lines.append(f"{line_prefix}{node.name} -> continued below at [{number[vid]}]")
                blocks.append(vid)
                continue
            lines.append(f"{line_prefix}[{number[vid]}] {node.name} = {node.formula}  {shown}  (op {node.op})")
            count = len(node.operands)
            for i in reversed(range(count)):
                last = i == count - 1
                stack.append((node.operands[i].id, child_prefix + ("└── " if last else "├── "),
                              child_prefix + ("    " if last else "│   "), depth + 1))
    return "\n".join(lines)
