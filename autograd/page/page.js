// The walkthrough page's player. It reads one JSON document (#document): the scene (every value
// with its id, name, op, operands, data, grad and per operand the local derivative and rule; what
// is drawn: records of units with their cells; boxes) and the frames (what each step says and
// which numbers it makes known). Numbers arrive as numbers and are written here, by fmt and
// short, the same rules as Python's autograd/text.py; so a recompute needs only new numbers in
// doc.scene.values and in the frames' "set" and "chain", then show().
"use strict";
(function () {
  var doc = JSON.parse(document.getElementById("document").textContent);
  var frames = doc.frames, scene = doc.scene;
  var body = document.body, quiz = doc.quiz, NOT_YET = doc.notYet, FONT = doc.font;
  var THEMES = ["light", "projector", "dark"];
  var $ = function (id) { return document.getElementById(id); };

  // ---- numbers: Python's "%.<digits>g", correctly rounded (half to even on the exact binary value) ----
  function asNumber(x) {
    if (typeof x === "number") return x;
    return x === "inf" ? Infinity : x === "-inf" ? -Infinity : NaN;
  }
  function exactDigits(x) {  // x > 0 finite: [digits of its exact decimal expansion, exponent of the first]
    var view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    var high = view.getUint32(0), low = view.getUint32(4);
    var biased = (high >>> 20) & 0x7ff;
    var mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
    var power = biased === 0 ? -1074 : biased - 1075;
    if (biased !== 0) mantissa |= 1n << 52n;
    var digits, point;
    if (power >= 0) { digits = (mantissa << BigInt(power)).toString(); point = 0; }
    else { digits = (mantissa * 5n ** BigInt(-power)).toString(); point = -power; }
    var stripped = digits.replace(/0+$/, "");
    return [stripped, digits.length - point - 1];
  }
  function general(x, precision) {
    if (x !== x) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    if (x === 0) return "0";
    var sign = x < 0 ? "-" : "", ex = exactDigits(Math.abs(x)), digits = ex[0], exponent = ex[1];
    if (digits.length > precision) {  // round half to even at the last kept digit
      var kept = digits.slice(0, precision), rest = digits.slice(precision);
      var up = rest[0] > "5" || (rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) || Number(kept[kept.length - 1]) % 2 === 1));
      if (up) {
        var carried = (BigInt(kept) + 1n).toString();
        if (carried.length > kept.length) { exponent += 1; carried = carried.slice(0, precision); }
        kept = carried;
      }
      digits = kept.replace(/0+$/, "") || "0";
    }
    if (exponent < -4 || exponent >= precision) {
      var mant = digits[0] + (digits.length > 1 ? "." + digits.slice(1) : "");
      var e = Math.abs(exponent);
      return sign + mant + "e" + (exponent < 0 ? "-" : "+") + (e < 10 ? "0" + e : String(e));
    }
    if (exponent < 0) return sign + "0." + "0".repeat(-exponent - 1) + digits;
    var whole = digits.length > exponent + 1 ? digits.slice(0, exponent + 1) : digits + "0".repeat(exponent + 1 - digits.length);
    var part = digits.slice(exponent + 1);
    return sign + whole + (part ? "." + part : "");
  }
  function fmt(x) {  // autograd.text.fmt: 6 significant digits (doc.digits), always recognisable as a float
    var text = general(asNumber(x), doc.digits);
    return /^-?\d+$/.test(text) ? text + ".0" : text;
  }
  function short(x) { return general(asNumber(x), doc.shortDigits); }  // autograd.text.short
  window.chainrule = { fmt: fmt, short: short, doc: doc };  // for tests and for whoever builds on the page

  // ---- the picture: the SVG's node groups, their texts, the edges ----
  var graph = $("graph"), svg = graph.querySelector("svg");
  var nodes = {}, edges = [], boxes = {};
  graph.querySelectorAll("g.node").forEach(function (g) {
    var texts = g.querySelectorAll("text"), drawn = scene.drawn[g.id] || {};
    var cells = drawn.rows ? [].concat.apply([], drawn.rows) : null;
    nodes[g.id] = {
      g: g, kind: drawn.kind,
      data: drawn.value && texts.length >= 3 ? texts[texts.length - 2] : null,
      grad: drawn.value && texts.length >= 3 ? texts[texts.length - 1] : null,
      cells: cells && cells.length === texts.length ? cells : null, texts: texts,  // a record dot drew otherwise stays
    };
  });
  graph.querySelectorAll("g.cluster").forEach(function (g) {
    var box = scene.boxes[g.id.replace(/^cluster_/, "")], text = g.querySelector("text");
    if (box && box.norm && text) boxes[g.id] = { text: text, box: box };
  });
  graph.querySelectorAll("g.edge").forEach(function (g) {
    var ends = g.querySelector("title").textContent.split("->");
    edges.push({ g: g, tail: ends[0], head: ends[1] });
  });
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

  // ---- what a frame knows: every "set" up to it ----
  function knownAt(k) {
    var values = {};
    for (var i = 0; i <= k; i++) {
      var set = frames[i].set;
      for (var id in set) { values[id] = Object.assign(values[id] || {}, set[id]); }
    }
    return values;
  }
  function cellText(cell, values) {  // a record's cell: its template with the numbers the frame knows
    var refs = cell[1], i = 0;
    return cell[0].replace(/\{\}/g, function () {
      var ref = refs[i++], known = values[ref[1]] || {};
      return known[ref[0]] === undefined ? NOT_YET : short(known[ref[0]]);
    });
  }
  function normText(ids, values) {
    var total = 0;
    for (var i = 0; i < ids.length; i++) {
      var known = values[ids[i]] || {};
      if (known.grad === undefined) return NOT_YET;
      total += asNumber(known.grad) * asNumber(known.grad);
    }
    return short(Math.sqrt(total));
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
    var core = (frame.group || [frame.node, frame.op]).filter(function (id) { return id; });
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
    return { x: cx - pw / s / 2, y: cy - ph / s / 2, w: pw / s, h: ph / s, pw: pw, ph: ph };
  }
  function apply(v) {
    svg.setAttribute("width", v.pw); svg.setAttribute("height", v.ph);
    svg.setAttribute("viewBox", [v.x, v.y, v.w, v.h].join(" "));
    view = v;
  }
  function place(animate) {
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
  function showRecords(frame, values, hidden) {
    var forwardPhase = frame.phase === "forward", opId = frame.op || null, group = frame.group || [];
    for (var id in nodes) {
      var n = nodes[id], drawn = scene.drawn[id] || {};
      // an operation, or a value drawn again beside a far operation ("n3r7"): they stand for their value
      var valueId = drawn.value || id, v = values[valueId] || {}, isValue = valueId === id && drawn.value;
      n.g.classList.toggle("pending", forwardPhase && v.data === undefined);
      n.g.classList.toggle("current", id === frame.node || group.indexOf(id) >= 0);
      n.g.classList.toggle("current-op", id === opId && id !== frame.node);
      n.g.classList.toggle("parent", drawn.kind !== "op" && frame.parents.indexOf(valueId) >= 0 &&
                                     (drawn.kind !== "copy" || drawn.beside === frame.node));
      if (n.cells) n.cells.forEach(function (cell, i) {
        var text = cellText(cell, values);
        if (n.texts[i].textContent !== text) n.texts[i].textContent = text;
      });
      if (!isValue || !n.data) continue;
      n.data.textContent = "data " + (hidden[id + ":data"] ? "?" : (v.data !== undefined ? fmt(v.data) : NOT_YET));
      n.grad.textContent = "grad " + (hidden[id + ":grad"] ? "?" : (v.grad !== undefined ? fmt(v.grad) : NOT_YET));
      n.data.classList.toggle("unknown", !!hidden[id + ":data"]);
      n.grad.classList.toggle("unknown", !!hidden[id + ":grad"]);
    }
    for (var bid in boxes) {
      var b = boxes[bid], title = b.box.title.replace("{norm}", normText(b.box.norm, values));
      if (b.text.textContent !== title) b.text.textContent = title;
    }
  }
  function showEdges(frame) {
    var forwardPhase = frame.phase === "forward", opId = frame.op || null;
    edges.forEach(function (e) {
      var into = e.head.slice(0, 2) === "op" ? "n" + e.head.slice(2) : null;
      var known = into === null || current >= computedAt[into];
      var done = into !== null && steppedAt[into] !== undefined && current >= steppedAt[into];
      e.g.classList.toggle("unknown", !known);
      e.g.classList.toggle("waiting", known && !done && !forwardPhase);
      e.g.classList.toggle("done", done);
      e.g.classList.toggle("active", opId !== null && (e.head === opId || e.tail === opId));
    });
  }
  function showWords(frame, answerHidden) {
    $("step-title").textContent = frame.title;
    var box = $("step-text");
    box.innerHTML = "";
    if (!answerHidden) frame.lines.forEach(function (line) {
      var div = document.createElement("div");
      div.className = "line" + (frame.phase === "backward" && line.indexOf("+=") < 0 && / \+ /.test(line) ? " sum" : "");
      div.textContent = line;
      box.appendChild(div);
    });
  }
  function show(animate) {
    var frame = frames[current], hidden = {};
    var answerHidden = needsReveal(current) && !revealed;
    if (answerHidden) frame.hide.forEach(function (h) { hidden[h[0] + ":" + h[1]] = true; });
    showRecords(frame, knownAt(current), hidden);
    showEdges(frame);
    showWords(frame, answerHidden);
    showQuiz(answerHidden);
    body.dataset.frame = String(current);
    body.dataset.revealed = String(!answerHidden);
    $("counter").textContent = (current + 1) + " / " + frames.length;
    slider.value = String(current);
    prev.disabled = current === 0;
    next.disabled = current === frames.length - 1 && !answerHidden;
    if (location.hash !== "#frame=" + current) {
      try { history.replaceState(null, "", "#frame=" + current); } catch (err) { /* some file:// setups */ }
    }
    place(animate);
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
  function close(x, y) { return Math.abs(x - y) <= 1e-3 * Math.max(Math.abs(y), 1e-9); }
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
    var asks = $("asks"); asks.innerHTML = "";
    $("check").hidden = $("hint").hidden = $("reveal").hidden = !active;
    if (!active) { if (quiz !== "" && frame.phase === "done" && frame.node === null) setReply("", scoreText()); else setReply("", ""); return; }
    frame.ask.forEach(function (a, i) {
      var row = document.createElement("div"); row.className = "ask";
      var label = document.createElement("label"); label.textContent = a.question.slice(0, -1);
      var input = document.createElement("input"); input.className = "answer"; input.type = "text";
      input.setAttribute("inputmode", "decimal"); input.setAttribute("autocomplete", "off");
      input.dataset.index = String(i);
      var st = answers[current][i];
      if (st.state !== "open") { input.value = a.answer; input.disabled = true; input.classList.add(st.state === "right" ? "right" : "shown"); }
      label.appendChild(input); row.appendChild(label); asks.appendChild(row);
    });
    $("check").disabled = $("hint").disabled = $("reveal").disabled = !answerHidden;
    if (!answerHidden) setReply("", answers[current].every(function (a) { return a.state === "right"; }) ? "Right." : "");
    else setReply("", "");
  }
  function setReply(kind, text) { var r = $("reply"); r.className = kind; r.textContent = text; }
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
      if (a.value !== null && close(value, a.value)) {
        st.state = "right"; st.first = st.tries === 1;
        input.classList.remove("wrong"); input.classList.add("right"); input.disabled = true;
        replies.push("Right: " + a.answer + (st.first ? "." : " (second try or later)."));
      } else {
        kindSeen = "wrong"; input.classList.add("wrong");
        replies.push("Not quite: " + given.trim() + " is not it. Try again, or ask for a hint.");
      }
    });
    if (!needsReveal(current)) { revealed = true; show(false); setReply("right", replies.join(" ")); return; }
    setReply(kindSeen, replies.join(" "));
    $("score").textContent = scoreText();
  }
  function hint() {
    var frame = frames[current];
    setReply("hint", "Hint: " + frame.ask.map(function (a) { return a.hint; }).join("; "));
  }
  function revealAll() {
    answers[current].forEach(function (a) { if (a.state === "open") a.state = "shown"; });
    revealed = true; show(false);
    setReply("", "The answer: " + frames[current].ask.map(function (a) { return a.answer; }).join(", "));
  }

  // ---- moving ----
  function go(k) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    revealed = !needsReveal(current);
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
    var typing = event.target && event.target.tagName === "INPUT" && event.target.type === "text";
    if (typing) { if (event.key === "Enter") { event.preventDefault(); check(); } return; }
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key;
    if (key === "ArrowRight" || key === " " || key === "PageDown") { event.preventDefault(); forward(); }
    else if (key === "ArrowLeft" || key === "PageUp") { event.preventDefault(); back(); }
    else if (key === "Home") { event.preventDefault(); go(0); }
    else if (key === "End") { event.preventDefault(); go(frames.length - 1); }
    else if (key === "f" || key === "F") { event.preventDefault(); toggleFullscreen(); }
    else if (key === "t" || key === "T") { event.preventDefault(); nextTheme(); }
    else if (key === "o" || key === "O") { event.preventDefault(); overview = !overview; place(true); }
  }, true);
  function fromHash() {
    var m = /(?:^#|&)frame=(\d+)/.exec(location.hash);
    return m ? Math.min(parseInt(m[1], 10), frames.length - 1) : 0;
  }
  window.addEventListener("hashchange", function () { var k = fromHash(); if (k !== current) go(k); });
  window.addEventListener("resize", function () { place(false); });
  document.addEventListener("fullscreenchange", function () { place(false); });
  window.chainrule.show = function () { show(false); };
  current = fromHash();
  revealed = !needsReveal(current);
  show(false);
})();
