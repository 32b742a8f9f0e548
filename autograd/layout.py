"""The page's own picture of a scene when Graphviz's ``dot`` is missing or fails: ``fallback_svg(scene, font)``.

A small graph is laid out in columns left to right, a value's column one after the deepest of
its operands, a leaf just before its first use, each operation an ellipse before its value. A
model's collapsed scene is laid out in columns by the longest path to each node, every record
drawn row by row with each cell its own text, as dot draws them. Group ids are the scene's, so
the page's script finds its nodes either way. Every text is escaped here.
"""

import html

from autograd.collapse import cell_text
from autograd.text import fmt, short


def fallback_svg(scene, font):
    """The scene as an SVG document of our own layout (the same ids as dot's picture)."""
    return _records(scene, font) if scene.plan is not None else _values(scene, font)


def _svg(width, height, font, parts):
    return (f'<svg class="graph fallback" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'font-family="Helvetica, Arial, sans-serif" font-size="{font}">'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>'
            f'{"".join(parts)}</svg>')


def _values(scene, font):
    """A layered left-to-right layout: a value's column is 1 + the deepest column of its operands."""
    values, order = scene.values, scene.order
    operands = {vid: [operand.id for operand in values[vid].operands] for vid in order}
    depth = {}
    for vid in order:
        depth[vid] = 1 + max((depth[p] for p in operands[vid]), default=-1)
    leaf_column = {}  # a leaf sits just left of its first use, not far away
    for vid in order:
        for parent in operands[vid]:
            if not operands[parent]:
                leaf_column[parent] = min(leaf_column.get(parent, depth[vid] - 1), depth[vid] - 1)
    depth.update(leaf_column)
    char, row_h, gap_x, gap_y, op_w = 0.6 * font, font + 8, 40 + 6 * font, 30, 44
    texts = {vid: [values[vid].label or values[vid].name, f"data {fmt(values[vid].data)}",
                   f"grad {fmt(values[vid].grad)}"] for vid in order}
    width = {vid: 16 + char * max(len(t) for t in texts[vid]) for vid in order}
    col_w = max(width.values()) + op_w + 2 * gap_x
    columns = {}
    for vid in order:
        columns.setdefault(depth[vid], []).append(vid)
    pos, rows = {}, {}
    for column in sorted(columns):
        members = columns[column]
        # Inner nodes near the middle of their operands, leaves after them in order of appearance.
        members.sort(key=lambda v: (0, sum(pos[p][1] for p in operands[v]) / len(operands[v])) if operands[v] else (1, 0))
        for row, vid in enumerate(members):
            pos[vid] = (20 + column * col_w + op_w + gap_x, 20 + row * (3 * row_h + gap_y))
        rows[column] = len(members)
    parts = []
    for vid in order:
        x, y = pos[vid]
        mid_y = y + 1.5 * row_h
        op_id = f"op{vid[1:]}"
        if operands[vid]:
            ox, oy = x - gap_x / 2 - op_w / 2, mid_y
            for parent in operands[vid]:
                px, py = pos[parent]
                sx, sy = px + width[parent], py + 1.5 * row_h
                parts.append(f'<g class="edge"><title>{parent}-&gt;{op_id}</title>'
                             f'<path fill="none" stroke="#333" marker-end="url(#arrow)" d="M{sx:.1f},{sy:.1f} C{(sx + ox) / 2:.1f},{sy:.1f} '
                             f'{(sx + ox) / 2:.1f},{oy:.1f} {ox - op_w / 2:.1f},{oy:.1f}"/></g>')
            parts.append(f'<g class="edge"><title>{op_id}-&gt;{vid}</title>'
                         f'<path fill="none" stroke="#333" marker-end="url(#arrow)" d="M{ox + op_w / 2:.1f},{oy:.1f} L{x:.1f},{oy:.1f}"/></g>')
            parts.append(f'<g id="{op_id}" class="node"><title>{op_id}</title>'
                         f'<ellipse fill="white" stroke="#333" cx="{ox:.1f}" cy="{oy:.1f}" rx="{op_w / 2}" ry="{font}"/>'
                         f'<text text-anchor="middle" x="{ox:.1f}" y="{oy + font / 3:.1f}">{html.escape(values[vid].op)}</text></g>')
        rect = (f'<rect fill="white" stroke="#333" x="{x:.1f}" y="{y:.1f}" '
                f'width="{width[vid]:.1f}" height="{3 * row_h}"/>')
        lines = "".join(
            f'<text x="{x + 8:.1f}" y="{y + (k + 1) * row_h - 6:.1f}">{html.escape(t)}</text>'
            for k, t in enumerate(texts[vid]))
        parts.append(f'<g id="{vid}" class="node kind_{values[vid].kind}"><title>{vid}</title>{rect}{lines}</g>')
    total_w = 40 + (max(depth.values()) + 1) * col_w
    total_h = 40 + max(rows.values()) * (3 * row_h + gap_y)
    return _svg(total_w, total_h, font, parts)


