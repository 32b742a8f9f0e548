// The walkthrough page's player. It reads one JSON document (#document): the scene (every value
// with its id, name, op, operands, data, grad and per operand the local derivative and rule; what
// is drawn: records of units with their cells; boxes), the frames (what each step says, as text and
// as templates whose numbers are references, and which numbers it makes known) and what the live
// page computes with (live.js: the ops' own code). Every number it shows is read from the live state,
// so changing a leaf (the "Try it" controls, a click on a leaf, chainrule.set) changes them all.
"use strict";
(function () {
  var doc = JSON.parse(document.getElementById("document").textContent);
  var frames = doc.frames, scene = doc.scene, live = doc.live;
  var body = document.body, quiz = doc.quiz, NOT_YET = doc.notYet, FONT = doc.font;
  var THEMES = ["light", "projector", "dark"];
  var $ = function (id) { return document.getElementById(id); };
  var model = window.chainruleLive(doc, window.chainruleRuntime);
  var fmt = model.fmt, short = model.short, asNumber = model.asNumber;
  var changed = {};  // the leaves the learner changed: id -> number
  var state;  // the live state: compute(), first by fromAddress(true) at the end
  window.chainrule = { fmt: fmt, short: short, repr: model.repr, doc: doc };  // for tests and for whoever builds on the page

  // ---- the picture: the SVG's node groups, their texts, the edges ----
  var graph = $("graph"), svg = graph.querySelector("svg");
  var nodes = {}, edges = [], boxes = {};
  graph.querySelectorAll("g.node").forEach(function (g) {
    var texts = g.querySelectorAll("text"), drawn = scene.drawn[g.id] || {};
    var cells = drawn.rows ? [].concat.apply([], drawn.rows) : null;
    var shape = g.querySelector("polygon"), width = function () { return shape ? shape.getBBox().width - 8 : 0; };
    nodes[g.id] = {
      g: g, kind: drawn.kind,
      data: drawn.value && texts.length >= 3 ? fitting(texts[texts.length - 2], width) : null,
      grad: drawn.value && texts.length >= 3 ? fitting(texts[texts.length - 1], width) : null,
      cells: cells && cells.length === texts.length ? cells : null, texts: texts,  // a record dot drew otherwise stays
    };
  });
  function fitting(text, width) {  // a text dot made room for: as wide as width() may be (a record's field, a label)
    return { text: text, width: width, perChar: null };
  }
  function fit(f, content) {  // a longer number than dot made room for is drawn narrower, never over its neighbours
    if (f.text.textContent === content) return;
    if (f.perChar === null) {  // measured once, before the first change, where the page is laid out
      var length = f.text.getComputedTextLength(), width = f.width();
      if (length > 0 && width > 0) { f.perChar = length / Math.max(1, f.text.textContent.length); f.width = width; }
    }
    f.text.textContent = content;
    if (f.perChar !== null && f.perChar * content.length > f.width) {
      f.text.setAttribute("textLength", String(f.width));
      f.text.setAttribute("lengthAdjust", "spacingAndGlyphs");
    } else if (f.text.hasAttribute("textLength")) f.text.removeAttribute("textLength");
  }
  graph.querySelectorAll("g.cluster").forEach(function (g) {
    var box = scene.boxes[g.id.replace(/^cluster_/, "")], text = g.querySelector("text");
    if (box && box.norm && text) boxes[g.id] = { text: text, box: box };
  });
  var drawnEdges = {};
  scene.edges.forEach(function (e) { if (e.local !== null) drawnEdges[e.tail + "->" + e.head] = e; });
  graph.querySelectorAll("g.edge").forEach(function (g) {
    var ends = g.querySelector("title").textContent.split("->"), edge = { g: g, tail: ends[0], head: ends[1] };
    var e = drawnEdges[ends[0] + "->" + ends[1]], texts = g.querySelectorAll("text");
    if (e && texts.length) {  // the label's number, written again from the live local derivative(s)
      var last = texts[texts.length - 1], said = last.textContent, number = fmt(edgeLocal(e, null));
      var at = said.lastIndexOf(number), widest = function (texts) {
        return function () { var w = 0; texts.forEach(function (t) { w = Math.max(w, t.getComputedTextLength()); }); return w; };
      }(texts);
      if (at >= 0) edge.label = { fit: fitting(last, widest), e: e, before: said.slice(0, at), after: said.slice(at + number.length) };
    }
    edges.push(edge);
  });
  function edgeLocal(e, from) {  // an arrow's number: its use's local derivative, or the sum over the uses it stands for
    var total = 0;
    for (var i = 0; i < e.uses.length; i++) {
      var x = from ? shown(model.value(["local", e.value, e.uses[i]], from)) : asNumber(scene.values[e.value].local[e.uses[i]]);
      if (x === null) return null;
      total = e.uses.length === 1 ? x : total + x;
    }
    return total;
  }
  // The frame that computes each value, and the backward step that passes each node's gradient on.
  var computedAt = {}, steppedAt = {};
  frames.forEach(function (f, k) {
    if (f.phase === "forward" && f.node) computedAt[f.node] = k;
    else if (f.phase === "backward" && f.parents.length) steppedAt[f.node] = k;
  });
  var prev = $("prev"), next = $("next"), slider = $("slider");
  var current = 0, revealed = true, overview = false;
  // Quiz state per frame: for each question, "open", "right" or "shown", and whether the first try was right.
  var answers = frames.map(function (f) {
    return f.ask.map(function () { return { state: "open", tries: 0, first: false }; });
  });
  function needsReveal(k) { return quiz !== "" && frames[k].ask.length > 0 &&
    answers[k].some(function (a) { return a.state === "open"; }); }

  // ---- what a frame knows: every "set" up to it, each number read from the live state ----
  function shown(x) { return x === null || x === undefined || x !== x ? null : x; }  // never NaN on screen
  function knownAt(k) {  // {data: {id: number}, grad: {id: number}}: a state model.value reads (a reference's number)
    var known = { data: {}, grad: {} };
    for (var i = 0; i <= k; i++) {
      var set = frames[i].set, refs = frames[i].refs || {};
      for (var id in set) {
        for (var what in set[id]) {
          var ref = refs[id] && refs[id][what];  // (a number: where backward starts, unless the forward pass failed)
          known[what][id] = set[id][what] === true ? true : typeof ref === "number" && what === "grad" && !state.forwardOk ? null :
            shown(ref !== undefined ? model.value(ref, state) : asNumber(set[id][what]));
        }
      }
    }
    return known;
  }
  function numberText(x, write) { return x === null || x === undefined ? NOT_YET : write(x); }
  function cellText(cell, known) {  // a record's cell: its template with the numbers the frame knows
    var refs = cell[1], i = 0;
    return cell[0].replace(/\{\}/g, function () { return numberText(model.value(refs[i++], known), short); });
  }

  // ---- the view: zoom and pan so the text is never smaller than the theme's minimum ----
  var full = (function () {
    var vb = svg.viewBox && svg.viewBox.baseVal;
    if (vb && vb.width) return { x: vb.x, y: vb.y, w: vb.width, h: vb.height };
    var b = svg.getBBox(); return { x: b.x, y: b.y, w: b.width, h: b.height };
  })();
  var view = null, animation = null;
  function minFont() { return parseFloat(getComputedStyle(body).getPropertyValue("--min-font")) || 14; }
  function boxOf(ids) {
    var inverse = svg.getScreenCTM().inverse(), box = null;
    ids.forEach(function (id) {
      var g = $(id); if (!g) return;
      var r = g.getBoundingClientRect(), p = svg.createSVGPoint(), q = svg.createSVGPoint();
      p.x = r.left; p.y = r.top; q.x = r.right; q.y = r.bottom;
      p = p.matrixTransform(inverse); q = q.matrixTransform(inverse);
      var b = { x0: Math.min(p.x, q.x), y0: Math.min(p.y, q.y), x1: Math.max(p.x, q.x), y1: Math.max(p.y, q.y) };
      box = box ? { x0: Math.min(box.x0, b.x0), y0: Math.min(box.y0, b.y0), x1: Math.max(box.x1, b.x1), y1: Math.max(box.y1, b.y1) } : b;
    });
    return box;
  }
  function targetView() {
    var pw = graph.clientWidth, ph = graph.clientHeight;
    var minS = minFont() / FONT, fit = Math.min(pw / full.w, ph / full.h);
    var frame = frames[current], s, cx = full.x + full.w / 2, cy = full.y + full.h / 2, mode;
    var core = (frame.group || frame.view || [frame.node, frame.op]).filter(function (id) { return id; });
    var focus = core.length ? boxOf(core.concat(frame.parents)) : null;
    if (overview) { s = fit; mode = "overview"; }
    else if (fit >= minS || !focus) { s = Math.max(Math.min(fit, 2 * minS), minS); mode = fit >= minS ? "fit" : "follow"; }
    else {
      mode = "follow";
      var own = boxOf(core);
      var margin = 16 / minS;
      var fw = focus.x1 - focus.x0 + 2 * margin, fh = focus.y1 - focus.y0 + 2 * margin;
      s = Math.min(pw / fw, ph / fh, 1.6 * minS);
      if (s < minS) {  // the whole step does not fit: keep the size, show the node (and its operation if it fits)
        s = minS;
        focus = (own.x1 - own.x0 + 2 * margin) * s <= pw && (own.y1 - own.y0 + 2 * margin) * s <= ph ? own : boxOf([core[0]]);
      }
      cx = (focus.x0 + focus.x1) / 2; cy = (focus.y0 + focus.y1) / 2;
      var w = pw / s, h = ph / s;  // keep the view on the picture where it can be
      if (w < full.w) cx = Math.min(Math.max(cx, full.x + w / 2), full.x + full.w - w / 2); else cx = full.x + full.w / 2;
      if (h < full.h) cy = Math.min(Math.max(cy, full.y + h / 2), full.y + full.h - h / 2); else cy = full.y + full.h / 2;
    }
    body.dataset.view = mode;
    body.dataset.tiny = String(s < 0.1);  // (an overview of a very wide picture: see page.css)
    return { x: cx - pw / s / 2, y: cy - ph / s / 2, w: pw / s, h: ph / s, pw: pw, ph: ph };
  }
  function apply(v) {
    svg.setAttribute("width", v.pw); svg.setAttribute("height", v.ph);
    svg.setAttribute("viewBox", [v.x, v.y, v.w, v.h].join(" "));
    view = v;
  }
  function place(animate) {
    fitTable();  // (the window or the theme may have changed)
    var target = targetView();
    if (animation) cancelAnimationFrame(animation);
    if (!animate || !view || view.pw !== target.pw || view.ph !== target.ph ||
        window.matchMedia("(prefers-reduced-motion: reduce)").matches) {
      apply(target); body.dataset.moving = "false"; return;
    }
    var from = view, start = null, ms = 350;
    body.dataset.moving = "true";
    function tick(now) {
      if (start === null) start = now;
      var t = Math.min(1, (now - start) / ms), e = t < 0.5 ? 2 * t * t : 1 - Math.pow(-2 * t + 2, 2) / 2;
      apply({ x: from.x + (target.x - from.x) * e, y: from.y + (target.y - from.y) * e,
              w: from.w + (target.w - from.w) * e, h: from.h + (target.h - from.h) * e, pw: target.pw, ph: target.ph });
      if (t < 1) animation = requestAnimationFrame(tick);
      else { animation = null; body.dataset.moving = "false"; }
    }
    animation = requestAnimationFrame(tick);
  }

  // ---- one frame: the records, the boxes' titles, the edges, the words ----
  function showRecords(frame, known, hidden) {
    var forwardPhase = frame.phase === "forward", opId = frame.op || null, group = frame.group || [];
    var failed = {};
    state.problems.forEach(function (p) { failed[p.id] = p.message; });
    for (var id in nodes) {
      var n = nodes[id], drawn = scene.drawn[id] || {};
      // an operation, or a value drawn again beside a far operation ("n3r7"): they stand for their value
      var valueId = drawn.value || id, isValue = valueId === id && drawn.value;
      n.g.classList.toggle("pending", forwardPhase && known.data[valueId] === undefined);
      n.g.classList.toggle("current", id === frame.node || group.indexOf(id) >= 0);
      n.g.classList.toggle("current-op", id === opId && id !== frame.node);
      n.g.classList.toggle("parent", drawn.kind !== "op" && frame.parents.indexOf(valueId) >= 0 &&
                                     (drawn.kind !== "copy" || drawn.beside === frame.node));
      n.g.classList.toggle("undefined", failed[valueId] !== undefined);
      n.g.classList.toggle("editing", valueId === selected && editable(valueId));
      if (n.cells) n.cells.forEach(function (cell, i) {
        var text = cellText(cell, known);
        if (n.texts[i].textContent !== text) n.texts[i].textContent = text;
        if (cell[1].length === 1) n.texts[i].classList.toggle("editing", cell[1][0][0] === "data" && cell[1][0][1] === selected);
      });
      if (!isValue || !n.data) continue;
      var data = "data " + (hidden[id + ":data"] ? "?" : numberText(known.data[valueId], fmt));
      var grad = "grad " + (hidden[id + ":grad"] ? "?" : numberText(known.grad[valueId], fmt));
      fit(n.data, data);
      fit(n.grad, grad);
      n.data.text.classList.toggle("unknown", !!hidden[id + ":data"]);
      n.grad.text.classList.toggle("unknown", !!hidden[id + ":grad"]);
    }
    for (var bid in boxes) {
      var b = boxes[bid], title = b.box.title.replace("{norm}", numberText(model.value(["norm", b.box.norm], known), short));
      if (b.text.textContent !== title) b.text.textContent = title;
    }
  }
  function showEdges(frame, answerHidden) {
    var forwardPhase = frame.phase === "forward", opId = frame.op || null, secret = {};
    // a value the data quiz asks for: the arrows into its operation would tell it (1 - o² = 0.5 gives o)
    if (answerHidden) frame.hide.forEach(function (h) { if (h[1] === "data") secret["op" + h[0].slice(1)] = true; });
    // a gradient the grad quiz asks for: the arrows whose local derivatives it multiplies show their rule, not its number
    var asked = {};
    if (answerHidden) frame.ask.forEach(function (a) { (a.edges || []).forEach(function (u) { asked[u[0] + ":" + u[1]] = true; }); });
    edges.forEach(function (e) {
      var into = e.head.slice(0, 2) === "op" ? "n" + e.head.slice(2) : null;
      var known = (into === null || current >= computedAt[into]) && !secret[e.head];
      var done = into !== null && steppedAt[into] !== undefined && current >= steppedAt[into];
      e.g.classList.toggle("unknown", !known);
      e.g.classList.toggle("waiting", known && !done && !forwardPhase);
      e.g.classList.toggle("done", done);
      e.g.classList.toggle("active", opId !== null && (e.head === opId || e.tail === opId));
      if (e.label && e.label.e.uses.some(function (i) { return asked[e.label.e.value + ":" + i]; }))
        fit(e.label.fit, e.label.before.replace(/\s*=\s*$/, "") + e.label.after);
      else if (e.label) fit(e.label.fit, e.label.before + numberText(edgeLocal(e.label.e, state), fmt) + e.label.after);
    });
  }
  function written(template, extra) { return model.fill(template, state, extra); }
  function showWords(frame, answerHidden) {
    var view = stepView || frame;
    $("step-title").textContent = view.titleText ? written(view.titleText) : view.title;
    var box = $("step-text"), lines = view.texts ? view.texts.map(function (t) { return written(t, view.extra); }) : view.lines;
    box.innerHTML = "";
    box.classList.toggle("table", view.phase === "done" && lines.length > 6);  // a long list: see fitTable
    if (!answerHidden || stepView) lines.forEach(function (line) {
      var div = document.createElement("div");
      div.className = "line" + (view.phase === "backward" && line.indexOf("+=") < 0 && / [+\u2212] /.test(line) ? " sum" : "");
      div.textContent = line;
      box.appendChild(div);
    });
    fitTable();
    var problem = state.problems.length ? state.problems[0] : null;
    $("problem").hidden = !problem;
    $("problem").textContent = problem ? problem.message : "";
  }
  function fitTable() {  // a long list reads in two columns where they fit the panel, else in one that scrolls
    var box = $("step-text"), long = box.classList.contains("table");
    box.classList.toggle("columns", long);
    if (long && (box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1)) box.classList.remove("columns");
  }
  var refreshing = false;  // show() after a change of leaves, not of frame: the quiz keeps its inputs and reply
  function show(animate) {
    refreshing = animate === null;
    var frame = frames[current], hidden = {};
    var answerHidden = needsReveal(current) && !revealed;
    if (answerHidden) frame.hide.forEach(function (h) { hidden[h[0] + ":" + h[1]] = true; });
    showRecords(frame, knownAt(current), hidden);
    showEdges(frame, answerHidden);
    showWords(frame, answerHidden);
    showQuiz(answerHidden);
    showLive();
    body.dataset.frame = String(current);
    body.dataset.revealed = String(!answerHidden);
    $("counter").textContent = (current + 1) + " / " + frames.length;
    slider.value = String(current);
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1 && !answerHidden;
    remember(animate !== null);
    if (animate !== null) place(animate);
  }

  // ---- the quiz ----
  function parseAnswer(text) {
    var t = text.trim().replace(/\u2212/g, "-").replace(/,/g, ".");
    var num = "[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?";
    var m = new RegExp("^(" + num + ")(?:\\s*/\\s*(" + num + "))?$").exec(t);
    if (!m) return null;
    var value = parseFloat(m[1]);
    if (m[2] !== undefined) { var d = parseFloat(m[2]); if (d === 0) return null; value = value / d; }
    return isFinite(value) ? value : null;
  }
  function expected(a) {  // a question's right number, from the live state
    return a.ref !== undefined ? shown(model.value(a.ref, state)) : a.value;
  }
  function score() {
    var right = 0, asked = 0;
    answers.forEach(function (list) { list.forEach(function (a) { if (a.state !== "open" || a.tries) asked++; if (a.first) right++; }); });
    var total = answers.reduce(function (n, list) { return n + list.length; }, 0);
    return { right: right, asked: asked, total: total };
  }
  function scoreText() {
    var s = score();
    return "Score: " + s.right + " of " + s.total + " right first time";
  }
  function showQuiz(answerHidden) {
    var frame = frames[current], q = $("quiz");
    var active = quiz !== "" && frame.ask.length > 0;
    q.hidden = !active && !(quiz !== "" && frame.phase === "done");
    $("score").textContent = quiz !== "" ? scoreText() : "";
    var asks = $("asks");
    $("check").hidden = $("hint").hidden = $("reveal").hidden = !active;
    if (!active) { asks.innerHTML = ""; if (quiz !== "" && frame.phase === "done" && frame.node === null) setReply("", scoreText()); else setReply("", ""); return; }
    if (asks.dataset.frame === String(current) && refreshing) {  // a leaf changed: keep what is typed, and the reply
      frame.ask.forEach(function (a, i) {
        var input = asks.querySelectorAll("input.answer")[i], label = input.parentNode.firstChild;
        label.textContent = question(a);
        if (answers[current][i].state !== "open") input.value = numberText(expected(a), fmt);
      });
      return;
    }
    asks.innerHTML = ""; asks.dataset.frame = String(current);
    frame.ask.forEach(function (a, i) {
      var row = document.createElement("div"); row.className = "ask";
      var label = document.createElement("label"), words = document.createElement("span");
      words.textContent = question(a); label.appendChild(words);
      var input = document.createElement("input"); input.className = "answer"; input.type = "text";
      input.setAttribute("inputmode", "decimal"); input.setAttribute("autocomplete", "off");
      input.dataset.index = String(i);
      var st = answers[current][i];
      if (st.state !== "open") { input.value = numberText(expected(a), fmt); input.disabled = true; input.classList.add(st.state === "right" ? "right" : "shown"); }
      label.appendChild(input); row.appendChild(label); asks.appendChild(row);
    });
    $("check").disabled = $("hint").disabled = $("reveal").disabled = !answerHidden;
    if (!answerHidden) setReply("", answers[current].every(function (a) { return a.state === "right"; }) ? "Right." : "");
    else setReply("", "");
  }
  function question(a) { return (a.texts && a.texts.question ? written(a.texts.question) : a.question).slice(0, -1); }
  function setReply(kind, text) { var r = $("reply"); r.className = kind; r.textContent = text; }
  function notQuite(a, given, value) {  // the reply to a wrong number: the mistake that gives it, when one does
    var found = quiz === "grad" ? model.diagnose(a, value, state) : [];
    if (!found.length) return "Not quite: " + given + " is not it. Try again, or ask for a hint.";
    if (found.length === 1) return "Not quite: " + model.said(found[0]) + " Try again, or ask for a hint.";
    return "Not quite: " + given + " fits " + found.length + " mistakes: " +
      found.map(function (f) { return model.said(f); }).join(" Or ") + " Try again, or ask for a hint.";
  }
  function check() {
    var frame = frames[current];
    if (!frame.ask.length || !needsReveal(current)) return;
    var replies = [], kindSeen = "right";
    document.querySelectorAll("#asks input.answer").forEach(function (input) {
      var i = Number(input.dataset.index), a = frame.ask[i], st = answers[current][i];
      if (st.state !== "open") return;
      var given = input.value;
      var value = parseAnswer(given);
      if (value === null) {
        replies.push(given.trim() === "" ? "Type a number first." :
          "\u201c" + given.trim() + "\u201d is not a number: type one such as 0.5, -3 or 1/2.");
        kindSeen = kindSeen === "wrong" ? "wrong" : "invalid"; input.classList.add("wrong"); return;
      }
      st.tries++;
      var right = expected(a);
      if (right !== null && model.isRight(value, right)) {
        st.state = "right"; st.first = st.tries === 1;
        input.classList.remove("wrong"); input.classList.add("right"); input.disabled = true;
        replies.push("Right: " + fmt(right) + (st.first ? "." : " (second try or later)."));
      } else {
        kindSeen = "wrong"; input.classList.add("wrong");
        replies.push(notQuite(a, given.trim(), value));
      }
    });
    if (!needsReveal(current)) { revealed = true; show(false); setReply("right", replies.join(" ")); return; }
    setReply(kindSeen, replies.join(" "));
    $("score").textContent = scoreText();
  }
  function hint() {
    var frame = frames[current];
    setReply("hint", "Hint: " + frame.ask.map(function (a) { return a.texts && a.texts.hint ? written(a.texts.hint) : a.hint; }).join("; "));
  }
  function revealAll() {
    answers[current].forEach(function (a) { if (a.state === "open") a.state = "shown"; });
    revealed = true; show(false);
    setReply("", "The answer: " + frames[current].ask.map(function (a) { return numberText(expected(a), fmt); }).join(", "));
  }

  // ---- try it: change a leaf, and everything follows ----
  var leafIds = live.leaves, byName = {}, selected = null, stepView = null;
  model.order.forEach(function (id) { if (!(scene.values[id].name in byName)) byName[scene.values[id].name] = id; });
  function editable(id) { return live.live && id in model.initial; }
  function leafValue(id) { return id in changed ? changed[id] : model.initial[id]; }
  function nameOf(id) { return scene.values[id].name; }
  function keyOf(id) {  // the script API's and the address's key: the name, or the id where an earlier value has that name
    return byName[nameOf(id)] === id ? nameOf(id) : id;
  }
  function compute() {  // the state of the leaves as they are now; a step's table told of the leaves before
    state = model.compute(changed);
    stepView = null;
  }
  function recompute() {  // every value and gradient again, and everything shown, without moving the view
    compute();
    show(null);
  }
  function change(numbers) {  // {id: number}: a number equal to the page's own is no change
    for (var id in numbers) {
      if (numbers[id] === model.initial[id]) delete changed[id]; else changed[id] = numbers[id];
    }
  }
  function setLeaves(numbers) { change(numbers); recompute(); }
  function span(id) {  // the slider's range around the page's own number, and its step
    var x = model.initial[id], half = Math.max(1, 2 * Math.abs(x));
    var step = Math.pow(10, Math.floor(Math.log10(half / 50)));
    return { min: x - half, max: x + half, step: step };
  }
  function select(id, focus) {
    if (!editable(id)) return;
    selected = id;
    body.dataset.live = "true";
    var range = span(id), leafSlider = $("leaf-slider");
    leafSlider.min = String(range.min); leafSlider.max = String(range.max); leafSlider.step = String(range.step);
    $("leaf").value = id;
    $("leaf-value").value = typed(leafValue(id));
    $("leaf-value").classList.remove("wrong");
    show(null);
    place(false);  // (the controls may have changed the pane's size)
    if (focus) $("leaf-value").focus({ preventScroll: true });
  }
  function nudged(id) {  // [(f(x + h) - f(x - h)) / 2h, ∂f/∂x, h]: what a derivative means, beside the chain rule's
    var x = leafValue(id), leaves = Object.assign({}, changed);
    var h = live.h * Math.pow(10, Math.max(0, Math.floor(Math.log10(Math.abs(x) || 1))));  // 1e-05, or more for a large x
    leaves[id] = x + h;
    var up = model.forward(leaves).data[scene.root];
    leaves[id] = x - h;
    var down = model.forward(leaves).data[scene.root];
    var numeric = up === null || down === null ? null : (up - down) / (2 * h);
    return [shown(numeric), shown(state.grad[id]), h];
  }
  function showLive() {
    if (!live.live) return;
    var options = $("leaf").options;
    for (var i = 0; i < options.length; i++) {
      var text = nameOf(options[i].value) + " = " + fmt(leafValue(options[i].value));
      if (options[i].textContent !== text) options[i].textContent = text;
    }
    $("reset-all").disabled = Object.keys(changed).length === 0;
    if (selected === null) return;
    var box = $("leaf-value"), leafSlider = $("leaf-slider"), x = leafValue(selected);
    if (document.activeElement !== box && parseAnswer(box.value) !== x) box.value = typed(x);
    if (document.activeElement !== leafSlider) leafSlider.value = String(x);
    $("reset-leaf").disabled = !(selected in changed);
    var out = nameOf(scene.root), leaf = nameOf(selected), n = nudged(selected);
    $("nudge").textContent = "∂" + out + "/∂" + leaf + " = " + numberText(n[1], fmt) + " by the chain rule; (" +
      out + "(" + leaf + " + h) \u2212 " + out + "(" + leaf + " \u2212 h)) / 2h = " + numberText(n[0], fmt) +
      " with h = " + model.repr(n[2]);
  }
  function readLeaf() {  // the number box, as the learner types: a number changes the leaf, anything else is marked
    var box = $("leaf-value"), x = parseAnswer(box.value);
    box.classList.toggle("wrong", x === null);
    if (x === null || selected === null) return;
    var numbers = {}; numbers[selected] = x;
    setLeaves(numbers);
  }
  function nudgeLeaf(direction, big) {  // arrow keys: one tenth of the slider's range per press (Shift: ten times that)
    if (selected === null) return;
    var numbers = {}, step = span(selected).step * 10 * (big ? 10 : 1);
    numbers[selected] = Number((leafValue(selected) + direction * step).toPrecision(12));
    setLeaves(numbers);
    $("leaf-value").value = typed(leafValue(selected));
  }
  function typed(x) { var text = model.repr(x); return text.length <= 9 ? text : fmt(x); }  // what the number box shows
  function descend(lr) {  // one step of gradient descent on the parameters: w <- w - lr * dL/dw
    if (!live.live || !Number.isFinite(lr)) return null;
    var before = state, loss = shown(state.data[scene.root]), numbers = {}, extra = { lr: lr };
    if (state.problems.length) return null;
    var table = live.table.map(function (t) { return model.fill(t, before, extra); });
    live.parameters.forEach(function (id) { numbers[id] = model.value(["update", id], before, extra); });
    change(numbers);
    compute();
    var after = shown(state.data[scene.root]), out = nameOf(scene.root);
    var step = { loss: [loss, after], table: table };
    stepView = { phase: "done", title: "One step of gradient descent: " + out + " " + numberText(loss, fmt) + " \u2192 " +
                 numberText(after, fmt), lines: table };
    show(null);
    return step;
  }
  function resetAll() { changed = {}; recompute(); if (selected !== null) select(selected, false); }
  if (live.live) {
    leafIds.forEach(function (id) {
      var option = document.createElement("option"); option.value = id; $("leaf").appendChild(option);
    });
    $("lr").value = model.repr(live.lr);
    $("leaf").addEventListener("change", function () { select($("leaf").value, true); });
    $("leaf-value").addEventListener("input", readLeaf);
    $("leaf-value").addEventListener("keydown", function (event) {
      if (event.key === "ArrowUp" || event.key === "ArrowDown") {
        event.preventDefault(); nudgeLeaf(event.key === "ArrowUp" ? 1 : -1, event.shiftKey);
      } else if (event.key === "Escape") { $("leaf-value").blur(); }
    });
    $("leaf-slider").addEventListener("input", function () {
      var numbers = {}; numbers[selected] = Number($("leaf-slider").value);
      setLeaves(numbers);
    });
    $("reset-leaf").addEventListener("click", function () { delete changed[selected]; recompute(); select(selected, false); });
    $("reset-all").addEventListener("click", resetAll);
    $("step").addEventListener("click", function () {
      var lr = parseAnswer($("lr").value);
      $("lr").classList.toggle("wrong", lr === null);
      if (lr !== null) descend(lr);
    });
    $("try").addEventListener("click", function () {
      var on = body.dataset.live !== "true";
      body.dataset.live = String(on);
      if (on && selected === null && leafIds.length) select(leafIds[0], true); else place(false);
    });
    // a click on a leaf (or a weight's cell, or a layer's inputs) edits it
    for (var nid in nodes) (function (n, nid) {
      var drawn = scene.drawn[nid] || {};
      if (drawn.value && editable(drawn.value)) {
        n.g.classList.add("leaf-editable");
        n.g.addEventListener("click", function () { select(drawn.value, true); });
      } else if (n.cells) {
        n.cells.forEach(function (cell, i) {
          var ref = cell[1].length === 1 && cell[1][0][0] === "data" ? cell[1][0][1] : null;
          if (ref === null || !editable(ref)) return;
          n.texts[i].classList.add("leaf-editable");
          n.texts[i].addEventListener("click", function () { select(ref, true); });
        });
      } else if (drawn.inputs) {
        var inputs = drawn.inputs;
        if (inputs.length && editable(inputs[0])) {
          n.g.classList.add("leaf-editable");
          n.g.addEventListener("click", function () { select(inputs[0], true); });
        }
      }
    })(nodes[nid], nid);
  } else {  // an op the page cannot compute (see live.why): the page plays, nothing changes
    $("try").disabled = true;
    $("try").title = "this page cannot change its leaves: " + live.why;
  }

  // ---- moving ----
  function go(k) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    revealed = !needsReveal(current);
    stepView = null;
    show(true);
    var first = document.querySelector("#asks input.answer:not([disabled])");
    if (first && !revealed) first.focus({ preventScroll: true });
  }
  function forward() {
    if (needsReveal(current) && !revealed) revealAll();
    else if (current < frames.length - 1) go(current + 1);
  }
  function back() { if (current > 0) go(current - 1); }
  function toggleFullscreen() {
    try {
      if (document.fullscreenElement) document.exitFullscreen().catch(function () {});
      else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(function () {});
    } catch (err) { /* not allowed here */ }
  }
  function nextTheme() {
    var i = THEMES.indexOf(body.dataset.theme);
    body.dataset.theme = THEMES[(i + 1) % THEMES.length];
    place(false);
  }
  next.addEventListener("click", forward);
  prev.addEventListener("click", back);
  $("check").addEventListener("click", check);
  $("hint").addEventListener("click", hint);
  $("reveal").addEventListener("click", revealAll);
  $("theme").addEventListener("click", nextTheme);
  $("overview").addEventListener("click", function () { overview = !overview; place(true); });
  $("fullscreen").addEventListener("click", toggleFullscreen);
  slider.addEventListener("input", function () { go(parseInt(slider.value, 10)); });
  window.addEventListener("keydown", function (event) {
    var target = event.target, tag = target && target.tagName;
    if (tag === "INPUT" && target.classList.contains("answer")) {
      if (event.key === "Enter") { event.preventDefault(); check(); }
      return;
    }
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;  // the live controls keep their keys
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key;
    if (key === "ArrowRight" || key === " " || key === "PageDown") { event.preventDefault(); forward(); }
    else if (key === "ArrowLeft" || key === "PageUp") { event.preventDefault(); back(); }
    else if (key === "Home") { event.preventDefault(); go(0); }
    else if (key === "End") { event.preventDefault(); go(frames.length - 1); }
    else if (key === "f" || key === "F") { event.preventDefault(); toggleFullscreen(); }
    else if (key === "t" || key === "T") { event.preventDefault(); nextTheme(); }
    else if (key === "o" || key === "O") { event.preventDefault(); overview = !overview; place(true); }
    else if ((key === "l" || key === "L") && live.live) { event.preventDefault(); $("try").click(); }
  }, true);

  // ---- the address keeps the state: #frame=12&x1=1.5&w1=-2 ----
  var remembering = null;  // a timer: a change of leaves is written to the address a moment later
  function address() {
    var parts = ["frame=" + current];
    leafIds.forEach(function (id) {
      if (id in changed) parts.push(encodeURIComponent(keyOf(id)) + "=" + model.repr(changed[id]));
    });
    return "#" + parts.join("&");
  }
  var lastAddress = location.hash;  // the address as the page last wrote or read it
  function writeAddress() {
    if (remembering !== null) { clearTimeout(remembering); remembering = null; }
    if (location.hash !== lastAddress) return;  // changed from outside: its hashchange is on its way, and it wins
    if (location.hash !== address()) {
      try { history.replaceState(null, "", address()); } catch (err) { /* some file:// setups, sandboxed frames */ }
    }
    lastAddress = location.hash;
  }
  function remember(now) {  // a slider moves many times a second; browsers limit how often a page rewrites its address
    if (now) writeAddress();
    else if (remembering === null) remembering = setTimeout(writeAddress, 150);
  }
  function fromHash() {  // {frame, leaves} the address asks for
    var wanted = { frame: 0, leaves: {} };
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var eq = part.indexOf("="), key, text;
      if (eq < 0) return;
      try { key = decodeURIComponent(part.slice(0, eq)); text = decodeURIComponent(part.slice(eq + 1)); } catch (err) { return; }
      if (key === "frame" && /^\d+$/.test(text)) wanted.frame = Math.min(parseInt(text, 10), frames.length - 1);
      else {
        var id = byName[key] !== undefined ? byName[key] : key;
        if (editable(id) && parseAnswer(text) !== null) wanted.leaves[id] = parseAnswer(text);
      }
    });
    return wanted;
  }
  function fromAddress(first) {
    var wanted = fromHash();
    changed = {};
    change(wanted.leaves);
    compute();
    if (first) { current = wanted.frame; revealed = !needsReveal(current); show(false); }
    else if (wanted.frame !== current) go(wanted.frame);
    else show(null);
  }
  window.addEventListener("hashchange", function () {
    lastAddress = location.hash;
    if (location.hash !== address()) fromAddress(false);
  });
  window.addEventListener("resize", function () { place(false); });
  document.addEventListener("fullscreenchange", function () { place(false); });

  // ---- the script API (see autograd/page_html.py) ----
  function leafId(name) {
    if (!live.live) throw new Error("chainrule: this page cannot change its leaves: " + live.why);
    var id = byName[name] !== undefined ? byName[name] : name;
    if (!editable(id)) throw new Error("chainrule: " + JSON.stringify(name) + " is not a leaf of this page (its leaves: " +
                                       leafIds.map(keyOf).join(", ") + ")");
    return id;
  }
  Object.assign(window.chainrule, {
    show: function () { show(false); },
    leaves: function () {
      var found = {};
      leafIds.forEach(function (id) { found[keyOf(id)] = leafValue(id); });
      return found;
    },
    set: function (numbers) {
      var ids = {};
      for (var name in numbers) {
        var x = numbers[name];
        if (typeof x !== "number" || !Number.isFinite(x)) throw new Error("chainrule.set: " + name + " needs a finite number, got " + x);
        ids[leafId(name)] = x;
      }
      setLeaves(ids);
      return window.chainrule.state();
    },
    state: function () {
      var found = {};
      model.order.forEach(function (id) {
        found[keyOf(id)] = { data: shown(state.data[id]), grad: shown(state.grad[id]) };
      });
      return found;
    },
    problems: function () { return state.problems.map(function (p) { return p.message; }); },
    nudge: function (name) { return nudged(leafId(name)).slice(0, 2); },
    step: function (lr) { return descend(lr === undefined ? live.lr : lr); },
    reset: resetAll,
    select: function (name) { select(leafId(name), false); },
  });
  fromAddress(true);
})();
