"""hessian and hvp equal torch.autograd.functional's on small MLP losses over a flat
parameter vector."""

from itertools import pairwise

import numpy as np
import pytest

from autodiff import Tensor, hessian, hvp

torch = pytest.importorskip("torch")


def unpack(theta, sizes):
    """The weight matrices and biases of an MLP, sliced from one flat vector."""
    parts, start = [], 0
    for shape in sizes:
        k = int(np.prod(shape))
        parts.append(theta[start : start + k].reshape(shape))
        start += k
    return parts


def layer_sizes(widths):
    sizes = []
    for n_in, n_out in pairwise(widths):
        sizes += [(n_in, n_out), (n_out,)]
    return sizes


def mlp_losses(X, y, widths, loss):
    """The same tanh MLP loss twice: on our Tensors and on torch tensors."""
    sizes = layer_sizes(widths)

    def forward(theta, tanh, tensor):
        params = unpack(theta, sizes)
        h = tensor(X)
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = tanh(h)
        if loss == "mse":
            return ((h - tensor(y)) ** 2).mean()
        # cross-entropy with one-hot y, in ops both libraries spell alike (logits stay small)
        log_p = h - h.exp().sum(axis=1, keepdims=True).log()
        return -(log_p * tensor(y)).sum() / len(X)

    ours = lambda theta: forward(theta, lambda t: t.tanh(), Tensor)
    theirs = lambda theta: forward(theta, torch.tanh, torch.tensor)
    return ours, theirs, sum(int(np.prod(s)) for s in sizes)


CASES = [
    ("mse", (3, 4, 1), 0),
    ("mse", (3, 4, 1), 1),
    ("mse", (2, 3, 3, 1), 2),
    ("cross_entropy", (3, 4, 3), 3),
    ("cross_entropy", (2, 3, 2, 3), 4),
]


@pytest.mark.parametrize(("loss", "widths", "seed"), CASES)
def test_hessian_and_hvp_of_a_tanh_mlp_loss_match_torch(loss, widths, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(5, widths[0]))
    if loss == "mse":
        y = rng.normal(size=(5, widths[-1]))
    else:
        y = np.eye(widths[-1])[rng.integers(0, widths[-1], size=5)]  # one-hot labels
    ours, theirs, n = mlp_losses(X, y, widths, loss)
    theta = rng.normal(size=n) * 0.7
    v = rng.normal(size=n)

    expected = torch.autograd.functional.hessian(theirs, torch.tensor(theta)).numpy()
    H = hessian(ours)(theta)
    assert H.shape == (n, n)
    np.testing.assert_allclose(H, expected, rtol=1e-9, atol=1e-12)
    _, expected_hv = torch.autograd.functional.hvp(theirs, torch.tensor(theta), torch.tensor(v))
    np.testing.assert_allclose(hvp(ours)(theta, v), expected_hv.numpy(), rtol=1e-9, atol=1e-12)
