"""The walkthrough page: one self-contained file, checked as text and driven in a real Chromium at 1280×720."""

import json
import re
import shutil
import struct
from pathlib import Path

import pytest

from autograd import Value, topological_order, walkthrough
from autograd.engine import start_grads
from autograd.explain import walk
from graphs import neuron

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PROJECTOR = {"width": 1280, "height": 720}

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed: apt-get install graphviz")


def readme_neuron():
    """The README's neuron: inner nodes v2, v5, v6 unlabelled, n and o labelled."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def chain(count):
    """An expression of about count values that is far too wide for the window at a readable size."""
    xs = [Value(0.1 * i + 0.05, label=f"x{i}") for i in range(count // 4 + 1)]
    y = xs[0]
    for i, x in enumerate(xs[1:]):
        y = (y * x + 1.0).tanh() if i % 2 else y + x * x
    return y


def frames_of(page_text):
    return json.loads(re.search(r'<script id="frames" type="application/json">(.*?)</script>', page_text, re.S)[1])


def expected_steps(build):
    """(node id, chain-rule lines) of every backward step, from explain's own walk of a fresh graph."""
    root = build()
    order = topological_order(root)
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    return [(ids[step.node], step.lines()) for step in walk(order, start_grads(order, 1.0))]


def grad_bits(root):
    return [struct.pack("<d", node.grad) for node in topological_order(root)]


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
    for element_id in ("next", "prev", "reveal", "slider", "counter", "step-title", "step-text", "graph",
                       "theme", "overview", "fullscreen", "check", "hint", "score"):
        assert f'id="{element_id}"' in page
    for i in range(len(topological_order(neuron()))):
        assert re.search(f'<g id="n{i}" class="node kind_\\w+">', page)


def test_the_title_shows_the_whole_expression(tmp_path):
    page = walkthrough(neuron(), tmp_path / "walk.html").read_text(encoding="utf-8")
    assert "<title>chain rule walkthrough: o = tanh(x1·w1 + x2·w2 + b)</title>" in page
    assert '<h1 id="expression">o = tanh(x1·w1 + x2·w2 + b)</h1>' in page


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
    assert frames[len(order) + 1]["lines"] == [
        "n.grad += ∂o/∂n · o.grad = (1 - o²) · 1.0 = (1 - 0.707107²) · 1.0 = 0.5"]
    assert frames[-1]["lines"] == ["x1.grad = -1.5", "w1.grad = 1.0", "x2.grad = 0.5", "w2.grad = 0.0", "b.grad = 0.5"]


def test_a_node_that_gets_gradient_twice_shows_the_sum(tmp_path):
    a = Value(3.0, label="a")
    page = walkthrough(a * a, tmp_path / "walk.html").read_text(encoding="utf-8")
    step = frames_of(page)[3]  # after two forward frames and "Backward starts"
    assert step["lines"] == ["a.grad += ∂v1/∂a · v1.grad = a · 1.0 = 3.0 · 1.0 = 3.0",
                             "a.grad += ∂v1/∂a · v1.grad = a · 1.0 = 3.0 · 1.0 = 3.0, now 6.0",
                             "a.grad = 3.0 + 3.0 = 6.0"]
    b = Value(2.0, label="b")
    c = b * 3
    c.label = "c"
    d = b + c
    d.label = "d"
    lines = [line for frame in frames_of(walkthrough(d, tmp_path / "fan.html").read_text(encoding="utf-8"))
             for line in frame["lines"]]
    assert "b.grad = 1.0 + 3.0 = 4.0" in lines  # shown by the step that completes b, the second one


def test_the_page_changes_no_grad_and_shows_this_outputs_gradients(tmp_path):
    root = neuron()
    root.backward()
    root.backward()  # the leaves now hold twice their gradients, inner nodes their latest
    before = grad_bits(root)
    frames = frames_of(walkthrough(root, tmp_path / "walk.html").read_text(encoding="utf-8"))
    assert grad_bits(root) == before
    assert frames[-1]["lines"][0] == "x1.grad = -1.5"  # as if from zero, not -3.0
    start = next(frame for frame in frames if frame["title"] == "Backward starts")
    assert set(start["set"][f"n{i}"]["grad"] for i in range(len(topological_order(root)) - 1)) == {"0.0"}


@pytest.mark.parametrize("bad", [
    {"quiz": "grads"}, {"theme": "neon"}, {"max_nodes": 3}, {"path": "folder"}])
