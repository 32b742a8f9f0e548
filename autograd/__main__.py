"""The chainrule command line: differentiate a program and explain every chain-rule step.

    chainrule "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432
    chainrule "z = w*x + b; a = sigmoid(z); L = 0.5*(a - y)**2" w=0.6 x=1.5 b=-0.2 y=1 --lr 0.1 --data x,y

prints the forward value, the gradient of the output with respect to every input, and the
numbered chain-rule steps; with --lr, one step of gradient descent. ``python -m autograd ...``
does the same. Exit codes: 0 done, 2 anything wrong with what was typed (one line on stderr),
1 standard output could not be written (e.g. a full disk; requested files are still written).
"""

import argparse
import codecs
import keyword
import math
import os
import stat
import sys
import unicodedata
from pathlib import Path

import autograd
import autograd.latex
import autograd.text
import autograd.viz
from autograd.diagnose import feedback, is_right, parse_answer, questions
from autograd.files import write_atomic
from autograd.expression import FUNCTIONS, MAX_LENGTH, ExpressionError, parse
from autograd.text import fmt, names, visible
from autograd.timeline import update_table

PROG = "chainrule"
EXAMPLE = 'chainrule "tanh(x1*w1 + x2*w2 + b)" x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432'
PROGRAM_EXAMPLE = 'chainrule "z = w*x + b; a = sigmoid(z); L = 0.5*(a - y)**2" w=0.6 x=1.5 b=-0.2 y=1 --lr 0.1 --data x,y'
MAX_DIGITS = 17  # enough for every float to print exactly

# What a terminal that cannot show a character gets instead ("∂L/∂w" becomes "dL/dw").
_FALLBACK = {"∂": "d", "×": "*", "·": "*", "…": "...", "–": "-", "—": "-", "−": "-", "├": "|", "└": "`",
             "─": "-", "│": "|", "→": "->", "←": "<-", "≤": "<=", "≥": ">=", "²": "^2", "√": "sqrt", "σ": "s"}


