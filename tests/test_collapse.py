"""Pictures of whole nn models: one node per neuron, a box per layer, parts expanded on request."""

import re
import shutil
import time

import pytest

import autograd
import nn
from autograd import Value, render, to_dot, topological_order
from autograd.timeline import frames_of
from autograd.walkthrough import scene_of as walkthrough_scene

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed: apt-get install graphviz")


def mlp_loss(batch=1, seed=0):
    """The squared-error loss of a 2-16-16-1 MLP on batch points, after backward."""
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    points = [([0.5 - 0.1 * i, -1.0 + 0.2 * i], 1.0 if i % 2 else -1.0) for i in range(batch)]
    loss = autograd.sum([(model(x) - y) ** 2 for x, y in points]) * (1.0 / batch) if batch > 1 else \
        (model(points[0][0]) - points[0][1]) ** 2
    loss.backward()
    return loss


def drawn_nodes(source):
    return re.findall(r"^\s+(\w+) \[", source, re.M)


def test_the_mlp_loss_graph_is_drawn_one_node_per_neuron():
    loss = mlp_loss()
    assert len(topological_order(loss)) == 406
    source = to_dot(loss)
    assert len(drawn_nodes(source)) < 60
    assert len(re.findall(r'label="layers\.1\.neurons\.\d+ \(relu\)', source)) == 16  # one record per neuron
    assert "layers.1.neurons.3.w.0" not in source  # weights are fields of their neuron's record
    assert re.search(r'label="layers\.1 · 16 neurons · ‖grad‖ = [\d.]+"', source)
    assert 'label="outputs of layers.0 (16)"' in source  # 16 × 16 connections as 32 arrows
    assert source.count(" -> ") < 120


def test_a_batch_collapses_too():
    loss = mlp_loss(batch=8)
    assert len(topological_order(loss)) > 800
    source = to_dot(loss)
    assert len(drawn_nodes(source)) < 60
    assert "inputs of layers.0: 16 values" in source
    assert "out: 8 samples" in source


@needs_dot
def test_the_collapsed_mlp_renders_quickly_to_a_readable_size(tmp_path):
    loss = mlp_loss()
    start = time.perf_counter()
    path = render(loss, tmp_path / "mlp.svg")
    seconds = time.perf_counter() - start
    width, height = map(float, re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"',
                                         path.read_text(encoding="utf-8")).groups())
    assert seconds < 5
    assert max(width, height) < 3000


def test_expanding_one_neuron_shows_its_edges_and_local_derivatives():
    loss = mlp_loss()
    source = to_dot(loss, expand="layers.1.neurons.3")
    neuron = [p for p in topological_order(loss) if p.label.startswith("layers.1.neurons.3.")]
    assert len(neuron) == 17
    for p in neuron:
        assert f"{{ {p.label} | data {autograd.text.fmt(p.data)} | grad {autograd.text.fmt(p.grad)} }}" in source
        assert re.search(rf'n\d+ -> op\d+ \[label="∂v\d+/∂{re.escape(p.label)} = [-\d.e]+"', source)
    assert 'subgraph cluster_box' in source and 'label="layers.1.neurons.3"' in source
    assert "relu" in source and source.count("layers.1.neurons.3 (relu)") == 0  # drawn in full, not as a record
    assert len(drawn_nodes(source)) < 90


def test_expand_a_layer_or_everything():
    loss = mlp_loss()
    assert to_dot(loss, expand="layers.2").count('label="{ layers.2.neurons.0.w.') == 16  # a record per weight
    assert len(drawn_nodes(to_dot(loss, expand="all"))) > 406
    with_rules = to_dot(loss, expand="layers.2", show_rules=True)
    # ∂(w·x)/∂w = x, and x is a collapsed neuron's output, named after it
    assert re.search(r'label="∂v\d+/∂layers\.2\.neurons\.0\.w\.0 = layers\.1\.neurons\.0\.out = [-\d.e]+"', with_rules)


def test_expand_names_what_exists():
    with pytest.raises(ValueError, match="to_dot: expand='layers.7' names no neuron or layer of this graph; names look like layers.0.neurons.0"):
        to_dot(mlp_loss(), expand="layers.7")
    x = Value(2.0, label="x")
    with pytest.raises(ValueError, match="no value of this graph is a model's parameter"):
        to_dot(x * x, expand="layers.0")


def test_small_models_and_plain_graphs_are_drawn_as_before():
    model = nn.MLP(2, [2, 1], seed=0)
    small = (model([1.0, 2.0]) - 1.0) ** 2
    assert len(topological_order(small)) <= autograd.scene.COLLAPSE_AT
    assert "layers.0.neurons.1.w.0 | data" in to_dot(small)
    y = Value(1.0)
    for _ in range(600):
        y = y + 1.0
    with pytest.raises(ValueError, match="601 value nodes, more than max_nodes=500"):
        to_dot(y)


