// The functions the ops' code calls, under the names Python gives them (ops.CODE_HELPERS and
// ops.CHECK_HELPERS; a mistake's wrong derivative calls the same exp, log, ...): the live page runs
// the ops' own expressions, translated by autograd/javascript.py, and these are all they call.
// Arithmetic never throws here: where Python raises (a log of -1, an overflow), the op's checks,
// tested before a value is used, say so with the engine's words.
"use strict";
window.chainruleRuntime = (function () {
  function isfinite(x) { return Number.isFinite(x); }
  function pow(x, y) {  // Python's float ** (C's pow): 1 ** y and x ** 0 are 1, (-1) ** ±inf is 1
    if (x === 1 || y === 0) return 1;
    if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
    return Math.pow(x, y);
  }
  function leftToRight(xs, from, to) {  // xs[from] + xs[from + 1] + ... from 0.0, in order
    var total = 0.0;
    for (var i = from; i < to; i++) total += xs[i];
    return total;
  }
  return {
    exp: Math.exp, log: Math.log, log1p: Math.log1p, tanh: Math.tanh, sin: Math.sin, cos: Math.cos,
    sqrt: Math.sqrt, abs: Math.abs, pow: pow, isfinite: isfinite,
    isinf: function (x) { return x === Infinity || x === -Infinity; },
    finite: function () {
      for (var i = 0; i < arguments.length; i++) if (!Number.isFinite(arguments[i])) return false;
      return true;
    },
    is_integer: function (x) { return Number.isInteger(x); },
    power: pow,  // its errors are the op's checks
    power_base_grad: function (x, n) {  // d(x**n)/dx = n * x**(n-1); 0 for n = 0; at x = 0 and n < 1 inf
      if (n === 0) return 0.0;
      if (x === 0 && n <= 1) return n >= 1 ? 1.0 : Infinity;
      return n * pow(x, n - 1);
    },
    power_exponent_grad: function (x, y, out) {  // d(x**y)/dy = x**y * log(x); where it does not exist, nan
      if (x < 0) return NaN;
      if (x === 0) return y <= 0 ? NaN : 0.0;
      return out * Math.log(x);
    },
    sigmoid: function (x) {
      if (x >= 0) return 1.0 / (1.0 + Math.exp(-x));
      var e = Math.exp(x);
      return e / (1.0 + e);
    },
    maximum: function () {  // the first of the largest (Python's max); nan when any is nan
      var best = arguments[0];
      for (var i = 0; i < arguments.length; i++) {
        if (arguments[i] !== arguments[i]) return NaN;
        if (arguments[i] > best) best = arguments[i];
      }
      return best;
    },
    total: function () { return leftToRight(arguments, 0, arguments.length); },
    dot: function () {  // w_1*x_1 + ... + w_n*x_n from 0.0, for the 2n arguments w_1..w_n, x_1..x_n
      var n = arguments.length / 2, total = 0.0;
      for (var i = 0; i < n; i++) total += arguments[i] * arguments[n + i];
      return total;
    },
  };
})();