def _fallback(error):
    """A codecs error handler: a plain stand-in for each character the terminal's encoding lacks."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    replacement = ""
    for char in error.object[error.start : error.end]:
        text = _FALLBACK.get(char, "?")
        try:
            text.encode(error.encoding)
        except (UnicodeEncodeError, LookupError):
            text = "?"
        replacement += text
    return replacement, error.end


codecs.register_error("chainrule.fallback", _fallback)


class UsageError(Exception):
    """Anything wrong with what the user typed; main prints it (one line, then any details) and returns 2."""

    def __init__(self, message, details=""):
        super().__init__(message)
        self.details = details


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        unknown = message.partition("unrecognized arguments: ")[2].split()
        if any(arg.startswith("-") and not arg.startswith("--") for arg in unknown):
            message += "; an expression that starts with '-' needs '--' before it: chainrule -- \"-x*y\" x=1 y=2"
        raise UsageError(f"{message} (see {PROG} --help)")


def _whole_number(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _max_nodes(text):
    number = _whole_number(text)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{number} is negative; give 0 (no limit) or a number of nodes")
    return number


def _digits(text):
    number = _whole_number(text)
    if not 1 <= number <= MAX_DIGITS:
        raise argparse.ArgumentTypeError(f"{number} is out of range; give 1 to {MAX_DIGITS} significant digits")
    return number


def _rate(text):
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (write it like 0.1 or 1e-3)") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"{text!r}: the learning rate must be a finite number")
    return number


def build_parser():
    """The argparse parser for the chainrule command."""
    parser = _Parser(
        prog=PROG,
        description="Differentiate a scalar expression with reverse-mode autodiff and explain each chain-rule step.",
        epilog=(
            f"examples:\n  {EXAMPLE}\n  {PROGRAM_EXAMPLE}\n\n"
            "The expression may use numbers, variable names, + - * / **, unary minus, parentheses\n"
            f"and the functions {', '.join(FUNCTIONS)}\n"
            "(math.exp(x) and the like are read too). It is never run as Python.\n"
            "It may be a program: statements name = expression, separated by ; or newlines, the last\n"
            "one the output; each name labels its node, and a name used twice is one node. A # starts\n"
            "a comment (to the end of the line), which is never echoed. NAME=NUMBER may also replace\n"
            "a number the program names (w5 = 0.40 in a --file: w5=0.5)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expression", nargs="?", help="the expression or program, quoted, e.g. \"x*y + sin(x)\"")
    parser.add_argument("values", nargs="*", metavar="NAME=NUMBER", help="a value for every variable, e.g. x=2")
    parser.add_argument("--file", metavar="PATH", help="read the program from a file (# comments allowed) "
                        "instead of the expression argument")
    parser.add_argument("--lr", type=_rate, metavar="RATE", help="after the gradients, print one step of gradient "
                        "descent: new = old - RATE × gradient, for every leaf not in --data")
    parser.add_argument("--data", metavar="NAME,...", help="leaves that are data (inputs, targets): they get a "
                        "gradient but no update row (needs --lr)")
    parser.add_argument("--digits", type=_digits, metavar="N", help="significant digits of every number printed "
                        f"(default {autograd.text.DIGITS}; at most {MAX_DIGITS})")
    parser.add_argument("--svg", metavar="FILE", help="render the graph to an SVG file (needs Graphviz)")
    parser.add_argument("--png", metavar="FILE", help="render the graph to a PNG file (needs Graphviz)")
    parser.add_argument("--dot", metavar="FILE", help="write the graph as Graphviz DOT source (needs nothing)")
    parser.add_argument("--html", metavar="FILE", help="write the interactive walkthrough page")
    parser.add_argument("--latex", metavar="FILE", help="write the derivation as a LaTeX document (FILE.tex), "
                        "or as a PDF (FILE.pdf, needs pdflatex)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--steps", action="store_true",
                      help="step through backward: Enter shows the next step, q (or end of input) stops")
    mode.add_argument(
        "--quiz", action="store_true", help="quiz yourself: type each gradient (a number or a fraction like 1/2); "
        "a wrong answer gets a hint and one retry; a quiz page with --html. Not with --steps."
    )
    parser.add_argument(
        "--max-nodes", type=_max_nodes, default=autograd.viz.MAX_NODES, metavar="N",
        help=f"draw --svg/--png/--html only for graphs of at most N nodes (default {autograd.viz.MAX_NODES}; 0: no limit)",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {autograd.__version__}")
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


class _Output:
    """Standard output that never stops the job: a closed pipe or a full disk is noted, not raised.

    Each write is flushed at once, so a failure shows up here and not at exit; after one, the
    rest goes nowhere (requested files are still written) and main reports it at the end.
    """

    def __init__(self, stream):
        self.stream = stream if stream is not None else open(os.devnull, "w")  # (stdout closed: `>&-`)
        self.error = None

    def write(self, text):
        if self.error is None:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError) as error:  # ValueError: the stream was closed
                self.error = error
                self._silence()
        return len(text)

    def flush(self):
        if self.error is None:
            try:
                self.stream.flush()
            except (OSError, ValueError) as error:
                self.error = error
                self._silence()

    def isatty(self):
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError, OSError):
            return False

    def _silence(self):
        """Point the broken file descriptor at /dev/null, so Python's own flush at exit stays quiet."""
        try:
            fd = self.stream.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        except (AttributeError, ValueError, OSError):
            pass


def _use_fallbacks(stream):
    """On a terminal that is not UTF-8 (ascii, latin-1, ...), print stand-ins instead of failing."""
    encoding = getattr(stream, "encoding", None)
    if not encoding or not hasattr(stream, "reconfigure"):
        return
    try:
        "∂×…─├".encode(encoding)
    except UnicodeEncodeError:
        stream.reconfigure(errors="chainrule.fallback")
    except LookupError:
        pass


