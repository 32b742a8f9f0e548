"""The walkthrough page: one self-contained file, checked as text and driven in a real Chromium."""

import json
import re
import shutil
from pathlib import Path

import pytest

from autograd import Value, backward_steps, topological_order, walkthrough
from graphs import neuron

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed: apt-get install graphviz")



def frames_of(page_text):
    return json.loads(re.search(r'<script id="frames" type="application/json">(.*?)</script>', page_text, re.S)[1])


def expected_steps(build):
    """(node id, chain-rule lines) of every backward step, from a fresh copy of the graph."""
    root = build()
    ids = {node: f"n{i}" for i, node in enumerate(topological_order(root))}
    return [(ids[step.node], step.lines()) for step in backward_steps(root)]


def without_dot(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))


# ---- the file -------------------------------------------------------------------------------


@pytest.mark.parametrize("use_dot", [pytest.param(True, marks=needs_dot), False])
def test_the_page_is_one_self_contained_file(tmp_path, monkeypatch, use_dot):
    if not use_dot:
        without_dot(monkeypatch, tmp_path)
    path = walkthrough(neuron(), tmp_path / "walk.html")
    assert path == tmp_path / "walk.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    urls = set(re.findall(r"(?:src|href)\s*=\s*[\"']?([^\"' >]+)", page))
    assert urls == set()  # no scripts, styles or images fetched from anywhere
    assert "http://www.w3.org/2000/svg" in page  # an XML namespace, never fetched
    for element_id in ("next", "prev", "reveal", "slider", "counter", "step-title", "step-text", "graph"):
        assert f'id="{element_id}"' in page
    for i in range(len(topological_order(neuron()))):
        assert f'<g id="n{i}" class="node">' in page


def test_frames_cover_the_forward_pass_then_every_backward_step(tmp_path):
    page = walkthrough(neuron(), tmp_path / "walk.html").read_text(encoding="utf-8")
    frames = frames_of(page)
    order = topological_order(neuron())
    phases = [frame["phase"] for frame in frames]
    steps = expected_steps(neuron)
    assert phases == ["forward"] * len(order) + ["backward"] * (1 + len(steps)) + ["done"]
    assert [(f["node"], f["lines"]) for f in frames[len(order) + 1:-1]] == steps
    forward = {frame["title"].split(": ")[1]: frame["lines"] for frame in frames[:len(order)]}
    assert forward["x1w1"] == ["x1w1 = x1·w1 = 2.0·(-3.0) = -6.0"]
    assert forward["w1"] == ["w1 = -3.0  (a leaf: a parameter)"]
    assert forward["o"] == ["o = tanh(n) = tanh(0.881374) = 0.707107"]
    assert frames[-1]["lines"] == ["x1.grad = -1.5", "w1.grad = 1.0", "x2.grad = 0.5", "w2.grad = 0.0", "b.grad = 0.5"]


def test_labels_cannot_break_out_of_the_page(tmp_path, monkeypatch):
    without_dot(monkeypatch, tmp_path)
    x = Value(1.0, label="</script><script>alert(1)</script>")
    page = walkthrough(x * 2, tmp_path / "walk.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert frames_of(page)[0]["lines"][0].startswith("(</script><script>alert(1)</script>) = 1.0")


def test_walkthrough_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="quiz must be None, 'grad' or 'data', got 'grads'"):
        walkthrough(neuron(), tmp_path / "walk.html", quiz="grads")
    y = Value(1.0)
    for _ in range(600):
        y = y + 1.0
    with pytest.raises(ValueError, match="601 value nodes, more than max_nodes=500"):
        walkthrough(y, tmp_path / "walk.html")


# ---- in a real browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by playwright; skips with a reason where either is missing."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need: pip install playwright")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser):
    """Open a file in a new tab; fails the test if the page logs an error or throws."""
    opened, problems = [], []

    def open_file(path):
        page = browser.new_page(viewport={"width": 1400, "height": 800})
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda message: problems.append(f"console: {message.text}")
                if message.type == "error" else None)
        page.goto(Path(path).as_uri())
        opened.append(page)
        return page

    yield open_file
    for page in opened:
        page.close()
    assert problems == []


def state(page):
    return page.evaluate("""() => ({
        frame: Number(document.body.dataset.frame),
        revealed: document.body.dataset.revealed === "true",
        current: Array.from(document.querySelectorAll("#graph g.node.current")).map(g => g.id),
        parents: Array.from(document.querySelectorAll("#graph g.node.parent")).map(g => g.id).sort(),
        title: document.getElementById("step-title").textContent,
        lines: Array.from(document.querySelectorAll("#step-text .line")).map(d => d.textContent),
    })""")


def node_text(page, node_id):
    return page.evaluate("id => Array.from(document.getElementById(id).querySelectorAll('text'))"
                         ".map(t => t.textContent)", node_id)


