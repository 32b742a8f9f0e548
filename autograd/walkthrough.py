"""The walkthrough: ``walkthrough(root, path)`` writes one self-contained HTML page that plays a graph's
forward pass, then its backward pass, step by step; ``frames(root, folder)`` writes the same frames as pictures.

Both run the same pipeline, data flowing one way: the graph's scene is built once (scene.py, with
a walk of its own: no ``.grad`` changes), a model's scene is collapsed to one record per unit
(collapse.py), the frames are computed from the scene (timeline.py), and a renderer draws them:
page_html.py (the HTML, from the files in autograd/page/) or slides.py (one DOT text per frame, drawn
by Graphviz's ``dot``).
"""

from pathlib import Path

from autograd import collapse as collapsing
from autograd import scene as scenes
from autograd.files import write_atomic
from autograd.page_html import THEMES, page_html
from autograd.scene import MAX_NODES, expect_value
from autograd.slides import slide_sources
from autograd.timeline import QUIZ_MODES, done_frame, frames_of
from autograd.viz import GraphvizNotFoundError, install_hint, run_dot

_FRAME_FORMATS = ("svg", "png", "pdf")


def walkthrough(root, path, quiz=None, max_nodes=MAX_NODES, theme="light", extra_frames=(), expand=None):
    """Write an HTML page stepping through root's forward and backward passes; returns the path.

    quiz="grad" asks for each gradient a step passes on, quiz="data" for each value the forward
    pass computes: the page grades the answer, gives a hint and a retry, and keeps a score.
    theme is "light", "projector" (high contrast, larger type) or "dark"; the page can switch.
    extra_frames, a sequence of (title, lines), adds frames of text at the end. An nn model's
    graph (more than ``scene.COLLAPSE_AT`` values) is shown one node per neuron: the forward
    pass one layer per frame, the backward pass one neuron per frame; ``expand`` names neurons or
    layers to show in full, every edge its own step (``expand="all"``: the whole graph). Changes no
    ``.grad``. Missing folders are created and the page is written whole or not at all. When
    Graphviz's ``dot`` fails or is stopped at its time limit, the page uses its own layout and
    a RuntimeWarning says why.
    """
    expect_value(root, "walkthrough")
    if quiz not in QUIZ_MODES:
        raise ValueError(f"walkthrough: quiz must be None, 'grad' or 'data', got {quiz!r}")
    if theme not in THEMES:
        raise ValueError(f"walkthrough: theme must be one of {', '.join(map(repr, THEMES))}, got {theme!r}")
    scene = scene_of(root, expand, max_nodes, "walkthrough")
    frames = frames_of(scene, quiz) + [done_frame(title, lines) for title, lines in extra_frames]
    return write_atomic(path, page_html(scene, frames, quiz, theme), what="walkthrough")


def frames(root, folder, fmt="svg", max_nodes=MAX_NODES, expand=None):
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