def main(argv=None):
    """Run the command; returns the exit code (0 done, 2 a user error, 1 stdout could not be written)."""
    for stream in (sys.stdout, sys.stderr):
        _use_fallbacks(stream)
    saved = sys.stdout
    output = sys.stdout = _Output(saved)
    try:
        code = _main(argv)
    finally:
        sys.stdout = saved
    if output.error is not None and not isinstance(output.error, BrokenPipeError):
        # (a reader that left, as `| head` does, is not an error: nothing more was wanted)
        print(f"{PROG}: error: could not write the output: {_one_line(output.error)}", file=sys.stderr)
        return code or 1
    return code


def _main(argv):
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as done:  # --help, --version
        return done.code if isinstance(done.code, int) else 0
    except UsageError as error:
        return _fail(error)
    digits = autograd.text.DIGITS
    try:
        if args.digits:
            autograd.text.DIGITS = args.digits
        return _run(args)
    except ExpressionError as error:
        return _fail(error, error.pointer)
    except UsageError as error:
        return _fail(error, error.details)
    except (ValueError, ArithmeticError) as error:  # the engine's domain errors, e.g. log of a negative number
        return _fail(error)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    finally:
        autograd.text.DIGITS = digits


def _run(args):
    text, value_args = _program_text(args)
    outputs = _output_paths(args)
    expression = parse(text)
    values = parse_values(value_args)
    try:
        root, leaves, named = expression.build_named(values)
    except ValueError as error:
        if str(error).startswith("no value given"):
            raise UsageError(f"{error} (give every variable as NAME=NUMBER)") from None
        raise
    data = _data_names(args, leaves)
    _check_finite(root)
    _check_drawable(root, outputs, args.max_nodes)
    _make_folders(outputs)  # (the last check: a folder that cannot be made stops the run before any output)
    inputs = list(leaves.values())
    grads = autograd.grad(root, inputs) if inputs else []
    out = names([root])[root]
    _notes(expression, root, named, out)
    _echo(expression, root, named, values, out)
    if args.steps:
        _step_through(root)
    elif args.quiz:
        _quiz(root, out)
    if inputs:
        print("\ngradients:")
        rows = [(f"∂{out}/∂{name}", fmt(g)) for name, g in zip(leaves, grads)]
        width = max(len(row[0]) for row in rows)
        for derivative, number in rows:
            print(f"  {derivative:<{width}} = {number}")
    table = _update_table(args.lr, leaves, grads, data, out) if args.lr is not None else None
    if table:
        print(f"\n{table[0]}")
        for line in table[1]:
            print(f"  {line}")
    if not args.steps and not args.quiz:
        print()
        print(autograd.explanation(root, gradients=False))  # (the gradients are printed above)
    _set_grads(root)
    used = set(autograd.topological_order(root))  # (a leaf only an unused statement reads is in no picture)
    descent = {"lr": args.lr, "parameters": [leaf for name, leaf in leaves.items() if name not in data and leaf in used],
               "data": [leaf for name, leaf in leaves.items() if name in data and leaf in used]} if args.lr is not None else {}
    _write_outputs(root, outputs, args.quiz, descent)
    return 0


def _notes(expression, root, named, out):
    """On stderr: each name Python spells otherwise (ℌ is H), and each statement the output does not use."""
    for typed, name in expression.respelled.items():
        print(f"{PROG}: note: Python reads the name {typed} as {name}, so it is written {name}", file=sys.stderr)
    in_graph = set(autograd.topological_order(root))
    for number, statement in enumerate(expression.statements, 1):
        if statement.name and named[statement.name] not in in_graph:
            where = f"statement {number}, line {statement.line}" if statement.line > 1 else f"statement {number}"
            zero = f" (so ∂{out}/∂{statement.name} = 0)" if statement.constant else ""
            print(f"{PROG}: warning: {statement.name} = {statement.text} ({where}) is not used to compute {out}"
                  f"{zero}: the steps and the pictures leave it out", file=sys.stderr)