def test_a_page_that_fails_changes_no_grad_either(tmp_path, bad):
    root = neuron()
    root.backward()
    before = grad_bits(root)
    (tmp_path / "folder").mkdir()
    path = tmp_path / bad.pop("path", "walk.html")
    with pytest.raises((ValueError, OSError)):
        walkthrough(root, path, **bad)
    assert grad_bits(root) == before


def test_labels_cannot_break_out_of_the_page(tmp_path, monkeypatch):
    without_dot(monkeypatch, tmp_path)
    x = Value(1.0, label="</script><script>alert(1)</script>")
    page = walkthrough(x * 2, tmp_path / "walk.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert frames_of(page)[0]["lines"][0].startswith("(</script><script>alert(1)</script>) = 1.0")


def test_walkthrough_checks_its_arguments(tmp_path):
    with pytest.raises(ValueError, match="quiz must be None, 'grad' or 'data', got 'grads'"):
        walkthrough(neuron(), tmp_path / "walk.html", quiz="grads")
    with pytest.raises(ValueError, match="theme must be one of 'light', 'projector', 'dark', got 'neon'"):
        walkthrough(neuron(), tmp_path / "walk.html", theme="neon")
    y = Value(1.0)
    for _ in range(600):
        y = y + 1.0
    with pytest.raises(ValueError, match="601 value nodes, more than max_nodes=500"):
        walkthrough(y, tmp_path / "walk.html")


def test_extra_frames_come_last(tmp_path):
    page = walkthrough(neuron(), tmp_path / "walk.html",
                       extra_frames=[("Update with lr=0.1", ["w1 = -3.0 - 0.1 · 1.0 = -3.1"])])
    last = frames_of(page.read_text(encoding="utf-8"))[-1]
    assert (last["title"], last["lines"]) == ("Update with lr=0.1", ["w1 = -3.0 - 0.1 · 1.0 = -3.1"])


# ---- in a real browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by playwright; skips with a reason where either is missing."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need: .venv/bin/pip install playwright")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser):
    """Open a file in a new 1280×720 tab; fails the test if the page logs an error or throws."""
    opened, problems = [], []

    def open_file(path, hash="", viewport=PROJECTOR):
        page = browser.new_page(viewport=viewport)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda message: problems.append(f"console: {message.text}")
                if message.type == "error" else None)
        page.goto(Path(path).as_uri() + hash)
        opened.append(page)
        return page

    yield open_file
    for page in opened:
        page.close()
    assert problems == []


def state(page):
    page.wait_for_function("document.body.dataset.moving === 'false'")
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


TEXT_BOXES = """() => Array.from(document.querySelectorAll('#graph text'))
    .filter(t => getComputedStyle(t).visibility !== 'hidden' && t.textContent.trim() !== '')
    .map(t => { const r = t.getBoundingClientRect(), g = t.closest('g.node, g.edge');
                return {text: t.textContent, edge: g.classList.contains('edge'), group: g.id || g.querySelector('title').textContent,
                        left: r.left, top: r.top, right: r.right, bottom: r.bottom, height: r.height}; })"""

SHAPE_BOXES = """() => Array.from(document.querySelectorAll('#graph g.node'))
    .map(g => { const r = g.querySelector('polygon, ellipse, rect').getBoundingClientRect();
                return {id: g.id, left: r.left, top: r.top, right: r.right, bottom: r.bottom}; })"""


def overlap(a, b, slack=1.0):
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > slack and
            min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > slack)


@needs_dot
@pytest.mark.parametrize("theme", ["light", "projector", "dark"])
def test_every_text_of_the_readme_neuron_is_readable_at_1280_by_720(tmp_path, open_page, theme):
    path = walkthrough(readme_neuron(), tmp_path / "walk.html", theme=theme)
    frames = frames_of(path.read_text(encoding="utf-8"))
    page = open_page(path, f"#frame={len(frames) - 2}")  # the last backward step: every label shows
    state(page)
    texts = page.evaluate(TEXT_BOXES)
    assert len(texts) > 40
    small = [(t["text"], round(t["height"], 1)) for t in texts if t["height"] < 14]
    assert small == []
    labels = [t for t in texts if t["edge"]]
    assert len(labels) >= 10  # edge labels are measured too
    labels_of = {}  # one box per label: a node's fields, an edge's lines together
    for t in texts:
        box = labels_of.setdefault(t["group"], dict(t))
        box.update(left=min(box["left"], t["left"]), top=min(box["top"], t["top"]),
                   right=max(box["right"], t["right"]), bottom=max(box["bottom"], t["bottom"]))
    boxes = list(labels_of.values())
    overlapping = [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlap(a, b)]
    assert overlapping == []
    shapes = page.evaluate(SHAPE_BOXES)
    on_nodes = [(t["text"], s["id"]) for t in labels for s in shapes if overlap(t, s)]
    assert on_nodes == []
    if theme == "light":  # the default view shows the whole graph
        assert page.evaluate("document.body.dataset.view") == "fit"


