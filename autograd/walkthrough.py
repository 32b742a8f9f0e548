"""One self-contained HTML page that plays a graph's forward pass, then its backward pass, step by step.

The page has no network needs (inline SVG, CSS and script), so it opens from ``file://``.
The picture comes from Graphviz's ``dot`` when it is installed, else from a simple layered
layout computed here. Elements the page's controls use (and tests look for):
``#next``, ``#prev``, ``#reveal``, ``#slider``, ``#counter``, ``#step-title``, ``#step-text``
(one ``.line`` per chain-rule line), SVG groups ``g.node`` with ids ``n<i>`` (values, ``i`` is
the index in ``topological_order``) and ``op<i>`` (their operations); the current value has
class ``current``, the values it passes gradient to have class ``parent``, its operation ``current-op``; ``body`` carries
``data-frame``, ``data-frames``, ``data-quiz`` and ``data-revealed``.
"""

import html
import json
import re
import warnings

from autograd.engine import topological_order
from autograd.explain import backward_steps, reading_order_leaves
from autograd.files import write_atomic
from autograd.viz import (MAX_NODES, GraphvizError, check_size, expect_value, fmt, formula, kind, names, run_dot,
                          to_dot, visible)

_QUIZ_MODES = (None, "grad", "data")
_NOT_YET = "–"


def walkthrough(root, path, quiz=None, max_nodes=MAX_NODES, extra_frames=()):
    """Write an HTML page stepping through root's forward and backward passes; returns the path.

    quiz="grad" hides each new gradient until revealed (Next or the Reveal button shows it);
    quiz="data" does the same for each computed value in the forward pass. extra_frames, a
    sequence of (title, lines), adds frames of text at the end (the CLI's update table). Runs
    the backward pass (as ``root.backward()`` would), so it changes ``.grad`` values. Missing
    folders are created and the page is written whole or not at all. When Graphviz's ``dot``
    fails or is stopped at its time limit, the page uses its own layout and a RuntimeWarning
    says why.
    """
    expect_value(root, "walkthrough")
    if quiz not in _QUIZ_MODES:
        raise ValueError(f"walkthrough: quiz must be None, 'grad' or 'data', got {quiz!r}")
    order = topological_order(root)
    check_size(order, max_nodes, "walkthrough")
    frames = _frames(root, order, quiz)
    frames += [{"phase": "done", "title": str(title), "node": None, "parents": [], "lines": [str(line) for line in lines],
                "question": None, "hide": [], "set": {}} for title, lines in extra_frames]
    svg = _svg(root, order)
    page = _page(root, order, frames, svg, quiz)
    return write_atomic(path, page, what="walkthrough")


def _frames(root, order, quiz):
    """Every frame of the page: forward, one per node; backward start; one per step; a summary."""
    name = names(order)
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    frames = []
    for i, node in enumerate(order, 1):
        title = f"Forward {i} of {len(order)}: {name[node]}"
        if not node.parents:
            what = {"parameter": "a parameter", "leaf": "an input", "constant": "a constant",
                    "output": "the output"}[kind(node, root)]
            line = f"{name[node]} = {fmt(node.data)}  (a leaf: {what})"
            question, hide = line, []
        else:
            symbols = formula(node, [name[p] for p in node.parents])
            numbers = formula(node, [fmt(p.data) for p in node.parents])
            start = f"{name[node]} = {symbols} = {numbers} = "
            line, question = start + fmt(node.data), start + "?"
            hide = [[ids[node], "data"]] if quiz == "data" else []
        frames.append({"phase": "forward", "title": title, "node": ids[node], "parents": [],
                       "lines": [line], "question": [question], "hide": hide,
                       "set": {ids[node]: {"data": fmt(node.data)}}})

    steps = backward_steps(root)
    frames.append({
        "phase": "backward", "title": "Backward starts", "node": ids[root], "parents": [],
        "lines": [f"{name[root]}.grad = 1.0  (∂{name[root]}/∂{name[root]} = 1)",
                  "every other inner node's grad starts at 0; leaves keep what they hold "
                  "and accumulate"],
        "question": None, "hide": [],
        "set": {ids[node]: {"grad": fmt(node.grad)} for node in order},
    })
    count = sum(1 for node in order if node.parents)
    for step in steps:
        lines = step.lines()
        question = [re.sub(r" = [^ ]+(  \()", r" = ?\1", line, count=1).split(", now ")[0]
                    for line in lines]
        changed = {}
        for entry in step.parents:
            changed[ids[entry.parent]] = {"grad": fmt(entry.grad_after)}
        frames.append({
            "phase": "backward", "title": f"Backward step {step.number} of {count}: {step.name}",
            "node": ids[step.node], "parents": [ids[e.parent] for e in step.parents],
            "lines": lines, "question": question,
            "hide": [[pid, "grad"] for pid in changed] if quiz == "grad" else [],
            "set": changed,
        })
    leaves = reading_order_leaves(root)
    frames.append({
        "phase": "done", "title": "Done: the gradients of the leaves", "node": None, "parents": [],
        "lines": [f"{name[leaf]}.grad = {fmt(leaf.grad)}" for leaf in leaves],
        "question": None, "hide": [], "set": {},
    })
    return frames