def _echo(expression, root, named, values, out):
    """Print each statement with its value: ``z = w*x + b = 0.7``; a number as ``w = 0.6``."""
    statements = expression.statements
    if len(statements) == 1 and not (statements[0].constant and statements[0].name in values):
        shown = statements[0].text
        plain = shown == out or parse_answer(shown) == root.data  # "x", or "w = 0.6": no formula to show
        print(f"{out} = {fmt(root.data)}" if plain else f"{out} = {shown} = {fmt(root.data)}")
        return
    for statement in statements:
        if not statement.name and statement.text in named:  # "a = x*2; a": a is shown already
            continue
        node = named.get(statement.name, root)
        if node.op:
            print(f"{statement.name or out} = {statement.text} = {fmt(node.data)}")
        elif statement.constant and statement.name in values:  # w5=0.5 on the command line
            print(f"{statement.name} = {fmt(node.data)}  (given on the command line; the program says "
                  f"{statement.name} = {statement.text})")
        else:  # a number: a leaf with that value
            print(f"{statement.name or out} = {fmt(node.data)}")


def _program_text(args):
    """(program text, NAME=NUMBER arguments): from the expression argument, or from --file."""
    values = list(args.values)
    if args.file is None:
        if args.expression is None:
            raise UsageError(f"the following arguments are required: expression (see {PROG} --help)")
        return args.expression, values
    if args.expression is not None:  # with --file every positional argument is a value
        if "=" not in args.expression or not args.expression.partition("=")[0].strip().isidentifier():
            raise UsageError(f"--file {args.file} gives the program, so {args.expression!r} should be NAME=NUMBER")
        values.insert(0, args.expression)
    path = Path(args.file)
    if path.is_dir():
        raise UsageError(f"--file needs a file, and {args.file!r} is a folder")
    try:
        with open(path, encoding="utf-8-sig") as file:  # (a byte-order mark, as Notepad writes, is not text)
            text = file.read(MAX_LENGTH + 1)
    except UnicodeDecodeError as error:
        raise UsageError(f"could not read {args.file}: it is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise UsageError(f"could not read {args.file}: {error.strerror or _one_line(error)}") from None
    return text, values


def _data_names(args, leaves):
    """The leaves --data names, checked: each must be a leaf of the program."""
    if args.data is None:
        return set()
    if args.lr is None:
        raise UsageError("--data marks the leaves --lr does not update; give --lr RATE too")
    data = [name.strip() for name in args.data.split(",")]
    for name in data:
        if name not in leaves:
            known = ", ".join(leaves) or "none"
            raise UsageError(f"--data: {name!r} is not a leaf of the program (its leaves are {known})")
    return set(data)


def _update_table(lr, leaves, grads, data, out):
    """(heading, lines) of one step of gradient descent: ``w  0.6 - 0.1 × -0.110351 = 0.611035``."""
    rows = [(name, leaf.data, g, leaf.data - lr * g) for (name, leaf), g in zip(leaves.items(), grads) if name not in data]
    return update_table(lr, rows, [name for name in leaves if name in data], out)


def _check_finite(root):
    """A value too large for a float is an error naming the op (as the engine does for ** and exp)."""
    order = autograd.topological_order(root)
    name = names(order)
    for node in order:
        if not math.isfinite(node.data):
            operands = ", ".join(f"{name[p]} = {fmt(p.data)}" for p in node.parents)
            raise UsageError(f"{name[node]}: {node.op} of {operands} gives {node.data}, too large for a float; "
                             "use smaller values")


def _set_grads(root):
    """Fresh .grad on every node from one backward pass (the outputs draw them)."""
    for node in autograd.topological_order(root):
        node.grad = 0.0
    root.backward()


def _stop(line):
    return not line or line.strip().lower() in ("q", "quit")


def _step_through(root):
    """Print one backward step per line of input (Enter); q or the end of input stops."""
    interactive = sys.stdin is not None and sys.stdin.isatty()
    total = sum(1 for node in autograd.topological_order(root) if node.parents)
    print("\nbackward, one step at a time (Enter: next step, q: stop):")
    shown = 0
    for step in autograd.backward_steps(root):
        if interactive:
            print("  [Enter] ", end="", flush=True)
        line = _read_line()
        if _stop(line):
            if interactive and not line:
                print()  # Ctrl-D left the cursor after the prompt
            print(f"(stopped after {shown} of {total} steps)")
            return
        lines = step.lines()
        print(f"{step.number:>3}. {lines[0]}")
        for line in lines[1:]:
            print(f"     {line}")
        shown += 1


def _quiz(root, out):
    """Ask for ∂out/∂node for each node, root to leaves; grade each answer, name the mistake behind a wrong
    one (autograd.diagnose) with the chain rule as a hint, offer one retry, then a score."""
    order = autograd.topological_order(root)
    name = names(order)
    _set_grads(root)
    asked = questions(root)
    print(f"\nquiz: type ∂{out}/∂NODE for each node: a number or a fraction like 1/2 "
          "(Enter: show the answer; q: stop).")
    right = answered = 0
    for number, node in enumerate(asked, start=1):
        users = [name[user] for user in order if any(parent is node for parent in user.parents)]
        heading = visible(node.label) if node.label else name[node]  # (no brackets needed before "=")
        print(f"\n{number}. {heading} = {fmt(node.data)} is used by {', '.join(dict.fromkeys(users))}")
        prompt = f"   ∂{out}/∂{name[node]} = ? "
        tries = 0
        while True:
            print(prompt, end="", flush=True)
            line = _read_line()
            if line and not (sys.stdin is not None and sys.stdin.isatty()):
                print(line.strip())  # echo a piped answer, so the transcript reads as typed
            if not line or line.strip().lower() in ("q", "quit"):  # end of input, or q: stop here
                print(f"{'' if line else chr(10)}(stopped after {answered} of {len(asked)} questions)")
                print(f"\nscore: {right} of {answered} right on the first try")
                return
            if not line.strip():
                print(f"   the answer is {fmt(node.grad)}")
                break
            guess = parse_answer(line)
            if guess is None:
                print(f"   {line.strip()!r} is not a number: type one like 0.5, -2 or 1/2")
                continue
            tries += 1
            if is_right(guess, node.grad):
                right += tries == 1
                print(f"   right: {fmt(node.grad)}")
                break
            if tries == 1:
                for reply in feedback(root, node, guess):
                    print(f"   {reply}")
                prompt = "   try again: ? "
                continue
            print(f"   not quite: the answer is {fmt(node.grad)}")
            for diagnosis in autograd.diagnose(root, node, guess):
                print(f"   ({fmt(guess)}: {diagnosis.said})")
            break
        answered += 1
    print(f"\nscore: {right} of {answered} right on the first try")


def _check_drawable(root, outputs, max_nodes):
    """Refuse, before any output, a picture Graphviz could take minutes to lay out."""
    size = len(autograd.topological_order(root))
    if max_nodes > 0 and size > max_nodes and outputs.keys() & {"svg", "png", "html"}:
        raise UsageError(f"the graph has {size} nodes, more than --max-nodes {max_nodes}: drawing it could take "
                         "Graphviz minutes; pass --max-nodes 0 to draw it anyway, or use --dot")


def _output_paths(args):
    """{option: Path} for the files asked for, every one checked before any work is done."""
    suffixes = {"svg": ".svg", "png": ".png", "dot": ".dot", "html": ".html", "latex": (".tex", ".pdf")}
    outputs = {}
    for option, suffix in suffixes.items():
        target = getattr(args, option)
        if target is None:
            continue
        path = _with_suffix(target, suffix, option)
        _check_writable(path, option)
        for other, seen in outputs.items():
            if os.path.abspath(seen) == os.path.abspath(path):
                raise UsageError(f"--{option} and --{other} both name {path}; give each its own file")
        outputs[option] = path
    return outputs


def _with_suffix(target, suffix, option):
    if not target.strip():
        raise UsageError(f"--{option} needs a file name, got an empty one")
    path = Path(target)
    if path.is_dir():
        raise UsageError(f"--{option} needs a file name, and {target!r} is a folder")
    allowed = suffix if isinstance(suffix, tuple) else (suffix,)
    if not path.suffix:
        return path.with_suffix(allowed[0])
    if path.suffix.lower() not in allowed:
        raise UsageError(f"--{option} needs a file name ending in {' or '.join(allowed)}, got {target!r}")
    return path


def _check_writable(path, option):
    """The file can be written: it is a regular file we may write, or its folder exists (or can be made)."""
    if path.exists() or path.is_symlink():
        try:
            mode = path.stat().st_mode
        except OSError as error:
            raise UsageError(f"--{option} {path}: {error.strerror}") from None
        if stat.S_ISDIR(mode):
            raise UsageError(f"--{option} needs a file name, and {str(path)!r} is a folder")
        if not stat.S_ISREG(mode):
            raise UsageError(f"--{option} {path} is not a regular file (a device, pipe or socket); name a file")
        if not os.access(path, os.W_OK):
            raise UsageError(f"--{option} {path} is read-only; make it writable or name another file")
    folder = path.parent
    while not folder.exists():
        if folder.is_symlink() or folder == folder.parent:
            break
        folder = folder.parent
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--{option} {path}: {folder} is a file, not a folder")
    if folder.exists() and not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--{option} {path}: the folder {folder} is not writable")


def _make_folders(outputs):
    """Make the missing folders of the files asked for; a UsageError when one cannot be made."""
    for path in outputs.values():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(f"could not create the folder {path.parent}: {error.strerror or _one_line(error)}") from None


def _write_outputs(root, outputs, quiz, descent):
    for option in ("svg", "png"):
        if option in outputs:
            path = outputs[option]
            try:
                written = autograd.render(root, path, show_contributions=True, max_nodes=None)
            except autograd.GraphvizNotFoundError as error:
                first, _, rest = str(error).partition("\n")
                raise UsageError(f"could not render {path}: {first}", rest.rstrip("\n")) from None
            except (RuntimeError, OSError) as error:
                raise UsageError(f"could not render {path}: {_one_line(error)}") from None
            except Exception as error:  # graphviz reports a failed `dot` run as CalledProcessError
                raise UsageError(f"could not render {path}: {type(error).__name__}: {_one_line(error)}") from None
            print(f"wrote {written}")
    if "dot" in outputs:
        _write_text(outputs["dot"], autograd.to_dot(root, show_contributions=True, max_nodes=None), "--dot")
        print(f"wrote {outputs['dot']}")
    if "latex" in outputs:
        path = outputs["latex"]
        text = autograd.to_latex(root, document=True, max_nodes=None)
        if path.suffix.lower() == ".pdf":
            try:
                text = autograd.latex.pdf(text, "--latex")
            except autograd.latex.LatexError as error:
                raise UsageError(f"could not write {path}: {_one_line(error)}") from None
        _write_text(path, text, "--latex")
        print(f"wrote {path}")
    if "html" in outputs:
        path = outputs["html"]
        for node in autograd.topological_order(root):  # the page runs backward itself
            node.grad = 0.0
        try:  # (with --lr the page's step of gradient descent updates what the table does, and it ends with the table)
            written = autograd.walkthrough(root, path, quiz="grad" if quiz else None, max_nodes=None, **descent)
        except OSError as error:
            raise UsageError(f"could not write {path}: {_one_line(error)}") from None
        except (ValueError, TypeError):
            raise
        except Exception as error:  # e.g. Graphviz's dot failed while laying out the page
            raise UsageError(f"could not write {path}: {type(error).__name__}: {_one_line(error)}") from None
        print(f"wrote {written}")


def _write_text(path, text, what):
    """Write a file the CLI makes itself, whole or not at all (autograd.files.write_atomic)."""
    try:
        write_atomic(path, text, what=what)
    except (OSError, ValueError) as error:
        raise UsageError(f"could not write {path}: {_one_line(error)}") from None


def _read_line():
    """One line of input, or "" at its end (also when there is no stdin at all)."""
    try:
        return sys.stdin.readline() if sys.stdin is not None else ""
    except (OSError, ValueError):
        return ""


def _one_line(error):
    return " ".join(str(error).split())


def _fail(error, details=""):
    print(f"{PROG}: error: {_one_line(error)}", file=sys.stderr)
    if details:
        print(details, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
