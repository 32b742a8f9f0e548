"""The chainrule command line: differentiate an expression and explain every chain-rule step.

    chainrule "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432

prints the forward value, the gradient of the output with respect to every input, and the
numbered chain-rule steps. ``python -m autograd ...`` does the same.
"""

import argparse
import keyword
import math
import os
import sys
import unicodedata
from pathlib import Path

import autograd
from autograd.expression import FUNCTIONS, ExpressionError, parse
from autograd.viz import fmt

PROG = "chainrule"
EXAMPLE = 'chainrule "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432'


class UsageError(Exception):
    """Anything wrong with what the user typed; main prints it as one line and returns 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        unknown = message.partition("unrecognized arguments: ")[2].split()
        if any(arg.startswith("-") and not arg.startswith("--") for arg in unknown):
            message += "; an expression that starts with '-' needs '--' before it: chainrule -- \"-x*y\" x=1 y=2"
        raise UsageError(f"{message} (see {PROG} --help)")


def build_parser():
    """The argparse parser for the chainrule command."""
    parser = _Parser(
        prog=PROG,
        description="Differentiate a scalar expression with reverse-mode autodiff and explain each chain-rule step.",
        epilog=(
            f"example:\n  {EXAMPLE}\n\n"
            "The expression may use numbers, variable names, + - * / **, unary minus, parentheses\n"
            f"and the functions {', '.join(FUNCTIONS)}. It is never run as Python."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expression", help="the expression, quoted, e.g. \"x*y + sin(x)\"")
    parser.add_argument("values", nargs="*", metavar="NAME=NUMBER", help="a value for every variable, e.g. x=2")
    parser.add_argument("--svg", metavar="FILE", help="render the graph to an SVG file (needs Graphviz)")
    parser.add_argument("--png", metavar="FILE", help="render the graph to a PNG file (needs Graphviz)")
    parser.add_argument("--dot", metavar="FILE", help="write the graph as Graphviz DOT source (needs nothing)")
    parser.add_argument("--html", metavar="FILE", help="write the interactive walkthrough page")
    parser.add_argument("--steps", action="store_true", help="step through backward: Enter shows the next step")
    parser.add_argument(
        "--quiz", action="store_true", help="quiz yourself: type each gradient before it is shown (and a quiz page with --html)"
    )
    parser.add_argument(
        "--max-nodes", type=int, default=autograd.viz.MAX_NODES, metavar="N",
        help=f"draw --svg/--png/--html only for graphs of at most N nodes (default {autograd.viz.MAX_NODES}; 0: any size)",
    )
    return parser


def parse_values(items):
    """Turn ["x=2", "y=-1.5"] into {"x": 2.0, "y": -1.5}; raises UsageError with the reason."""
    values = {}
    for item in items:
        name, equals, text = item.partition("=")
        name, text = unicodedata.normalize("NFKC", name.strip()), text.strip()  # as Python reads names
        if not equals:
            raise UsageError(f"expected NAME=NUMBER, got {item!r} (for example x=2)")
        if not name.isidentifier() or keyword.iskeyword(name):
            raise UsageError(f"{name!r} in {item!r} is not a valid variable name (use letters, digits and _)")
        if name in values:
            raise UsageError(f"{name} is given twice ({name}={fmt(values[name])} and {item})")
        try:
            number = float(text)
        except ValueError:
            raise UsageError(f"{item}: {text!r} is not a number (write it like 2, -0.5 or 1e-3)") from None
        if not math.isfinite(number):
            raise UsageError(f"{item}: the value must be a finite number")
        values[name] = number
    return values


def main(argv=None):
    """Run the command; returns the exit code (0 success, 2 for any user error)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    except UsageError as error:
        return _fail(error)
    try:
        return _run(args)
    except ExpressionError as error:
        return _fail(error, error.pointer)
    except (UsageError, ValueError, ZeroDivisionError, OverflowError) as error:
        return _fail(error)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `chainrule ... | head`: the reader left, nothing more to say
        sys.stdout = open(os.devnull, "w")
        return 0


def _run(args):
    outputs = _output_paths(args)
    expression = parse(args.expression)
    values = parse_values(args.values)
    try:
        root, leaves = expression.build(values)
    except ValueError as error:
        if str(error).startswith("no value given"):
            raise UsageError(f"{error} (give every variable as NAME=NUMBER)") from None
        raise
    if root.op:
        root.label = "out"
    inputs = list(leaves.values())
    _check_drawable(root, outputs, args.max_nodes)
    grads = autograd.grad(root, inputs)

    print(f"{root.label} = {expression.text} = {fmt(root.data)}" if root.op else f"{expression.text} = {fmt(root.data)}")
    if args.steps:
        _step_through(root)
    elif args.quiz:
        _quiz(root, set(inputs))
    if inputs:
        print(f"\ngradients (d out / d input):")
        width = max(len(name) for name in leaves)
        for (name, leaf), g in zip(leaves.items(), grads):
            print(f"  {name:<{width}}  {fmt(g)}")
    if not args.steps and not args.quiz:
        print()
        print(autograd.explanation(root))
    _set_grads(root)
    _write_outputs(root, outputs, args.quiz)
    return 0


