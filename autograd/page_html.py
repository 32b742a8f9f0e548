"""The walkthrough page as HTML: the scene's picture (SVG from Graphviz's dot, or layout.py's), one JSON
document (the scene, the frames, and what the live page computes with: page_live.py) and the page's
own files, autograd/page/page.html, page.css, runtime.js (the functions the ops' code calls),
live.js (the forward and backward pass, numbers written as Python writes them, the quiz's
diagnosis) and page.js (the player), read with importlib.resources.

The page is made to be projected: the graph's text is drawn at ``FONT`` (14) SVG units and the
script never shows it smaller than 14 CSS px (18 in the projector theme); a graph too big for the
window at that size is followed step by step. A small graph (up to ``FIT_NODES`` values) that long
names make too wide for a 1280×720 window is drawn with its edge labels as fractions in short
lines, and its long names wrapped, so that it shows whole.

Elements the page's controls use (and tests look for): ``#next``, ``#prev``, ``#slider``,
``#counter``, ``#step-title``, ``#step-text`` (one ``.line`` per line; a long list, such as ``step``'s
table, has class ``table``, and ``columns`` where it fits the panel in columns, else it scrolls), ``#theme``,
``#overview``, ``#fullscreen``, the quiz's ``#quiz`` (one ``input.answer`` per question),
``#check``, ``#hint``, ``#reveal``, ``#reply`` and ``#score``; SVG groups ``g.node`` whose id is
the scene's (``n<i>`` a value, ``op<i>`` its operation, ``c<k>`` a unit's record) and
``g.cluster`` ``cluster_box<k>``; edges ``g.edge`` whose label is hidden (class ``unknown``)
until its output is computed. The current value has class ``current``, the values it passes
gradient to ``parent``, its operation ``current-op``. ``body`` carries ``data-frame``,
``data-frames``, ``data-quiz``, ``data-revealed``, ``data-theme``, ``data-view`` (``fit``,
``follow`` or ``overview``) and ``data-moving``. ``#frame=N`` in the URL opens frame N (from 0).
A label is only ever text: the JSON is escaped for a script element, every text node of the
page is set with ``textContent``.

The page is live. ``#try`` (key L) shows its controls (``body`` gets ``data-live="true"``): ``#leaf``
(which leaf), ``#leaf-value`` (a number box; arrow keys nudge), ``#leaf-slider``, ``#reset-leaf``,
``#reset-all``, ``#lr`` and ``#step``; ``#nudge`` compares ∂out/∂leaf with the nudge; ``#problem``
says where the engine would raise. A click on a leaf (``g.leaf-editable``), a weight's cell or a
layer's inputs selects it; the value being changed has class ``editing``, a value that cannot be
computed ``undefined``. ``#frame=12&x1=1.5&w1=-2`` in the URL opens frame 12 with those leaves (by
name, as repr writes the numbers), and the address follows every change. The script API, on
``window.chainrule``:

- ``leaves()``: ``{name: number}`` of every leaf, as it is now;
- ``set({name: number, ...})``: change leaves (by name, or id), recompute, redraw; returns ``state()``;
- ``state()``: ``{name: {data, grad}}`` for every value, named as the page names it (its label, or
  ``v<i>``; a value whose name an earlier one has goes by its id, ``n<i>``, here and in the address),
  null where the engine would give no number;
- ``problems()``: the engine's message for a value or derivative that cannot be computed ([] when none);
- ``nudge(name)``: ``[(f(x + h) - f(x - h)) / 2h, ∂f/∂x]`` for that leaf;
- ``step(lr)``: one step of gradient descent on the parameters; returns ``{loss: [old, new], table}``,
  the table's lines as ``chainrule --lr`` prints them;
- ``reset()``, ``select(name)``; and ``fmt``, ``short``, ``repr``: numbers as Python writes them.
"""

import html
import json
import re
import warnings

from autograd import text
from autograd.dot_source import PAGE_FONT as FONT, Look, dot_source
from autograd.layout import fallback_svg
from autograd.page_live import live_document
from autograd.timeline import number
from autograd.viz import GraphvizError, run_dot

THEMES = ("light", "projector", "dark")
NOT_YET = "–"
NARROWER = (14, 12)  # a small graph too wide for the window tries edge labels in lines this long
FIT_NODES = 12  # ... when it has at most this many values
PANE = (1250, 435)  # the graph pane of a 1280×720 window, in CSS px: a picture this size shows whole at FONT px


def page_html(scene, frames, quiz, theme, table, lr=None, parameters=(), data=()):
    """The whole page: its HTML with the picture, the document and the page's style and scripts inlined (table:
    the update table's templates, timeline.table_templates)."""
    heading = html.escape(scene.title)
    quiz_note = {None: "", "grad": "quiz: type each gradient a step passes on",
                 "data": "quiz: type each value the forward pass computes"}[quiz]
    fill = {
        "TITLE": heading, "HEADING": heading, "QUIZ_NOTE": html.escape(quiz_note), "QUIZ": quiz or "",
        "THEME": theme, "FRAMES_COUNT": str(len(frames)), "LAST": str(len(frames) - 1),
        "SVG": picture_svg(scene),
        "DOCUMENT": json_for_script(document(scene, frames, quiz, table, lr, parameters, data)),
        "CSS": _resource("page.css"), "RUNTIME": _resource("runtime.js"), "LIVE": _resource("live.js"),
        "SCRIPT": _resource("page.js"),
    }
    # One pass, so a placeholder-like text inside the SVG or the document is never filled in again.
    return re.sub(r"@@([A-Z_]+)@@", lambda m: fill[m[1]], _resource("page.html"))


