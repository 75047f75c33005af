"""The notes' 2-2-2 network, trained by hand there and by the engine here.

The numbers are in docs/course-numbers.md §2.

    python examples/course_network.py [--out DIR] [--iterations N]

Inputs 0.05 and 0.10, targets 0.01 and 0.99, every unit a sigmoid, one bias shared
per layer (0.35 and 0.60), weights w1..w8 = 0.15 … 0.55, error E = Σ ½(target − out)²,
learning rate 0.5, only the eight weights trained. Built with ``nn.scalar.MLP`` on
Values, so every number of the notes is a node of the graph.

Prints the first forward pass, the gradients and the updated weights beside the
notes' numbers; then the error after the first step, which the notes give as
0.291027924 while true gradient descent gives 0.291027774 — and reproduces the notes'
figure with the engine to show where it comes from. Draws the graph with every value
and gradient of that first pass (``course_network.svg``; without Graphviz's ``dot``,
its DOT source ``course_network.gv``), then trains for ``--iterations`` steps printing the error at
checkpoints, and draws the error curve (``course_network_error.png``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import _common

import nn
from autodiff import Value
from autodiff.viz import draw_graph

INPUTS = (0.05, 0.10)
TARGETS = (0.01, 0.99)
LR = 0.5

# The network's parameters under the notes' names, and where nn.scalar.MLP keeps them.
NAMES = {
    "w1": "layers.0.neurons.0.w.0",
    "w2": "layers.0.neurons.0.w.1",
    "w3": "layers.0.neurons.1.w.0",
    "w4": "layers.0.neurons.1.w.1",
    "w5": "layers.1.neurons.0.w.0",
    "w6": "layers.1.neurons.0.w.1",
    "w7": "layers.1.neurons.1.w.0",
    "w8": "layers.1.neurons.1.w.1",
    "b1": "layers.0.b",
    "b2": "layers.1.b",
}
START = {
    "w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30,
    "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55,
    "b1": 0.35, "b2": 0.60,
}  # fmt: skip
WEIGHTS = [f"w{i}" for i in range(1, 9)]

# The notes' numbers, as printed there (each compared to as many decimals as it has).
NOTES = {
    "z_h1": "0.3775",
    "a_h1": "0.593269992",
    "a_h2": "0.596884378",
    "z_o1": "1.105905967",
    "a_o1": "0.751365069",
    "a_o2": "0.772928465",
    "E_o1": "0.274811083",
    "E_o2": "0.023560026",
    "E_total": "0.298371109",
    "∂E/∂w5": "0.082167041",
    "∂E/∂w1": "0.000438568",
    "w5⁺": "0.35891648",
    "w6⁺": "0.408666186",
    "w7⁺": "0.511301270",
    "w8⁺": "0.561370121",
    "w1⁺": "0.149780716",
    "w2⁺": "0.19956143",
    "w3⁺": "0.24975114",
    "w4⁺": "0.29950229",
    "E_total after one step": "0.291027924",
}


def build() -> tuple[nn.scalar.MLP, dict[str, Value]]:
    """The 2-2-2 network with the notes' weights; its parameters by the notes' names.

    >>> net, p = build()
    >>> p["w5"].data, p["b2"].data
    (0.4, 0.6)
    """
    net = nn.scalar.MLP([2, 2, 2], activation="sigmoid", out_activation="sigmoid", shared_bias=True)
    net.load_state_dict({NAMES[k]: v for k, v in START.items()})
    found = dict(net.named_parameters())
    params = {k: found[name] for k, name in NAMES.items()}
    for k, p in params.items():
        p.label = k  # the drawing then speaks the notes' language
    return net, params


def forward(net: nn.scalar.MLP) -> dict[str, Value]:
    """One forward pass, layer by layer, keeping the notes' intermediate quantities."""
    hidden = net.layers[0](list(INPUTS))
    out = net.layers[1](hidden)
    errors = [0.5 * (t - o) ** 2 for t, o in zip(TARGETS, out, strict=True)]
    nodes = {
        "z_h1": hidden[0].parents[0],  # the sigmoid's input: the net input of h1
        "a_h1": hidden[0],
        "a_h2": hidden[1],
        "z_o1": out[0].parents[0],
        "z_o2": out[1].parents[0],
        "a_o1": out[0],
        "a_o2": out[1],
        "E_o1": errors[0],
        "E_o2": errors[1],
        "E_total": errors[0] + errors[1],
    }
    for name, node in nodes.items():
        node.label = name
    return nodes


def error(net: nn.scalar.MLP) -> float:
    """E_total of ``net`` on the notes' example."""
    return forward(net)["E_total"].data


def notes_order_step(params: dict[str, Value], nodes: dict[str, Value]) -> dict[str, float]:
    """w1..w4 as the notes' code updated them: hidden deltas through the *updated* w5..w8.

    True gradient descent takes every gradient at the same point. The notes' code
    first moved w5..w8, then sent the output deltas δ_o = ∂E/∂z_o back through the moved
    weights. With the engine: hold δ_o fixed and backpropagate
    s = Σ_o δ_o · z_o(w⁺), the output layer's net input with the updated weights, to w1..w4.
    Call after ``nodes["E_total"].backward()`` and before any weight moves.
    """
    deltas = [nodes["z_o1"].grad, nodes["z_o2"].grad]
    moved = {k: params[k].data - LR * params[k].grad for k in ("w5", "w6", "w7", "w8")}
    rows = [("w5", "w6"), ("w7", "w8")]
    h1, h2 = nodes["a_h1"], nodes["a_h2"]
    s = sum(
        (d * (moved[a] * h1 + moved[b] * h2) for d, (a, b) in zip(deltas, rows, strict=True)),
        Value(0.0),
    )
    for k in ("w1", "w2", "w3", "w4"):
        params[k].grad = 0.0
    s.backward()
    return {k: params[k].data - LR * params[k].grad for k in ("w1", "w2", "w3", "w4")} | moved


