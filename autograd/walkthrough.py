"""One self-contained HTML page that plays a graph's forward pass, then its backward pass, step by step.

The page has no network needs (inline SVG, CSS and script), so it opens from ``file://``, and it
is made to be projected: the graph's text is never drawn smaller than 14 CSS px (18 in the
projector theme); a graph too big for the window at that size is followed step by step (zoom
and pan to the current node, its operation and its parents), with an overview toggle.

It changes no ``.grad``: the gradients it shows are those of this output as if every ``.grad``
started at zero, computed with the engine's own chain rule in storage of its own.

Elements the page's controls use (and tests look for): ``#next``, ``#prev``, ``#slider``,
``#counter``, ``#step-title``, ``#step-text`` (one ``.line`` per line), ``#theme``,
``#overview``, ``#fullscreen``, the quiz's ``#quiz`` (one ``input.answer`` per question),
``#check``, ``#hint``, ``#reveal``, ``#reply`` and ``#score``; SVG groups ``g.node`` with ids
``n<i>`` (values, ``i`` is the index in ``topological_order``) and ``op<i>`` (their
operations); edges ``g.edge`` whose label is hidden (class ``unknown``) until its output is
computed. The current value has class ``current``, the values it passes gradient to
``parent``, its operation ``current-op``. ``body`` carries ``data-frame``, ``data-frames``,
``data-quiz``, ``data-revealed``, ``data-theme``, ``data-view`` (``fit``, ``follow`` or
``overview``) and ``data-moving`` (``true`` while the view animates). ``#frame=N`` in the URL
opens frame N (counted from 0).
"""

import html
import json
import math
import re
import warnings
from pathlib import Path

from autograd.engine import start_grads, topological_order
from autograd.explain import reading_order_leaves
from autograd.explain import walk as explained_steps
from autograd.files import write_atomic
from autograd.viz import (MAX_NODES, GraphvizError, GraphvizNotFoundError, _graph, _statements, check_size,
                          expect_value, fmt, formula, install_hint, kind, names, record_escape, run_dot, visible)

THEMES = ("light", "projector", "dark")
FONT = 14  # the size of every text in the page's graph, in SVG units (one unit is one CSS px at scale 1)
_QUIZ_MODES = (None, "grad", "data")
_NOT_YET = "–"
_TITLE_CHARS = 160
_FRAME_FORMATS = ("svg", "png", "pdf")


def walkthrough(root, path, quiz=None, max_nodes=MAX_NODES, theme="light", extra_frames=()):
    """Write an HTML page stepping through root's forward and backward passes; returns the path.

    quiz="grad" asks for each gradient a step passes on, quiz="data" for each value the forward
    pass computes: the page grades the answer, gives a hint and a retry, and keeps a score.
    theme is "light", "projector" (high contrast, larger type) or "dark"; the page can switch.
    extra_frames, a sequence of (title, lines), adds frames of text at the end. Changes no
    ``.grad``. Missing folders are created and the page is written whole or not at all. When
    Graphviz's ``dot`` fails or is stopped at its time limit, the page uses its own layout and
    a RuntimeWarning says why.
    """
    expect_value(root, "walkthrough")
    if quiz not in _QUIZ_MODES:
        raise ValueError(f"walkthrough: quiz must be None, 'grad' or 'data', got {quiz!r}")
    if theme not in THEMES:
        raise ValueError(f"walkthrough: theme must be one of {', '.join(map(repr, THEMES))}, got {theme!r}")
    order = topological_order(root)
    check_size(order, max_nodes, "walkthrough")
    graph = _Walk(root, order)
    frames = _frames(graph, quiz)
    frames += [{"phase": "done", "title": str(title), "node": None, "parents": [], "lines": [str(line) for line in lines],
                "ask": [], "hide": [], "set": {}} for title, lines in extra_frames]
    svg = _svg(graph)
    page = _page(graph, frames, svg, quiz, theme)
    return write_atomic(path, page, what="walkthrough")


def frames(root, folder, fmt="svg", max_nodes=MAX_NODES):
    """One picture per walkthrough frame in folder (001.svg, 002.svg, ...); returns their paths.

    Forward frames show the values computed so far, backward frames the gradients passed back so
    far with the current node in red; for slides and handouts. Needs Graphviz's ``dot``; same
    size limits as ``render``. Changes no ``.grad``.
    """
    expect_value(root, "frames")
    if fmt not in _FRAME_FORMATS:
        raise ValueError(f"frames: fmt must be one of {', '.join(map(repr, _FRAME_FORMATS))}, got {fmt!r}")
    order = topological_order(root)
    check_size(order, max_nodes, "frames")
    graph = _Walk(root, order)
    shown = _frames(graph, None)
    graph_attrs, nodes, edges = _page_graph(graph)
    sources, values = [], {}
    for frame in shown:
        for nid, update in frame["set"].items():
            values.setdefault(nid, {}).update(update)
        sources.append(_frame_dot(graph_attrs, nodes, edges, frame, values))
    folder = Path(folder)
    paths = []
    for number, source in enumerate(sources, 1):
        picture = run_dot(source, fmt, "frames")
        if picture is None:
            raise GraphvizNotFoundError(f"frames: Graphviz's `dot` program is not installed (or not on PATH), "
                                        f"so no frame was drawn.\n{install_hint()}")
        paths.append(write_atomic(folder / f"{number:03d}.{fmt}", picture, what="frames"))
    return paths


# ---- the walk: every number the page shows, computed without touching .grad ----------------------