@needs_dot
def test_browser_zoom_makes_the_graph_bigger(tmp_path, open_page):
    path = walkthrough(readme_neuron(), tmp_path / "walk.html")
    heights = []
    for viewport in (PROJECTOR, {"width": 853, "height": 480}):  # 150 % zoom leaves 2/3 of the CSS pixels
        page = open_page(path, "#frame=12", viewport=viewport)
        state(page)
        heights.append(page.evaluate("document.querySelector('#n0 text').getBoundingClientRect().height"))
    assert heights[1] >= 14 and 1.5 * heights[1] > 1.3 * heights[0]  # never under 14 CSS px, each 1.5 times bigger


@needs_dot
def test_a_big_graph_follows_the_step_at_a_readable_size(tmp_path, open_page):
    root = chain(48)
    order = topological_order(root)
    assert len(order) >= 40
    path = walkthrough(root, tmp_path / "walk.html", theme="projector")
    frames = frames_of(path.read_text(encoding="utf-8"))
    page = open_page(path)
    pane = page.locator("#graph").bounding_box()
    first_step = len(order) + 1
    for k in range(first_step, len(frames) - 1):
        page.evaluate(f"location.hash = '#frame={k}'")
        now = state(page)
        assert now["frame"] == k
        assert page.evaluate("document.body.dataset.view") == "follow"
        for text in page.evaluate(f"""() => Array.from(document.getElementById('{frames[k]["node"]}')
                .querySelectorAll('text')).map(t => t.getBoundingClientRect().toJSON())"""):
            assert text["height"] >= 18  # the projector theme's size
            assert pane["x"] <= text["left"] and text["right"] <= pane["x"] + pane["width"]
            assert pane["y"] <= text["top"] and text["bottom"] <= pane["y"] + pane["height"]
    page.click("#overview")
    page.wait_for_function("document.body.dataset.view === 'overview' && document.body.dataset.moving === 'false'")
    box = page.locator("#graph svg g.graph").bounding_box()
    assert box["width"] <= pane["width"] + 1 and box["height"] <= pane["height"] + 1  # the whole graph


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
        if k % 3 == 0:
            page.click("#next")
        else:
            page.keyboard.press("ArrowRight" if k % 3 == 1 else " ")
        now = state(page)
        assert now["frame"] == k
        assert now["lines"] == frames[k]["lines"]
        assert now["current"] == ([frames[k]["node"]] if frames[k]["node"] else [])
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


def test_home_end_the_url_and_the_theme(tmp_path, open_page):
    path = walkthrough(neuron(), tmp_path / "walk.html", theme="dark")
    last = len(frames_of(path.read_text(encoding="utf-8"))) - 1
    page = open_page(path, "#frame=14")
    assert state(page)["frame"] == 14  # a link to a step opens that step
    page.keyboard.press("End")
    assert state(page)["frame"] == last
    assert page.evaluate("location.hash") == f"#frame={last}"
    page.keyboard.press("Home")
    assert state(page)["frame"] == 0
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    assert state(page)["frame"] == 2
    page.reload()
    assert state(page)["frame"] == 2  # reload keeps the place
    assert page.evaluate("document.body.dataset.theme") == "dark"
    page.click("#theme")
    assert page.evaluate("document.body.dataset.theme") == "light"
    page.keyboard.press("t")
    assert page.evaluate("document.body.dataset.theme") == "projector"
    page.keyboard.press("o")
    page.wait_for_function("document.body.dataset.view === 'overview'")
    page.keyboard.press("f")  # full screen may be refused here; it must not break the page
    assert state(page)["frame"] == 2


