"""Overfitting: a big network memorises a small noisy training set; regularization fights back.

    python -m demos.overfitting [--out DIR] [--fast]

Two moons with heavy noise: a small training set, and a validation set and a test set held
out from it. A 2-16-16-1 MLP, trained long with Adam, learns the training points by heart.
Then the same network from the same start, five ways:

- "none": the binary cross-entropy alone;
- "l2": plus lam * sum(w**2), lam chosen by k-fold cross-validation on the training set;
- "l1": plus lam * sum(|w|);
- "dropout": MLP(..., dropout=p): on in training, off for evaluation;
- "early stopping": the "none" run, keeping the weights of its best validation epoch
  (state_dict). It chose that epoch by the validation set, so the test set judges it.

Losses and accuracies are measured with dropout off and without the penalty. The demo checks
its lesson on its own numbers, and plots the curves to out/overfitting.png.
"""

import math

import nn
from autograd import no_grad
from demos._common import accuracy, check_lesson, figure_or_ascii, out_dir, parser, progress, save

LESSON = ("without regularization a network that memorises its training set is clearly more accurate "
          "there than on held-out data, and each regularizer brings the validation loss down")
METHODS = ("none", "l2", "l1", "dropout", "early stopping")
HIDDEN = [16, 16]
LR = 0.03
BATCH = 4
L1 = 3e-3
DROPOUT = 0.7
L2_CANDIDATES = (3e-3, 1e-2, 3e-2)
NOISE = 0.25


def optimizer(params):
    """The optimizer every method trains with."""
    return nn.optim.Adam(params, lr=LR)


def sizes(fast):
    """(training, validation, test) sizes, epochs and folds."""
    return (24, 80, 80, 50, 3) if fast else (32, 160, 160, 150, 4)


def make_sets(fast, seed):
    """(train, val, test) as (X, y) pairs: one noisy two-moons draw, split three ways."""
    n_train, n_val, n_test, _, _ = sizes(fast)
    X, y = nn.datasets.make_moons(n_samples=n_train + n_val + n_test, noise=NOISE, seed=seed)
    X_rest, y_rest, X_test, y_test = nn.datasets.train_test_split(X, y, n_test / len(X), seed=seed)
    X_train, y_train, X_val, y_val = nn.datasets.train_test_split(X_rest, y_rest, n_val / len(X_rest), seed=seed)
    return (X_train, y_train), (X_val, y_val), (X_test, y_test)


@no_grad()
def evaluate(model, X, y):
    """(loss, accuracy) of the model in eval mode; the model's mode is restored afterwards."""
    was_training = model.training
    model.eval()
    logits = [model(x) for x in X]
    loss = nn.binary_cross_entropy_with_logits(logits, y).data
    model.train(was_training)
    return loss, accuracy([int(z.data > 0) for z in logits], y)


def train(train_set, epochs, seed, l2=0.0, l1=0.0, dropout=0.0, val_set=None):
    """Adam on mini-batches of BATCH; returns (model, losses, val_losses, best_state).

    losses are the training loss (without the penalty) each epoch; with a val_set, val_losses
    are the validation loss each epoch and best_state the state_dict of the best one.
    """
    X, y = train_set
    model = nn.MLP(2, HIDDEN + [1], activation="relu", seed=seed, dropout=dropout)
    opt = optimizer(model.parameters())
    losses, val_losses, best_state, best = [], [], None, math.inf
    for epoch in range(epochs):
        total = 0.0
        for xb, yb in nn.datasets.batches(X, y, BATCH, seed=seed * 100_003 + epoch):
            data_loss = nn.binary_cross_entropy_with_logits([model(x) for x in xb], yb)
            loss = data_loss
            if l2:
                loss = loss + l2 * nn.l2_penalty(model)
            if l1:
                loss = loss + l1 * nn.l1_penalty(model)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += data_loss.data * len(xb)
        losses.append(total / len(X))  # the mean over the epoch's batches, as a training loop reports it
        if val_set is not None:
            val_losses.append(evaluate(model, *val_set)[0])
            if val_losses[-1] < best:
                best, best_state = val_losses[-1], model.state_dict()
    return model, losses, val_losses, best_state


def cross_validate(train_set, epochs, k, seed, candidates=L2_CANDIDATES):
    """k-fold cross-validation of the L2 strength on the training set: (rows {"l2", "cv_val_loss"}, chosen)."""
    X, y = train_set
    rows = []
    for lam in candidates:
        fold_losses = []
        for train_idx, val_idx in nn.datasets.k_fold(len(X), k, seed=seed):
            fold = ([X[i] for i in train_idx], [y[i] for i in train_idx])
            model, _, _, _ = train(fold, epochs, seed, l2=lam)
            fold_losses.append(evaluate(model, [X[i] for i in val_idx], [y[i] for i in val_idx])[0])
        rows.append({"l2": lam, "cv_val_loss": sum(fold_losses) / len(fold_losses)})
    chosen = min(rows, key=lambda row: row["cv_val_loss"])["l2"]
    return rows, chosen


