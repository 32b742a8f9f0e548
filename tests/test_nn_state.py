"""State dicts and files: round trips, PyTorch's layout, and bad input that changes nothing."""

import json
import os

import pytest

import nn


def snapshot(model):
    return [p.data for p in model.parameters()]


def test_mlp_state_dict_uses_pytorch_sequential_keys_and_shapes():
    state = nn.MLP(3, [4, 2], seed=0).state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [len(state["0.weight"]), len(state["0.weight"][0])] == [4, 3]  # out x in, as torch
    assert len(state["2.bias"]) == 2 and all(type(v) is float for v in state["2.bias"])


@pytest.mark.parametrize("module, keys", [
    (nn.Layer(3, 2), ["weight", "bias"]),
    (nn.Neuron(3), ["weight", "bias"]),
])
def test_layers_and_neurons_have_linear_shaped_state(module, keys):
    assert list(module.state_dict()) == keys


def test_state_dict_round_trip_into_another_model():
    source, target = nn.MLP(2, [5, 3], seed=1), nn.MLP(2, [5, 3], seed=2)
    assert snapshot(source) != snapshot(target)
    assert target.load_state_dict(source.state_dict()) is target
    assert snapshot(source) == snapshot(target)


def test_file_round_trip_is_exact_and_atomic(tmp_path):
    source, target = nn.MLP(2, [7, 1], seed=3), nn.MLP(2, [7, 1], seed=4)
    path = source.save(tmp_path / "model.json")
    assert json.loads(path.read_text()) == source.state_dict()
    assert target.load(path) is target
    assert snapshot(source) == snapshot(target)
    assert sorted(os.listdir(tmp_path)) == ["model.json"]  # no temporary file left behind


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("old contents")
    nn.MLP(2, [2, 1], seed=0).save(path)
    nn.MLP(2, [2, 1]).load(path)


def test_save_refuses_nan_parameters_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.json"
    model = nn.MLP(2, [2, 1], seed=0)
    model.save(path)
    before = path.read_text()
    model.parameters()[3].data = float("nan")
    with pytest.raises(ValueError, match=r"layers.0.neurons.1.w.0.*nan"):
        model.save(path)
    assert path.read_text() == before and sorted(os.listdir(tmp_path)) == ["model.json"]


def test_state_dict_loads_into_pytorch_and_gives_the_same_outputs(torch):
    model = nn.MLP(2, [8, 8, 3], activation="tanh", seed=5)
    twin = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                               torch.nn.Linear(8, 3))
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    for x in ([0.5, -0.25], [2.0, 1.0], [-3.0, 0.0]):
        assert [o.data for o in model(x)] == pytest.approx(twin(torch.tensor(x)).tolist(), abs=1e-12)


def test_pytorch_state_dict_loads_back(torch):
    twin = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    model = nn.MLP(2, [4, 1]).load_state_dict(twin.state_dict())  # tensors are accepted as they are
    assert model([0.3, 0.7]).data == pytest.approx(twin(torch.tensor([0.3, 0.7])).item(), abs=1e-12)


def good_state():
    return nn.MLP(2, [3, 1], seed=0).state_dict()


def changed(**edits):
    state = good_state()
    for key, value in edits.items():
        state[key.replace("_", ".")] = value
    return state


def without(key):
    state = good_state()
    del state[key]
    return state


BAD_STATES = [
    ("missing key", without("2.bias"), r"missing key\(s\) '2.bias'"),
    ("extra key", {**good_state(), "4.weight": [[1.0]]}, r"unexpected key\(s\) '4.weight'"),
    ("not a dict", [1, 2, 3], "expected a dict"),
    ("too few rows", changed(**{"0_weight": [[1.0, 2.0]] * 2}), r"key '0.weight': expected a list of 3, got a list of 2"),
    ("short row", changed(**{"0_weight": [[1.0, 2.0], [1.0], [1.0, 2.0]]}), r"key '0.weight'\[1\]: expected a list of 2, got a list of 1"),
    ("bias not a list", changed(**{"0_bias": 0.5}), r"key '0.bias': expected a list of 3"),
    ("string", changed(**{"2_bias": ["0.5"]}), r"key '2.bias'\[0\]: expected a number, got str '0.5'"),
    ("bool", changed(**{"2_bias": [True]}), r"key '2.bias'\[0\]: expected a number, got bool"),
    ("None", changed(**{"2_bias": [None]}), r"key '2.bias'\[0\]: expected a number, got NoneType"),
    ("NaN", changed(**{"0_bias": [0.0, float("nan"), 0.0]}), r"key '0.bias'\[1\]: expected a finite number, got nan"),
    ("infinity", changed(**{"0_bias": [0.0, 0.0, float("-inf")]}), r"key '0.bias'\[2\]: expected a finite number, got -inf"),
]