def test_a_collapsed_picture_still_respects_max_nodes():
    with pytest.raises(ValueError, match="drawn one node per neuron, with 'all' in full|more than max_nodes=20"):
        to_dot(mlp_loss(), max_nodes=20)


def test_a_linear_layer_is_drawn_one_node_per_row():
    model = nn.Sequential(nn.Linear(2, 16, seed=0), nn.ReLU(), nn.Linear(16, 16, seed=1), nn.ReLU(),
                          nn.Linear(16, 1, seed=2))
    model.parameters()
    loss = (model([0.5, -1.0])[0] - 1.0) ** 2
    source = to_dot(loss)
    assert len(drawn_nodes(source)) < 60
    assert "2.3 (relu)" in source  # row 3 of the Linear at index 2


def test_two_modules_held_by_no_parent_are_named_by_class_and_order_of_use():
    """l2(l1(x)): both Linears' scopes are "" and their rows "0", "1"…; each is boxed, collapsed and expanded apart."""
    l1, l2 = nn.Linear(2, 3, seed=0), nn.Linear(3, 1, seed=1)
    loss = (l2(l1([0.5, -1.0]))[0] - 1.0) ** 2
    loss.backward()
    assert set(walkthrough_scene(loss, []).units) == {"Linear.0", "Linear.1", "Linear.2", "Linear#2.0"}
    collapsed = to_dot(loss, expand=[])
    assert 'label="Linear · 3 neurons' in collapsed and 'label="Linear#2 · 1 neuron' in collapsed
    assert all(f"{unit} (linear)" in collapsed for unit in ("Linear.0", "Linear.1", "Linear.2", "Linear#2.0"))
    expanded = to_dot(loss, expand="Linear#2")
    assert 'label="Linear#2.0"' in expanded and "Linear#2.0 (linear)" not in expanded and "Linear.0 (linear)" in expanded
    assert 'label="Linear"' in to_dot(loss) and 'label="Linear#2"' in to_dot(loss)  # small: drawn in full, boxed


def test_an_expanded_neurons_layer_box_says_what_its_norm_covers():
    """The box holds 15 records and the neuron drawn in full; its title counts all 16 and its norm covers all 16."""
    loss = mlp_loss()
    source = to_dot(loss, expand="layers.1.neurons.3")
    layer = [p for p in topological_order(loss) if p.label.startswith("layers.1.")]
    norm = sum(p.grad ** 2 for p in layer) ** 0.5
    assert f'label="layers.1 · 16 neurons (1 drawn in full) · ‖grad‖ = {norm:.3g}"' in source
    box = source[source.index('label="layers.1 · '):source.index('label="layers.2 · ')]
    assert 'label="layers.1.neurons.3"' in box and "layers.1.neurons.3.w.0 | data" in box  # drawn in full, inside


@pytest.mark.parametrize("expand", [3, [3], {"layers": 1}])
def test_expand_that_is_not_a_name_says_what_expand_takes(expand):
    with pytest.raises(TypeError, match=r"to_dot: expand must be a name such as 'layers\.1\.neurons\.3'"):
        to_dot(mlp_loss(), expand=expand)
    with pytest.raises(TypeError, match=r"frames: expand must be a name such as 'layers\.1\.neurons\.3'"):
        autograd.frames(Value(1.0) * 2, "unused", expand=expand)


def test_a_users_module_is_collapsed_by_its_parts_whatever_its_attributes_are_called():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = [nn.Linear(2, 8, seed=0), [Value(0.5 + 0.1 * i) for i in range(8)]]
            self.head = nn.Linear(8, 1, seed=1)

        def forward(self, x):
            return self.head([h.tanh() * g for h, g in zip(self.enc[0](x), self.enc[1])])[0]

    model = Net()
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    assert len(topological_order(loss)) > autograd.scene.COLLAPSE_AT
    source = to_dot(loss)
    assert len(re.findall(r'label="enc\.0\.\d \(tanh\)', source)) == 8  # a record per row, its activation with it
    assert re.search(r'label="enc\.0 · 8 neurons · ‖grad‖ = [\d.e-]+"', source)
    assert 'label="head.0 (linear)' in source


def pooled_loss(batch=1):
    """cross_entropy of Conv2d, ReLU, MaxPool2d, Flatten, Linear on batch 6 x 6 images, after backward."""
    model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3, seed=1))
    images = [[[[0.1 * ((r * 6 + c + k) % 7) - 0.3 for c in range(6)] for r in range(6)]] for k in range(batch)]
    loss = nn.cross_entropy([model(image) for image in images], list(range(batch))) if batch > 1 else \
        nn.cross_entropy(model(images[0]), 1)
    loss.backward()
    return loss


