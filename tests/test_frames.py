"""frames(): one picture per walkthrough frame, for slides; it changes no .grad."""

import re
import shutil
import struct

import pytest

import nn
from autograd import GraphvizNotFoundError, Value, frames, topological_order, walkthrough
from autograd.slides import slide_sources
from autograd.timeline import frames_of
from autograd.viz import run_dot
from autograd.walkthrough import scene_of as walkthrough_scene
from graphs import neuron

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed: apt-get install graphviz")


def grad_bits(root):
    return [struct.pack("<d", node.grad) for node in topological_order(root)]


@needs_dot
def test_one_numbered_picture_per_frame(tmp_path):
    root = neuron()
    paths = frames(root, tmp_path / "slides")
    steps = sum(1 for node in topological_order(root) if node.parents)
    assert len(paths) == 10 + 1 + steps + 1  # forward, "Backward starts", each step, the summary
    assert [p.name for p in paths[:3]] == ["001.svg", "002.svg", "003.svg"]
    first, step_two = paths[0].read_text(encoding="utf-8"), paths[12].read_text(encoding="utf-8")
    assert first.count("data –") == 9  # only x1 is known in the first frame
    assert "∂o/∂n" not in first  # no derivative before its output is computed
    assert "Backward step 2 of 5: n" in step_two
    assert step_two.count('stroke="#d62728"') >= 2  # the current node and its operation in red
    assert "∂o/∂n = 1 &#45; o²" in step_two or "∂o/∂n = 1 - o²" in step_two


@needs_dot
def test_pictures_in_png_too(tmp_path):
    paths = frames(Value(3.0, label="a") * 2, tmp_path, fmt="png")
    assert [p.name for p in paths] == ["001.png", "002.png", "003.png", "004.png", "005.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)


@pytest.mark.parametrize("bad", [{"fmt": "gif"}, {"max_nodes": 3}, {"folder": "a file"}])
def test_frames_change_no_grad_whether_they_succeed_or_fail(tmp_path, bad):
    root = neuron()
    root.backward()
    before = grad_bits(root)
    (tmp_path / "a file").write_text("not a folder")
    if shutil.which("dot") is not None:
        frames(root, tmp_path / "ok")
        assert grad_bits(root) == before
    folder = tmp_path / bad.pop("folder", "slides")
    with pytest.raises((ValueError, OSError)):
        frames(root, folder, **bad)
    assert grad_bits(root) == before


def test_frames_say_how_to_install_dot_when_it_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GraphvizNotFoundError, match="sudo apt-get install graphviz"):
        frames(neuron(), tmp_path / "slides")
    assert not (tmp_path / "slides").exists()


def mlp_loss():
    """The squared-error loss of a 2-16-16-1 MLP on one point: 406 values."""
    model = nn.MLP(2, [16, 16, 1], seed=0)
    return (model([0.5, -1.0]) - 1.0) ** 2


def page_frames(root, path, **options):
    return int(re.search(r'data-frames="(\d+)"', walkthrough(root, path, **options).read_text(encoding="utf-8"))[1])


def points(svg):
    """The (width, height) of a dot SVG, in pt."""
    return tuple(map(float, re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()))


@needs_dot
def test_a_models_slides_are_its_pages_collapsed_frames(tmp_path):
    loss = mlp_loss()
    loss.backward()
    before = grad_bits(loss)
    paths = frames(loss, tmp_path / "slides")
    assert grad_bits(loss) == before
    assert len(paths) == page_frames(loss, tmp_path / "mlp.html") == 43  # 6 forward, 1 + 35 backward, the summary
    pictures = [path.read_text(encoding="utf-8") for path in paths]
    assert all(max(points(svg)) < 3000 for svg in pictures)  # one record per neuron, not 406 values
    assert "layers.1.neurons.3.w.0" not in pictures[0]  # weights are fields of their neuron's record
    first, last = pictures[0], pictures[-1]
    assert "layers.0 · 16 neurons · ‖grad‖ = –" in first and "out –, grad –" in first  # nothing computed yet
    assert "‖grad‖ = –" not in last and "grad –" not in last
    step = next(svg for svg in pictures if "Backward step 4 of 35: layers.1.neurons.15" in svg)
    assert step.count('stroke="#d62728"') >= 10  # the neuron's record in red


@needs_dot
def test_frames_expand_what_expand_names(tmp_path):
    loss = mlp_loss()
    order = topological_order(loss)
    dot = next(i for i, node in enumerate(order) if node.parents and node.scope is not None and node.scope.path == "layers.1.neurons.3")
    paths = frames(loss, tmp_path / "slides", expand="layers.1.neurons.3")
    assert len(paths) == page_frames(loss, tmp_path / "mlp.html", expand="layers.1.neurons.3") != 43
    pictures = [path.read_text(encoding="utf-8") for path in paths]
    assert "layers.1.neurons.3 (relu)" not in pictures[0]  # drawn in full, not as a record
    assert any(f"∂v{dot}" in svg and "/∂layers.1.neurons.3.w.0" in svg for svg in pictures)  # its edges' rules


@needs_dot
def test_png_slides_are_sized_for_a_slide(tmp_path):
    """A model's slide is at most 1920 px on its long side (it was 3,238 × 3,374); the SVG keeps its own size."""
    loss = mlp_loss()
    scene = walkthrough_scene(loss)
    source = slide_sources(scene, frames_of(scene), "png")[10]
    png = run_dot(source, "png", "frames")
    width, height = struct.unpack(">II", png[16:24])
    assert max(width, height) <= 1920 and min(width, height) > 400
    assert '\n  size="' not in slide_sources(scene, frames_of(scene), "svg")[10]


def test_the_scene_holds_ids_and_ops_not_graph_nodes():
    """A scene's steps name values by the scene's ids, and each value carries its op, so views never need the graph."""
    root = neuron()
    scene = walkthrough_scene(root)
    for step, _ in scene.steps:
        assert step.node in scene.values and all(entry.parent in scene.values for entry in step.parents)
    assert [step.node for step, _ in scene.steps][:2] == [scene.root, scene.values[scene.root].operands[0].id]
    top = scene.values[scene.root]
    assert top.rules is root._op and top.rules.rule(0, ["n"], "o") == "1 - o²"
    assert all(value.rules is None for value in scene.values.values() if not value.operands)
