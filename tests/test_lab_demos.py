"""The training lab: MLP(dropout=p), and the three lesson demos, each lesson checked on the
numbers run(fast=True) returns, for several seeds (a lesson that holds for one seed is luck)."""

import math

import pytest

import nn


# MLP(..., dropout=p): the public way to put dropout inside a model.

def test_mlp_dropout_acts_in_training_and_is_off_in_eval():
    plain = nn.MLP(3, [8, 8, 1], seed=0)
    dropped = nn.MLP(3, [8, 8, 1], seed=0, dropout=0.5)
    assert dropped.state_dict() == plain.state_dict()  # same weights, same keys: dropout has no parameters
    x = [0.5, -1.0, 2.0]
    outputs = {dropped(x).data for _ in range(10)}
    assert len(outputs) > 1  # a fresh mask each call in training mode
    dropped.eval()
    assert dropped(x).data == plain(x).data
    dropped.train()
    assert len({dropped(x).data for _ in range(10)}) > 1


def test_mlp_dropout_is_reproducible_for_a_seed_and_shows_in_the_repr():
    a, b = nn.MLP(2, [4, 1], seed=3, dropout=0.25), nn.MLP(2, [4, 1], seed=3, dropout=0.25)
    assert [a([1.0, 2.0]).data for _ in range(5)] == [b([1.0, 2.0]).data for _ in range(5)]
    assert repr(a).endswith("fused=True, dropout=0.25)")
    assert "dropout" not in repr(nn.MLP(2, [4, 1], seed=3))


