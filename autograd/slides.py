"""The walkthrough's frames as pictures for slides: ``slide_sources(scene, frames, fmt)``, one DOT text per frame.

Each slide is the page's picture (every text ``PAGE_FONT`` units, a model's edge labels in short lines
to keep its three columns of records narrow) with the numbers its frame knows (the others "–",
an edge's label blank until its value is computed), the frame's node and operation in red, the
nodes it passes gradient to in green, and the frame's title on top. A PNG slide is drawn at
most ``SLIDE_PIXELS`` on its long side (a model's picture would otherwise be 3,000 px and more).
"""

from autograd.dot_source import PAGE_FONT, Look, dot_source

SLIDE_PIXELS = 1920  # a PNG slide's long side at most (dot's 96 dpi, its size="20,20" inches)
MODEL_LINE = 14  # a model's edge labels are written in lines this long (its picture is three columns of records)


def slide_sources(scene, frames, fmt_name="svg"):
    """The DOT text of every frame's picture, in order."""
    width = MODEL_LINE if scene.plan is not None else None
    known, sources = {}, []
    for frame in frames:
        for nid, update in frame["set"].items():
            known.setdefault(nid, {}).update(update)
        snapshot = {nid: dict(values) for nid, values in known.items()}

        def number_of(what, vid, snapshot=snapshot):
            value = snapshot.get(vid, {}).get(what)
            return None if value is None or value is True else _float(value)

        current = {frame["node"], frame.get("op"), *frame.get("group", [])} - {None}
        look = Look(show_rules=True, font=PAGE_FONT, page=True, width=width, number=number_of,
                    edge_known=lambda vid, snapshot=snapshot: "data" in snapshot.get(vid, {}),
                    current=frozenset(current), parents=frozenset(frame["parents"]), current_op=frame.get("op"),
                    label=frame["title"])
        sources.append(dot_source(scene, look, _size(fmt_name)))
    return sources


def _size(fmt_name):
    """Graph attributes that keep a PNG slide within SLIDE_PIXELS (96 dpi × 20 inches)."""
    return {"size": f"{SLIDE_PIXELS / 96:g},{SLIDE_PIXELS / 96:g}", "dpi": "96"} if fmt_name == "png" else {}


def _float(value):
    return value if isinstance(value, float) else float(value) if isinstance(value, int) else \
        {"inf": float("inf"), "-inf": float("-inf")}.get(value, float("nan"))

