"""Overfitting: a big network fits a small noisy training set too well; regularization fights back.

    python -m demos.overfitting [--out DIR] [--fast]

Two moons with heavy noise, drawn several times (the draws): each draw is a small training
set, and a validation set and a test set held out from it. A 2-16-16-1 MLP, trained long with
Adam, fits its training points far better than new ones. Then the same network from the same
start, five ways:

- "none": the binary cross-entropy alone;
- "l2": plus lam * sum(w**2), for each lam of a grid from 0 (no L2: a draw may need none)
  up; the validation set picks one, and the grid goes far enough that the pick lies inside it;
- "l1": plus lam * sum(|w|);
- "dropout": MLP(..., dropout=p): on in training, off for evaluation;
- "early stopping": the "none" run, keeping the weights of its best validation epoch
  (state_dict).

Losses and accuracies are measured with dropout off and without the penalty. L2 and early
stopping chose by the validation set, so the test set, which chose nothing, judges every
method, on its loss and on its accuracy. One draw of a few dozen noisy points can go either
way, so the table gives the means over the draws and the demo checks its lesson on them. It
plots the first draw's curves to out/overfitting.png.

Training runs as compiled code (autograd.compile): one program per model computes a batch's
loss and gradients, the same numbers as the graph, several times faster; dropout's masks are
drawn afresh at every step inside the program.
"""

import math
import statistics

import autograd
import nn
from autograd import no_grad
from demos._common import accuracy, check_lesson, figure_or_ascii, out_dir, parser, progress, save

LESSON = ("without regularization the network fits its small noisy training set clearly better than held-out "
          "data, where it is confidently wrong (a high loss); on average over the draws each regularizer narrows "
          "that accuracy gap and brings the held-out loss down, at a held-out accuracy no worse than noise allows")
METHODS = ("none", "l2", "l1", "dropout", "early stopping")
HIDDEN = [16, 16]
LR = 0.005
BATCH = 8
L1 = 3e-3
DROPOUT = 0.5
L2_CANDIDATES = (0.0, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)  # 0.0: the "none" run, for a draw that needs no L2
NOISE = 0.3


def optimizer(params):
    """The optimizer every method trains with."""
    return nn.optim.Adam(params, lr=LR)


def sizes(fast):
    """(training, validation, test) sizes, epochs and draws."""
    return (32, 80, 80, 100, 3) if fast else (32, 160, 160, 100, 8)


def make_sets(fast, seed):
    """(train, val, test) as (X, y) pairs: one noisy two-moons draw, split three ways."""
    n_train, n_val, n_test, _, _ = sizes(fast)
    X, y = nn.datasets.make_moons(n_samples=n_train + n_val + n_test, noise=NOISE, seed=seed)
    X_rest, y_rest, X_test, y_test = nn.datasets.train_test_split(X, y, n_test / len(X), seed=seed)
    X_train, y_train, X_val, y_val = nn.datasets.train_test_split(X_rest, y_rest, n_val / len(X_rest), seed=seed)
    return (X_train, y_train), (X_val, y_val), (X_test, y_test)


def batch_loss(model, l2=0.0, l1=0.0):
    """A batch's training loss, loss(X, y): the batch is an argument, so one compiled program serves every batch."""

    def loss(X, y):
        total = nn.binary_cross_entropy_with_logits([model(x) for x in X], y)
        if l2:
            total = total + l2 * nn.l2_penalty(model)
        if l1:
            total = total + l1 * nn.l1_penalty(model)
        return total

    return loss


def training_step(model, l2=0.0, l1=0.0):
    """A function step(xb, yb) that adds the batch loss's gradients into the parameters' .grad.

    One compiled program per batch size; dropout's masks are drawn afresh at every call.
    """
    compiled = autograd.compile(batch_loss(model, l2, l1))
    return lambda xb, yb: compiled(xb, [float(t) for t in yb])