@pytest.mark.parametrize("kwargs, message", [
    (dict(nouts=[4, 1], dropout=1.5), r"dropout probability must be a number in \[0, 1\], got 1.5"),
    (dict(nouts=[1], dropout=0.5), r"dropout=0.5 goes after hidden layers, and nouts=\[1\] has none"),
])
def test_mlp_dropout_rejects_what_it_cannot_do(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nn.MLP(2, **kwargs)


# The learning rate: too small crawls, a good one ends lowest, too large blows up.

def test_learning_rate_lesson_holds_for_several_seeds(tmp_path, capsys):
    from demos import learning_rate

    result = learning_rate.main(["--fast", "--out", str(tmp_path)])  # seed 0, printed and plotted
    assert "the numbers above show the lesson" in capsys.readouterr().out
    assert [p.name for p in result["files"]] == ["learning_rate.png"] and result["files"][0].stat().st_size > 0
    for seed, rows in [(0, result["rows"])] + [(s, learning_rate.run(fast=True, seed=s)) for s in (1, 2)]:
        assert len({row["losses"][0] for row in rows}) == 1, seed  # the same data and start for every rate
        verdicts = [row["verdict"] for row in rows]
        assert {"too small", "good", "too large"} <= set(verdicts), (seed, verdicts)
        good = next(row for row in rows if row["verdict"] == "good")
        for row in rows:
            if row is good:
                continue
            assert row["final_loss"] > good["final_loss"], (seed, row["lr"])  # the good rate ends lowest
            if row["verdict"] == "too small":
                assert row["lr"] < good["lr"]
            else:
                losses, ups = row["losses"], sum(b > a for a, b in zip(row["losses"], row["losses"][1:]))
                blew_up = not all(math.isfinite(v) for v in losses + [row["final_loss"]])
                assert row["lr"] > good["lr"]
                assert blew_up or row["final_loss"] > losses[0] or ups >= 0.25 * (len(losses) - 1), (seed, row)
        assert learning_rate.lesson_failures(rows) == []


def test_learning_rate_far_too_large_ends_in_inf_or_nan_without_a_crash():
    from demos import learning_rate

    X, y = learning_rate.sine_data(20, seed=0)
    losses, final = learning_rate.train(1e4, X, y, epochs=200)
    assert not math.isfinite(final) and len(losses) < 200
    rows = learning_rate.verdicts([{"lr": 1e4, "losses": losses, "final_loss": final}])
    assert rows[0]["verdict"] == "too large" and rows[0]["how"].startswith("became ")


def test_learning_rate_says_so_when_the_numbers_do_not_show_the_lesson(capsys):
    from demos import learning_rate
    from demos._common import check_lesson

    rows = learning_rate.verdicts([
        {"lr": 0.001, "losses": [1.0, 0.99, 0.98], "final_loss": 0.97},
        {"lr": 0.01, "losses": [1.0, 0.5, 0.2], "final_loss": 0.1},
        {"lr": 0.1, "losses": [1.0, 0.9, 0.8], "final_loss": 0.7},  # larger, smooth, yet slower: not the textbook
    ])
    assert [row["verdict"] for row in rows] == ["too small", "good", "too large"]
    failures = learning_rate.lesson_failures(rows)
    assert failures == ["lr=0.1 is too large only because it overshot: ended above lr=0.01, "
                        "without rising, oscillating or blowing up"]
    assert check_lesson(learning_rate.LESSON, failures) is False
    assert "do NOT show the lesson" in capsys.readouterr().out


# Overfitting: a real train/held-out gap without regularization; each regularizer narrows it and lowers the
# held-out loss at an accuracy no worse than noise allows, on the means over several draws of the data.

def test_overfitting_lesson_holds_on_loss_and_accuracy_over_the_draws(tmp_path, capsys):
    from demos import overfitting

    n_train, n_val, n_test, epochs, draws = overfitting.sizes(fast=True)
    result = overfitting.main(["--fast", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "the numbers above show the lesson" in out
    assert [p.name for p in result["files"]] == ["overfitting.png"] and result["files"][0].stat().st_size > 0
    # Measured in fast mode on the draws 0-2 (what the demo runs), 3-5 and 6-8: each group shows the whole
    # lesson. In 9-11 two draws hardly overfit, and L1's and dropout's fixed strengths leave the test loss
    # where it was (0.367 and 0.388 against 0.366); the demo says so. The full run (8 draws) shows it all.
    rows = result["rows"]
    by = {row["method"]: row for row in rows}
    assert list(by) == ["none", "l2", "l1", "dropout", "early stopping"] and draws >= 3
    for row in rows:  # the means are the means of the draws shown
        assert len(row["draws"]) == draws
        for key in ("train_loss", "val_loss", "test_loss", "train_acc", "val_acc", "test_acc", "epochs"):
            assert row[key] == pytest.approx(sum(d[key] for d in row["draws"]) / draws, rel=1e-12), (row["method"], key)
    none = by["none"]
    gap = none["train_acc"] - none["test_acc"]
    assert gap > overfitting.gap_needed(none["test_acc"], n_test * draws)  # a real gap, not noise
    noise = overfitting.noise_of(none["test_acc"], n_test * draws)
    for method in ("l2", "l1", "dropout", "early stopping"):
        r = by[method]
        assert r["test_loss"] < none["test_loss"], method  # the verdict on the loss...
        assert r["train_acc"] - r["test_acc"] < gap, method  # ...on the gap...
        assert r["test_acc"] >= none["test_acc"] - noise, method  # ...and on the accuracy
    for draw in by["l2"]["draws"]:  # the grid brackets every pick, and the pick is the validation set's
        picks = [g["l2"] for g in draw["grid"]]
        assert picks == list(overfitting.L2_CANDIDATES) and picks[0] == 0.0 and draw["l2"] < picks[-1]
        assert draw["l2"] == min(draw["grid"], key=lambda g: g["val_loss"])["l2"]
    for draw in by["early stopping"]["draws"]:  # stops after the structure is learned, well before the end
        assert 5 <= draw["epochs"] < epochs and draw["val_loss"] == min(draw["val_losses"])
    assert overfitting.lesson_failures(rows, n_test * draws) == []
    for words in ("train acc", "test acc", "test loss", "test loss / test accuracy on each draw"):
        assert words in out  # both measures, and each draw, are what the student reads


def test_overfitting_trains_compiled_with_the_graphs_numbers():
    """The compiled training step gives the gradients of nn's loss on the graph bit for bit, and the compiled
    scorer the eval-mode outputs (it was traced in eval mode, so the model's mode when it runs does not matter)."""
    from demos import overfitting

    xb, yb = [[0.5, -0.2], [1.5, 0.3], [-0.7, 0.9], [0.1, 0.1]], [1, 0, 0, 1]
    for l2, l1 in ((0.0, 0.0), (0.01, 0.0), (0.0, 0.003)):
        model = nn.MLP(2, [16, 16, 1], seed=0)
        model.zero_grad()
        overfitting.training_step(model, l2=l2, l1=l1)(xb, yb)
        compiled = [p.grad for p in model.parameters()]
        model.zero_grad()
        loss = nn.binary_cross_entropy_with_logits([model(x) for x in xb], yb)
        if l2:
            loss = loss + l2 * nn.l2_penalty(model)
        if l1:
            loss = loss + l1 * nn.l1_penalty(model)
        loss.backward()
        assert compiled == [p.grad for p in model.parameters()], (l2, l1)
    model = nn.MLP(2, [16, 16, 1], seed=0, dropout=0.5)
    score = overfitting.scorer(model)
    model.train()
    loss, accuracy = score(xb, yb)
    assert model.training is True  # the scorer leaves the mode as it found it
    model.eval()
    logits = [model(x) for x in xb]
    assert loss == nn.binary_cross_entropy_with_logits(logits, yb).data
    assert accuracy == sum((z.data > 0) == (t == 1) for z, t in zip(logits, yb)) / len(yb)


# The batch size: more, cheaper, noisier updates, and a lower loss in the same epochs.

def test_batch_size_lesson_holds_for_several_seeds(tmp_path, capsys):
    from demos import batch_size

    result = batch_size.main(["--fast", "--out", str(tmp_path)])
    assert "the numbers above show the lesson" in capsys.readouterr().out
    assert [p.name for p in result["files"]] == ["batch_size.png"] and result["files"][0].stat().st_size > 0
    for seed, rows in [(0, result["rows"])] + [(s, batch_size.run(fast=True, seed=s)) for s in (1, 2)]:
        n = rows[0]["batch_size"]
        assert [row["batch_size"] for row in rows] == [n, batch_size.MINI_BATCH, 1]  # full batch first
        for row in rows:
            assert row["updates"] == row["epochs"] * math.ceil(n / row["batch_size"]) == len(row["losses"])
            assert row["final_loss"] == row["epoch_losses"][-1]  # the whole training set, not the last batch
        for big, small in zip(rows, rows[1:]):
            assert small["updates"] > big["updates"]
            assert small["noise"] > big["noise"], seed
            assert small["final_loss"] < big["final_loss"], seed
        assert batch_size.lesson_failures(rows) == []


# Vanishing gradients: one printed rule, and every verdict follows it.

def test_vanishing_verdicts_follow_the_one_printed_rule(tmp_path, capsys):
    from demos import vanishing

    result = vanishing.main(["--fast", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    low, high = result["band"]
    assert f"between {low:g} and {high:g}" in out and "near 1" not in out
    for name, norms in result["norms"].items():
        below, above = min(norms) < low, max(norms) > high
        expected = "vanishing and exploding" if below and above else "vanishing" if below else "exploding" if above else "healthy"
        assert result["verdicts"][name] == expected, name
        assert f": {expected}\n" in out.split(name, 2)[-1][:200]  # the printed verdict is the rule's


# The progress bar every demo uses: whole lines, never a stream of carriage returns.

def test_progress_off_a_terminal_is_one_line_even_when_the_loop_stops_early(capsys):
    from demos._common import PlainBar, progress, set_postfix

    bar = progress(range(100), total=100, desc="training")  # pytest captures stderr: not a terminal
    assert isinstance(bar, PlainBar)
    for i in bar:
        set_postfix(bar, loss=0.5 / (i + 1))
        if i == 9:
            break
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "\r" not in captured.err
    assert captured.err.startswith("training: 10/100 in ") and captured.err.endswith("(loss=0.05)\n")


def test_without_matplotlib_a_lesson_draws_its_curves_in_ascii(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; sys.modules['matplotlib'] = None; from demos import learning_rate; "
            "learning_rate.main(['--fast', '--out', sys.argv[1]])")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "pip install matplotlib for the PNG" in result.stdout
    assert "(log scale)" in result.stdout and "* lr=0.001 (too small)" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_ascii_curves_share_one_x_axis_so_a_short_curve_stops_early():
    from demos._common import ascii_curves

    chart = ascii_curves({"long": [1.0, 0.5, 0.25, 0.125], "short": [1.0, 8.0, math.inf]}, rows=4, cols=10)
    lines = chart.splitlines()
    label, plot = lines[0].split("|")
    assert label.strip() == "8" and plot.index("o") == 3  # point 1 of the longest curve's 0..3, on 10 columns
    assert lines[3].split("|")[0].strip() == "0.125" and lines[3].endswith("*")
    assert [line.strip() for line in lines[-2:]] == ["* long", "o short"]


def test_the_torch_skip_reason_uses_the_quickstart_venv():
    """The Quickstart makes .venv, so a bare `pip install torch` would install it somewhere else."""
    import re
    from pathlib import Path

    conftest = (Path(__file__).resolve().parent / "conftest.py").read_text(encoding="utf-8")
    installs = re.findall(r"(\S*pip) install torch", conftest)
    assert installs and set(installs) == {".venv/bin/pip"}
