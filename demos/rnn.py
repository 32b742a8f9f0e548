"""Backprop through time: an RNN remembers the first of 10 bits, and gradients that vanish over steps.

    python -m demos.rnn [--out DIR] [--fast]

Each sequence is 10 random bits (fed as -1/+1); its class is the FIRST bit, so the RNN must
carry one number across 9 steps of noise. A tanh RNN (hidden size 8) reads the sequence and a
Linear layer reads its last hidden state. Two initialisations of the recurrent weights W_hh:
PyTorch's default, uniform in +-1/sqrt(8), and the identity matrix (W_hh = I, so at first each
hidden unit just keeps its value). For each, ||∂L/∂h_t|| at every step t before training: with
the default the gradient reaching h_1 is hundreds of times smaller than at h_10 (it vanishes
through time), with the identity it stays within a small factor. Both are trained with Adam;
prints the test accuracy per epoch, one shared weight's gradient written as a sum over the
time steps, and plots both to out/rnn_gradients.png. It also draws a small RNN unrolled over
3 steps, one box per time step (out/rnn_unrolled_T3.svg; needs Graphviz's dot).
"""

import math
import random

import autograd
import nn
from autograd import GraphvizNotFoundError, grad, no_grad, render
from demos._common import accuracy, out_dir, parser, progress, pyplot, report, save, set_postfix

T = 10
INITS = ("default", "identity")


def make_sequences(n, seed):
    """n sequences of T bits as [[-1.0 or 1.0]] per step, and their labels (the first bit)."""
    rng = random.Random(seed)
    X, y = [], []
    for _ in range(n):
        bits = [rng.randint(0, 1) for _ in range(T)]
        X.append([[2.0 * b - 1.0] for b in bits])
        y.append(bits[0])
    return X, y


class FirstBitClassifier(nn.Module):
    """nn.RNN(1, hidden) then nn.Linear(hidden, 1) on the last hidden state: one logit."""

    def __init__(self, hidden, init="default", seed=0):
        super().__init__()
        self.rnn = nn.RNN(1, hidden, seed=seed)
        self.head = nn.Linear(hidden, 1, seed=seed + 1)
        if init == "identity":
            for i, row in enumerate(self.rnn.weight_hh_l0):
                for j, w in enumerate(row):
                    w.data = 1.0 if i == j else 0.0

    def __call__(self, xs):
        """(logit, outputs): the logit for the sequence and the hidden state at every step."""
        outputs, h_n = self.rnn(xs)
        return self.head(h_n[0])[0], outputs


def gradient_norms(model, X, y):
    """The mean over the sequences of ||∂L/∂h_t|| for t = 1..T (no .grad is touched)."""
    totals = [0.0] * T
    for xs, target in zip(X, y):
        logit, outputs = model(xs)
        loss = nn.binary_cross_entropy_with_logits(logit, target)
        for t, h in enumerate(outputs):
            totals[t] += math.sqrt(sum(g * g for g in grad(loss, h)))
    return [total / len(X) for total in totals]


@no_grad()
def test_accuracy(model, X, y):
    """The fraction of sequences whose logit has the sign of the label."""
    return accuracy([int(model(xs)[0].data > 0) for xs in X], y)


def train(model, X, y, X_test, y_test, epochs, name, lr=0.03, batch_size=32):
    """Adam on the binary cross-entropy; returns the test accuracy after each epoch.

    The batch's loss is compiled (autograd.compile): the sequences and labels are its arguments,
    so one program serves every batch of a size (a smaller last batch gets a second one), with
    the graph's numbers to the last bit.
    """
    opt = nn.optim.Adam(model.parameters(), lr=lr)
    step = autograd.compile(lambda xb, yb: nn.binary_cross_entropy_with_logits([model(xs)[0] for xs in xb], yb))
    accuracies = []
    bar = progress(range(epochs), total=epochs, desc=f"rnn ({name} init)")
    for epoch in bar:
        for xb, yb in nn.datasets.batches(X, y, batch_size, seed=epoch):
            opt.zero_grad()
            loss = step(xb, yb)  # forward and backward: the gradients are in .grad
            opt.step()
        accuracies.append(test_accuracy(model, X_test, y_test))
        set_postfix(bar, loss=loss, test_acc=accuracies[-1])
    return accuracies


