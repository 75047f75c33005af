"""hessian equals torch.autograd.functional.hessian on small MLP losses."""

import numpy as np
import pytest

from autodiff import Tensor, hessian

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hessian_of_a_tanh_mlp_loss_matches_torch(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(5, 3))
    y = rng.normal(size=(5, 1))
    sizes = [(3, 4), (4,), (4, 1), (1,)]
    n = sum(int(np.prod(s)) for s in sizes)
    theta = rng.normal(size=n) * 0.5

    def unpack(p, reshape):
        parts, start = [], 0
        for s in sizes:
            k = int(np.prod(s))
            parts.append(reshape(p[start : start + k], s))
            start += k
        return parts

    def ours(p):
        W1, b1, W2, b2 = unpack(p, lambda t, s: t.reshape(s))
        h = (Tensor(X) @ W1 + b1).tanh()
        return (((h @ W2 + b2) - Tensor(y)) ** 2).mean()

    def theirs(p):
        W1, b1, W2, b2 = unpack(p, lambda t, s: t.reshape(s))
        h = torch.tanh(torch.tensor(X) @ W1 + b1)
        return (((h @ W2 + b2) - torch.tensor(y)) ** 2).mean()

    expected = torch.autograd.functional.hessian(theirs, torch.tensor(theta)).numpy()
    assert np.allclose(hessian(ours)(theta), expected, rtol=1e-9, atol=1e-12)
