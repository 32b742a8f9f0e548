"""Batch size: smaller batches make more, noisier updates, and get further in the same epochs.

    python -m demos.batch_size [--out DIR] [--fast]

The same 2-8-8-1 MLP, from the same initial weights, learns two moons with plain SGD at
one learning rate for the same number of epochs, three ways: the full batch (one update
per epoch), mini-batches, and single examples (batch size 1). The loss of each batch is
what the training loop sees (the noisy curve); after each epoch the loss on the whole
training set is measured too, and the last of those is the final loss. The demo checks
its lesson on its own numbers and plots both curves to out/batch_size.png.
"""

import math
import time

import nn
from autograd import no_grad
from demos._common import check_lesson, figure_or_ascii, out_dir, parser, progress, save

LESSON = ("smaller batches make more updates per epoch and a noisier curve, and reach a lower loss "
          "in the same number of epochs at the same learning rate")
LR = 0.05
MINI_BATCH = 8


def noise(losses):
    """How jumpy a curve is: the mean of |log(loss) - log(previous loss)| over consecutive updates."""
    steps = [abs(math.log(b) - math.log(a)) for a, b in zip(losses, losses[1:]) if a > 0 and b > 0]
    return sum(steps) / len(steps) if steps else 0.0


@no_grad()
def training_loss(model, X, y):
    """The loss on the whole training set."""
    return nn.binary_cross_entropy_with_logits([model(x) for x in X], y).data


def train(batch_size, X, y, epochs, seed=0):
    """SGD at LR with batches of batch_size; one row of the table."""
    model = nn.MLP(2, [8, 8, 1], activation="relu", seed=seed)
    opt = nn.optim.SGD(model.parameters(), lr=LR)
    losses, epoch_losses, seconds = [], [], 0.0
    for epoch in range(epochs):
        start = time.perf_counter()
        for xb, yb in nn.datasets.batches(X, y, batch_size, seed=seed * 100_003 + epoch):
            loss = nn.binary_cross_entropy_with_logits([model(x) for x in xb], yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.data)
        seconds += time.perf_counter() - start  # training only, not the measuring below
        epoch_losses.append(training_loss(model, X, y))
    return {"batch_size": batch_size, "epochs": epochs, "updates": opt.steps, "final_loss": epoch_losses[-1],
            "seconds": seconds, "losses": losses, "epoch_losses": epoch_losses, "noise": noise(losses)}


def run(fast=False, seed=0):
    """Train with the full batch, mini-batches of MINI_BATCH and single examples; one row each.

    Rows: {"batch_size", "epochs", "updates", "final_loss", "seconds", "losses" (the loss of
    each update's batch), "epoch_losses" (the training-set loss after each epoch), "noise"}.
    """
    n, epochs = (40, 8) if fast else (100, 20)
    X, y = nn.datasets.make_moons(n_samples=n, noise=0.1, seed=seed)
    sizes = (n, MINI_BATCH, 1)
    return [train(b, X, y, epochs, seed) for b in progress(sizes, total=len(sizes), desc="batch sizes")]


def lesson_failures(rows):
    """What in the rows contradicts the lesson (empty when they show it)."""
    failures = []
    rows = sorted(rows, key=lambda r: -r["batch_size"])  # largest batch first
    for big, small in zip(rows, rows[1:]):
        pair = f"batch size {small['batch_size']} vs {big['batch_size']}"
        if not small["updates"] > big["updates"]:
            failures.append(f"{pair}: {small['updates']} updates, not more than {big['updates']}")
        if not small["noise"] > big["noise"]:
            failures.append(f"{pair}: curve noise {small['noise']:.3f}, not above {big['noise']:.3f}")
        if not small["final_loss"] < big["final_loss"]:
            failures.append(f"{pair}: final loss {small['final_loss']:.4f}, not below {big['final_loss']:.4f}")
    return failures


def format_table(rows):
    """The rows as a text table."""
    lines = [f"{'batch size':>10}{'updates':>9}{'final loss':>12}{'curve noise':>13}{'seconds':>9}{'ms per update':>15}"]
    for r in rows:
        lines.append(f"{r['batch_size']:>10}{r['updates']:>9}{r['final_loss']:>12.4f}{r['noise']:>13.3f}"
                     f"{r['seconds']:>9.2f}{1000 * r['seconds'] / r['updates']:>15.2f}")
    return "\n".join(lines)


def plot(rows, path, plt):
    """Left: each update's batch loss; right: the training-set loss per epoch; returns the path."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    for r in rows:
        per_epoch = r["updates"] / r["epochs"]
        left.plot([(i + 1) / per_epoch for i in range(len(r["losses"]))], r["losses"], linewidth=0.8,
                  alpha=0.8, label=f"batch {r['batch_size']}: {r['updates']} updates")
        right.plot(range(1, r["epochs"] + 1), r["epoch_losses"], marker="o", markersize=3, label=f"batch {r['batch_size']}")
    left.set_yscale("log")
    left.set_xlabel("epoch")
    left.set_ylabel("loss of each update's batch (log scale)")
    left.set_title("what the training loop sees", fontsize=10)
    left.legend(fontsize=7)
    right.set_xlabel("epoch")
    right.set_ylabel("loss on the whole training set")
    right.set_title(f"same epochs, same learning rate {LR}", fontsize=10)
    right.legend(fontsize=7)
    fig.tight_layout()
    return save(fig, path, plt)


def main(argv=None):
    """Run, print the table and the lesson check, plot; returns {"rows", "lesson_shown", "files"}."""
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    out = out_dir(args.out)
    print(f"lesson: {LESSON}\n")
    rows = run(fast=args.fast)
    n = rows[0]["batch_size"]
    print(f"a 2-8-8-1 MLP on two moons ({n} points), SGD lr={LR}, {rows[0]['epochs']} epochs, same start for every batch size\n")
    print(format_table(rows))
    print("\ncurve noise: the mean |change of log(loss)| from one update to the next;"
          "\nseconds: training only. Each update costs about its batch size in examples, so smaller batches"
          "\nmake cheaper updates (not checked below: timings are noisy on a shared machine)")
    shown = check_lesson(LESSON, lesson_failures(rows))
    written = figure_or_ascii(lambda path, plt: plot(rows, path, plt), out / "batch_size.png",
                              {f"batch {r['batch_size']}": r["epoch_losses"] for r in rows},
                              "loss on the whole training set after each epoch:\n")
    return {"rows": rows, "lesson_shown": shown, "files": written}


if __name__ == "__main__":
    main()