def scorer(model):
    """A function score(X, y) -> (loss, accuracy) of the model in eval mode, without the penalty.

    The logits come from one compiled program run in eval mode (no dropout), the eval-mode
    numbers of model(x) on the graph, bit for bit; it reads the weights as they are at each call
    and leaves the model in the mode it found.
    """
    logit = autograd.compile(lambda x: model(x))

    @no_grad()
    def score(X, y):
        was_training = model.training
        model.eval()
        try:
            logits = [logit.grad(x)[0] for x in X]
        finally:
            model.train(was_training)
        loss = nn.binary_cross_entropy_with_logits(logits, y).data
        return loss, accuracy([int(z > 0) for z in logits], y)

    return score


def train(train_set, epochs, seed, l2=0.0, l1=0.0, dropout=0.0, val_set=None):
    """Adam on mini-batches of BATCH; returns (model, score, losses, val_losses, best_state).

    score is the model's scorer; with a val_set, losses and val_losses are the training and
    validation loss after each epoch (the curves), and best_state the state_dict of the epoch
    with the lowest validation loss.
    """
    X, y = train_set
    model = nn.MLP(2, HIDDEN + [1], activation="relu", seed=seed, dropout=dropout)
    opt = optimizer(model.parameters())
    step, score = training_step(model, l2, l1), scorer(model)
    losses, val_losses, best_state, best = [], [], None, math.inf
    for epoch in range(epochs):
        for xb, yb in nn.datasets.batches(X, y, BATCH, seed=seed * 100_003 + epoch):
            opt.zero_grad()
            step(xb, yb)
            opt.step()
        if val_set is not None:
            losses.append(score(X, y)[0])
            val_losses.append(score(*val_set)[0])
            if val_losses[-1] < best:
                best, best_state = val_losses[-1], model.state_dict()
    return model, score, losses, val_losses, best_state


def run_draw(fast=False, seed=0, curves=True):
    """Train every method on one draw of the data (seed); one row per method (see METHODS).

    Each row: {"method", "train_loss", "val_loss", "test_loss", "train_acc", "val_acc",
    "test_acc", "epochs", "losses", "val_losses"}; the "l2" row also has "l2" (the strength
    chosen) and "grid" (rows {"l2", "val_loss"}, one per candidate). The curves (losses,
    val_losses) are measured for every method with curves=True, else for "none" alone (early
    stopping needs them).
    """
    train_set, val_set, test_set = make_sets(fast, seed)
    epochs = sizes(fast)[3]
    rows, grid = {}, []
    for method in ("none", "l1", "dropout"):
        options = {"l1": {"l1": L1}, "dropout": {"dropout": DROPOUT}}.get(method, {})
        watched = val_set if curves or method == "none" else None
        model, score, losses, val_losses, best_state = train(train_set, epochs, seed, val_set=watched, **options)
        rows[method] = row(method, score, train_set, val_set, test_set, epochs, losses, val_losses)
        if method == "none":
            best_epoch = val_losses.index(min(val_losses)) + 1
            model.load_state_dict(best_state)
            rows["early stopping"] = row("early stopping", score, train_set, val_set, test_set, best_epoch,
                                         losses[:best_epoch], val_losses[:best_epoch])
    for lam in L2_CANDIDATES:  # each strength trained (0.0 is the "none" run); the validation set picks one
        if lam:
            _, score, _, _, _ = train(train_set, epochs, seed, l2=lam)
            candidate = dict(row("l2", score, train_set, val_set, test_set, epochs, [], []), l2=lam)
        else:
            candidate = dict(rows["none"], method="l2", l2=lam)
        grid.append({"l2": lam, "val_loss": candidate["val_loss"]})
        if "l2" not in rows or candidate["val_loss"] < rows["l2"]["val_loss"]:
            rows["l2"] = candidate
    chosen = rows["l2"]["l2"]
    if curves and chosen:  # the same run again (the same seed: the same numbers), now measured at every epoch
        _, score, losses, val_losses, _ = train(train_set, epochs, seed, l2=chosen, val_set=val_set)
        rows["l2"] = dict(row("l2", score, train_set, val_set, test_set, epochs, losses, val_losses), l2=chosen)
    rows["l2"]["grid"] = grid
    return [rows[m] for m in METHODS]