class _Walk:
    """The graph's names and the backward pass as step records, from a chain rule of its own."""

    def __init__(self, root, order):
        self.root, self.order = root, order
        self.name = names(order)
        self.ids = {node: f"n{i}" for i, node in enumerate(order)}
        grads = start_grads(order, 1.0)
        uses = {node: 0 for node in order}
        for node in order:
            for parent in node.parents:
                uses[parent] += 1
        received = {node: [] for node in order}
        self.steps = []  # (Step, [the sum of a parent's contributions when this step completes it, or None])
        for step in explained_steps(order, grads):  # explain's own step records: the engine's chain rule, no .grad
            sums = []
            for entry in step.parents:
                received[entry.parent].append(entry.contribution)
                done = len(received[entry.parent]) == uses[entry.parent]
                sums.append(list(received[entry.parent]) if done else None)
            self.steps.append((step, sums))
        self.grads = grads  # d root / d node for every node

    def formula(self, node, args):
        """How node is written from the texts args, as its op writes it."""
        return formula(node, list(args))

    def expression(self):
        """The whole expression root computes, written from its leaves: ``o = tanh(x1·w1 + ...)``."""
        text = {}
        for node in self.order:  # each op brackets its operands' texts as they need
            written = self.name[node] if not node.parents else self.formula(node, [text[p] for p in node.parents])
            text[node] = written if len(written) <= 4 * _TITLE_CHARS else written[:4 * _TITLE_CHARS]
        whole = text[self.root]
        if len(whole) > _TITLE_CHARS:
            whole = whole[:_TITLE_CHARS - 1] + "…"
        return whole if not self.root.parents or not self.root.label else f"{self.name[self.root]} = {whole}"


def _finite(x):
    return x if math.isfinite(x) else None


def _rule_and(rule, number):
    return number if rule == number.removesuffix(".0") else f"{rule} = {number}"


def _frames(walk, quiz):
    """Every frame of the page: forward, one per node; backward start; one per step; a summary."""
    order, name, ids, root = walk.order, walk.name, walk.ids, walk.root
    frames = []
    for i, node in enumerate(order, 1):
        title = f"Forward {i} of {len(order)}: {name[node]}"
        ask = []
        if not node.parents:
            what = {"parameter": "a parameter", "leaf": "an input", "constant": "a constant",
                    "output": "the output"}[kind(node, root)]
            line = f"{name[node]} = {fmt(node.data)}  (a leaf: {what})"
        else:
            symbols = walk.formula(node, [name[p] for p in node.parents])
            numbers = walk.formula(node, [fmt(p.data) for p in node.parents])
            start = f"{name[node]} = {symbols} = {numbers} = "
            line = start + fmt(node.data)
            if quiz == "data":
                ask = [{"question": start + "?", "value": _finite(node.data), "answer": fmt(node.data),
                        "hint": f"work out {numbers}"}]
        frames.append({"phase": "forward", "title": title, "node": ids[node], "parents": [],
                       "lines": [line], "ask": ask, "hide": [[ids[node], "data"]] if ask else [],
                       "set": {ids[node]: {"data": fmt(node.data)}}})

    frames.append({
        "phase": "backward", "title": "Backward starts", "node": ids[root], "parents": [],
        "lines": [f"{name[root]}.grad = 1.0  (∂{name[root]}/∂{name[root]} = 1)",
                  "every other gradient starts at 0.0 and adds up what reaches it"],
        "ask": [], "hide": [],
        "set": {ids[node]: {"grad": "1.0" if node is root else "0.0"} for node in order},
    })
    for step, sums in walk.steps:
        lines, ask, changed = [], [], {}
        for entry, line, row, total in zip(step.parents, step.lines(), step.columns(), sums):
            lines.append(line)
            if total is not None and len(total) > 1:  # the step that completes a fan-in shows the sum
                lines.append(f"{entry.name}.grad = {' + '.join(fmt(c) for c in total)} = {fmt(entry.grad_after)}")
            if quiz == "grad":
                d = f"∂{step.name}/∂{entry.name}"
                rule = f"{entry.rule} = {entry.numbers}" if entry.numbers != entry.rule else entry.rule
                ask.append({"question": f"{row[0]} = ?", "value": _finite(entry.contribution),
                            "answer": fmt(entry.contribution),
                            "hint": f"{d} = {_rule_and(rule, fmt(entry.local))}; times {step.name}.grad = {fmt(step.upstream)}"})
            changed[ids[entry.parent]] = {"grad": fmt(entry.grad_after)}
        frames.append({
            "phase": "backward", "title": f"Backward step {step.number} of {len(walk.steps)}: {step.name}",
            "node": ids[step.node], "parents": [ids[e.parent] for e in step.parents],
            "lines": lines, "ask": ask,
            "hide": [[pid, "grad"] for pid in changed] if ask else [],
            "set": changed,
        })
    leaves = reading_order_leaves(root)
    frames.append({
        "phase": "done", "title": "Done: the gradients of the leaves", "node": None, "parents": [],
        "lines": [f"{name[leaf]}.grad = {fmt(walk.grads[leaf])}" for leaf in leaves],
        "ask": [], "hide": [], "set": {},
    })
    return frames


# ---- the picture --------------------------------------------------------------------------------


def _page_graph(walk):
    """viz's nodes and edges for the page: every text FONT units, final numbers in the records, kinds as classes."""
    graph_attrs, nodes, edges = _graph(walk.root, "LR", False, None, "walkthrough", show_rules=True, expand="all")
    graph_attrs.update({"nodesep": "0.2", "ranksep": "0.2", "pad": "0.05"})
    kinds = {nid: kind(node, walk.root) for node, nid in walk.ids.items()}
    by_id = {nid: node for node, nid in walk.ids.items()}
    page_nodes = []
    for cluster, nid, attrs in nodes:
        attrs = dict(attrs, fontsize=str(FONT))
        if nid in by_id:
            node = by_id[nid]
            attrs["label"] = _stacked(_record(attrs["label"], fmt(node.data), fmt(walk.grads[node])))
            attrs["class"] = f"kind_{kinds[nid]}"
        page_nodes.append((cluster, nid, attrs))
    page_edges = []
    for tail, head, attrs in edges:
        if "label" in attrs:
            attrs = dict(attrs, fontsize=str(FONT), label=_edge_label(attrs["label"]))
        page_edges.append((tail, head, attrs))
    return graph_attrs, page_nodes, page_edges