@needs_dot
def test_forward_frames_show_no_derivative_before_its_output_is_computed(tmp_path, open_page):
    root = readme_neuron()
    order = topological_order(root)
    path = walkthrough(root, tmp_path / "walk.html")
    page = open_page(path)
    for k, node in enumerate(order):
        page.evaluate(f"location.hash = '#frame={k}'")
        state(page)
        edges = page.evaluate("""() => Array.from(document.querySelectorAll('#graph g.edge'))
            .filter(g => g.querySelector('text'))
            .map(g => ({head: g.querySelector('title').textContent.split('->')[1],
                        shown: getComputedStyle(g.querySelector('text')).visibility !== 'hidden'}))""")
        computed = {f"op{i}" for i in range(k + 1)}
        assert edges and all(edge["shown"] == (edge["head"] in computed) for edge in edges)
    page.keyboard.press("End")
    state(page)
    assert page.evaluate("document.querySelectorAll('#graph g.edge.done text').length") >= 10


def test_quiz_grades_answers_and_keeps_a_score(tmp_path, open_page):
    path = walkthrough(neuron(), tmp_path / "quiz.html", quiz="grad")
    frames = frames_of(path.read_text(encoding="utf-8"))
    first_step = len(topological_order(neuron())) + 1  # after the forward frames and "Backward starts"
    page = open_page(path, f"#frame={first_step}")

    def reply():
        return page.text_content("#reply")

    hidden = state(page)
    n_id = frames[first_step]["parents"][0]
    assert hidden["revealed"] is False and hidden["lines"] == []
    assert page.text_content("#asks") == "n.grad += ∂o/∂n · o.grad = "
    assert node_text(page, n_id)[-1] == "grad ?"
    page.fill("input.answer", "abc")
    page.click("#check")
    assert reply() == "“abc” is not a number: type one such as 0.5, -3 or 1/2."
    page.fill("input.answer", "0.7")
    page.keyboard.press("Enter")
    assert reply() == "Not quite: 0.7 is not it. Try again, or ask for a hint."
    page.click("#hint")
    assert reply() == "Hint: ∂o/∂n = 1 - o² = 1 - 0.707107² = 0.5; times o.grad = 1.0"
    page.fill("input.answer", "1/2")
    page.click("#check")
    assert reply() == "Right: 0.5 (second try or later)."
    assert state(page)["revealed"] is True and node_text(page, n_id)[-1] == "grad 0.5"
    assert page.text_content("#score") == "Score: 0 of 9 right first time"

    page.keyboard.press("ArrowRight")  # the next step: two questions, both right at once
    assert state(page)["revealed"] is False
    inputs = page.locator("input.answer")
    assert inputs.count() == 2
    inputs.nth(0).fill("0.5")
    inputs.nth(1).fill("0.50004")  # within 1e-3 relative
    page.click("#check")
    assert reply() == "Right: 0.5. Right: 0.5."
    assert page.text_content("#score") == "Score: 2 of 9 right first time"

    page.keyboard.press("ArrowRight")
    page.click("#reveal")
    assert state(page)["revealed"] is True
    assert reply() == "The answer: 0.5, 0.5"
    page.keyboard.press("End")
    assert page.text_content("#score") == "Score: 2 of 9 right first time"


def test_quiz_on_data_grades_the_forward_pass(tmp_path, open_page):
    path = walkthrough(neuron(), tmp_path / "quiz.html", quiz="data")
    frames = frames_of(path.read_text(encoding="utf-8"))
    page = open_page(path)
    assert state(page)["revealed"] is True  # x1 is a leaf: nothing to ask
    k = next(i for i, frame in enumerate(frames) if frame["ask"])
    page.fill("#slider", str(k))
    assert state(page)["revealed"] is False
    assert node_text(page, frames[k]["node"])[-2] == "data ?"
    page.fill("input.answer", "-6")
    page.keyboard.press("Enter")
    assert page.text_content("#reply") == "Right: -6.0."
    assert node_text(page, frames[k]["node"])[-2] == "data -6.0"
    assert page.text_content("#score").startswith("Score: 1 of ")


@needs_dot
@pytest.mark.parametrize("theme", ["light", "projector", "dark"])
def test_screenshot_of_the_page(tmp_path, open_page, theme):
    """Leaves a picture in tmp_path to look at; checks that the graph fills most of the window."""
    page = open_page(walkthrough(readme_neuron(), tmp_path / "walk.html", theme=theme), "#frame=13")
    state(page)
    page.screenshot(path=str(tmp_path / f"walkthrough-{theme}.png"))
    box = page.locator("#graph").bounding_box()
    assert box["width"] > 0.9 * 1280 and box["height"] > 0.55 * 720