def _svg(root, order):
    """The graph as inline SVG: Graphviz's layout when ``dot`` is installed, else our own."""
    # Top to bottom: a tall picture fits beside the step panel at a size a class can read.
    try:
        svg = run_dot(to_dot(root, rankdir="TB", max_nodes=None), "svg", "walkthrough")
    except GraphvizError as error:
        warnings.warn(f"{error}; the page uses its own layout instead", RuntimeWarning, stacklevel=3)
        svg = None
    if svg is None:
        return _fallback_svg(root, order)
    svg = svg.decode("utf-8")
    svg = svg[svg.index("<svg"):]
    # Give each node group its DOT name as id, so the page (and tests) can find it.
    svg = re.sub(r'<g id="node\d+" class="node">\s*<title>([^<]*)</title>',
                 lambda m: f'<g id="{m[1]}" class="node"><title>{m[1]}</title>', svg)
    return re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg class="graph"', svg, count=1)


def _fallback_svg(root, order):
    """A layered left-to-right layout: a value's column is 1 + the deepest column of its parents."""
    name = names(order)
    depth = {}
    for node in order:
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
    leaf_column = {}  # a leaf sits just left of its first use, not far away
    for node in order:
        for parent in node.parents:
            if not parent.parents:
                leaf_column[parent] = min(leaf_column.get(parent, depth[node] - 1), depth[node] - 1)
    depth.update(leaf_column)
    char, row_h, gap_x, gap_y, op_w = 7.5, 20, 40, 26, 44
    texts = {node: [visible(node.label) or name[node], f"data {fmt(node.data)}", f"grad {fmt(node.grad)}"] for node in order}
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
    style = {"output": ("#ffe08a", 2.5), "parameter": ("#cfe8ff", 1), "leaf": ("#eeeeee", 1),
             "constant": ("#ffffff", 1), "inner": ("#ffffff", 1)}
    ids = {node: i for i, node in enumerate(order)}
    parts = []
    for node in order:
        x, y = pos[node]
        fill, stroke_w = style[kind(node, root)]
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
                         f'<ellipse fill="white" stroke="#333" cx="{ox:.1f}" cy="{oy:.1f}" rx="{op_w / 2}" ry="13"/>'
                         f'<text text-anchor="middle" x="{ox:.1f}" y="{oy + 4:.1f}">{html.escape(node.op)}</text></g>')
        rect = (f'<rect fill="{fill}" stroke="#333" stroke-width="{stroke_w}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{width[node]:.1f}" height="{3 * row_h}"/>')
        lines = "".join(
            f'<text x="{x + 8:.1f}" y="{y + (k + 1) * row_h - 6:.1f}">{html.escape(t)}</text>'
            for k, t in enumerate(texts[node]))
        parts.append(f'<g id="n{ids[node]}" class="node"><title>n{ids[node]}</title>{rect}{lines}</g>')
    total_w = 40 + (max(depth.values()) + 1) * col_w
    total_h = 40 + max(rows.values()) * (3 * row_h + gap_y)
    return (f'<svg class="graph fallback" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total_w:.0f} {total_h:.0f}" '
            f'font-family="Helvetica, Arial, sans-serif" font-size="13">'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>'
            f'{"".join(parts)}</svg>')