def agree(value: float, printed: str) -> str:
    """A check mark when ``value`` matches the notes' ``printed`` number to its last digit
    (the notes round most numbers and cut a few: either is accepted), else the difference.

    >>> agree(0.7513650695, "0.751365069"), agree(0.75, "0.74")
    ('✓', 'differs by +1.0e-02')
    """
    unit = 10.0 ** -len(printed.split(".")[1])
    if abs(value - float(printed)) < unit:
        return "✓"
    return f"differs by {value - float(printed):+.1e}"


def error_with(weights: dict[str, float]) -> float:
    """E_total of the notes' network with some of its weights replaced."""
    net, params = build()
    for k, v in weights.items():
        params[k].data = v
    return error(net)


def train(iterations: int) -> list[float]:
    """Gradient descent on the eight weights from the notes' start (biases fixed).

    Returns E_total after 0, 1, …, ``iterations`` updates.

    >>> [round(e, 9) for e in train(1)]
    [0.298371109, 0.291027774]
    """
    net, params = build()
    optimizer = nn.optim.SGD([params[k] for k in WEIGHTS], lr=LR)
    curve = []
    for _ in range(iterations):
        e = forward(net)["E_total"]
        curve.append(e.data)  # the error before this update
        optimizer.zero_grad()
        e.backward()
        optimizer.step()
    curve.append(error(net))
    return curve


def main(argv: Sequence[str] | None = None) -> int:
    """First step beside the notes, the graph, then training with checkpoints."""
    p = _common.parser(__doc__)
    p.add_argument("--iterations", type=int, default=10_000, help="training steps (10000)")
    args = p.parse_args(argv)
    out = _common.out_dir(args.out)
    wrote: list[Path] = []

    net, params = build()
    nodes = forward(net)
    nodes["E_total"].backward()
    ours = {k: nodes[k].data for k in NOTES if k in nodes}
    ours["∂E/∂w5"] = params["w5"].grad
    ours["∂E/∂w1"] = params["w1"].grad
    for k in WEIGHTS:
        ours[f"{k}⁺"] = params[k].data - LR * params[k].grad

    print("The notes' 2-2-2 network (docs/course-numbers.md §2), first forward and backward pass:")
    print(f"{'quantity':<24}{'engine':>16}{'notes':>14}")
    for k, printed in NOTES.items():
        if k in ours:
            print(f"{k:<24}{ours[k]:>16.9f}{printed:>14}  {agree(ours[k], printed)}")

    # The graph now carries this first pass: every value and every gradient.
    graph = draw_graph(nodes["E_total"], precision=4)
    wrote.append(_common.save_graph(graph, out / "course_network.svg"))

    # The notes' order, from the same graph (it overwrites w1..w4's .grad, read above).
    notes_weights = notes_order_step(params, nodes)
    true_error = error_with({k: ours[f"{k}⁺"] for k in WEIGHTS})
    notes_error = error_with(notes_weights)

    print("\nE_total after the first update:")
    print(f"  true gradient descent (engine)                 {true_error:.9f}")
    print(f"  notes                                          {NOTES['E_total after one step']}")
    print(f"  engine, hidden deltas through updated w5..w8   {notes_error:.9f}")
    why = (
        "The notes' hand derivation uses the original w5..w8, so its gradients and new",
        "weights match the engine's (above). The E_total it prints came from code that",
        "moved w5..w8 first and then sent the hidden-layer deltas back through the moved",
        f"weights (w1⁺ = {notes_weights['w1']:.9f} instead of {ours['w1⁺']:.9f}).",
        "Gradient descent takes every gradient at the same point, before any weight",
        f"moves: {true_error:.9f}, lower by {notes_error - true_error:.1e}.",
    )
    print("\n".join("  " + line for line in why))

    print(f"\ntraining from the notes' weights, {args.iterations} updates (η = {LR}):")
    curve = train(args.iterations)
    for step in sorted({1, 10, 100, 1000, 10_000, args.iterations}):
        if step <= args.iterations:
            print(
                f"  after {step:>6} update{'s' if step > 1 else ' '}  E_total = {curve[step]:.10f}"
            )

    plt = _common.pyplot()
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6.5, 4))
        ax.plot(range(len(curve)), curve, color="#2166ac")
        ax.set_xscale("symlog", linthresh=1)
        ax.set_yscale("log")
        ax.set_xlabel("update")
        ax.set_ylabel("E_total")
        ax.set_title("the notes' 2-2-2 network, gradient descent, η = 0.5")
        ax.grid(alpha=0.3, which="both")
        fig.tight_layout()
        wrote.append(_common.save(plt, fig, out / "course_network_error.png"))
    _common.report(wrote)
    return 0


if __name__ == "__main__":
    sys.exit(main())
