"""The course's sigmoid neuron, forward and backward, drawn with every value and gradient.

f(w, x) = 1 / (1 + exp(-(w0·x0 + w1·x1 + w2))) at w0 = 2, x0 = -1, w1 = -3, x1 = -2,
w2 = -3: drawn once with the sigmoid spelled out op by op (*, *, +, +, *-1, exp, +1,
1/x) and once as a single sigmoid op whose local derivative is σ(1 − σ). Both give the
slide's numbers: 0.73 at the output; w0 −0.20, x0 0.39, w1 −0.39, x1 −0.59, w2 0.20.

    python examples/sigmoid_graph.py --out out
"""

from __future__ import annotations

from pathlib import Path

from _common import out_dir, parser, report, save_graph

from autodiff import Value, draw_graph

INPUTS = [("w0", 2.0), ("x0", -1.0), ("w1", -3.0), ("x1", -2.0), ("w2", -3.0)]


def neuron(spelled_out: bool) -> tuple[Value, list[Value]]:
    """The neuron's output and its five leaves, with labels as on the slide."""
    w0, x0, w1, x1, w2 = leaves = [Value(v, label=name) for name, v in INPUTS]
    n = w0 * x0 + w1 * x1 + w2
    n.label = "n"
    out = 1 / (1 + (-n).exp()) if spelled_out else n.sigmoid()
    out.label = "f"
    out.backward()
    return out, leaves


def write(out: Value, path: Path) -> Path:
    """Render to SVG, or to DOT source (saying how to get Graphviz) without ``dot``."""
    return save_graph(draw_graph(out, precision=2), path)


def main() -> None:
    args = parser(__doc__).parse_args()
    folder = out_dir(args.out)
    wrote = []
    for spelled_out, name in ((True, "sigmoid_ops"), (False, "sigmoid_one_op")):
        out, leaves = neuron(spelled_out)
        how = "op by op" if spelled_out else "one sigmoid op"
        print(f"{how}: f = {out.data:.2f}")
        print("  " + ", ".join(f"df/d{v.label} = {v.grad:.2f}" for v in leaves))
        wrote.append(write(out, folder / f"{name}.svg"))
    report(wrote)


if __name__ == "__main__":
    main()