def document(scene, frames, quiz, table, lr=None, parameters=(), data=()):
    """The one JSON document the page reads: how numbers are written, the scene, the frames and what the live
    page computes with (page_live.py)."""
    values = {}
    for vid, node in scene.values.items():
        values[vid] = {"name": node.name, "label": node.label, "kind": node.kind, "op": node.op,
                       "operands": [operand.id for operand in node.operands], "data": number(node.data),
                       "grad": number(node.grad), "local": [number(operand.local) for operand in node.operands],
                       "rule": [operand.rule for operand in node.operands], "scope": node.scope}
    drawn = {}
    for nid, node in scene.nodes.items():
        entry = {"kind": node.kind}
        if node.kind in ("op", "copy"):
            entry["value"] = node.operands[0]
            if node.kind == "copy":
                entry["beside"] = node.operands[1]
        elif node.id in scene.values:
            entry["value"] = node.id
        if node.rows:
            entry["rows"] = node.rows
        if node.kind == "inputs":  # a layer's inputs, drawn as one node: a click edits the first
            entry["inputs"] = node.operands
        drawn[nid] = entry
    edges = [{"tail": e.tail, "head": e.head, "value": e.value, "parent": e.parent, "index": e.index,
              "local": None if e.local is None else number(e.local), "rule": e.rule,
              "uses": _uses(scene, e) if e.together else [e.index]} for e in scene.edges]
    live = live_document(scene, frames, table, lr, list(parameters), list(data))
    boxes = {bid: {"title": box.title, "norm": box.norm, "parent": box.parent} for bid, box in scene.boxes.items()}
    return {"digits": text.DIGITS, "shortDigits": text.SHORT_DIGITS, "notYet": NOT_YET, "font": FONT,
            "quiz": quiz or "", "title": scene.title,
            "scene": {"root": scene.root, "values": values, "drawn": drawn, "edges": edges, "boxes": boxes},
            "frames": frames, "live": live}


def _uses(scene, edge):
    """The operand indices an arrow drawn once for several uses stands for (their derivatives added)."""
    operands = scene.values[edge.value].operands
    return [i for i, operand in enumerate(operands) if operand.id == edge.parent]


def json_for_script(data):
    """JSON that is safe inside a <script> element."""
    text_ = json.dumps(data, ensure_ascii=False, allow_nan=False)
    return text_.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_look(width=None):
    """How the page draws its picture: every text FONT units, final numbers, kinds as classes, rules on edges."""
    return Look(show_rules=True, font=FONT, page=True, classes=True, width=width)


def picture_svg(scene):
    """The scene as inline SVG: Graphviz's layout when ``dot`` is installed (a small graph with long names
    tried in narrower lines until it shows whole), else layout.py's; each group's id is the scene's."""
    try:
        svg = run_dot(dot_source(scene, page_look()), "svg", "walkthrough")
        if svg is not None and scene.plan is None and len(scene.values) <= FIT_NODES and not _fits(svg):
            for width in NARROWER:  # long names: lines this long may let the whole graph show at FONT px
                narrower = run_dot(dot_source(scene, page_look(width)), "svg", "walkthrough")
                if narrower is not None and _fits(narrower):
                    svg = narrower
                    break
    except GraphvizError as error:
        warnings.warn(f"{error}; the page uses its own layout instead", RuntimeWarning, stacklevel=4)
        svg = None
    if svg is None:
        return fallback_svg(scene, FONT)
    svg = svg.decode("utf-8")
    svg = svg[svg.index("<svg"):]
    # Give each node group (and each box) its DOT name as id, so the page (and tests) can find it.
    svg = re.sub(r'<g id="(?:node|clust)\d+" class="((?:node|cluster)[^"]*)">\s*<title>([^<]*)</title>',
                 lambda m: f'<g id="{m[2]}" class="{m[1]}"><title>{m[2]}</title>', svg)
    return re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg class="graph"', svg, count=1)


def _fits(svg):
    """Whether dot's SVG picture shows whole in a 1280×720 window's graph pane at its own size."""
    box = re.search(rb'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', svg)
    return box is not None and float(box[1]) <= PANE[0] and float(box[2]) <= PANE[1]


def _resource(name):
    """One of the page's own files, autograd/page/<name> (importlib.resources is imported only here: it
    brings typing, whose thousand objects every full pass of the garbage collector would visit)."""
    from importlib import resources

    return resources.files("autograd").joinpath("page", name).read_text(encoding="utf-8")