def row(method, score, train_set, val_set, test_set, epochs, losses, val_losses):
    """The table row of a trained model."""
    (train_loss, train_acc), (val_loss, val_acc), (test_loss, test_acc) = (score(*s) for s in (train_set, val_set, test_set))
    return {"method": method, "train_loss": train_loss, "val_loss": val_loss, "test_loss": test_loss,
            "train_acc": train_acc, "val_acc": val_acc, "test_acc": test_acc, "epochs": epochs,
            "losses": losses, "val_losses": val_losses}


MEASURES = ("train_loss", "val_loss", "test_loss", "train_acc", "val_acc", "test_acc")


def run(fast=False, seed=0):
    """Every method on each draw (seeds seed, seed+1, ...); one row per method (see METHODS).

    Each row has the means over the draws of "train_loss", "val_loss", "test_loss",
    "train_acc", "val_acc", "test_acc" and "epochs" (the epochs trained, or kept), and
    "draws": that method's row of each draw (see run_draw).
    """
    draws = sizes(fast)[4]
    per_draw = [run_draw(fast, s, curves=s == seed)  # (the plot shows the first draw's curves)
                for s in progress(range(seed, seed + draws), total=draws, desc="overfitting")]
    rows = []
    for i, method in enumerate(METHODS):
        runs = [draw[i] for draw in per_draw]
        means = {key: statistics.fmean(r[key] for r in runs) for key in (*MEASURES, "epochs")}
        rows.append({"method": method, **means, "draws": runs})
    return rows


def gap_needed(accuracy, n):
    """The smallest train-minus-test accuracy gap that is not noise: noise_of(accuracy, n), at least 5 points."""
    return max(0.05, noise_of(accuracy, n))


def noise_of(accuracy, n):
    """Two standard errors of an accuracy measured on n points (a binomial proportion)."""
    return 2 * math.sqrt(max(accuracy * (1 - accuracy), 1 / n) / n)


def lesson_failures(rows, n_test):
    """What in the rows (means over the draws, n_test test points in all) contradicts the lesson."""
    by = {r["method"]: r for r in rows}
    none = by["none"]
    failures = []
    gap, needed = none["train_acc"] - none["test_acc"], gap_needed(none["test_acc"], n_test)
    if gap <= needed:
        failures.append(f"without regularization train accuracy {none['train_acc']:.1%} is not clearly above "
                        f"test accuracy {none['test_acc']:.1%} (gap {gap:.1%}, noise allows {needed:.1%})")
    noise = noise_of(none["test_acc"], n_test)
    for method in METHODS[1:]:
        r = by[method]
        if not r["test_loss"] < none["test_loss"]:
            failures.append(f"{method}: test loss {r['test_loss']:.3f} is not below the unregularized "
                            f"{none['test_loss']:.3f}")
        if not r["train_acc"] - r["test_acc"] < gap:
            failures.append(f"{method}: its gap between training and test accuracy, "
                            f"{r['train_acc'] - r['test_acc']:.1%}, is not below the unregularized {gap:.1%}")
        if r["test_acc"] < none["test_acc"] - noise:
            failures.append(f"{method}: test accuracy {r['test_acc']:.1%} is below the unregularized "
                            f"{none['test_acc']:.1%} by more than the noise ({noise:.1%})")
    for number, draw in enumerate(by["l2"]["draws"], 1):
        if draw["l2"] == L2_CANDIDATES[-1]:
            failures.append(f"on draw {number} the validation set chose the strongest L2 of the grid "
                            f"({', '.join(f'{c:g}' for c in L2_CANDIDATES)}): the grid should go further")
    return failures


