"""Two pages that play backpropagation node by node: the sigmoid neuron and the 2-2-2 network.

    python examples/step_pages.py --out out

``sigmoid_neuron_steps.html``: the course's neuron (docs/course-numbers.md §1) op by op; step to
x0's gradient to see ``∂f/∂x0 = w0 · ∂f/∂(w0·x0) = 2.00 × 0.20 = 0.39``.
``network_222_steps.html``: the notes' 2-2-2 network (docs/course-numbers.md §2) built with
``nn.scalar.MLP``, up to the error E_total; its layers (hidden, output, loss) can be
folded to step over them. Open either file in a browser; nothing is fetched. Append
``#step=end`` to the address for the finished backward pass.
"""

from __future__ import annotations

from typing import Any

from _common import out_dir, parser, report

import nn
from autodiff import Value
from autodiff.viz import step_page

NEURON = [("w0", 2.0), ("x0", -1.0), ("w1", -3.0), ("x1", -2.0), ("w2", -3.0)]

# The notes' names of the network's parameters and where nn.scalar.MLP keeps them.
WEIGHTS = {
    "w1": ("layers.0.neurons.0.w.0", 0.15),
    "w2": ("layers.0.neurons.0.w.1", 0.20),
    "w3": ("layers.0.neurons.1.w.0", 0.25),
    "w4": ("layers.0.neurons.1.w.1", 0.30),
    "b1": ("layers.0.b", 0.35),
    "w5": ("layers.1.neurons.0.w.0", 0.40),
    "w6": ("layers.1.neurons.0.w.1", 0.45),
    "w7": ("layers.1.neurons.1.w.0", 0.50),
    "w8": ("layers.1.neurons.1.w.1", 0.55),
    "b2": ("layers.1.b", 0.60),
}
INPUTS = (0.05, 0.10)
TARGETS = (0.01, 0.99)
# Layers for folding, by label; unlabelled nodes join their operands' latest layer.
LAYER = {
    name: "1 hidden" for name in ("w1", "w2", "w3", "w4", "b1", "z_h1", "z_h2", "a_h1", "a_h2")
}
LAYER |= {
    name: "2 output" for name in ("w5", "w6", "w7", "w8", "b2", "z_o1", "z_o2", "a_o1", "a_o2")
}
LAYER |= {name: "3 loss" for name in ("E_o1", "E_o2", "E_total")}


def neuron() -> Value:
    """f = 1/(1 + exp(-(w0·x0 + w1·x1 + w2))), the sigmoid spelled out op by op."""
    w0, x0, w1, x1, w2 = (Value(v, label=name) for name, v in NEURON)
    n = w0 * x0 + w1 * x1 + w2
    n.label = "n"
    f = 1 / (1 + (-n).exp())
    f.label = "f"
    return f


def network() -> Value:
    """E_total of the notes' 2-2-2 network at its starting weights (0.298371109)."""
    net = nn.scalar.MLP([2, 2, 2], activation="sigmoid", out_activation="sigmoid", shared_bias=True)
    net.load_state_dict({key: value for key, value in WEIGHTS.values()})
    found = dict(net.named_parameters())
    for name, (key, _) in WEIGHTS.items():
        found[key].label = name  # the page then speaks the notes' language
    hidden = net.layers[0](list(INPUTS))
    out = net.layers[1](hidden)
    for node, name in zip([*hidden, *out], ["h1", "h2", "o1", "o2"], strict=True):
        node.label = "a_" + name
        node.parents[0].label = "z_" + name  # the sigmoid's input: the unit's net input
    errors = [0.5 * (t - o) ** 2 for t, o in zip(TARGETS, out, strict=True)]
    errors[0].label, errors[1].label = "E_o1", "E_o2"
    total = errors[0] + errors[1]
    total.label = "E_total"
    return total


def layer(node: Any) -> str | None:
    """The folding layer of a node of :func:`network`'s graph, by its label."""
    return LAYER.get(getattr(node, "label", ""))


def main() -> None:
    args = parser(__doc__).parse_args()
    folder = out_dir(args.out)
    f = neuron()
    first = step_page(f, folder / "sigmoid_neuron_steps.html", precision=2)
    print(f"sigmoid neuron: f = {f.data:.2f}, {len(first.steps)} steps")
    e = network()
    second = step_page(e, folder / "network_222_steps.html", precision=4, layers=layer)
    print(f"2-2-2 network: E_total = {e.data:.9f}, {len(second.steps)} steps")
    report([folder / "sigmoid_neuron_steps.html", folder / "network_222_steps.html"])


if __name__ == "__main__":
    main()
