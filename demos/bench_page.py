"""How fast the live walkthrough page follows a change: milliseconds from a new leaf value to every number redrawn.

    python -m demos.bench_page            (demos/benchmark.py runs it at its end)

For a graph of about 400 values drawn in full and for a 2-16-16-1 MLP's page (406 values drawn one
record per neuron), in headless Chromium at 1280×720 on the last backward step (every number
shown): 50 changes of one leaf through ``chainrule.set``, each timed with ``performance.now()``
from the call to the end of the style and layout it causes, one animation frame apart; the
median and the 10% and 90% figures. The goal: under 16 ms, one frame of a 60 Hz screen.
Needs Playwright and a Chromium (``/usr/bin/chromium``, or Playwright's own).
"""

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import nn
from autograd import Value, topological_order, walkthrough

CHROMIUM = Path("/usr/bin/chromium")
CHANGES = 50
TARGET_MS = 16.0

# Each change, then style and layout (what the browser must do before it can paint), timed in the page.
MEASURE = """async ([name, changes]) => {
  const times = [], start = chainrule.leaves()[name];
  for (let k = 0; k < changes; k++) {
    const numbers = {};
    numbers[name] = start + 0.01 * (k + 1);
    const t0 = performance.now();
    chainrule.set(numbers);
    document.body.getBoundingClientRect();
    document.querySelector("#graph svg").getBBox();
    times.push(performance.now() - t0);
    await new Promise(done => requestAnimationFrame(done));
  }
  return times;
}"""


def chain(values=400):
    """A graph of at least ``values`` values: products, sums and tanh of a row of leaves, drawn in full."""
    y, count, i = Value(0.05, label="x0"), 1, 0
    while count < values:
        x = Value(0.1 * (i + 1) + 0.05, label=f"x{i + 1}")
        y = (y * x + 1.0).tanh() if i % 2 else y + x * x
        count, i = count + (4 if i % 2 else 3), i + 1
    return y


def mlp_loss():
    """The squared error of a 2-16-16-1 MLP on one point (406 values; its page has one record per neuron)."""
    model = nn.MLP(2, [16, 16, 1], seed=0)
    return (model([0.5, -1.0]) - 1.0) ** 2


def measure(page, path, changes=CHANGES):
    """The times in ms of ``changes`` changes of the page's first leaf, on its last backward step."""
    page.goto(Path(path).resolve().as_uri())
    last = page.evaluate("chainrule.doc.frames.length") - 1
    page.evaluate(f"location.hash = '#frame={last - 1}'")
    page.wait_for_function("document.body.dataset.moving === 'false'")
    leaf = next(iter(page.evaluate("chainrule.leaves()")))
    return page.evaluate(MEASURE, [leaf, changes])


def summary(times):
    """(median, 10%, 90%) of the times."""
    deciles = statistics.quantiles(times, n=10)
    return statistics.median(times), deciles[0], deciles[-1]


def main(quick=False):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("\nLive page: skipped (it needs Playwright: pip install playwright)")
        return 0
    changes = 20 if quick else CHANGES
    print(f"\nLive page: ms from a leaf's new value to every number redrawn (style and layout), headless Chromium, "
          f"1280×720, median of {changes} changes (10%-90%)   target: < {TARGET_MS:g} ms")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        chromium = {"executable_path": str(CHROMIUM)} if CHROMIUM.exists() else {}
        browser = playwright.chromium.launch(args=["--no-sandbox", "--disable-gpu"], **chromium)
        for what, root, options in [("a graph drawn in full", chain(), {"max_nodes": None}),
                                    ("a 2-16-16-1 MLP, a record per neuron", mlp_loss(), {})]:
            path = walkthrough(root, Path(folder) / "page.html", **options)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            median, low, high = summary(measure(page, path, changes))
            page.close()
            print(f"  {what}, {len(topological_order(root))} values: {median:.1f} ms ({low:.1f}-{high:.1f})")
        browser.close()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer changes")
    sys.exit(main(parser.parse_args().quick))
