"""The walkthrough page: one self-contained file, checked as text and driven in a real Chromium at 1280×720."""

import json
import re
import shutil
import struct
from pathlib import Path

import pytest

import autograd
import nn
from autograd import Value, topological_order, walkthrough
from autograd.engine import gradients, start_grads
from autograd.explain import walk
from autograd.expression import parse
from graphs import neuron, readme_neuron

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PROJECTOR = {"width": 1280, "height": 720}

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed: apt-get install graphviz")


def chain(count):
    """An expression of about count values that is far too wide for the window at a readable size."""
    xs = [Value(0.1 * i + 0.05, label=f"x{i}") for i in range(count // 4 + 1)]
    y = xs[0]
    for i, x in enumerate(xs[1:]):
        y = (y * x + 1.0).tanh() if i % 2 else y + x * x
    return y


def mlp_loss(batch=1):
    """The squared-error loss of a 2-16-16-1 MLP (406 values on one point), before any backward."""
    model = nn.MLP(2, [16, 16, 1], seed=0)
    if batch == 1:
        return (model([0.5, -1.0]) - 1.0) ** 2
    points = [([0.5 - 0.1 * i, -1.0 + 0.2 * i], 1.0 if i % 2 else -1.0) for i in range(batch)]
    return autograd.sum([(model(x) - y) ** 2 for x, y in points]) * (1.0 / batch)


def document_of(page_text):
    """The one JSON document the page reads: the scene and the frames."""
    return json.loads(re.search(r'<script id="document" type="application/json">(.*?)</script>', page_text, re.S)[1])


def frames_of(page_text):
    return document_of(page_text)["frames"]


def fields_of(page_text):
    """{id: [[text index, [[from frame, text], ...]], ...]}: what each text of a record or of a layer's box title
    shows from which frame on, worked out from the document as the page's script does (numbers in 3 digits,
    "–" until a frame's "set" makes them known)."""
    document = document_of(page_text)
    scene, frames = document["scene"], document["frames"]
    known, states = {}, []
    for frame in frames:
        for nid, update in frame["set"].items():
            known.setdefault(nid, {}).update(update)
        states.append({nid: dict(values) for nid, values in known.items()})

    def cell(template, refs, values):
        numbers = [values.get(vid, {}).get(what) for what, vid in refs]
        return template.format(*("–" if x is None else f"{x:.3g}" for x in numbers))

    def changes(texts_at):
        return [[i, [[k, texts[i]] for k, texts in enumerate(texts_at) if k == 0 or texts_at[k - 1][i] != texts[i]]]
                for i in range(len(texts_at[0]))]

    fields = {}
    for nid, drawn in scene["drawn"].items():
        if drawn.get("rows"):
            fields[nid] = changes([[cell(t, refs, values) for row in drawn["rows"] for t, refs in row] for values in states])
    for bid, box in scene["boxes"].items():
        if box["norm"]:
            def title(values, box=box):
                grads = [values.get(vid, {}).get("grad") for vid in box["norm"]]
                norm = "–" if None in grads else f"{sum(g * g for g in grads) ** 0.5:.3g}"
                return box["title"].replace("{norm}", norm)
            fields[f"cluster_{bid}"] = changes([[title(values)] for values in states])
    return fields


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


def test_a_programs_title_reads_its_output_in_the_names_of_its_statements(tmp_path):
    """The textbook program's output E_total = E_o1 + E_o2 is titled so, not with every statement inlined;
    a single expression typed at the CLI keeps the whole expression as its title."""
    textbook = Path(__file__).resolve().parent.parent / "demos" / "textbook.txt"
    root, _ = parse(textbook.read_text(encoding="utf-8")).build({})
    page = walkthrough(root, tmp_path / "textbook.html").read_text(encoding="utf-8")
    assert "<title>chain rule walkthrough: E_total = E_o1 + E_o2</title>" in page
    assert '<h1 id="expression">E_total = E_o1 + E_o2</h1>' in page
    page = walkthrough(cli_neuron(), tmp_path / "neuron.html").read_text(encoding="utf-8")
    assert '<h1 id="expression">out = tanh(x1·w1 + x2·w2 + b)</h1>' in page


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
    assert set(start["set"][f"n{i}"]["grad"] for i in range(len(topological_order(root)) - 1)) == {0.0}


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


# ---- a whole model, one node per neuron ------------------------------------------------------


def test_a_models_page_steps_one_layer_forward_and_one_neuron_backward(tmp_path):
    loss = mlp_loss()
    assert len(topological_order(loss)) > 400
    frames = frames_of(walkthrough(loss, tmp_path / "mlp.html").read_text(encoding="utf-8"))
    assert len(frames) < 60
    titles = [frame["title"] for frame in frames]
    assert titles[:4] == ["Forward 1 of 6: the inputs and the parameters", "Forward 2 of 6: layers.0, 16 neurons",
                          "Forward 3 of 6: layers.1, 16 neurons", "Forward 4 of 6: layers.2, 1 neuron"]
    neuron_steps = [title.split(": ")[1] for title in titles if re.match(r"Backward step \d+ of 35: layers", title)]
    assert len(neuron_steps) == 33 and neuron_steps[:2] == ["layers.2.neurons.0", "layers.1.neurons.15"]
    step = frames[titles.index("Backward step 4 of 35: layers.1.neurons.15")]
    assert step["node"] == "c31" and step["parents"] == ["bus_layers_0"]  # the record, and where x comes from
    assert re.fullmatch(r"out\.grad = [-\d.]+  \(from layers\.2\.neurons\.0\)", step["lines"][0])  # it arrives
    # relu's rule, the numbers in 6 digits as everywhere in the steps' lines (a record shows 3), so they add up
    assert re.fullmatch(r"z\.grad = \[z > 0\] · out\.grad = \[-0\.137904 > 0\] · [\d.]+ = 0\.0", step["lines"][1])
    assert step["lines"][2] == "b.grad = z.grad = 0.0"
    assert re.fullmatch(r"w0\.grad = layers\.0\.neurons\.0\.out · z\.grad = 1\.86744 · 0\.0 = 0\.0", step["lines"][3])
    assert step["lines"][4] == "every w.grad = x · z.grad: the record's grad rows"
    assert step["lines"][5] == "x.grad += w · z.grad: back to the outputs of layers.0"
    assert frames[-1]["lines"][0].startswith("layers.0 · 16 neurons · ‖grad‖ = ")


def test_a_models_page_shows_the_engines_gradients_and_changes_no_grad(tmp_path):
    loss = mlp_loss()
    loss.backward()
    loss.backward()  # the parameters now hold twice their gradients
    before = grad_bits(loss)
    page = walkthrough(loss, tmp_path / "mlp.html").read_text(encoding="utf-8")
    assert grad_bits(loss) == before
    exact = gradients(loss)
    layer0 = [p for p in topological_order(loss) if p.label.startswith("layers.0.")]
    norm = sum(exact[p] ** 2 for p in layer0) ** 0.5
    assert frames_of(page)[-1]["lines"][0] == f"layers.0 · 16 neurons · ‖grad‖ = {norm:.3g}"
    fields = fields_of(page)
    box = next(changes for nid, changes in fields.items() if nid.startswith("cluster_box")
               and changes[0][1][0][1].startswith("layers.0 "))
    assert [text for _, text in box[0][1]] == ["layers.0 · 16 neurons · ‖grad‖ = –",
                                               f"layers.0 · 16 neurons · ‖grad‖ = {norm:.3g}"]


def test_a_models_page_shows_no_number_before_its_frame(tmp_path):
    frames_and_fields = walkthrough(mlp_loss(), tmp_path / "mlp.html").read_text(encoding="utf-8")
    frames, fields = frames_of(frames_and_fields), fields_of(frames_and_fields)
    first_layer = 1  # the forward frame of layers.0
    c0 = {index: changes for index, changes in fields["c0"]}
    texts_at = {k: [next(t for f, t in reversed(changes) if f <= k) for changes in c0.values()] for k in range(len(frames))}
    assert texts_at[0][-1] == "out –, grad –" and texts_at[0][-2] == "z –, grad –"
    assert re.fullmatch(r"out [-\d.e]+, grad –", texts_at[first_layer][-1])
    step = next(k for k, frame in enumerate(frames) if frame["node"] == "c0" and frame["phase"] == "backward")
    assert "–" in " ".join(texts_at[step - 1]) and "–" not in " ".join(texts_at[step])


def test_a_models_page_expands_what_expand_names(tmp_path):
    loss = mlp_loss()
    order = topological_order(loss)
    page = walkthrough(loss, tmp_path / "mlp.html", expand="layers.1.neurons.3").read_text(encoding="utf-8")
    frames = frames_of(page)
    own = [i for i, node in enumerate(order) if node.parents and node.scope is not None and node.scope.path == "layers.1.neurons.3"]  # nn says
    dot_id, relu_id = f"n{own[0]}", f"n{own[1]}"
    assert [frame["phase"] for frame in frames if frame["node"] in (dot_id, relu_id)] == ["forward"] * 2 + ["backward"] * 2
    assert 'label="layers.1.neurons.3"' not in page  # no record for it: its values and edges are drawn
    for j in range(16):
        assert f"∂v{own[0]}/∂layers.1.neurons.3.w.{j} = layers.0.neurons.{j}.out" in page  # each edge's rule
    assert len(frames) < 60
    with pytest.raises(ValueError, match="walkthrough: expand='layers.7' names no neuron or layer"):
        walkthrough(loss, tmp_path / "bad.html", expand="layers.7")
    with pytest.raises(ValueError, match=r"walkthrough: drawn one node per neuron, with 'layers.1' in full, this graph "
                                         r"still has \d+ value nodes, more than max_nodes=30"):
        walkthrough(loss, tmp_path / "bad.html", expand="layers.1", max_nodes=30)
    assert not (tmp_path / "bad.html").exists()
    with pytest.raises(ValueError, match="walkthrough: expand='layers.0' names parts of an nn model"):
        walkthrough(Value(2.0) * 3.0, tmp_path / "bad.html", expand="layers.0")
    assert len(frames_of(walkthrough(loss, tmp_path / "all.html", expand="all", max_nodes=None)
                         .read_text(encoding="utf-8"))) > 400  # everything in full, as before


def test_a_batch_steps_one_layer_per_frame(tmp_path):
    loss = mlp_loss(batch=4)
    assert len(topological_order(loss)) > 500  # over max_nodes: the collapsed picture is drawn all the same
    frames = frames_of(walkthrough(loss, tmp_path / "batch.html").read_text(encoding="utf-8"))
    assert len(frames) < 60
    assert any(frame["title"].endswith(": layers.1") and frame["phase"] == "backward" for frame in frames)


def test_neurons_written_with_products_and_sums_are_stepped_one_per_frame_too(tmp_path):
    model = nn.MLP(2, [8, 8, 1], seed=1, fused=False)  # w0*x0 + w1*x1 + ... + b: a node per product and sum
    frames = frames_of(walkthrough((model([0.5, -1.0]) - 1.0) ** 2, tmp_path / "mlp.html").read_text(encoding="utf-8"))
    assert [frame["title"] for frame in frames[:4]] == [
        "Forward 1 of 6: the inputs and the parameters", "Forward 2 of 6: layers.0, 8 neurons",
        "Forward 3 of 6: layers.1, 8 neurons", "Forward 4 of 6: layers.2, 1 neuron"]
    steps = [frame for frame in frames if frame["title"].startswith("Backward step") and frame["node"].startswith("c")]
    assert len(steps) == 17 and all(len(frame["lines"]) <= 6 for frame in steps)


def test_a_models_quiz_asks_about_the_values_drawn_in_full(tmp_path):
    frames = frames_of(walkthrough(mlp_loss(), tmp_path / "quiz.html", quiz="grad").read_text(encoding="utf-8"))
    asked = [frame["node"] for frame in frames if frame["ask"]]
    assert asked and all(node.startswith("n") for node in asked)


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


def unreadable(page):
    """(texts under 14 px, pairs of labels that overlap, edge labels on a node) of the page as it shows now;
    a node's fields make one label, an edge's lines another."""
    texts = page.evaluate(TEXT_BOXES)
    small = [(t["text"], round(t["height"], 1)) for t in texts if t["height"] < 14]
    labels_of = {}
    for t in texts:
        box = labels_of.setdefault(t["group"], dict(t))
        box.update(left=min(box["left"], t["left"]), top=min(box["top"], t["top"]),
                   right=max(box["right"], t["right"]), bottom=max(box["bottom"], t["bottom"]))
    boxes = list(labels_of.values())
    overlapping = [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlap(a, b)]
    shapes = page.evaluate(SHAPE_BOXES)
    on_nodes = [(t["text"], s["id"]) for t in texts if t["edge"] for s in shapes if overlap(t, s)]
    return small, overlapping, on_nodes


@needs_dot
@pytest.mark.parametrize("theme", ["light", "projector", "dark"])
def test_every_text_of_the_readme_neuron_is_readable_at_1280_by_720(tmp_path, open_page, theme):
    path = walkthrough(readme_neuron(), tmp_path / "walk.html", theme=theme)
    frames = frames_of(path.read_text(encoding="utf-8"))
    page = open_page(path, f"#frame={len(frames) - 2}")  # the last backward step: every label shows
    state(page)
    texts = page.evaluate(TEXT_BOXES)
    assert len(texts) > 40
    assert len([t for t in texts if t["edge"]]) >= 10  # edge labels are measured too
    assert unreadable(page) == ([], [], [])
    if theme == "light":  # the default view shows the whole graph
        assert page.evaluate("document.body.dataset.view") == "fit"


def cli_neuron():
    """The CLI's neuron: its inner nodes named by their text, ``(x1*w1 + x2*w2)``, the output ``out``."""
    root, _ = parse("tanh(x1*w1 + x2*w2 + b)").build({"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0,
                                                     "b": 6.8813735870195432})
    return root


@needs_dot
@pytest.mark.parametrize("theme", ["light", "projector", "dark"])
def test_the_cli_neurons_long_names_show_whole_and_readable_at_every_frame(tmp_path, open_page, theme):
    root = cli_neuron()
    assert len(topological_order(root)) == 10
    path = walkthrough(root, tmp_path / "walk.html", theme=theme)
    frames = frames_of(path.read_text(encoding="utf-8"))
    page = open_page(path)
    for k in range(len(frames)):
        page.evaluate(f"location.hash = '#frame={k}'")
        assert state(page)["frame"] == k
        if theme != "projector":  # (whose 18 px text follows the step)
            assert page.evaluate("document.body.dataset.view") == "fit", k  # the whole graph, no following
        assert unreadable(page) == ([], [], []), (k, frames[k]["title"])
    page.evaluate("location.hash = '#frame=13'")  # the step the reviewer saw run into the + node
    assert state(page)["title"] == "Backward step 3 of 5: (x1*w1 + x2*w2)"
    active = page.evaluate("Array.from(document.querySelectorAll('#graph g.edge.active text')).map(t => t.textContent)")
    assert "/∂(x2*w2)" in active
    page.screenshot(path=str(tmp_path / "cli-neuron-frame-13.png"))


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


# ---- a whole model in the browser -------------------------------------------------------------

VISIBLE_TEXTS = """() => { const pane = document.getElementById('graph').getBoundingClientRect();
    return Array.from(document.querySelectorAll('#graph text'))
      .filter(t => getComputedStyle(t).visibility !== 'hidden' && t.textContent.trim() !== '')
      .map(t => ({text: t.textContent, box: t.getBoundingClientRect().toJSON()}))
      .filter(t => t.box.right > pane.left && t.box.left < pane.right && t.box.bottom > pane.top && t.box.top < pane.bottom); }"""


def texts_of(page, node_id):
    return page.evaluate(f"() => Array.from(document.getElementById('{node_id}').querySelectorAll('text'))"
                         ".map(t => ({text: t.textContent, box: t.getBoundingClientRect().toJSON()}))")


@needs_dot
def test_a_models_page_is_readable_at_1280_by_720_at_every_step(tmp_path, open_page):
    path = walkthrough(mlp_loss(), tmp_path / "mlp.html")
    frames = frames_of(path.read_text(encoding="utf-8"))
    page = open_page(path)
    pane = page.locator("#graph").bounding_box()
    inside = (lambda box: pane["x"] - 1 <= box["left"] and box["right"] <= pane["x"] + pane["width"] + 1 and
              pane["y"] - 1 <= box["top"] and box["bottom"] <= pane["y"] + pane["height"] + 1)
    for k, frame in enumerate(frames):
        page.evaluate(f"location.hash = '#frame={k}'")
        assert state(page)["frame"] == k
        texts = page.evaluate(VISIBLE_TEXTS)
        assert texts and [t["text"] for t in texts if t["box"]["height"] < 14] == []
        focus = frame["node"] or (frame.get("group") or [None])[0]
        if focus:  # the step's node (or the first of its layer) is in view, every text of it
            assert all(inside(t["box"]) for t in texts_of(page, focus)), (k, frame["title"])


@needs_dot
def test_a_models_records_fill_in_as_the_walk_computes_them(tmp_path, open_page):
    path = walkthrough(mlp_loss(), tmp_path / "mlp.html")
    frames = frames_of(path.read_text(encoding="utf-8"))
    step = next(k for k, frame in enumerate(frames) if frame["node"] == "c0" and frame["phase"] == "backward")
    page = open_page(path)
    state(page)
    before = [t["text"] for t in texts_of(page, "c0")]
    assert before[0] == "layers.0.neurons.0 (relu)" and before[-1] == "out –, grad –"
    assert page.text_content("#cluster_box0 text") == "layers.0 · 16 neurons · ‖grad‖ = –"
    page.keyboard.press("ArrowRight")
    assert re.fullmatch(r"out [-\d.e]+, grad –", [t["text"] for t in texts_of(page, "c0")][-1])
    page.fill("#slider", str(step))
    now = state(page)
    assert now["current"] == ["c0"] and now["lines"] == frames[step]["lines"]
    after = [t["text"] for t in texts_of(page, "c0")]
    assert before[4:7] == ["grad", "–", "–"] and "–" not in " ".join(after)  # the grad row shows its numbers
    assert re.fullmatch(r"layers\.0 · 16 neurons · ‖grad‖ = [\d.e+-]+", page.text_content("#cluster_box0 text"))
    page.keyboard.press("Home")
    assert [t["text"] for t in texts_of(page, "c0")] == before


@needs_dot
def test_an_expanded_neurons_frames_show_its_edges_rules(tmp_path, open_page):
    loss = mlp_loss()
    dot = next(i for i, node in enumerate(topological_order(loss))
               if node.parents and node.scope is not None and node.scope.path == "layers.1.neurons.3")
    path = walkthrough(loss, tmp_path / "mlp.html", expand="layers.1.neurons.3")
    frames = frames_of(path.read_text(encoding="utf-8"))
    rules = f"""() => Array.from(document.querySelectorAll('#graph g.edge'))
        .filter(g => g.querySelector('title').textContent.endsWith('->op{dot}') && g.querySelector('text'))
        .map(g => ({{shown: getComputedStyle(g.querySelector('text')).visibility !== 'hidden',
                    done: g.classList.contains('done'),
                    text: Array.from(g.querySelectorAll('text')).map(t => t.textContent).join(' ')}}))"""
    page = open_page(path)
    state(page)
    edges = page.evaluate(rules)
    assert len(edges) == 33 and not any(edge["shown"] for edge in edges)  # nothing before it is computed
    forward = next(k for k, frame in enumerate(frames) if frame["node"] == f"n{dot}")
    backward = next(k for k, frame in enumerate(frames) if frame["node"] == f"n{dot}" and frame["phase"] == "backward")
    page.fill("#slider", str(forward))
    assert all(edge["shown"] and not edge["done"] for edge in page.evaluate(rules))
    page.fill("#slider", str(backward))
    now = state(page)
    assert now["current"] == [f"n{dot}"]
    edges = page.evaluate(rules)
    assert all(edge["shown"] and edge["done"] for edge in edges)
    for j in range(16):
        assert any(f"∂v{dot}/∂layers.1.neurons.3.w.{j} = layers.0.neurons.{j}.out" in edge["text"] for edge in edges)
    texts = page.evaluate(VISIBLE_TEXTS)
    assert [t["text"] for t in texts if t["box"]["height"] < 14] == []
    assert now["lines"][1].startswith(f"layers.1.neurons.3.w.0.grad += ∂v{dot}/∂layers.1.neurons.3.w.0 · v{dot}.grad")


def test_a_models_page_without_dot_uses_its_own_layout(tmp_path, monkeypatch, open_page):
    without_dot(monkeypatch, tmp_path)
    path = walkthrough(mlp_loss(), tmp_path / "mlp.html")
    assert '<svg class="graph fallback"' in path.read_text(encoding="utf-8")
    frames = frames_of(path.read_text(encoding="utf-8"))
    assert len(fields_of(path.read_text(encoding="utf-8"))) == 33 + 3  # every record and box title
    page = open_page(path)
    assert [t["text"] for t in texts_of(page, "c0")][-1] == "out –, grad –"
    pane = page.locator("#graph").bounding_box()
    for k in (10, 20, 30):  # the step's record is followed, as with dot's layout
        page.fill("#slider", str(k))
        assert state(page)["current"] == [frames[k]["node"]]
        for text in texts_of(page, frames[k]["node"]):
            assert pane["x"] <= text["box"]["left"] and text["box"]["right"] <= pane["x"] + pane["width"]
            assert pane["y"] <= text["box"]["top"] and text["box"]["bottom"] <= pane["y"] + pane["height"]
    page.keyboard.press("End")
    assert state(page)["frame"] == len(frames) - 1
    assert "–" not in " ".join(t["text"] for t in texts_of(page, "c0"))
    assert [t["text"] for t in page.evaluate(VISIBLE_TEXTS) if t["box"]["height"] < 14] == []


@needs_dot
def test_screenshot_of_a_models_page(tmp_path, open_page):
    """Leaves pictures in tmp_path to look at: a neuron's backward step, and an expanded neuron's."""
    path = walkthrough(mlp_loss(), tmp_path / "mlp.html")
    page = open_page(path, "#frame=10")
    assert state(page)["title"] == "Backward step 4 of 35: layers.1.neurons.15"
    page.screenshot(path=str(tmp_path / "mlp-neuron-step.png"))
    box = page.locator("#graph").bounding_box()
    assert box["width"] > 0.9 * 1280 and box["height"] > 0.5 * 720


# ---- the page's one document ------------------------------------------------------------------


def test_the_page_hands_its_script_one_document_the_scene_and_the_frames(tmp_path):
    document = document_of(walkthrough(neuron(), tmp_path / "walk.html").read_text(encoding="utf-8"))
    scene = document["scene"]
    order = topological_order(neuron())
    assert list(scene["values"]) == [f"n{i}" for i in range(len(order))] and scene["root"] == f"n{len(order) - 1}"
    o = scene["values"][scene["root"]]
    assert (o["name"], o["op"], o["operands"], o["data"]) == ("o", "tanh", ["n8"], 0.7071067811865477)
    assert o["grad"] == 1.0 and o["local"] == [0.4999999999999998] and o["rule"] == ["1 - o²"]
    assert scene["values"]["n2"]["operands"] == ["n0", "n1"] and scene["values"]["n2"]["rule"] == ["w1", "x1"]
    edge = next(e for e in scene["edges"] if e["head"] == "op9")
    assert (edge["tail"], edge["value"], edge["local"], edge["rule"]) == ("n8", "n9", 0.4999999999999998, "1 - o²")
    assert scene["drawn"]["op9"] == {"kind": "op", "value": "n9"}
    step = next(frame for frame in document["frames"] if frame["title"].startswith("Backward step 1 "))
    assert step["chain"] == [{"parent": "n8", "local": 0.4999999999999998, "upstream": 1.0,
                              "contribution": 0.4999999999999998, "total": 0.4999999999999998}]
    assert document["digits"] == 6 and document["shortDigits"] == 3 and document["notYet"] == "–"


NUMBERS = [0.0, -0.0, 1.0, -1.0, 0.5, 0.7071067811865477, 2.0 / 3, 1e-05, 1.5e-05, 0.0001, 0.00012345678,
           123456.0, 1234567.0, 1234565.0, 1234575.0, 1.125, 2.5, 0.125, 9.9999995, 999999.5, 1e21, 1.7976931348623157e308,
           5e-324, -3.0517578125e-05, 12.345, 100.0, 1e16, float("inf"), float("-inf"), float("nan")]


@needs_dot
@pytest.mark.parametrize("digits", [6, 9])
def test_the_page_writes_numbers_exactly_as_python_does(tmp_path, open_page, monkeypatch, digits):
    """page.js redoes text.fmt and text.short (for numbers it recomputes): the same text for every number,
    ties rounded half to even as Python rounds them (1.125 -> 1.12)."""
    monkeypatch.setattr(autograd.text, "DIGITS", digits)
    page = open_page(walkthrough(neuron(), tmp_path / "walk.html"))
    state(page)
    shown = page.evaluate("numbers => numbers.map(x => [chainrule.fmt(x), chainrule.short(x)])",
                          [x if x == x and abs(x) != float("inf") else str(x) for x in NUMBERS])
    assert shown == [[autograd.text.fmt(x), autograd.text.short(x)] for x in NUMBERS]
