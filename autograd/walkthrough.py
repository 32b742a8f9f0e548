"""The walkthrough: ``walkthrough(root, path)`` writes one self-contained HTML page that plays a graph's
forward pass, then its backward pass, step by step; ``frames(root, folder)`` writes the same frames as pictures.

Both run the same pipeline, data flowing one way: the graph's scene is built once (scene.py, with
a walk of its own: no ``.grad`` changes), a model's scene is collapsed to one record per unit
(collapse.py), the frames are computed from the scene (timeline.py), and a renderer draws them:
page_html.py (the HTML, from the files in autograd/page/) or slides.py (one DOT text per frame, drawn
by Graphviz's ``dot``).
"""

from __future__ import annotations

import html
import math
import numbers
from pathlib import Path

from autograd import collapse as collapsing
from autograd import scene as scenes
from autograd.files import write_atomic
from autograd.page_html import THEMES, page_html
from autograd.engine import Value
from autograd.scene import MAX_NODES, expect_value
from autograd.slides import slide_sources
from autograd.timeline import QUIZ_MODES, done_frame, frames_of, reading_order_leaves, table_frame, table_templates
from autograd.viz import GraphvizNotFoundError, install_hint, run_dot

_FRAME_FORMATS = ("svg", "png", "pdf")

TYPE_CHECKING = False  # True for type checkers only (see autograd/engine.py)
if TYPE_CHECKING:
    import os
    from collections.abc import Iterable
    from typing import Literal

    from typing import overload

    from autograd.viz import Expand

if TYPE_CHECKING:  # walkthrough's result: the path written, or a Page without one
    @overload  # with a path: the page is written there
    def walkthrough(root: Value, path: str | os.PathLike[str], quiz: Literal["grad", "data"] | None = None,
                    max_nodes: int | None = MAX_NODES, theme: Literal["light", "projector", "dark"] = "light",
                    extra_frames: Iterable[tuple[str, Iterable[object]]] = (), expand: Expand = None,
                    lr: float | None = None, parameters: Iterable[Value | str] | Value | str | None = None,
                    data: Iterable[Value | str] | Value | str | None = None) -> Path: ...
    @overload  # without: a Page, which Jupyter shows inline
    def walkthrough(root: Value, path: None = None, quiz: Literal["grad", "data"] | None = None,
                    max_nodes: int | None = MAX_NODES, theme: Literal["light", "projector", "dark"] = "light",
                    extra_frames: Iterable[tuple[str, Iterable[object]]] = (), expand: Expand = None,
                    lr: float | None = None, parameters: Iterable[Value | str] | Value | str | None = None,
                    data: Iterable[Value | str] | Value | str | None = None) -> Page: ...


def walkthrough(root: Value, path: str | os.PathLike[str] | None = None, quiz: Literal["grad", "data"] | None = None,
                max_nodes: int | None = MAX_NODES, theme: Literal["light", "projector", "dark"] = "light",
                extra_frames: Iterable[tuple[str, Iterable[object]]] = (), expand: Expand = None,
                lr: float | None = None, parameters: Iterable[Value | str] | Value | str | None = None,
                data: Iterable[Value | str] | Value | str | None = None) -> Path | Page:
    """Write an HTML page stepping through root's forward and backward passes; returns the path.

    Without a path it returns a ``Page`` instead, which Jupyter shows inline (the same page, in a
    sandboxed frame). The page is live: every leaf can be changed (see autograd/page_html.py),
    and everything it shows follows. quiz="grad" asks for each gradient a step passes on,
    quiz="data" for each value the forward pass computes: the page grades the answer, names the
    mistake behind a wrong one, gives a hint and a retry, and keeps a score. theme is "light",
    "projector" (high contrast, larger type) or "dark"; the page can switch. extra_frames, a
    sequence of (title, lines), adds frames of text at the end. An nn model's graph (more than
    ``scene.COLLAPSE_AT`` values) is shown one node per neuron: the forward pass one layer per
    frame, the backward pass one neuron per frame; ``expand`` names neurons or layers to show in
    full, every edge its own step (``expand="all"``: the whole graph). ``parameters`` and ``data``
    (leaves, or their labels) are what the page's step of gradient descent updates, in the order
    its table lists them, and what it leaves as it is (inputs, targets): by default nn's parameters
    and leaves labelled as parameters (``w1``, ``b``) are updated and every other leaf is data;
    ``lr`` is its first learning rate, and when given, the page ends with the update table as
    ``chainrule --lr`` prints it. Changes no ``.grad``. Missing folders are created and the page is
    written whole or not at all. When Graphviz's ``dot`` fails or is stopped at its time limit, the
    page uses its own layout and a RuntimeWarning says why.
    """
    expect_value(root, "walkthrough")
    if quiz not in QUIZ_MODES:
        raise ValueError(f"walkthrough: quiz must be None, 'grad' or 'data', got {quiz!r}")
    if theme not in THEMES:
        raise ValueError(f"walkthrough: theme must be one of {', '.join(map(repr, THEMES))}, got {theme!r}")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(lr)):
        raise ValueError(f"walkthrough: lr must be a finite number, got {lr!r}")
    scene = scene_of(root, expand, max_nodes, "walkthrough")
    data = None if data is None else _leaf_ids(scene, data, "data")
    parameters = None if parameters is None else _leaf_ids(scene, parameters, "parameters")
    leaves = reading_order_leaves(scene)
    if parameters is None:
        parameters = [vid for vid in leaves
                      if scene.values[vid].kind == "parameter" and (data is None or vid not in data)]
    if data is None:
        data = [vid for vid in leaves if vid not in parameters]
    frames = frames_of(scene, quiz)
    table = table_templates(scene, parameters, data)  # the last frame's with lr, and always the live page's Step
    if lr is not None:
        frames.append(table_frame(scene, float(lr), parameters, table))
    frames += [done_frame(title, lines) for title, lines in extra_frames]
    text = page_html(scene, frames, quiz, theme, table, lr, parameters, data)
    if path is None:
        return Page(text, scene.title)
    return write_atomic(path, text, what="walkthrough")