def run(fast=False, seed=0):
    """Train every method; one row per method (see METHODS).

    Each row: {"method", "train_loss", "val_loss", "test_loss", "train_acc", "val_acc",
    "test_acc", "losses", "val_losses"}; the "l2" row also has "l2" (the strength chosen) and
    "cv" (the cross-validation rows {"l2", "cv_val_loss"}).
    """
    train_set, val_set, test_set = make_sets(fast, seed)
    _, _, _, epochs, k = sizes(fast)
    jobs = ["cross-validation"] + [m for m in METHODS if m != "early stopping"]
    rows, cv = {}, None
    for job in progress(jobs, total=len(jobs), desc="overfitting"):
        if job == "cross-validation":
            cv = cross_validate(train_set, epochs, k, seed)
            continue
        options = {"l2": {"l2": cv[1]}, "l1": {"l1": L1}, "dropout": {"dropout": DROPOUT}}.get(job, {})
        model, losses, val_losses, best_state = train(train_set, epochs, seed, val_set=val_set, **options)
        rows[job] = row(job, model, train_set, val_set, test_set, losses, val_losses)
        if job == "none":
            best_epoch = val_losses.index(min(val_losses)) + 1
            model.load_state_dict(best_state)
            rows["early stopping"] = row("early stopping", model, train_set, val_set, test_set,
                                         losses[:best_epoch], val_losses[:best_epoch])
    rows["l2"].update(l2=cv[1], cv=cv[0])
    return [rows[m] for m in METHODS]


def row(method, model, train_set, val_set, test_set, losses, val_losses):
    """The table row of a trained model."""
    (train_loss, train_acc), (val_loss, val_acc), (test_loss, test_acc) = (
        evaluate(model, *s) for s in (train_set, val_set, test_set))
    return {"method": method, "train_loss": train_loss, "val_loss": val_loss, "test_loss": test_loss,
            "train_acc": train_acc, "val_acc": val_acc, "test_acc": test_acc,
            "losses": losses, "val_losses": val_losses}


def gap_needed(val_acc, n_val):
    """The smallest train-minus-validation accuracy gap that is not noise.

    Two standard errors of the validation accuracy (a binomial proportion over n_val points),
    and at least 5 points.
    """
    return max(0.05, 2 * math.sqrt(max(val_acc * (1 - val_acc), 1 / n_val) / n_val))


def lesson_failures(rows, n_val):
    """What in the rows contradicts the lesson (empty when they show it)."""
    by = {r["method"]: r for r in rows}
    none = by["none"]
    failures = []
    gap, needed = none["train_acc"] - none["val_acc"], gap_needed(none["val_acc"], n_val)
    if gap <= needed:
        failures.append(f"without regularization train accuracy {none['train_acc']:.0%} is not clearly above "
                        f"validation accuracy {none['val_acc']:.0%} (gap {gap:.1%}, noise allows {needed:.1%})")
    for method in METHODS[1:]:
        if not by[method]["val_loss"] < none["val_loss"]:
            failures.append(f"{method}: validation loss {by[method]['val_loss']:.3f} is not below "
                            f"the unregularized {none['val_loss']:.3f}")
    stopped = by["early stopping"]
    if not stopped["test_loss"] < none["test_loss"]:
        failures.append(f"early stopping chose its epoch on the validation set, and on the test set its loss "
                        f"{stopped['test_loss']:.3f} is not below the unregularized {none['test_loss']:.3f}")
    return failures


def format_table(rows):
    """The rows as text: losses and accuracies on each set, and the cross-validation of L2."""
    lines = [f"{'method':<16}{'train loss':>11}{'val loss':>10}{'test loss':>10}{'train acc':>11}{'val acc':>9}{'test acc':>10}{'epochs':>8}"]
    for r in rows:
        lines.append(f"{r['method']:<16}{r['train_loss']:>11.3f}{r['val_loss']:>10.3f}{r['test_loss']:>10.3f}"
                     f"{r['train_acc']:>11.0%}{r['val_acc']:>9.0%}{r['test_acc']:>10.0%}{len(r['losses']):>8}")
    l2 = next(r for r in rows if r["method"] == "l2")
    lines.append(f"\nL2 strength by {len(l2['cv'])}-candidate cross-validation on the training set:")
    for c in l2["cv"]:
        lines.append(f"  lam={c['l2']:<8g} mean validation loss over the folds {c['cv_val_loss']:.4f}"
                     + ("  <- chosen" if c["l2"] == l2["l2"] else ""))
    return "\n".join(lines)


def plot(rows, path, plt):
    """Training (solid) and validation (dashed) loss per epoch for each method; returns the path."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for r, color in zip(rows, colors):
        epochs = range(1, len(r["losses"]) + 1)
        if r["method"] == "early stopping":
            ax.axvline(len(r["losses"]), color=color, linestyle=":", label=f"early stopping (epoch {len(r['losses'])})")
            continue
        ax.plot(epochs, r["losses"], color=color, linewidth=1, label=f"{r['method']}: training")
        ax.plot(epochs, r["val_losses"], color=color, linestyle="--", linewidth=1.3, label=f"{r['method']}: validation")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy (log scale)")
    ax.set_title("memorising vs generalising: training (solid) and validation (dashed) loss", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    return save(fig, path, plt)


def main(argv=None):
    """Run, print the table and the lesson check, plot; returns {"rows", "lesson_shown", "files"}."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out)
    print(f"lesson: {LESSON}\n")
    rows = run(fast=args.fast)
    n_train, n_val, n_test, epochs, k = sizes(args.fast)
    print(f"2-{'-'.join(map(str, HIDDEN))}-1 MLP, Adam lr={LR}, {epochs} epochs, on two moons with noise {NOISE}: "
          f"{n_train} training, {n_val} validation, {n_test} test points\n")
    print(format_table(rows))
    none = rows[0]
    print(f"\nwithout regularization: train accuracy {none['train_acc']:.0%} vs validation {none['val_acc']:.0%}; "
          f"a gap above {gap_needed(none['val_acc'], n_val):.1%} (two standard errors of the validation accuracy) is real")
    shown = check_lesson(LESSON, lesson_failures(rows, n_val))
    written = figure_or_ascii(lambda path, plt: plot(rows, path, plt), out / "overfitting.png",
                              {r["method"]: r["val_losses"] for r in rows}, "validation loss per epoch:\n")
    return {"rows": rows, "lesson_shown": shown, "files": written}


if __name__ == "__main__":
    main()