def _json_for_script(data):
    """JSON that is safe inside a <script> element."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(root, order, frames, svg, quiz):
    name = names(order)
    shown = formula(root, [name[p] for p in root.parents]) if root.parents else fmt(root.data)
    heading = html.escape(f"{name[root]} = {shown}")
    quiz_note = {None: "", "grad": " — quiz: guess each gradient, then press Next to reveal it",
                 "data": " — quiz: guess each value, then press Next to reveal it"}[quiz]
    return _TEMPLATE.format(
        title=heading,
        heading=heading,
        quiz_note=html.escape(quiz_note),
        quiz=quiz or "",
        frames_count=len(frames),
        last=len(frames) - 1,
        svg=svg,
        frames_json=_json_for_script(frames),
        not_yet=_NOT_YET,
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>chain rule walkthrough: {title}</title>
<style>
  body {{ font-family: Helvetica, Arial, sans-serif; margin: 0; color: #222; background: #fafafa; }}
  header {{ padding: 10px 18px; background: #24292e; color: #fff; }}
  header h1 {{ font-size: 20px; margin: 0; }}
  header .note {{ font-size: 14px; opacity: 0.85; }}
  main {{ display: flex; gap: 16px; padding: 12px 18px; align-items: flex-start; }}
  #graph {{ flex: 1; min-width: 0; overflow: auto; background: #fff; border: 1px solid #ddd; border-radius: 6px;
           padding: 8px; max-height: calc(100vh - 110px); }}
  #graph svg {{ width: 100%; height: auto; max-height: calc(100vh - 130px); }}
  #panel {{ flex: 0 0 440px; background: #fff; border: 1px solid #ddd; border-radius: 6px;
           padding: 12px 16px; }}
  #step-title {{ font-size: 18px; margin: 0 0 8px; }}
  #step-text {{ font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 15px;
               line-height: 1.5; min-height: 4em; white-space: pre-wrap; }}
  #step-text .line {{ padding: 2px 0; }}
  #step-text .hidden-answer {{ color: #b35c00; }}
  .controls {{ display: flex; gap: 8px; align-items: center; margin: 14px 0 6px; flex-wrap: wrap; }}
  button {{ font-size: 16px; padding: 6px 14px; border-radius: 5px; border: 1px solid #888; background: #f0f0f0; }}
  button:disabled {{ opacity: 0.4; }}
  #slider {{ width: 100%; }}
  #counter {{ font-size: 14px; color: #555; }}
  .help {{ font-size: 13px; color: #666; }}
  .legend span {{ display: inline-block; padding: 1px 6px; margin-right: 4px; border: 1px solid #999; font-size: 12px; }}
  g.node.pending {{ opacity: 0.25; }}
  g.node.current polygon, g.node.current rect, g.node.current-op ellipse, g.node.current-op polygon {{
      stroke: #d62728; stroke-width: 4px; }}
  g.node.parent polygon, g.node.parent rect, g.node.parent ellipse {{ stroke: #2ca02c; stroke-width: 3px; }}
  g.edge.active path {{ stroke: #d62728; stroke-width: 2.5px; }}
  g.edge.active polygon {{ stroke: #d62728; fill: #d62728; }}
  text.unknown {{ fill: #b35c00; font-weight: bold; }}
</style>
</head>
<body data-frame="0" data-frames="{frames_count}" data-quiz="{quiz}" data-revealed="false">
<header><h1>{heading}</h1><div class="note">Forward pass node by node, then backward step by step{quiz_note}</div></header>
<main>
  <div id="graph">{svg}</div>
  <div id="panel">
    <h2 id="step-title"></h2>
    <div id="step-text"></div>
    <div class="controls">
      <button id="prev" type="button">&larr; Prev</button>
      <button id="next" type="button">Next &rarr;</button>
      <button id="reveal" type="button">Reveal</button>
      <span id="counter"></span>
    </div>
    <input id="slider" type="range" min="0" max="{last}" value="0" aria-label="step">
    <p class="help">Keys: &larr; and &rarr; step; the slider jumps. Red: the node of this step;
      green: the nodes it passes gradient to. Each edge carries its local derivative.</p>
    <p class="legend"><span style="background:#ffe08a">output</span><span style="background:#cfe8ff">parameter</span><span style="background:#eeeeee">input</span><span style="border-style:dashed">constant</span></p>
  </div>
</main>
<script id="frames" type="application/json">{frames_json}</script>
<script>
"use strict";
(function () {{
  var frames = JSON.parse(document.getElementById("frames").textContent);
  var quiz = document.body.dataset.quiz;
  var NOT_YET = "{not_yet}";
  var current = 0, revealed = false;
  var nodes = {{}}, edges = [];
  document.querySelectorAll("#graph g.node").forEach(function (g) {{
    var texts = g.querySelectorAll("text");
    nodes[g.id] = {{ g: g, data: texts.length >= 3 ? texts[texts.length - 2] : null,
                     grad: texts.length >= 3 ? texts[texts.length - 1] : null }};
  }});
  document.querySelectorAll("#graph g.edge").forEach(function (g) {{
    var ends = g.querySelector("title").textContent.split("->");
    edges.push({{ g: g, tail: ends[0], head: ends[1] }});
  }});
  var prev = document.getElementById("prev"), next = document.getElementById("next");
  var reveal = document.getElementById("reveal"), slider = document.getElementById("slider");

  function needsReveal(k) {{ return quiz !== "" && frames[k].hide.length > 0; }}

  function show() {{
    var frame = frames[current], hidden = {{}}, values = {{}};
    var answerHidden = needsReveal(current) && !revealed;
    if (answerHidden) frame.hide.forEach(function (h) {{ hidden[h[0] + ":" + h[1]] = true; }});
    for (var k = 0; k <= current; k++) {{
      var set = frames[k].set;
      for (var id in set) {{ values[id] = Object.assign(values[id] || {{}}, set[id]); }}
    }}
    var forwardPhase = frame.phase === "forward";
    for (var id in nodes) {{
      var n = nodes[id], isOp = id.slice(0, 2) === "op";
      // "n3r7" is n3 drawn again beside op7 (a reused operand far from its first use)
      var copy = /^(n\\d+)r(\\d+)$/.exec(id);
      var valueId = isOp ? "n" + id.slice(2) : (copy ? copy[1] : id), v = values[valueId] || {{}};
      n.g.classList.toggle("pending", forwardPhase && v.data === undefined);
      n.g.classList.toggle("current", id === frame.node);
      n.g.classList.toggle("current-op", isOp && valueId === frame.node);
      n.g.classList.toggle("parent", !isOp && frame.parents.indexOf(valueId) >= 0 &&
                                     (!copy || "n" + copy[2] === frame.node));
      if (isOp || !n.data) continue;
      n.data.textContent = "data " + (hidden[id + ":data"] ? "?" : (v.data !== undefined ? v.data : NOT_YET));
      n.grad.textContent = "grad " + (hidden[id + ":grad"] ? "?" : (v.grad !== undefined ? v.grad : NOT_YET));
      n.data.classList.toggle("unknown", !!hidden[id + ":data"]);
      n.grad.classList.toggle("unknown", !!hidden[id + ":grad"]);
    }}
    var opId = frame.node ? "op" + frame.node.slice(1) : null;
    edges.forEach(function (e) {{
      e.g.classList.toggle("active", opId !== null && (e.head === opId || e.tail === opId));
    }});
    document.getElementById("step-title").textContent = frame.title;
    var lines = answerHidden ? frame.question : frame.lines;
    var box = document.getElementById("step-text");
    box.innerHTML = "";
    lines.forEach(function (line) {{
      var div = document.createElement("div");
      div.className = "line" + (answerHidden ? " hidden-answer" : "");
      div.textContent = line;
      box.appendChild(div);
    }});
    document.body.dataset.frame = String(current);
    document.body.dataset.revealed = String(!answerHidden);
    document.getElementById("counter").textContent = (current + 1) + " / " + frames.length;
    slider.value = String(current);
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1 && !answerHidden;
    reveal.disabled = !answerHidden;
  }}
  function go(k, isRevealed) {{
    current = Math.max(0, Math.min(frames.length - 1, k));
    revealed = isRevealed;
    show();
  }}
  function forward() {{
    if (needsReveal(current) && !revealed) {{ revealed = true; show(); }}
    else if (current < frames.length - 1) go(current + 1, false);
  }}
  function back() {{ if (current > 0) go(current - 1, true); }}
  next.addEventListener("click", forward);
  prev.addEventListener("click", back);
  reveal.addEventListener("click", function () {{ revealed = true; show(); }});
  slider.addEventListener("input", function () {{ go(parseInt(slider.value, 10), false); }});
  window.addEventListener("keydown", function (event) {{
    if (event.key === "ArrowRight") {{ event.preventDefault(); forward(); }}
    else if (event.key === "ArrowLeft") {{ event.preventDefault(); back(); }}
  }}, true);
  show();
}})();
</script>
</body>
</html>
"""