def plot(norms, curves, path, plt):
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, values in norms.items():
        left.plot(range(1, T + 1), values, marker="o", label=f"{name} W_hh")
    left.set_yscale("log")
    left.set_xlabel("time step t")
    left.set_ylabel("mean ||∂L/∂h_t|| before training")
    left.set_title("gradients through time")
    left.legend()
    for name, values in curves.items():
        right.plot(range(1, len(values) + 1), values, marker="o", label=f"{name} W_hh")
    right.axhline(0.95, color="grey", linestyle=":", linewidth=1)
    right.set_xlabel("epoch")
    right.set_ylabel("test accuracy")
    right.set_ylim(0.4, 1.02)
    right.set_title("remembering the first of 10 bits")
    right.legend()
    return save(fig, path, plt)


def draw_unrolled(path):
    """A 2-unit RNN unrolled over 3 steps, one box per time step; the .dot source when Graphviz is missing."""
    rnn = nn.RNN(1, 2, seed=0)
    outputs, _ = rnn([[1.0], [-1.0], [1.0]])
    loss = outputs[-1][0] + outputs[-1][1]
    loss.label = "L"
    loss.backward()
    try:
        return render(loss, path, groups=nn.time_steps(outputs))
    except GraphvizNotFoundError:
        return path.with_suffix(".dot")


def main(argv=None):
    """Measure the gradients, train, explain one shared weight's gradient, plot; returns a summary dict."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out)
    n_train, epochs, trained = (160, 6, ("identity",)) if args.fast else (256, 10, INITS)
    X, y = make_sequences(n_train, seed=0)
    X_test, y_test = make_sequences(200, seed=1)
    models = {name: FirstBitClassifier(8, name, seed=0) for name in INITS}
    norms = {name: gradient_norms(model, X[:32], y[:32]) for name, model in models.items()}
    print(f"mean ||∂L/∂h_t|| over 32 sequences, before training (T = {T}, hidden size 8, tanh):\n")
    print(f"{'t':>4}" + "".join(f"{name + ' W_hh':>16}" for name in norms))
    for t in range(T):
        print(f"{t + 1:>4}" + "".join(f"{values[t]:>16.3e}" for values in norms.values()))
    ratios = {name: values[0] / values[-1] for name, values in norms.items()}
    print("\n||∂L/∂h_1|| / ||∂L/∂h_10||: " + ", ".join(f"{name} {r:.2e}" for name, r in ratios.items()))

    model = models["identity"]  # before training: every step's term matters
    logit, outputs = model(X[0])
    loss = nn.binary_cross_entropy_with_logits(logit, y[0])
    weight = model.rnn.weight_hh_l0[0][0]
    explanation = nn.explain_grad_sum(loss, weight, where=nn.time_steps(outputs))
    print(f"\nW_hh is shared by all {T} steps, so each of its gradients is a sum over time "
          f"(identity W_hh before training, one sequence):\n{explanation}")

    curves = {name: train(models[name], X, y, X_test, y_test, epochs, name) for name in trained}
    print(f"\ntest accuracy after each epoch ({n_train} training sequences, {len(X_test)} test sequences):")
    for name, values in curves.items():
        print(f"  {name + ' W_hh':<14} " + " ".join(f"{a:.0%}" for a in values))
    first_95 = {name: next((i + 1 for i, a in enumerate(values) if a >= 0.95), None) for name, values in curves.items()}

    written = [draw_unrolled(out / "rnn_unrolled_T3.svg")]
    plt = pyplot()
    if plt is not None:
        written.append(plot(norms, curves, out / "rnn_gradients.png", plt))
    report(written)
    return {"norms": norms, "ratios": ratios, "accuracy": {name: values[-1] for name, values in curves.items()},
            "curves": curves, "first_epoch_at_95": first_95, "explanation": explanation, "files": written}


if __name__ == "__main__":
    main()
