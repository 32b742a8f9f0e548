"""nn.to_torch and nn.from_torch: the same model in PyTorch with the same weights, and back."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nn

ROOT = Path(__file__).resolve().parent.parent


def same_state(module, torch_module):
    ours = module.state_dict()
    theirs = {key: tensor.tolist() for key, tensor in torch_module.state_dict().items()}
    return list(ours) == list(theirs) and ours == theirs


MODULES = {
    "Linear": lambda: nn.Linear(3, 2, seed=0),
    "Linear without bias": lambda: nn.Linear(3, 2, bias=False, seed=0),
    "Sequential": lambda: nn.Sequential(nn.Linear(2, 4, seed=0), nn.Tanh(), nn.Dropout(0.2), nn.Linear(4, 1, seed=1),
                                        nn.Sigmoid()),
    "RNN": lambda: nn.RNN(2, 3, num_layers=2, seed=0),
    "RNN relu, no bias": lambda: nn.RNN(2, 3, nonlinearity="relu", bias=False, seed=0),
    "RNNCell": lambda: nn.RNNCell(2, 3, seed=0),
    "Conv2d": lambda: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1, seed=0),
    "CNN": lambda: nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                 nn.Linear(8, 2, seed=1)),
}


@pytest.mark.parametrize("make", MODULES.values(), ids=MODULES.keys())
def test_to_torch_has_the_same_weights_and_from_torch_brings_them_back(torch, make):
    module = make()
    twin = nn.to_torch(module)
    assert isinstance(twin, torch.nn.Module)
    assert all(p.dtype == torch.float64 for p in twin.parameters())
    assert same_state(module, twin)
    back = nn.from_torch(twin)
    assert type(back) is type(module) and repr(back) == repr(module)
    assert back.state_dict() == module.state_dict()


def test_from_torch_of_a_model_pytorch_made_gives_the_same_outputs(torch):
    torch.manual_seed(0)
    twin = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))
    model = nn.from_torch(twin)
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=3, out_features=5, bias=True)\n  (1): ReLU()\n"
                           "  (2): Linear(in_features=5, out_features=2, bias=True)\n)")
    x = [0.5, -1.0, 2.0]
    assert [v.data for v in model(x)] == pytest.approx(twin(torch.tensor(x)).tolist(), abs=1e-12)
    assert model[0].weight[4][2].label == "0.weight.4.2"


def test_an_rnn_made_by_pytorch_runs_the_same_here(torch):
    torch.manual_seed(1)
    twin = torch.nn.RNN(2, 4)
    rnn = nn.from_torch(twin)
    xs = [[0.1, 0.2], [-0.5, 1.0], [0.3, -0.3]]
    outputs, h_n = rnn(xs)
    t_out, t_h = twin(torch.tensor(xs))
    assert [v.data for h in outputs for v in h] == pytest.approx(t_out.flatten().tolist(), abs=1e-12)
    assert [v.data for v in h_n[0]] == pytest.approx(t_h[0].tolist(), abs=1e-12)


def test_mlp_converts_to_torch_with_its_sequential_keys(torch):
    model = nn.MLP(2, [4, 3], activation="tanh", seed=0)
    twin = nn.to_torch(model)
    assert list(twin.state_dict()) == list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = [0.3, -0.8]
    assert [v.data for v in model(x)] == pytest.approx(twin(torch.tensor(x)).tolist(), abs=1e-12)


def modes(module):
    """Each module's train/eval mode, depth first: [True, False, ...] (chainrule's or torch's)."""
    return [m.training for m in module.modules()]


@pytest.mark.parametrize("make", MODULES.values(), ids=MODULES.keys())
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_to_torch_and_from_torch_keep_the_mode_of_every_module(torch, make, mode):
    module = make()
    getattr(module, mode)()
    twin = nn.to_torch(module)
    assert modes(twin) == modes(module) == [mode == "train"] * len(modes(module))
    twin.train(mode != "train")  # and back, from the other mode
    assert modes(nn.from_torch(twin)) == [mode != "train"] * len(modes(module))