@pytest.mark.parametrize("state, message", [case[1:] for case in BAD_STATES], ids=[case[0] for case in BAD_STATES])
def test_bad_state_dicts_raise_and_change_nothing(state, message):
    model = nn.MLP(2, [3, 1], seed=9)
    before = snapshot(model)
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(state)
    assert snapshot(model) == before


def text_of(state):
    return json.dumps(state)


GOOD_TEXT = text_of(good_state())
MARKED_TEXT = text_of(changed(**{"2_bias": [12345.5]}))  # the marker is replaced by bad tokens below


def marked(token):
    return MARKED_TEXT.replace("12345.5", token)


BAD_FILES = [
    ("truncated", GOOD_TEXT[: len(GOOD_TEXT) // 2], "not valid JSON.*truncated"),
    ("empty", "", "not valid JSON"),
    ("not JSON", "weights: 1, 2, 3", "not valid JSON"),
    ("NaN literal", marked("NaN"), r"key '2.bias'\[0\]: expected a finite number, got nan"),
    ("Infinity literal", marked("-Infinity"), r"key '2.bias'\[0\]: expected a finite number, got -inf"),
    ("overflowing number", marked("1e999"), r"key '2.bias'\[0\]: expected a finite number, got inf"),
    ("missing key", text_of(without("0.bias")), r"missing key\(s\) '0.bias'"),
    ("wrong shape", text_of(nn.MLP(2, [4, 1]).state_dict()), "expected a list of 3, got a list of 4"),
    ("string number", marked('"0.5"'), "expected a number, got str"),
    ("a list, not an object", "[1, 2]", "expected a dict"),
]


@pytest.mark.parametrize("text, message", [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_bad_files_raise_and_change_nothing(tmp_path, text, message):
    path = tmp_path / "model.json"
    path.write_text(text)
    model = nn.MLP(2, [3, 1], seed=9)
    before = snapshot(model)
    with pytest.raises(ValueError, match=message) as error:
        model.load(path)
    assert str(path) in str(error.value)
    assert snapshot(model) == before


def test_binary_file_raises_and_changes_nothing(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"\x80\x81\xfe\xff")
    model = nn.MLP(2, [3, 1], seed=9)
    before = snapshot(model)
    with pytest.raises(ValueError, match="not a text file"):
        model.load(path)
    assert snapshot(model) == before


def test_files_and_numbers_python_cannot_read_are_clear_errors(tmp_path):
    model = nn.MLP(2, [2, 1], seed=0)
    before = [p.data for p in model.parameters()]
    state = model.state_dict()
    state["0.weight"][0][0] = 10**400  # an int no float can hold
    with pytest.raises(ValueError, match=r"'0.weight'\[0\]\[0\]: 1000.* is too large for a float"):
        model.load_state_dict(state)
    for text, message in [("[" * 100_000, "nested too deeply"), ("9" * 5000, "not a saved model")]:
        path = tmp_path / "bad.json"
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            model.load(path)
    assert [p.data for p in model.parameters()] == before


def test_save_keeps_the_file_permissions_a_new_file_would_get(tmp_path):
    path = tmp_path / "model.json"
    nn.MLP(2, [1], seed=0).save(path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    os.chmod(path, 0o640)
    nn.MLP(2, [1], seed=0).save(path)
    assert path.stat().st_mode & 0o777 == 0o640