@pytest.mark.parametrize("use_dot", [pytest.param(True, marks=needs_dot), False])
def test_next_and_arrow_keys_walk_every_step(tmp_path, monkeypatch, open_page, use_dot):
    if not use_dot:
        without_dot(monkeypatch, tmp_path)
    path = walkthrough(neuron(), tmp_path / "walk.html")
    frames = frames_of(path.read_text(encoding="utf-8"))
    order = topological_order(neuron())
    steps = expected_steps(neuron)
    page = open_page(path)

    index = {node.label: i for i, node in enumerate(order)}
    first = state(page)
    assert first["frame"] == 0 and first["current"] == ["n0"]
    assert first["lines"] == frames[0]["lines"]
    assert node_text(page, f"n{index['x1w1']}")[1:] == ["data –", "grad –"]  # not computed yet

    for k in range(1, len(frames)):
        if k % 2:
            page.click("#next")
        else:
            page.keyboard.press("ArrowRight")
        now = state(page)
        assert now["frame"] == k
        assert now["lines"] == frames[k]["lines"]
        assert now["current"] == ([frames[k]["node"]] if frames[k]["node"] else [])
        if k == len(order):
            assert now["title"] == "Backward starts"
        backward_index = k - len(order) - 1
        if 0 <= backward_index < len(steps):
            node_id, lines = steps[backward_index]
            assert now["current"] == [node_id]
            assert now["lines"] == lines
            assert now["parents"] == sorted({f"n{i}" for i, v in enumerate(order)
                                             if v in order[int(node_id[1:])].parents})

    assert state(page)["title"] == "Done: the gradients of the leaves"
    assert page.is_disabled("#next")
    assert node_text(page, f"n{index['x1']}")[1:] == ["data 2.0", "grad -1.5"]
    page.keyboard.press("ArrowLeft")
    assert state(page)["frame"] == len(frames) - 2
    page.fill("#slider", "3")
    assert state(page)["frame"] == 3


def test_quiz_hides_each_gradient_until_revealed(tmp_path, open_page):
    path = walkthrough(neuron(), tmp_path / "quiz.html", quiz="grad")
    frames = frames_of(path.read_text(encoding="utf-8"))
    first_step = len(topological_order(neuron())) + 1  # after the forward frames and "Backward starts"
    page = open_page(path)
    page.fill("#slider", str(first_step))

    hidden = state(page)
    n_id = frames[first_step]["parents"][0]
    assert hidden["revealed"] is False
    assert hidden["lines"] == ["n.grad += 0.5 * 1.0 = ?  (∂o/∂n of tanh)"]
    assert node_text(page, n_id)[-1] == "grad ?"
    assert page.is_enabled("#reveal")

    page.click("#next")  # the first Next reveals, the second moves on
    shown = state(page)
    assert shown["frame"] == first_step and shown["revealed"] is True
    assert shown["lines"] == ["n.grad += 0.5 * 1.0 = 0.5  (∂o/∂n of tanh)"]
    assert node_text(page, n_id)[-1] == "grad 0.5"

    page.keyboard.press("ArrowRight")
    assert state(page)["frame"] == first_step + 1 and state(page)["revealed"] is False
    page.click("#reveal")
    assert state(page)["revealed"] is True


def test_quiz_on_data_hides_computed_values_in_the_forward_pass(tmp_path, open_page):
    path = walkthrough(neuron(), tmp_path / "quiz.html", quiz="data")
    page = open_page(path)
    assert state(page)["revealed"] is True  # x1 is a leaf: nothing to guess
    frames = frames_of(path.read_text(encoding="utf-8"))
    k = next(i for i, frame in enumerate(frames) if frame["hide"])
    page.fill("#slider", str(k))
    now = state(page)
    assert now["revealed"] is False and now["lines"][0].endswith(" = ?")
    assert node_text(page, frames[k]["node"])[-2] == "data ?"
    page.click("#next")
    assert node_text(page, frames[k]["node"])[-2] == f"data {frames[k]['set'][frames[k]['node']]['data']}"


@pytest.mark.parametrize("use_dot", [pytest.param(True, marks=needs_dot), False])
def test_screenshot_of_the_page(tmp_path, monkeypatch, open_page, use_dot):
    """Leaves a picture in tmp_path to look at; checks that the graph is drawn and visible."""
    if not use_dot:
        without_dot(monkeypatch, tmp_path)
    page = open_page(walkthrough(neuron(), tmp_path / "walk.html"))
    page.fill("#slider", str(len(topological_order(neuron())) + 2))
    page.screenshot(path=str(tmp_path / "walkthrough.png"))
    box = page.locator("#graph svg").bounding_box()
    assert box["width"] > 400 and box["height"] > 100