def _rows(node, scene):
    """The texts of a drawn node, as rows of cells: a record's cells, a value's title, data and grad."""
    if node.rows:
        return [[cell_text(cell, lambda what, vid: short(getattr(scene.values[vid], what))) for cell in row]
                for row in node.rows]
    if node.id in scene.values:
        return [[node.title], [f"data {fmt(node.data)}"], [f"grad {fmt(node.grad)}"]]
    return [[line] for line in (node.title or node.op).split("\n")]


def _records(scene, font):
    """Our own layout of a collapsed scene: columns by the longest path to each node, records drawn row by
    row with each cell its own text, as dot draws them."""
    char, row_h, gap_x, gap_y = 0.6 * font, font + 10, 60, 24
    rows = {nid: _rows(node, scene) for nid, node in scene.nodes.items()}
    width = {nid: 24 + max(char * (sum(len(t) for t in r) + 2 * (len(r) - 1)) for r in rs) for nid, rs in rows.items()}
    incoming = {nid: [] for nid in rows}
    for edge in scene.edges:
        if edge.tail in rows and edge.head in rows:
            incoming[edge.head].append(edge.tail)
    depth, pending = {}, list(rows)
    while pending:  # longest path from a source, iteratively (the picture has no cycles)
        progress = []
        for nid in pending:
            if all(t in depth for t in incoming[nid]):
                depth[nid] = 1 + max((depth[t] for t in incoming[nid]), default=-1)
                progress.append(nid)
        if not progress:  # should not happen; place the rest in one more column
            depth.update({nid: 1 + max(depth.values(), default=-1) for nid in pending})
            break
        pending = [nid for nid in pending if nid not in depth]
    columns = {}
    for nid in rows:
        columns.setdefault(depth[nid], []).append(nid)
    pos, x = {}, 20
    height = 0
    for column in sorted(columns):
        y = 20
        for nid in columns[column]:
            pos[nid] = (x, y)
            y += len(rows[nid]) * row_h + gap_y
        height = max(height, y)
        x += max(width[nid] for nid in columns[column]) + gap_x
    total_w, parts = x, []
    for edge in scene.edges:
        tail, head = edge.tail, edge.head
        if tail not in pos or head not in pos:
            continue
        (tx, ty), (hx, hy) = pos[tail], pos[head]
        sx, sy = tx + width[tail], ty + len(rows[tail]) * row_h / 2
        ex, ey = hx, hy + len(rows[head]) * row_h / 2
        label = ""
        if edge.local is not None:
            label = "".join(f'<text x="{(sx + ex) / 2:.1f}" y="{(sy + ey) / 2 + k * row_h:.1f}" text-anchor="middle">'
                            f'{html.escape(line)}</text>'
                            for k, line in enumerate(f"{edge.text} = {fmt(edge.local)}".split("\n")))
        parts.append(f'<g class="edge"><title>{html.escape(tail)}-&gt;{html.escape(head)}</title>'
                     f'<path fill="none" stroke="#333" marker-end="url(#arrow)" d="M{sx:.1f},{sy:.1f} '
                     f'C{(sx + ex) / 2:.1f},{sy:.1f} {(sx + ex) / 2:.1f},{ey:.1f} {ex:.1f},{ey:.1f}"/>{label}</g>')
    for nid, node in scene.nodes.items():
        x, y = pos[nid]
        texts = []
        for k, row in enumerate(rows[nid]):
            step = (width[nid] - 24) / len(row)
            texts += [f'<text x="{x + 12 + step * (j + 0.5):.1f}" y="{y + (k + 1) * row_h - 8:.1f}" '
                      f'text-anchor="middle">{html.escape(t)}</text>' for j, t in enumerate(row)]
        kind = {"unit": "neuron", "bus": "bus", "inputs": "bus", "lump": "bus"}.get(node.kind)
        if kind is None and nid in scene.values:
            kind = f"kind_{node.kind}"
        classes = " ".join(filter(None, ["node", kind]))
        parts.append(f'<g id="{html.escape(nid)}" class="{classes}"><title>{html.escape(nid)}</title>'
                     f'<rect fill="white" stroke="#333" x="{x:.1f}" y="{y:.1f}" width="{width[nid]:.1f}" '
                     f'height="{len(rows[nid]) * row_h}"/>{"".join(texts)}</g>')
    return _svg(total_w + 20, height + 20, font, parts)