def _edge_label(label):
    """viz's edge label ``∂o/∂n = 1 - o² = 0.5`` on two lines, so the picture is narrower."""
    parts = label.split(" = ")
    if len(parts) < 3 or "\n" in label:
        return label
    return f"{' = '.join(parts[:-1])}\n= {parts[-1]}"


def _record(label, data, grad):
    """A value record's label with other numbers in its data and grad fields."""
    head = label.rsplit(" | data ", 1)[0]
    return f"{head} | data {record_escape(data)} | grad {record_escape(grad)} }}"


def _stacked(label):
    """A record label whose fields stack top to bottom in a left-to-right picture (no outer braces)."""
    return label[1:-1].strip() if label.startswith("{") and label.endswith("}") else label


def _dot_source(graph_attrs, nodes, edges):
    lines = ["digraph chainrule {"]
    lines += [f'  {key}="{value}";' for key, value in graph_attrs.items()]
    lines.append(f'  node [fontname="Helvetica", fontsize="{FONT}"];')
    lines.append(f'  edge [fontname="Helvetica", fontsize="{FONT}"];')
    lines += _statements(nodes, edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _frame_dot(graph_attrs, nodes, edges, frame, values):
    """The DOT source of one frame's picture: numbers known so far, the current node in red."""
    current = frame["node"]
    current_op = f"op{current[1:]}" if current else None
    shown_nodes = []
    for cluster, nid, attrs in nodes:
        attrs = dict(attrs)
        if attrs.get("shape") == "record":
            known = values.get(nid, {})
            attrs["label"] = _stacked(_record("{" + attrs["label"] + "}", known.get("data", _NOT_YET),
                                              known.get("grad", _NOT_YET)))
        if nid == current or nid == current_op:
            attrs.update(color="#d62728", penwidth="4")
        elif nid in frame["parents"]:
            attrs.update(color="#2ca02c", penwidth="3")
        attrs.pop("class", None)
        shown_nodes.append((cluster, nid, attrs))
    shown_edges = []
    for tail, head, attrs in edges:
        attrs = dict(attrs)
        head_value = "n" + head[2:] if head.startswith("op") else head
        if "label" in attrs and "data" not in values.get(head_value, {}):
            attrs["label"] = " "  # not computed yet: nothing to show
        if head == current_op or (tail == current_op and frame["phase"] != "done"):
            attrs.update(color="#d62728", penwidth="2.5")
        shown_edges.append((tail, head, attrs))
    title = html.escape(frame["title"])
    return _dot_source(dict(graph_attrs, label=title, labelloc="t", fontsize=str(FONT + 4)), shown_nodes, shown_edges)


def _svg(walk):
    """The graph as inline SVG: Graphviz's layout when ``dot`` is installed, else our own."""
    try:
        svg = run_dot(_dot_source(*_page_graph(walk)), "svg", "walkthrough")
    except GraphvizError as error:
        warnings.warn(f"{error}; the page uses its own layout instead", RuntimeWarning, stacklevel=3)
        svg = None
    if svg is None:
        return _fallback_svg(walk)
    svg = svg.decode("utf-8")
    svg = svg[svg.index("<svg"):]
    # Give each node group its DOT name as id, so the page (and tests) can find it.
    svg = re.sub(r'<g id="node\d+" class="(node[^"]*)">\s*<title>([^<]*)</title>',
                 lambda m: f'<g id="{m[2]}" class="{m[1]}"><title>{m[2]}</title>', svg)
    return re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg class="graph"', svg, count=1)


def _fallback_svg(walk):
    """A layered left-to-right layout: a value's column is 1 + the deepest column of its parents."""
    root, order, name = walk.root, walk.order, walk.name
    depth = {}
    for node in order:
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
    leaf_column = {}  # a leaf sits just left of its first use, not far away
    for node in order:
        for parent in node.parents:
            if not parent.parents:
                leaf_column[parent] = min(leaf_column.get(parent, depth[node] - 1), depth[node] - 1)
    depth.update(leaf_column)
    char, row_h, gap_x, gap_y, op_w = 0.6 * FONT, FONT + 8, 40 + 6 * FONT, 30, 44
    texts = {node: [visible(node.label) or name[node], f"data {fmt(node.data)}", f"grad {fmt(walk.grads[node])}"]
             for node in order}
    width = {node: 16 + char * max(len(t) for t in texts[node]) for node in order}
    col_w = max(width.values()) + op_w + 2 * gap_x
    columns = {}
    for node in order:
        columns.setdefault(depth[node], []).append(node)
    pos, rows = {}, {}
    for column in sorted(columns):
        members = columns[column]
        # Inner nodes near the middle of their operands, leaves after them in order of appearance.
        members.sort(key=lambda v: (0, sum(pos[p][1] for p in v.parents) / len(v.parents)) if v.parents else (1, 0))
        for row, node in enumerate(members):
            pos[node] = (20 + column * col_w + op_w + gap_x, 20 + row * (3 * row_h + gap_y))
        rows[column] = len(members)
    ids = {node: i for i, node in enumerate(order)}
    parts = []
    for node in order:
        x, y = pos[node]
        mid_y = y + 1.5 * row_h
        if node.parents:
            ox, oy = x - gap_x / 2 - op_w / 2, mid_y
            for parent in node.parents:
                px, py = pos[parent]
                sx, sy = px + width[parent], py + 1.5 * row_h
                parts.append(f'<g class="edge"><title>n{ids[parent]}-&gt;op{ids[node]}</title>'
                             f'<path fill="none" stroke="#333" marker-end="url(#arrow)" d="M{sx:.1f},{sy:.1f} C{(sx + ox) / 2:.1f},{sy:.1f} '
                             f'{(sx + ox) / 2:.1f},{oy:.1f} {ox - op_w / 2:.1f},{oy:.1f}"/></g>')
            parts.append(f'<g class="edge"><title>op{ids[node]}-&gt;n{ids[node]}</title>'
                         f'<path fill="none" stroke="#333" marker-end="url(#arrow)" d="M{ox + op_w / 2:.1f},{oy:.1f} L{x:.1f},{oy:.1f}"/></g>')
            parts.append(f'<g id="op{ids[node]}" class="node"><title>op{ids[node]}</title>'
                         f'<ellipse fill="white" stroke="#333" cx="{ox:.1f}" cy="{oy:.1f}" rx="{op_w / 2}" ry="{FONT}"/>'
                         f'<text text-anchor="middle" x="{ox:.1f}" y="{oy + FONT / 3:.1f}">{html.escape(node.op)}</text></g>')
        rect = (f'<rect fill="white" stroke="#333" x="{x:.1f}" y="{y:.1f}" '
                f'width="{width[node]:.1f}" height="{3 * row_h}"/>')
        lines = "".join(
            f'<text x="{x + 8:.1f}" y="{y + (k + 1) * row_h - 6:.1f}">{html.escape(t)}</text>'
            for k, t in enumerate(texts[node]))
        parts.append(f'<g id="n{ids[node]}" class="node kind_{kind(node, root)}"><title>n{ids[node]}</title>{rect}{lines}</g>')
    total_w = 40 + (max(depth.values()) + 1) * col_w
    total_h = 40 + max(rows.values()) * (3 * row_h + gap_y)
    return (f'<svg class="graph fallback" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total_w:.0f} {total_h:.0f}" '
            f'font-family="Helvetica, Arial, sans-serif" font-size="{FONT}">'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>'
            f'{"".join(parts)}</svg>')


# ---- the page -----------------------------------------------------------------------------------


def _json_for_script(data):
    """JSON that is safe inside a <script> element."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(walk, frames, svg, quiz, theme):
    heading = html.escape(walk.expression())
    quiz_note = {None: "", "grad": "quiz: type each gradient a step passes on",
                 "data": "quiz: type each value the forward pass computes"}[quiz]
    fill = {
        "TITLE": heading, "HEADING": heading, "QUIZ_NOTE": html.escape(quiz_note), "QUIZ": quiz or "",
        "THEME": theme, "FRAMES_COUNT": str(len(frames)), "LAST": str(len(frames) - 1), "FONT": str(FONT),
        "NOT_YET": _NOT_YET, "FRAMES_JSON": _json_for_script(frames), "SVG": svg,
    }
    # One pass, so a placeholder-like text inside the SVG or the frames is never filled in again.
    return re.sub(r"@@([A-Z_]+)@@", lambda m: fill[m[1]], _TEMPLATE)


_TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chain rule walkthrough: @@TITLE@@</title>
<style>
  :root { --font: @@FONT@@; }
  body { --bg: #f4f4f4; --pane: #ffffff; --ink: #1a1a1a; --muted: #555555; --line: #333333; --edge-label: #1a1a1a;
         --accent: #d62728; --accent2: #1f7a1f; --head-bg: #24292e; --head-ink: #ffffff; --button: #f0f0f0;
         --output: #ffe08a; --parameter: #cfe8ff; --leaf: #e6e6e6; --inner: #ffffff; --op: #ffffff;
         --quiz: #b35c00; --step: 20px; --min-font: 14; }
  body[data-theme="projector"] { --bg: #ffffff; --pane: #ffffff; --ink: #000000; --muted: #222222; --line: #000000;
         --edge-label: #000000; --accent: #c00000; --accent2: #006400; --head-bg: #000000; --button: #ffffff;
         --output: #ffd24d; --parameter: #a8d4ff; --leaf: #dddddd; --step: 24px; --min-font: 18; }
  body[data-theme="dark"] { --bg: #111418; --pane: #1b1f24; --ink: #f2f2f2; --muted: #b8b8b8; --line: #c8c8c8;
         --edge-label: #e8e8e8; --accent: #ff6b6b; --accent2: #6fdc6f; --head-bg: #000000; --button: #2a3038;
         --output: #6b5200; --parameter: #1d4a73; --leaf: #3a3f46; --inner: #1b1f24; --op: #1b1f24;
         --quiz: #ffb347; }
  html, body { height: 100%; }
  body { font-family: Helvetica, Arial, sans-serif; margin: 0; color: var(--ink); background: var(--bg);
         display: flex; flex-direction: column; }
  header { display: flex; align-items: center; gap: 12px; padding: 6px 14px; background: var(--head-bg); color: var(--head-ink); }
  header h1 { font-size: 22px; margin: 0; flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  header .note { font-size: 16px; opacity: 0.9; white-space: nowrap; }
  header button { background: transparent; color: var(--head-ink); border-color: #999; }
  main { flex: 1; min-height: 0; display: flex; flex-direction: column; gap: 8px; padding: 8px 12px; }
  #graph { flex: 1; min-height: 120px; min-width: 0; overflow: hidden; background: var(--pane);
           border: 1px solid #8884; border-radius: 6px; position: relative; }
  #graph svg { display: block; position: absolute; left: 0; top: 0; }
  #panel { flex: 0 0 auto; display: flex; gap: 16px; background: var(--pane); border: 1px solid #8884;
           border-radius: 6px; padding: 8px 14px; }
  #words { flex: 1; min-width: 0; }
  #side { flex: 0 0 300px; display: flex; flex-direction: column; gap: 8px; }
  @media (min-width: 1500px) and (min-aspect-ratio: 3/2) {
    main { flex-direction: row; }
    #panel { flex: 0 0 30%; flex-direction: column; }
    #side { flex: 0 0 auto; }
  }
  @media (max-width: 900px) {
    #panel { flex-direction: column; }
    #side { flex: 0 0 auto; }
  }
  #step-title { font-size: calc(var(--step) + 2px); margin: 0 0 4px; }
  #step-text { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: var(--step);
               line-height: 1.35; white-space: pre-wrap; overflow-wrap: anywhere; }
  #step-text .line { padding: 1px 0; }
  #step-text .line.sum { font-weight: bold; }
  .controls { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  button { font-size: 18px; padding: 5px 12px; border-radius: 5px; border: 1px solid #888; background: var(--button);
           color: var(--ink); cursor: pointer; }
  button:disabled { opacity: 0.35; cursor: default; }
  #slider { width: 100%; }
  #counter { font-size: 18px; color: var(--muted); }
  .help { font-size: 14px; color: var(--muted); margin: 0; }
  #quiz { margin-top: 6px; }
  #quiz[hidden] { display: none; }
  #quiz .ask { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; font-size: var(--step);
               font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; margin: 2px 0; }
  #quiz input.answer { font-size: var(--step); width: 9em; padding: 2px 6px; background: var(--pane); color: var(--ink);
                        border: 2px solid var(--muted); border-radius: 4px; }
  #quiz input.answer.right { border-color: var(--accent2); }
  #quiz input.answer.wrong { border-color: var(--accent); }
  #reply { font-size: var(--step); min-height: 1.3em; }
  #reply.right { color: var(--accent2); } #reply.wrong, #reply.invalid { color: var(--accent); }
  #score { font-size: 18px; color: var(--muted); }
  /* the graph */
  #graph text { fill: var(--ink); font-family: Helvetica, Arial, sans-serif; }
  #graph g.graph > polygon { fill: var(--pane); stroke: none; }
  #graph g.node polygon, #graph g.node ellipse, #graph g.node rect, #graph g.node polyline { stroke: var(--line); }
  #graph g.node polygon, #graph g.node rect { fill: var(--inner); }
  #graph g.node ellipse { fill: var(--op); }
  #graph g.kind_output polygon, #graph g.kind_output rect { fill: var(--output); stroke-width: 2.5px; }
  #graph g.kind_parameter polygon, #graph g.kind_parameter rect { fill: var(--parameter); }
  #graph g.kind_leaf polygon, #graph g.kind_leaf rect { fill: var(--leaf); }
  #graph g.kind_constant polygon, #graph g.kind_constant rect { stroke-dasharray: 5 3; }
  #graph g.cluster polygon { fill: none; stroke: var(--muted); }
  #graph g.edge path { stroke: var(--line); }
  #graph g.edge polygon { stroke: var(--line); fill: var(--line); }
  #graph g.edge text { fill: var(--edge-label); }
  #graph g.edge.unknown text { visibility: hidden; }
  #graph g.edge.waiting text { fill: var(--muted); }
  #graph g.edge.done text { font-weight: bold; }
  #graph g.node.pending { opacity: 0.3; }
  #graph g.node.current polygon, #graph g.node.current rect, #graph g.node.current-op ellipse,
  #graph g.node.current-op polygon { stroke: var(--accent); stroke-width: 5px; }
  #graph g.node.parent polygon, #graph g.node.parent rect, #graph g.node.parent ellipse { stroke: var(--accent2); stroke-width: 4px; }
  #graph g.edge.active path { stroke: var(--accent); stroke-width: 3px; }
  #graph g.edge.active polygon { stroke: var(--accent); fill: var(--accent); }
  #graph g.edge.active text { fill: var(--accent); font-weight: bold; }
  #graph text.unknown { fill: var(--quiz); font-weight: bold; }
  .legend span { display: inline-block; padding: 0 6px; margin-right: 4px; border: 1px solid #999; font-size: 14px; color: #1a1a1a; }
  body:fullscreen header, body.full header { padding: 2px 14px; }
</style>
</head>
<body data-frame="0" data-frames="@@FRAMES_COUNT@@" data-quiz="@@QUIZ@@" data-revealed="true" data-theme="@@THEME@@"
      data-view="fit" data-moving="false">
<header>
  <h1 id="expression">@@HEADING@@</h1>
  <span class="note">@@QUIZ_NOTE@@</span>
  <button id="theme" type="button" title="switch the colours (T)">Theme</button>
  <button id="overview" type="button" title="the whole graph, or follow the step (O)">Overview</button>
  <button id="fullscreen" type="button" title="full screen (F)">Full screen</button>
</header>
<main>
  <div id="graph">@@SVG@@</div>
  <section id="panel">
    <div id="words">
      <h2 id="step-title"></h2>
      <div id="step-text"></div>
      <div id="quiz" hidden>
        <div id="asks"></div>
        <div class="controls">
          <button id="check" type="button">Check</button>
          <button id="hint" type="button">Hint</button>
          <button id="reveal" type="button">Reveal</button>
          <span id="score"></span>
        </div>
        <div id="reply" role="status"></div>
      </div>
    </div>
    <div id="side">
      <div class="controls">
        <button id="prev" type="button">&larr; Prev</button>
        <button id="next" type="button">Next &rarr;</button>
        <span id="counter"></span>
      </div>
      <input id="slider" type="range" min="0" max="@@LAST@@" value="0" aria-label="frame">
      <p class="help">&larr; &rarr; Space: step &middot; Home/End: first/last &middot; T theme &middot; O overview &middot; F full screen.
        Red: this step's node; green: the nodes it passes gradient to.</p>
      <p class="legend"><span style="background:#ffe08a">output</span><span style="background:#cfe8ff">parameter</span><span style="background:#e6e6e6">input</span><span style="border-style:dashed;background:#fff">constant</span></p>
    </div>
  </section>
</main>
<script id="frames" type="application/json">@@FRAMES_JSON@@</script>
<script>
"use strict";
(function () {
  var frames = JSON.parse(document.getElementById("frames").textContent);
  var body = document.body, quiz = body.dataset.quiz, NOT_YET = "@@NOT_YET@@", FONT = @@FONT@@;
  var THEMES = ["light", "projector", "dark"];
  var current = 0, revealed = true, overview = false;
  var graph = document.getElementById("graph"), svg = graph.querySelector("svg");
  var nodes = {}, edges = [];
  graph.querySelectorAll("g.node").forEach(function (g) {
    var texts = g.querySelectorAll("text");
    nodes[g.id] = { g: g, data: texts.length >= 3 ? texts[texts.length - 2] : null,
                    grad: texts.length >= 3 ? texts[texts.length - 1] : null };
  });
  graph.querySelectorAll("g.edge").forEach(function (g) {
    var ends = g.querySelector("title").textContent.split("->");
    edges.push({ g: g, tail: ends[0], head: ends[1] });
  });
  // The frame that computes each value, and the backward step that passes each node's gradient on.
  var computedAt = {}, steppedAt = {};
  frames.forEach(function (f, k) {
    if (f.phase === "forward") computedAt[f.node] = k;
    else if (f.phase === "backward" && f.parents.length) steppedAt[f.node] = k;
  });
  var $ = function (id) { return document.getElementById(id); };
  var prev = $("prev"), next = $("next"), slider = $("slider");
  // Quiz state per frame: for each question, "open", "right" or "shown", and whether the first try was right.
  var answers = frames.map(function (f) {
    return f.ask.map(function () { return { state: "open", tries: 0, first: false }; });
  });

  function needsReveal(k) { return quiz !== "" && frames[k].ask.length > 0 &&
    answers[k].some(function (a) { return a.state === "open"; }); }

  // ---- the view: zoom and pan so the text is never smaller than the theme's minimum ----
  var full = (function () {
    var vb = svg.viewBox && svg.viewBox.baseVal;
    if (vb && vb.width) return { x: vb.x, y: vb.y, w: vb.width, h: vb.height };
    var b = svg.getBBox(); return { x: b.x, y: b.y, w: b.width, h: b.height };
  })();
  var view = null, animation = null;
  function minFont() { return parseFloat(getComputedStyle(body).getPropertyValue("--min-font")) || 14; }
  function boxOf(ids) {
    var inverse = svg.getScreenCTM().inverse(), box = null;
    ids.forEach(function (id) {
      var g = $(id); if (!g) return;
      var r = g.getBoundingClientRect(), p = svg.createSVGPoint(), q = svg.createSVGPoint();
      p.x = r.left; p.y = r.top; q.x = r.right; q.y = r.bottom;
      p = p.matrixTransform(inverse); q = q.matrixTransform(inverse);
      var b = { x0: Math.min(p.x, q.x), y0: Math.min(p.y, q.y), x1: Math.max(p.x, q.x), y1: Math.max(p.y, q.y) };
      box = box ? { x0: Math.min(box.x0, b.x0), y0: Math.min(box.y0, b.y0), x1: Math.max(box.x1, b.x1), y1: Math.max(box.y1, b.y1) } : b;
    });
    return box;
  }
  function targetView() {
    var pw = graph.clientWidth, ph = graph.clientHeight;
    var minS = minFont() / FONT, fit = Math.min(pw / full.w, ph / full.h);
    var frame = frames[current], s, cx = full.x + full.w / 2, cy = full.y + full.h / 2, mode;
    if (overview) { s = fit; mode = "overview"; }
    else if (fit >= minS || !frame.node) { s = Math.max(Math.min(fit, 2 * minS), minS); mode = fit >= minS ? "fit" : "follow"; }
    else {
      mode = "follow";
      var ids = [frame.node, "op" + frame.node.slice(1)].concat(frame.parents);
      var focus = boxOf(ids), own = boxOf([frame.node, "op" + frame.node.slice(1)]);
      var margin = 16 / minS;
      var fw = focus.x1 - focus.x0 + 2 * margin, fh = focus.y1 - focus.y0 + 2 * margin;
      s = Math.min(pw / fw, ph / fh, 1.6 * minS);
      if (s < minS) {  // the whole step does not fit: keep the size, show the node (and its operation if it fits)
        s = minS;
        focus = (own.x1 - own.x0 + 2 * margin) * s <= pw && (own.y1 - own.y0 + 2 * margin) * s <= ph ? own : boxOf([frame.node]);
      }
      cx = (focus.x0 + focus.x1) / 2; cy = (focus.y0 + focus.y1) / 2;
      var w = pw / s, h = ph / s;  // keep the view on the picture where it can be
      if (w < full.w) cx = Math.min(Math.max(cx, full.x + w / 2), full.x + full.w - w / 2); else cx = full.x + full.w / 2;
      if (h < full.h) cy = Math.min(Math.max(cy, full.y + h / 2), full.y + full.h - h / 2); else cy = full.y + full.h / 2;
    }
    body.dataset.view = mode;
    return { x: cx - pw / s / 2, y: cy - ph / s / 2, w: pw / s, h: ph / s, pw: pw, ph: ph };
  }
  function apply(v) {
    svg.setAttribute("width", v.pw); svg.setAttribute("height", v.ph);
    svg.setAttribute("viewBox", [v.x, v.y, v.w, v.h].join(" "));
    view = v;
  }
  function place(animate) {
    var target = targetView();
    if (animation) cancelAnimationFrame(animation);
    if (!animate || !view || view.pw !== target.pw || view.ph !== target.ph ||
        window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      apply(target); body.dataset.moving = "false"; return;
    }
    var from = view, start = null, ms = 350;
    body.dataset.moving = "true";
    function tick(now) {
      if (start === null) start = now;
      var t = Math.min(1, (now - start) / ms), e = t < 0.5 ? 2 * t * t : 1 - Math.pow(-2 * t + 2, 2) / 2;
      apply({ x: from.x + (target.x - from.x) * e, y: from.y + (target.y - from.y) * e,
              w: from.w + (target.w - from.w) * e, h: from.h + (target.h - from.h) * e, pw: target.pw, ph: target.ph });
      if (t < 1) animation = requestAnimationFrame(tick);
      else { animation = null; body.dataset.moving = "false"; }
    }
    animation = requestAnimationFrame(tick);
  }

  // ---- one frame ----
  function show(animate) {
    var frame = frames[current], hidden = {}, values = {};
    var answerHidden = needsReveal(current) && !revealed;
    if (answerHidden) frame.hide.forEach(function (h) { hidden[h[0] + ":" + h[1]] = true; });
    for (var k = 0; k <= current; k++) {
      var set = frames[k].set;
      for (var id in set) { values[id] = Object.assign(values[id] || {}, set[id]); }
    }
    var forwardPhase = frame.phase === "forward";
    for (var id in nodes) {
      var n = nodes[id], isOp = id.slice(0, 2) === "op";
      // "n3r7" is n3 drawn again beside op7 (a reused operand far from its first use)
      var copy = /^(n\d+)r(\d+)$/.exec(id);
      var valueId = isOp ? "n" + id.slice(2) : (copy ? copy[1] : id), v = values[valueId] || {};
      n.g.classList.toggle("pending", forwardPhase && v.data === undefined);
      n.g.classList.toggle("current", id === frame.node);
      n.g.classList.toggle("current-op", isOp && valueId === frame.node);
      n.g.classList.toggle("parent", !isOp && frame.parents.indexOf(valueId) >= 0 &&
                                     (!copy || "n" + copy[2] === frame.node));
      if (isOp || !n.data) continue;
      n.data.textContent = "data " + (hidden[valueId + ":data"] ? "?" : (v.data !== undefined ? v.data : NOT_YET));
      n.grad.textContent = "grad " + (hidden[valueId + ":grad"] ? "?" : (v.grad !== undefined ? v.grad : NOT_YET));
      n.data.classList.toggle("unknown", !!hidden[valueId + ":data"]);
      n.grad.classList.toggle("unknown", !!hidden[valueId + ":grad"]);
    }
    var opId = frame.node ? "op" + frame.node.slice(1) : null;
    edges.forEach(function (e) {
      var into = e.head.slice(0, 2) === "op" ? "n" + e.head.slice(2) : null;
      var known = into === null || current >= computedAt[into];
      var done = into !== null && steppedAt[into] !== undefined && current >= steppedAt[into];
      e.g.classList.toggle("unknown", !known);
      e.g.classList.toggle("waiting", known && !done && !forwardPhase);
      e.g.classList.toggle("done", done);
      e.g.classList.toggle("active", opId !== null && (e.head === opId || e.tail === opId));
    });
    $("step-title").textContent = frame.title;
    var box = $("step-text");
    box.innerHTML = "";
    if (!answerHidden) frame.lines.forEach(function (line) {
      var div = document.createElement("div");
      div.className = "line" + (frame.phase === "backward" && line.indexOf("+=") < 0 && / \+ /.test(line) ? " sum" : "");
      div.textContent = line;
      box.appendChild(div);
    });
    showQuiz(answerHidden);
    body.dataset.frame = String(current);
    body.dataset.revealed = String(!answerHidden);
    $("counter").textContent = (current + 1) + " / " + frames.length;
    slider.value = String(current);
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1 && !answerHidden;
    if (location.hash !== "#frame=" + current) {
      try { history.replaceState(null, "", "#frame=" + current); } catch (err) { /* some file:// setups */ }
    }
    place(animate);
  }

  // ---- the quiz ----
  function parseAnswer(text) {
    var t = text.trim().replace(/\u2212/g, "-").replace(/,/g, ".");
    var num = "[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?";
    var m = new RegExp("^(" + num + ")(?:\\s*/\\s*(" + num + "))?$").exec(t);
    if (!m) return null;
    var value = parseFloat(m[1]);
    if (m[2] !== undefined) { var d = parseFloat(m[2]); if (d === 0) return null; value = value / d; }
    return isFinite(value) ? value : null;
  }
  function close(x, y) { return Math.abs(x - y) <= 1e-3 * Math.max(Math.abs(y), 1e-9); }
  function score() {
    var right = 0, asked = 0;
    answers.forEach(function (list) { list.forEach(function (a) { if (a.state !== "open" || a.tries) asked++; if (a.first) right++; }); });
    var total = answers.reduce(function (n, list) { return n + list.length; }, 0);
    return { right: right, asked: asked, total: total };
  }
  function scoreText() {
    var s = score();
    return "Score: " + s.right + " of " + s.total + " right first time";
  }
  function showQuiz(answerHidden) {
    var frame = frames[current], q = $("quiz");
    var active = quiz !== "" && frame.ask.length > 0;
    q.hidden = !active && !(quiz !== "" && frame.phase === "done");
    $("score").textContent = quiz !== "" ? scoreText() : "";
    var asks = $("asks"); asks.innerHTML = "";
    $("check").hidden = $("hint").hidden = $("reveal").hidden = !active;
    if (!active) { if (quiz !== "" && frame.phase === "done" && frame.node === null) setReply("", scoreText()); else setReply("", ""); return; }
    frame.ask.forEach(function (a, i) {
      var row = document.createElement("div"); row.className = "ask";
      var label = document.createElement("label"); label.textContent = a.question.slice(0, -1);
      var input = document.createElement("input"); input.className = "answer"; input.type = "text";
      input.setAttribute("inputmode", "decimal"); input.setAttribute("autocomplete", "off");
      input.dataset.index = String(i);
      var st = answers[current][i];
      if (st.state !== "open") { input.value = a.answer; input.disabled = true; input.classList.add(st.state === "right" ? "right" : "shown"); }
      label.appendChild(input); row.appendChild(label); asks.appendChild(row);
    });
    $("check").disabled = $("hint").disabled = $("reveal").disabled = !answerHidden;
    if (!answerHidden) setReply("", answers[current].every(function (a) { return a.state === "right"; }) ? "Right." : "");
    else setReply("", "");
  }
  function setReply(kind, text) { var r = $("reply"); r.className = kind; r.textContent = text; }
  function check() {
    var frame = frames[current];
    if (!frame.ask.length || !needsReveal(current)) return;
    var replies = [], kindSeen = "right";
    document.querySelectorAll("#asks input.answer").forEach(function (input) {
      var i = Number(input.dataset.index), a = frame.ask[i], st = answers[current][i];
      if (st.state !== "open") return;
      var given = input.value;
      var value = parseAnswer(given);
      if (value === null) {
        replies.push(given.trim() === "" ? "Type a number first." :
          "\u201c" + given.trim() + "\u201d is not a number: type one such as 0.5, -3 or 1/2.");
        kindSeen = kindSeen === "wrong" ? "wrong" : "invalid"; input.classList.add("wrong"); return;
      }
      st.tries++;
      if (a.value !== null && close(value, a.value)) {
        st.state = "right"; st.first = st.tries === 1;
        input.classList.remove("wrong"); input.classList.add("right"); input.disabled = true;
        replies.push("Right: " + a.answer + (st.first ? "." : " (second try or later)."));
      } else {
        kindSeen = "wrong"; input.classList.add("wrong");
        replies.push("Not quite: " + given.trim() + " is not it. Try again, or ask for a hint.");
      }
    });
    if (!needsReveal(current)) { revealed = true; show(false); setReply("right", replies.join(" ")); return; }
    setReply(kindSeen, replies.join(" "));
    $("score").textContent = scoreText();
  }
  function hint() {
    var frame = frames[current];
    setReply("hint", "Hint: " + frame.ask.map(function (a) { return a.hint; }).join("; "));
  }
  function revealAll() {
    answers[current].forEach(function (a) { if (a.state === "open") a.state = "shown"; });
    revealed = true; show(false);
    setReply("", "The answer: " + frames[current].ask.map(function (a) { return a.answer; }).join(", "));
  }

  // ---- moving ----
  function go(k) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    revealed = !needsReveal(current);
    show(true);
    var first = document.querySelector("#asks input.answer:not([disabled])");
    if (first && !revealed) first.focus({ preventScroll: true });
  }
  function forward() {
    if (needsReveal(current) && !revealed) revealAll();
    else if (current < frames.length - 1) go(current + 1);
  }
  function back() { if (current > 0) go(current - 1); }
  function toggleFullscreen() {
    try {
      if (document.fullscreenElement) document.exitFullscreen().catch(function () {});
      else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(function () {});
    } catch (err) { /* not allowed here */ }
  }
  function nextTheme() {
    var i = THEMES.indexOf(body.dataset.theme);
    body.dataset.theme = THEMES[(i + 1) % THEMES.length];
    place(false);
  }
  next.addEventListener("click", forward);
  prev.addEventListener("click", back);
  $("check").addEventListener("click", check);
  $("hint").addEventListener("click", hint);
  $("reveal").addEventListener("click", revealAll);
  $("theme").addEventListener("click", nextTheme);
  $("overview").addEventListener("click", function () { overview = !overview; place(true); });
  $("fullscreen").addEventListener("click", toggleFullscreen);
  slider.addEventListener("input", function () { go(parseInt(slider.value, 10)); });
  window.addEventListener("keydown", function (event) {
    var typing = event.target && event.target.tagName === "INPUT" && event.target.type === "text";
    if (typing) { if (event.key === "Enter") { event.preventDefault(); check(); } return; }
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key;
    if (key === "ArrowRight" || key === " " || key === "PageDown") { event.preventDefault(); forward(); }
    else if (key === "ArrowLeft" || key === "PageUp") { event.preventDefault(); back(); }
    else if (key === "Home") { event.preventDefault(); go(0); }
    else if (key === "End") { event.preventDefault(); go(frames.length - 1); }
    else if (key === "f" || key === "F") { event.preventDefault(); toggleFullscreen(); }
    else if (key === "t" || key === "T") { event.preventDefault(); nextTheme(); }
    else if (key === "o" || key === "O") { event.preventDefault(); overview = !overview; place(true); }
  }, true);
  function fromHash() {
    var m = /(?:^#|&)frame=(\d+)/.exec(location.hash);
    return m ? Math.min(parseInt(m[1], 10), frames.length - 1) : 0;
  }
  window.addEventListener("hashchange", function () { var k = fromHash(); if (k !== current) go(k); });
  window.addEventListener("resize", function () { place(false); });
  document.addEventListener("fullscreenchange", function () { place(false); });
  current = fromHash();
  revealed = !needsReveal(current);
  show(false);
})();
</script>
</body>
</html>
"""