def _set_grads(root):
    """Fresh .grad on every node from one backward pass (the outputs draw them)."""
    for node in autograd.topological_order(root):
        node.grad = 0.0
    root.backward()


def _step_through(root):
    """Print one backward step per line of input (Enter); at end of input, the rest at once."""
    interactive = sys.stdin is not None and sys.stdin.isatty()
    print("\nbackward, one step at a time (Enter: next step):")
    waiting = True
    for step in autograd.backward_steps(root):
        if waiting:
            if interactive:
                print("  [Enter] ", end="", flush=True)
            if not _read_line():
                waiting = False
        lines = step.lines()
        print(f"{step.number:>3}. {lines[0]}")
        for line in lines[1:]:
            print(f"     {line}")


def _quiz(root, inputs):
    """Ask for d out / d node for each node, root to leaves; says right or wrong, then the score."""
    order = [node for node in autograd.topological_order(root) if node.parents or node in inputs]
    _set_grads(root)
    print("\nquiz: type d out / d NODE for each node (Enter on its own to see the answer).")
    print("  hint: a node's gradient is the sum, over the nodes that use it, of local derivative * their gradient.")
    asked = right = 0
    answers = True
    for number, node in enumerate(reversed(order[:-1]), start=1):
        name = _name(node)
        users = [
            f"{_name(user)} (local {fmt(local)}, grad {fmt(user.grad)})"
            for user in reversed(order)
            for parent, local in zip(user.parents, user.local_grads)
            if parent is node
        ]
        print(f"\n{number}. {name} = {fmt(node.data)} is used by {', '.join(users)}")
        print(f"   d out / d {name} = ? ", end="", flush=True)
        line = _read_line() if answers else ""
        if not line:
            answers = False
            print()
        guess = line.strip()
        asked += 1
        try:
            correct = math.isclose(float(guess), node.grad, rel_tol=1e-3, abs_tol=1e-3)
        except ValueError:
            correct = False
        if line and not sys.stdin.isatty():  # (a line was read, so stdin is open)
            print(guess)  # echo a piped answer, so the transcript reads as typed
        right += correct
        print(f"   {'right' if correct else 'the answer is'}: {fmt(node.grad)}")
    print(f"\nscore: {right} of {asked}")


def _check_drawable(root, outputs, max_nodes):
    """Refuse, before any output, a picture Graphviz could take minutes to lay out."""
    size = len(autograd.topological_order(root))
    if max_nodes > 0 and size > max_nodes and outputs.keys() & {"svg", "png", "html"}:
        raise UsageError(f"the graph has {size} nodes, more than --max-nodes {max_nodes}: drawing it could take "
                         "Graphviz minutes; pass --max-nodes 0 to draw it anyway, or use --dot")


def _output_paths(args):
    """{option: Path} for the files asked for, checked before any work is done."""
    suffixes = {"svg": ".svg", "png": ".png", "dot": ".dot", "html": ".html"}
    return {
        option: _with_suffix(getattr(args, option), suffix, option)
        for option, suffix in suffixes.items()
        if getattr(args, option)
    }


def _write_outputs(root, outputs, quiz):
    for option in ("svg", "png"):
        if option in outputs:
            path = outputs[option]
            try:
                written = autograd.render(root, path, show_contributions=True, max_nodes=None)
            except (RuntimeError, OSError) as error:
                raise UsageError(f"could not render {path}: {_one_line(error)}") from None
            except Exception as error:  # graphviz reports a failed `dot` run as CalledProcessError
                raise UsageError(f"could not render {path}: {type(error).__name__}: {_one_line(error)}") from None
            print(f"wrote {written}")
    if "dot" in outputs:
        _write_text(outputs["dot"], autograd.to_dot(root, show_contributions=True, max_nodes=None))
        print(f"wrote {outputs['dot']}")
    if "html" in outputs:
        path = outputs["html"]
        for node in autograd.topological_order(root):  # the page runs backward itself
            node.grad = 0.0
        try:
            written = autograd.walkthrough(root, path, quiz="grad" if quiz else None, max_nodes=None)
        except OSError as error:
            raise UsageError(f"could not write {path}: {_one_line(error)}") from None
        print(f"wrote {written}")


def _with_suffix(target, suffix, option):
    path = Path(target)
    if path.is_dir():
        raise UsageError(f"--{option} needs a file name, and {target!r} is a folder")
    if not path.suffix:
        return path.with_suffix(suffix)
    if path.suffix.lower() != suffix:
        raise UsageError(f"--{option} needs a file name ending in {suffix}, got {target!r}")
    return path


def _write_text(path, text):
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"could not write {path}: {_one_line(error)}") from None


def _read_line():
    """One line of input, or "" at its end (also when there is no stdin at all)."""
    return sys.stdin.readline() if sys.stdin is not None else ""


def _name(node):
    return node.label or node.op or f"{node.data:g}"


def _one_line(error):
    return " ".join(str(error).split())


def _fail(error, pointer=""):
    print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
    if pointer:
        print(pointer, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
