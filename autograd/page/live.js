// The live page's model: from the leaves' numbers it computes every value, every local derivative and
// every gradient again, with the ops' own code (the document's live.ops: each op's Python expressions
// translated to JavaScript, see autograd/page_live.py), and writes numbers as Python does. A point where
// the engine raises (a log of -1, a division by 0, an overflow, a derivative that does not exist) is
// found by the op's checks and told in the engine's words; the values it makes unknown are null, shown
// as "–". Everything the page shows is written from references into this state (written.py's templates).
"use strict";
window.chainruleLive = function (doc, R) {
  var scene = doc.scene, live = doc.live, values = scene.values, root = scene.root, NOT_YET = doc.notYet;
  var order = Object.keys(values);

  // ---- numbers: Python's "%.<p>g" (correctly rounded, half to even on the exact binary value) and repr ----
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
    return [digits.replace(/0+$/, ""), digits.length - point - 1];
  }
  function splitExponential(text) {  // "1.2300e-5" -> ["123", -5] (digits without trailing zeros)
    var m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
    return [(m[1] + (m[2] || "")).replace(/0+$/, "") || "0", parseInt(m[3], 10)];
  }
  function roundedDigits(x, precision) {  // x > 0 finite, rounded to precision digits: [digits, exponent]
    var wider = x.toExponential(precision);  // one digit more: only a 5 there can make a tie
    if (wider.charAt(precision + (precision > 0 ? 1 : 0)) === "5" && Number(wider) === x) {
      var ex = exactDigits(x), digits = ex[0], exponent = ex[1];  // the exact value decides (rare)
      if (digits.length <= precision) return [digits, exponent];
      var kept = digits.slice(0, precision), rest = digits.slice(precision);
      var up = rest[0] > "5" || (rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) || Number(kept[kept.length - 1]) % 2 === 1));
      if (up) {
        var carried = (BigInt(kept) + 1n).toString();
        if (carried.length > kept.length) { exponent += 1; carried = carried.slice(0, precision); }
        kept = carried;
      }
      return [kept.replace(/0+$/, "") || "0", exponent];
    }
    return splitExponential(x.toExponential(precision - 1));  // correctly rounded; no tie here
  }
  function layout(sign, digits, exponent, precision) {  // Python's %g (precision) or repr (precision 17) layout
    if (exponent < -4 || exponent >= precision) {
      var e = Math.abs(exponent);
      return sign + digits[0] + (digits.length > 1 ? "." + digits.slice(1) : "") + "e" + (exponent < 0 ? "-" : "+") +
        (e < 10 ? "0" + e : String(e));
    }
    if (exponent < 0) return sign + "0." + "0".repeat(-exponent - 1) + digits;
    var whole = digits.length > exponent + 1 ? digits.slice(0, exponent + 1) : digits + "0".repeat(exponent + 1 - digits.length);
    var part = digits.slice(exponent + 1);
    return sign + whole + (part ? "." + part : "");
  }
  function general(x, precision) {  // f"{x + 0.0:.{precision}g}"
    if (x !== x) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    if (x === 0) return "0";
    var d = roundedDigits(Math.abs(x), precision);
    return layout(x < 0 ? "-" : "", d[0], d[1], precision);
  }
  function fmt(x) {  // autograd.text.fmt: doc.digits significant digits, always recognisable as a float
    var text = general(asNumber(x), doc.digits);
    return /^-?\d+$/.test(text) ? text + ".0" : text;
  }
  function short(x) { return general(asNumber(x), doc.shortDigits); }  // autograd.text.short
  function repr(x) {  // Python's repr of a float: the shortest digits that read back as x
    x = asNumber(x);
    if (x !== x) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    if (x === 0) return 1 / x < 0 ? "-0.0" : "0.0";
    var m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(Math.abs(x)));
    var whole = m[1], part = m[2] || "", shift = m[3] ? parseInt(m[3], 10) : 0, digits, exponent;
    if (whole !== "0") { digits = whole + part; exponent = whole.length - 1 + shift; }
    else { var zeros = /^0*/.exec(part)[0].length; digits = part.slice(zeros); exponent = -zeros - 1 + shift; }
    var text = layout(x < 0 ? "-" : "", digits.replace(/0+$/, "") || "0", exponent, 16);
    return text.indexOf(".") < 0 && text.indexOf("e") < 0 ? text + ".0" : text;
  }
  var STYLES = { f: fmt, s: short, r: repr,
                 F: function (x) { return fmt(Math.abs(x)); }, S: function (x) { return short(Math.abs(x)); } };

  // ---- the ops, compiled once: function (R, a, out) for each expression ----
  function compile(expression) { return new Function("R", "a", "out", '"use strict"; return (' + expression + ");"); }
  var ops = live.live ? live.ops.map(function (op) {
    return {
      forward: compile(op.forward), locals: op.locals.map(compile),
      checks: op.checks.map(function (c) { return { when: compile(c[0]), error: c[1], message: c[2], operand: c[3] }; }),
      mistakes: op.mistakes.map(function (list) {
        return list.map(function (m) { return { id: m[0], sentence: m[1], wrong: compile(m[2]) }; });
      }),
    };
  }) : [];
  var initial = {};
  order.forEach(function (id) { if (!values[id].operands.length) initial[id] = asNumber(values[id].data); });

  function described(id, data) {  // how the engine names an operand in a message: 2.0 (label 'x')
    return repr(data[id]) + (live.said[id] || "");
  }
  function failure(id, data, message) {  // engine._failure_message
    var operands = values[id].operands, said = operands.slice(0, 4).map(function (p) { return described(p, data); }).join(" and ");
    if (operands.length > 4) said += " and " + (operands.length - 4) + " more";
    return values[id].op + " of " + said + ": " + message;
  }

  // ---- forward and backward from the leaves: the state every reference reads ----
  function given() {  // a page that cannot compute (see live.why) has the numbers Python gave it
    var data = {}, local = {};
    order.forEach(function (id) { data[id] = asNumber(values[id].data); local[id] = values[id].local.map(asNumber); });
    return { data: data, local: local, problems: [] };
  }
  function forward(leaves) {  // {data, local, problems}: data null where unknown, local null where undefined
    if (!live.live) return given();
    var data = {}, local = {}, problems = [];
    for (var k = 0; k < order.length; k++) {
      var id = order[k], v = values[id], operands = v.operands;
      if (!operands.length) { data[id] = id in leaves ? leaves[id] : initial[id]; continue; }
      var a = new Array(operands.length), known = true;
      for (var i = 0; i < operands.length; i++) { a[i] = data[operands[i]]; if (a[i] === null) known = false; }
      if (!known) { data[id] = null; continue; }
      var op = ops[live.fn[id]], out = op.forward(R, a, 0), failed = null, undefinedAt = {};
      for (var c = 0; c < op.checks.length; c++) {
        var check = op.checks[c];
        if (check.operand === null) {
          if (!failed && check.when(R, a, out)) failed = check;
        } else if (!(check.operand in undefinedAt) && check.when(R, a, out)) undefinedAt[check.operand] = check;
      }
      if (failed) {
        data[id] = null;
        problems.push({ id: id, error: failed.error, message: failure(id, data, failed.message) });
        continue;
      }
      data[id] = out;
      var locals = local[id] = new Array(operands.length);
      for (var j = 0; j < operands.length; j++) {
        locals[j] = undefinedAt[j] ? { reason: undefinedAt[j].message } : op.locals[j](R, a, out);
      }
    }
    return { data: data, local: local, problems: problems };
  }
  function compute(leaves) {
    var state = forward(leaves), data = state.data, local = state.local;
    var grad = {}, contribution = {}, after = {}, ok = state.problems.length === 0;
    state.grad = grad; state.contribution = contribution; state.after = after; state.forwardOk = ok;
    order.forEach(function (id) { grad[id] = ok ? 0.0 : null; });
    if (ok) grad[root] = 1.0;
    for (var k = order.length - 1; k >= 0; k--) {  // engine.chain_rule: parent.grad += local * node.grad
      var id = order[k], operands = values[id].operands;
      if (!operands.length) continue;
      var up = grad[id], c = contribution[id] = new Array(operands.length), t = after[id] = new Array(operands.length);
      for (var i = 0; i < operands.length; i++) {
        var parent = operands[i], l = ok ? local[id][i] : null;
        if (l !== null && typeof l === "object") {  // a derivative that does not exist: backward raises here
          state.problems.push({ id: id, error: "ValueError", message: failure(id, data, l.reason), backward: true });
          l = null;
        }
        c[i] = l === null || up === null ? null : l * up;
        grad[parent] = c[i] === null || grad[parent] === null ? null : grad[parent] + c[i];
        t[i] = grad[parent];
      }
    }
    if (live.sums) {  // a model page adds the contributions up in its own order
      var running = {};
      live.sums.forEach(function (edge) {
        var parent = values[edge[0]].operands[edge[1]], x = contribution[edge[0]][edge[1]];
        running[parent] = x === null || running[parent] === null ? null : (running[parent] === undefined ? 0.0 : running[parent]) + x;
        after[edge[0]][edge[1]] = running[parent];
      });
    }
    for (var p = 0; p < state.problems.length; p++) {
      if (state.problems[p].backward) { state.problems = [state.problems[p]]; break; }  // the walk stops at the first
    }
    return state;
  }

  // ---- references and templates (see autograd/written.py) ----
  function value(ref, state, extra) {
    if (typeof ref === "number") return ref;
    var id = ref[1], x;
    switch (ref[0]) {
      case "data": x = state.data[id]; break;
      case "grad": x = state.grad[id]; break;
      case "local": x = state.local[id] ? state.local[id][ref[2]] : null; if (x !== null && typeof x === "object") x = null; break;
      case "contribution": x = state.contribution[id] ? state.contribution[id][ref[2]] : null; break;
      case "after": x = state.after[id] ? state.after[id][ref[2]] : null; break;
      case "lr": x = extra && extra.lr !== undefined ? extra.lr : live.lr; break;
      case "update":
        var rate = value(["lr"], state, extra), old = state.data[id], g = state.grad[id];
        x = old === null || g === null || old === undefined ? null : old - rate * g; break;
      case "norm":
        var total = 0;
        for (var i = 0; i < id.length; i++) {
          var gi = state.grad[id[i]];
          if (gi === null || gi === undefined) return null;
          total += gi * gi;
        }
        x = Math.sqrt(total); break;
      case "wrong": x = wrongDerivative(state, id, ref[2], ref[3]); break;
      default: throw new Error("no number is called " + JSON.stringify(ref));
    }
    return x === undefined ? null : x;
  }
  var TOKEN = /\x02(\d+):([\s\S])|\x01(\d+)\x01|\x03(\d+)|\x04(\d+)\.(\d+)\x04|\x05/g;
  function fill(template, state, extra) {  // written.fill, in JavaScript
    var text = template[0], slots = template[1];
    if (!slots.length) return text;
    var numbers = slots.map(function (slot) { return value(slot[1], state, extra); });
    var texts = slots.map(function (slot, k) { return numbers[k] === null ? NOT_YET : STYLES[slot[0]](numbers[k]); });
    var negative = slots.map(function (slot, k) {
      if (numbers[k] === null) return false;
      return slot[0] === "F" || slot[0] === "S" ? numbers[k] < 0 : texts[k].charAt(0) === "-";
    });
    var shown = true, pieces = [], position = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      if (shown) pieces.push(text.slice(position, m.index));
      position = TOKEN.lastIndex;
      if (m[0] === "\x05") { shown = true; continue; }
      if (m[5] !== undefined) { shown = numbers[+m[5]] !== numbers[+m[6]]; continue; }
      if (!shown) continue;
      if (m[1] !== undefined) pieces.push(negative[+m[1]] ? m[2] : "");
      else if (m[3] !== undefined) pieces.push(texts[+m[3]]);
      else pieces.push(negative[+m[4]] ? "\u2212" : "+");
    }
    if (shown) pieces.push(text.slice(position));
    return pieces.join("");
  }

  // ---- the quiz: which mistake gives a learner's number (autograd/diagnose.py, from live numbers) ----
  var RELATIVE = live.tolerance[0], ABSOLUTE = live.tolerance[1];
  function isRight(guess, answer) {  // math.isclose(guess, answer, rel_tol, abs_tol)
    if (guess === answer) return true;
    if (!Number.isFinite(guess) || !Number.isFinite(answer)) return false;
    var difference = Math.abs(guess - answer);
    return difference <= RELATIVE * Math.abs(answer) || difference <= RELATIVE * Math.abs(guess) || difference <= ABSOLUTE;
  }
  function wrongDerivative(state, id, i, m) {  // mistake m of operand i of value id, evaluated; null where it has no number
    var operands = values[id].operands, a = operands.map(function (p) { return state.data[p]; });
    if (state.data[id] === null || a.some(function (x) { return x === null; })) return null;
    var x = ops[live.fn[id]].mistakes[i][m].wrong(R, a, state.data[id]);
    return Number.isFinite(x) ? x : null;
  }
  var CHANGES = {  // diagnose._CHANGES: the node's gradient after its k-th asked edge, instead of so_far + local * upstream
    "no-upstream": function (k, local, upstream, soFar) { return soFar + local; },
    "no-local": function (k, local, upstream, soFar) { return soFar + upstream; },
    "paths-multiplied": function (k, local, upstream, soFar) { return k === 0 ? local * upstream : soFar * (local * upstream); },
    "sign": function (k, local, upstream, soFar) { return soFar - local * upstream; },
  };
  var FORKS_ONLY = { "one-path": true, "paths-multiplied": true };
  function diagnose(ask, guess, state) {
    // ask.edges: the (value id, operand index) edges whose contributions the asked number adds, in the walk's order
    var right = value(ask.ref, state), edges = ask.edges || [];
    if (right === null || isRight(guess, right)) return [];
    var parts = edges.map(function (e) {
      return { local: value(["local", e[0], e[1]], state), upstream: value(["grad", e[0]], state) };
    });
    if (parts.some(function (p) { return p.local === null || p.upstream === null; })) return [];
    function answerWith(change) {
      var soFar = 0.0;
      parts.forEach(function (p, k) { soFar = change(k, p.local, p.upstream, soFar); });
      return soFar;
    }
    var found = [];
    function add(id, sentence, answer, where, written) {
      if (!Number.isFinite(answer) || isRight(answer, right)) return;
      found.push({ id: id, sentence: sentence, answer: answer, where: where || "", written: written || "" });
    }
    Object.keys(CHANGES).forEach(function (id) {
      if (!FORKS_ONLY[id] || edges.length > 1) add(id, live.stepMistakes[id], answerWith(CHANGES[id]));
    });
    if (edges.length > 1) edges.forEach(function (e, j) {
      add("one-path", live.stepMistakes["one-path"],
          answerWith(function (k, local, upstream, soFar) { return k === j ? local * upstream : soFar; }),
          "∂" + values[e[0]].name + "/∂" + values[values[e[0]].operands[e[1]]].name);
    });
    edges.forEach(function (e, j) {
      (ask.mistakes ? ask.mistakes[j] : []).forEach(function (written) {
        var m = written[0], mistake = ops[live.fn[e[0]]].mistakes[e[1]][m];
        var wrong = wrongDerivative(state, e[0], e[1], m);
        if (wrong === null) return;
        add(mistake.id, mistake.sentence,
            answerWith(function (k, local, upstream, soFar) { return soFar + (k === j ? wrong : local) * upstream; }),
            written[1], fill(written[2], state));
      });
    });
    var seen = {};
    found = found.filter(function (f) {
      var key = [f.id, f.where, f.written, f.answer].join("\x00");
      return seen[key] ? false : (seen[key] = true);
    });
    return found.filter(function (f) { return isRight(guess, f.answer); });
  }
  function said(found) {  // Diagnosis.said
    var text = found.sentence + " (" + found.id + ")";
    if (found.written) text += ": " + found.where + " = " + found.written;
    else if (found.where) text += ": only " + found.where;
    return text + "; that gives " + fmt(found.answer) + ".";
  }

  return { order: order, fmt: fmt, short: short, repr: repr, asNumber: asNumber, initial: initial,
           forward: forward, compute: compute, value: value, fill: fill, isRight: isRight, diagnose: diagnose,
           said: said };
};