def format_table(rows):
    """The rows as text: the means over the draws, each draw's test numbers, L2's grid."""
    draws = len(rows[0]["draws"])
    lines = [f"mean over {draws} draws:",
             f"{'method':<16}{'train loss':>11}{'val loss':>10}{'test loss':>10}{'train acc':>11}{'val acc':>9}"
             f"{'test acc':>10}{'epochs':>8}"]
    for r in rows:
        lines.append(f"{r['method']:<16}{r['train_loss']:>11.3f}{r['val_loss']:>10.3f}{r['test_loss']:>10.3f}"
                     f"{r['train_acc']:>11.1%}{r['val_acc']:>9.1%}{r['test_acc']:>10.1%}{r['epochs']:>8.1f}")
    lines.append("\ntest loss / test accuracy on each draw:")
    for r in rows:
        lines.append(f"{r['method']:<16}" + "   ".join(f"{d['test_loss']:.3f} / {d['test_acc']:.0%}" for d in r["draws"]))
    lines.append("\nL2 strength: validation loss of each candidate on each draw (* chosen):")
    lines.append(f"{'lam':<8}" + "".join(f"{c:>9g}" for c in L2_CANDIDATES))
    for i, draw in enumerate(next(r for r in rows if r["method"] == "l2")["draws"]):
        lines.append(f"draw {i + 1:<3}" + "".join(f"{g['val_loss']:>8.3f}" + ("*" if g["l2"] == draw["l2"] else " ")
                                                  for g in draw["grid"]))
    return "\n".join(lines)


def plot(rows, path, plt):
    """The first draw's training (solid) and validation (dashed) loss per epoch for each method; returns the path."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for r, color in zip(rows, colors):
        first = r["draws"][0]
        epochs = range(1, len(first["losses"]) + 1)
        if r["method"] == "early stopping":
            ax.axvline(len(first["losses"]), color=color, linestyle=":",
                       label=f"early stopping (epoch {len(first['losses'])})")
            continue
        ax.plot(epochs, first["losses"], color=color, linewidth=1, label=f"{r['method']}: training")
        ax.plot(epochs, first["val_losses"], color=color, linestyle="--", linewidth=1.3,
                label=f"{r['method']}: validation")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy (log scale)")
    ax.set_title("memorising vs generalising, first draw: training (solid) and validation (dashed) loss", fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    return save(fig, path, plt)


def main(argv=None):
    """Run, print the table and the lesson check, plot; returns {"rows", "lesson_shown", "files"}."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out)
    print(f"lesson: {LESSON}\n")
    rows = run(fast=args.fast)
    n_train, n_val, n_test, epochs, draws = sizes(args.fast)
    print(f"2-{'-'.join(map(str, HIDDEN))}-1 MLP, Adam lr={LR}, {epochs} epochs, on two moons with noise {NOISE}, "
          f"{draws} draws of {n_train} training, {n_val} validation and {n_test} test points\n")
    print(format_table(rows))
    none = rows[0]
    print(f"\nwithout regularization: train accuracy {none['train_acc']:.1%} vs test {none['test_acc']:.1%}; "
          f"a gap above {gap_needed(none['test_acc'], n_test * draws):.1%} is real, and a test accuracy within "
          f"{noise_of(none['test_acc'], n_test * draws):.1%} of another is noise (two standard errors over "
          f"{n_test * draws} test points)")
    shown = check_lesson(LESSON, lesson_failures(rows, n_test * draws))
    written = figure_or_ascii(lambda path, plt: plot(rows, path, plt), out / "overfitting.png",
                              {r["method"]: r["draws"][0]["val_losses"] for r in rows},
                              "validation loss per epoch, first draw:\n")
    return {"rows": rows, "lesson_shown": shown, "files": written}


if __name__ == "__main__":
    main()