def test_a_sequential_in_eval_mode_gives_torch_s_eval_outputs(torch):
    """The issue's example: before, the twin was in training mode and its outputs were off by the dropout scale."""
    d = nn.Sequential(nn.Linear(3, 3, seed=0), nn.Dropout(0.5))
    d.eval()
    twin = nn.to_torch(d)
    assert twin.training is False and twin[1].training is False
    x = [0.5, -1.0, 2.0]
    assert twin(torch.tensor(x)).tolist() == pytest.approx([v.data for v in d(x)], abs=1e-12)


def test_a_module_left_in_another_mode_than_its_parent_keeps_it(torch):
    d = nn.Sequential(nn.Linear(3, 3, seed=0), nn.Dropout(0.5), nn.Tanh())
    d.eval()
    d[1].train()  # one dropout layer back in training mode
    twin = nn.to_torch(d)
    assert modes(twin) == modes(d) == [False, False, True, False]
    assert modes(nn.from_torch(twin)) == [False, False, True, False]


def test_an_mlp_with_dropout_keeps_its_dropout_layers_and_mode_in_torch(torch):
    model = nn.MLP(2, [4, 4, 1], dropout=0.5, seed=0)
    twin = nn.to_torch(model)
    assert [type(m).__name__ for m in twin] == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert [m.p for m in twin if isinstance(m, torch.nn.Dropout)] == [0.5, 0.5]
    assert twin.training and all(m.training for m in twin)
    x = torch.tensor([0.3, -0.8])
    torch.manual_seed(0)
    assert len({twin(x).item() for _ in range(20)}) > 1  # in training mode its dropout is on, as the MLP's is
    assert len({model([0.3, -0.8]).data for _ in range(20)}) > 1
    model.eval()
    twin = nn.to_torch(model)
    assert not twin.training and not any(m.training for m in twin)
    assert twin(x).item() == pytest.approx(model([0.3, -0.8]).data, abs=1e-12)
    keys = list(twin.state_dict())  # Dropout takes an index: the Linear layers sit at 0, 3, 6
    assert keys == ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"]
    back = nn.from_torch(twin)  # a Sequential of the same layers, in eval mode
    assert [type(m).__name__ for m in back] == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert not any(modes(back)) and back([0.3, -0.8])[0].data == pytest.approx(model([0.3, -0.8]).data, abs=1e-12)


def test_what_has_no_equivalent_is_a_clear_error(torch):
    with pytest.raises(TypeError, match="nn.to_torch: no torch equivalent for Neuron.*it converts Sequential, Linear"):
        nn.to_torch(nn.Neuron(2))
    with pytest.raises(TypeError, match="nn.from_torch: no chainrule equivalent for GRU"):
        nn.from_torch(torch.nn.GRU(2, 3))
    with pytest.raises(ValueError, match="nn.from_torch: cannot convert .*bidirectional"):
        nn.from_torch(torch.nn.RNN(2, 3, bidirectional=True))
    with pytest.raises(ValueError, match="dilation 1"):
        nn.from_torch(torch.nn.Conv2d(1, 1, 3, dilation=2))


def test_without_torch_the_error_says_how_to_get_it():
    code = ("import sys; sys.modules['torch'] = None\nimport nn\n"
            "try:\n    nn.to_torch(nn.Linear(2, 1))\nexcept ImportError as e:\n    print(e)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert "nn.to_torch needs PyTorch, which is not installed: pip install torch" in result.stdout
    assert "torch" not in subprocess.run(
        [sys.executable, "-c", "import sys, nn; print(sorted(m for m in sys.modules if m.startswith('torch')))"],
        capture_output=True, text=True, cwd=ROOT, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout.replace("[]", "")  # importing nn does not import torch