class Page:
    """A walkthrough page held in memory (``walkthrough(root)`` without a path): Jupyter shows it inline,
    live, in a sandboxed frame of its own (its script runs there, and it reaches no network);
    ``.html`` is the page, ``.save(path)`` writes it."""

    HEIGHT = 720  # the frame's height in CSS px: the page is made for 1280×720

    def __init__(self, html_text, title=""):
        self.html, self.title = html_text, title

    def save(self, path):
        """Write the page to path (whole or not at all); returns the path."""
        return write_atomic(path, self.html, what="walkthrough")

    def _repr_html_(self):
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
                f'allow="fullscreen" title="{html.escape(self.title, quote=True)}" '
                f'style="width: 100%; height: {self.HEIGHT}px; border: 1px solid #ccc"></iframe>')

    def __repr__(self):
        return f"<walkthrough page: {self.title}>"


def _leaf_ids(scene, items, what):
    """The ids of the leaves items names (Values, or their labels), in order; a ValueError names any other."""
    if isinstance(items, (str, Value)):
        items = [items]
    ids, leaves = [], [vid for vid in scene.order if not scene.values[vid].operands]
    for item in items:
        if isinstance(item, Value):
            vid = scene.ids.get(item)
            if vid is None or vid not in leaves:
                raise ValueError(f"walkthrough: {what} must be leaves of root's graph; {item!r} is "
                                 f"{'not in it' if vid is None else 'computed by it'}")
        elif isinstance(item, str):
            found = [vid for vid in leaves if scene.values[vid].label == item]
            if not found:
                known = ", ".join(scene.values[vid].label for vid in leaves if scene.values[vid].label) or "none"
                raise ValueError(f"walkthrough: {what}: no leaf of root's graph is labelled {item!r} "
                                 f"(the labelled leaves: {known})")
            vid = found[0]
        else:
            raise TypeError(f"walkthrough: {what} must be a list of leaves (Values) or their labels, "
                            f"got {type(item).__name__}: {item!r}")
        ids.append(vid)
    return list(dict.fromkeys(ids))


def frames(root: Value, folder: str | os.PathLike[str], fmt: Literal["svg", "png", "pdf"] = "svg",
           max_nodes: int | None = MAX_NODES, expand: Expand = None) -> list[Path]:
    """One picture per walkthrough frame in folder (001.svg, 002.svg, ...); returns their paths.

    Forward frames show the values computed so far, backward frames the gradients passed back so
    far with the current node in red; for slides and handouts. An nn model's graph is drawn and
    stepped as ``walkthrough`` does (one record per neuron; ``expand`` names what to show in full).
    A PNG slide is at most 1920 pixels on its long side. Needs Graphviz's ``dot``; same size limits
    as ``render``. Changes no ``.grad``.
    """
    expect_value(root, "frames")
    if fmt not in _FRAME_FORMATS:
        raise ValueError(f"frames: fmt must be one of {', '.join(map(repr, _FRAME_FORMATS))}, got {fmt!r}")
    scene = scene_of(root, expand, max_nodes, "frames")
    sources = slide_sources(scene, frames_of(scene, None), fmt)
    folder = Path(folder)
    paths = []
    for number, source in enumerate(sources, 1):
        picture = run_dot(source, fmt, "frames")
        if picture is None:
            raise GraphvizNotFoundError(f"frames: Graphviz's `dot` program is not installed (or not on PATH), "
                                        f"so no frame was drawn.\n{install_hint()}")
        paths.append(write_atomic(folder / f"{number:03d}.{fmt}", picture, what="frames"))
    return paths


def scene_of(root, expand=None, max_nodes=MAX_NODES, what="walkthrough"):
    """root's scene with its own walk, a model's collapsed to one record per unit."""
    scene = scenes.build(root, what, expand=expand, max_nodes=max_nodes, walk=True)
    return collapsing.collapse(scene, max_nodes, what)
