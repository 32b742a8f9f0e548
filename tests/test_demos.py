"""Every demo runs in its --fast mode and does what it promises: the numbers and the files."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from demos import cnn, digits, housing, moons, optimizers, rnn, vanishing, walkthrough

ROOT = Path(__file__).resolve().parent.parent


def nonempty(paths):
    return all(Path(p).stat().st_size > 0 for p in paths)


def test_walkthrough_neuron(tmp_path, capsys):
    result = walkthrough.main(["--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert result["output"] == pytest.approx(0.5**0.5)
    assert result["grads"] == pytest.approx({"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5})
    assert "x1.grad += ∂(x1*w1)/∂x1 · (x1*w1).grad = w1 · 0.5 = (-3.0) · 0.5 = -1.5" in " ".join(out.split())
    names = {Path(p).name for p in result["files"]}
    assert "neuron_walkthrough.html" in names
    assert "neuron.svg" in names or "neuron.dot" in names  # the .dot when Graphviz is missing
    assert nonempty(result["files"]) and out.rstrip().endswith(str(result["files"][-1]) + "  (" + f"{Path(result['files'][-1]).stat().st_size:,} bytes)")


def test_moons_reaches_100_percent(tmp_path, capsys):
    result = moons.main(["--fast", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert result["accuracy"] == 1.0
    assert [Path(p).name for p in result["files"]] == ["moons_boundary.png"] and nonempty(result["files"])
    assert "decision boundary" in out and "|" in out


def test_digits_beats_chance_by_far(tmp_path, capsys):
    result = digits.main(["--fast", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert result["train_accuracy"] >= 0.95
    assert result["test_accuracy"] >= 0.75
    assert sum(map(sum, result["confusion"])) == 50
    assert "true \\ predicted" in out
    assert [Path(p).name for p in result["files"]] == ["digits_confusion.png"] and nonempty(result["files"])


def test_housing_beats_the_mean_baseline(tmp_path, capsys):
    result = housing.main(["--fast", "--out", str(tmp_path)])
    capsys.readouterr()
    assert result["rmse"] < 0.3 * result["baseline_rmse"]
    assert [Path(p).name for p in result["files"]] == ["housing_predictions.png"] and nonempty(result["files"])


def test_optimizers_all_learn_and_plain_sgd_is_slowest(tmp_path, capsys):
    result = optimizers.main(["--fast", "--out", str(tmp_path)])
    capsys.readouterr()
    curves = result["curves"]
    assert set(curves) == {"SGD", "SGD + momentum", "RMSprop", "Adam"}
    assert len({losses[0] for losses in curves.values()}) == 1  # the same start for all
    for name, losses in curves.items():
        assert losses[-1] < 0.6 * losses[0], name
        if name != "SGD":
            assert losses[-1] < curves["SGD"][-1], name
    assert [Path(p).name for p in result["files"]] == ["optimizers_loss.png"] and nonempty(result["files"])


def test_vanishing_measures_what_the_textbooks_say(tmp_path, capsys):
    result = vanishing.main(["--fast", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert result["verdicts"] == {
        "sigmoid, U(-1,1)": "vanishing",
        "sigmoid, Xavier": "vanishing",
        "tanh, Xavier": "healthy",
        "relu, U(-1,1)": "exploding",
        "relu, He": "healthy",
    }
    assert "layer" in out and "output" in out
    assert [Path(p).name for p in result["files"]] == ["vanishing_gradients.png"] and nonempty(result["files"])


def test_rnn_remembers_the_first_bit_and_its_gradients_vanish_through_time(tmp_path, capsys):
    result = rnn.main(["--fast", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert result["accuracy"]["identity"] >= 0.95
    assert result["ratios"]["default"] < 1e-2 < 0.1 < result["ratios"]["identity"]  # ||dL/dh_1|| / ||dL/dh_10||
    norms = result["norms"]["default"]
    assert all(a < b for a, b in zip(norms, norms[1:]))  # smaller and smaller going back in time
    lines = result["explanation"].splitlines()
    assert lines[0].startswith("rnn.weight_hh_l0.0.0.grad = Σ over the 10 node(s)")
    assert [line.split()[0] for line in lines[1:11]] == [f"t={t}" for t in range(1, 11)]
    assert "× h9.0 =" in lines[10] and "sum = " in lines[11]
    assert "||∂L/∂h_1|| / ||∂L/∂h_10||" in out
    names = [Path(p).name for p in result["files"]]
    assert names[0] in ("rnn_unrolled_T3.svg", "rnn_unrolled_T3.dot") and names[1:] == ["rnn_gradients.png"]
    assert nonempty(result["files"])


def test_cnn_learns_the_digits_and_writes_a_kernel_gradient_as_a_sum_over_positions(tmp_path, capsys):
    result = cnn.main(["--fast", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert result["test_accuracy"] >= 0.8 and result["train_accuracy"] >= 0.9
    assert result["positions"] == len(result["terms"]) == 36 and result["winners"] == 9  # pooling passes one in four on
    assert result["explanation"].splitlines()[0].startswith("0.weight.0.0.1.1.grad = Σ over the 36 node(s)")
    assert "Conv2d(1, 4, kernel_size=(3, 3))" in out and "kernel 3" in out
    assert [Path(p).name for p in result["files"]] == ["cnn_kernels.png"] and nonempty(result["files"])


def test_python_m_demo_writes_to_out_folder(tmp_path):
    """`python -m demos.NAME` from any folder writes to ./out there, and says so."""
    result = subprocess.run(
        [sys.executable, "-m", "demos.walkthrough"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "neuron_walkthrough.html").stat().st_size > 0
    assert "wrote:" in result.stdout


def test_without_matplotlib_a_demo_prints_ascii_and_the_hint(tmp_path):
    """matplotlib made unimportable (sys.modules entry None): the demo still runs."""
    code = "import sys; sys.modules['matplotlib'] = None; from demos import moons; moons.main(['--fast', '--out', sys.argv[1]])"
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "pip install matplotlib for the PNG" in result.stdout
    assert "decision boundary" in result.stdout
    assert list(tmp_path.iterdir()) == []
