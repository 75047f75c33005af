"""docs/course-numbers.md §3: the four backpropagation equations, against the engine on Tensors.

The course's ``Network(sizes)``: sigmoid layers ``a^l = σ(W^l a^{l-1} + b^l)`` on column
vectors, ``W^l`` of shape (n_l, n_{l-1}), ``b^l`` of shape (n_l, 1), and the quadratic
cost ``C = ½‖a^L − y‖²``. The engine differentiates the forward pass written with
Tensors; the test writes BP1–BP4 out in numpy, as the notes derive them, and the two
sets of gradients must agree to rounding.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff import Tensor


class Network:
    """The notes' network: a list of layer sizes, Gaussian weights and biases."""

    def __init__(self, sizes: list[int], seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.sizes = sizes
        self.biases = [Tensor(rng.standard_normal((n, 1)), requires_grad=True) for n in sizes[1:]]
        self.weights = [
            Tensor(rng.standard_normal((n, m)), requires_grad=True)
            for m, n in itertools.pairwise(sizes)
        ]

    def feedforward(self, a: Tensor) -> Tensor:
        for w, b in zip(self.weights, self.biases, strict=True):
            a = (w @ a + b).sigmoid()
        return a

    def cost(self, x: np.ndarray, y: np.ndarray) -> Tensor:
        """C = ½‖a^L − y‖², summed over the columns of a batch."""
        return 0.5 * ((self.feedforward(Tensor(x)) - y) ** 2).sum()


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


def backprop(weights, biases, x, y):
    """∂C/∂b^l and ∂C/∂W^l for every layer, by BP1–BP4 (x, y: one column per example)."""
    activation, activations, zs = x, [x], []
    for w, b in zip(weights, biases, strict=True):
        z = w @ activation + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    nabla_b, nabla_w = [None] * len(weights), [None] * len(weights)
    delta = (activations[-1] - y) * sigmoid_prime(zs[-1])  # BP1
    for layer in range(len(weights) - 1, -1, -1):
        if layer < len(weights) - 1:
            delta = (weights[layer + 1].T @ delta) * sigmoid_prime(zs[layer])  # BP2
        nabla_b[layer] = delta.sum(axis=1, keepdims=True)  # BP3 (summed over the batch)
        nabla_w[layer] = delta @ activations[layer].T  # BP4: δ^l (a^{l-1})ᵀ
    return nabla_b, nabla_w


def check_against_bp(net, x, y):
    cost = net.cost(x, y)
    cost.backward()
    weights = [w.data for w in net.weights]
    biases = [b.data for b in net.biases]
    nabla_b, nabla_w = backprop(weights, biases, x, y)
    a = x
    for w, b in zip(weights, biases, strict=True):
        a = sigmoid(w @ a + b)
    assert cost.item() == pytest.approx(0.5 * np.sum((a - y) ** 2), rel=1e-12)
    for layer, (b, w, nb, nw) in enumerate(
        zip(net.biases, net.weights, nabla_b, nabla_w, strict=True)
    ):
        assert b.grad.shape == b.shape and w.grad.shape == w.shape
        # relative to the layer's largest gradient: saturated sigmoids make some tiny
        for ours, theirs in ((b.grad, nb), (w.grad, nw)):
            scale = np.abs(theirs).max()
            np.testing.assert_allclose(
                ours, theirs, rtol=1e-12, atol=1e-12 * scale, err_msg=f"layer {layer + 1}"
            )


def one_hot(label, n):
    y = np.zeros((n, 1))
    y[label] = 1.0
    return y


@pytest.mark.parametrize("sizes", [[4, 5, 3], [784, 30, 10], [2, 3, 3, 2]])
def test_engine_gradients_equal_bp1_to_bp4_for_one_example(sizes):
    rng = np.random.default_rng(len(sizes))
    x = rng.random((sizes[0], 1))  # one column vector, as an MNIST image in [0, 1]
    y = one_hot(int(rng.integers(sizes[-1])), sizes[-1])
    check_against_bp(Network(sizes, seed=1), x, y)


def test_engine_gradients_equal_bp1_to_bp4_for_a_mini_batch_of_columns():
    net = Network([784, 30, 10], seed=2)
    rng = np.random.default_rng(3)
    x = rng.random((784, 10))
    y = np.hstack([one_hot(i, 10) for i in range(10)])
    check_against_bp(net, x, y)


def test_the_output_layer_delta_is_bp1():
    """∂C/∂b^L is δ^L = (a^L − y) ⊙ σ'(z^L), literally."""
    net = Network([3, 2], seed=4)
    x, y = np.array([[0.5], [-1.0], [2.0]]), np.array([[0.0], [1.0]])
    net.cost(x, y).backward()
    z = net.weights[0].data @ x + net.biases[0].data
    delta = (sigmoid(z) - y) * sigmoid_prime(z)
    np.testing.assert_allclose(net.biases[0].grad, delta, rtol=1e-14)
    np.testing.assert_allclose(net.weights[0].grad, delta * x.T, rtol=1e-14)


@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    seed=st.integers(0, 2**32 - 1),
    batch=st.integers(1, 3),
)
def test_bp1_to_bp4_on_networks_of_generated_sizes(sizes, seed, batch):
    rng = np.random.default_rng(seed)
    x = rng.random((sizes[0], batch))
    y = rng.random((sizes[-1], batch))
    check_against_bp(Network(sizes, seed=seed), x, y)