def test_a_models_pooling_is_one_node_named_by_its_module_and_a_small_loss_is_drawn_as_usual():
    source = to_dot(pooled_loss())
    assert 'lump1 [shape="box", style="rounded,filled", fillcolor="#f3f3f3", label="2 · MaxPool2d: 8 max"];' in source
    assert re.findall(r"^  (\w+) -> lump1;", source, re.M) == ["c0", "c1"]  # the conv's channels
    assert re.findall(r"^  lump1 -> (\w+);", source, re.M) == ["c2", "c3", "c4"]  # the Linear's rows
    assert "the loss over every sample" not in source and 'label="log"' in source  # the loss's own 10 operations
    assert re.search(r'c2 -> op\d+ \[label="∂v\d+/∂4\.0\.out = 1\.0"', source)


def test_a_batch_has_its_loss_and_its_pooling_as_two_nodes_and_the_frames_step_each():
    loss = pooled_loss(batch=2)
    source = to_dot(loss)
    assert 'label="2 · MaxPool2d: 16 max"' in source
    assert re.search(r'lump \[.*label="the loss over every sample: \d+ operations"', source)
    scene = walkthrough_scene(loss)
    frames = frames_of(scene)
    titles = [frame["title"] for frame in frames]
    assert "Forward 3 of 6: 2 · MaxPool2d" in titles and "Forward 5 of 6: the loss over every sample" in titles
    assert "Backward step 3 of 5: 4" in titles  # between the loss and the pooling, as the model computes
    pooling = next(frame for frame in frames if frame["title"].endswith("step 4 of 5: 2 · MaxPool2d"))
    assert pooling["node"] == "lump1" and pooling["parents"] == ["c1", "c0"]
    assert pooling["lines"] == ["16 operations pass the gradient back to the outputs of 0"]
    assert all(frame["node"] in scene.nodes for frame in frames if frame["node"])


class Pair(nn.Module):
    """A user's module with no parameters: the sum and the difference of its two inputs."""

    def forward(self, x):
        return [x[0] + x[1], x[0] - x[1]]


class Scale(nn.Module):
    """A user's module with no parameters: every input doubled."""

    def forward(self, x):
        return [v * 2.0 for v in x]


def test_a_users_parameterless_module_is_drawn_in_its_box_when_small_and_as_one_node_when_large():
    model = nn.Sequential(nn.Linear(2, 16, seed=0), nn.ReLU(), Scale(), nn.Linear(16, 2, seed=1), Pair())
    model.parameters()
    out = model([0.5, -1.0])
    loss = (out[0] - 1.0) ** 2 + out[1] ** 2
    loss.backward()
    source = to_dot(loss)
    assert 'label="2 · Scale: 16 operations (*2)"' in source
    pair = source[source.index('label="4";'):]
    pair = pair[:pair.index("  }")]
    assert pair.count('label="+"') == 1 and pair.count('label="-"') == 1  # Pair's two values, drawn in full
    assert "the loss over every sample" not in source


def test_dropouts_masks_are_drawn_with_it_and_its_step_passes_gradient_back_only_to_the_layer_before():
    model = nn.Sequential(nn.Linear(2, 16, seed=0), nn.ReLU(), nn.Dropout(0.5, seed=0), nn.Linear(16, 1, seed=1))
    model.parameters()
    loss = nn.mse_loss([model([0.5, -1.0])[0], model([1.0, 0.0])[0]], [1.0, 0.0])
    loss.backward()
    scene = walkthrough_scene(loss)
    assert scene.nodes["lump1"].title == "2 · Dropout: 32 operations (*)"
    assert not any(node.kind == "constant" or node.label == "mask" for node in scene.nodes.values())  # in the lump
    dropout = next(frame for frame in frames_of(scene) if frame["phase"] == "backward" and frame["node"] == "lump1")
    assert dropout["lines"] == ["32 operations pass the gradient back to the outputs of 0"]
    assert "lump1" not in dropout["parents"]


def test_a_conv_models_title_counts_channels_and_neurons_and_its_one_image_as_one_sample():
    # a channel's 16 outputs are positions of one image, not 16 samples
    model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3, seed=1))
    image = [[[0.1 * ((r * 6 + c) % 7) - 0.3 for c in range(6)] for r in range(6)]]
    title = walkthrough_scene(nn.cross_entropy(model(image), [0.0, 1.0, 0.0]), None).title
    assert re.fullmatch(r"v\d+: a model of 2 channels and 3 neurons in 2 layers, over one sample", title), title
