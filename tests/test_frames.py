"""frames(): one picture per walkthrough frame, for slides; it changes no .grad."""

import shutil
import struct

import pytest

from autograd import GraphvizNotFoundError, Value, frames, topological_order
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
