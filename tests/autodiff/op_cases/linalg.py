"""Array cases of np.linalg: inv, det, slogdet, solve and cholesky on batches of
well-conditioned matrices, and norm of every supported ord over its axes."""

import math

import numpy as np
from hypothesis import strategies as st

from autodiff.testing import ArrayCase, Drawn


def _linalg(name):
    def call(*xs):
        import torch

        return getattr(torch.linalg, name)(*xs)

    return call


@st.composite
def _matrices(draw, side):
    """M Mᵀ + n I for a generated M: symmetric positive definite, its condition number
    small enough for central differences; batch axes (), (k,) or (1, k)."""
    n = draw(st.integers(1, max(side, 1)), label="n")
    batch = draw(st.sampled_from([(), (side,), (1, side)]), label="batch")
    rng = np.random.default_rng(draw(st.integers(0, 2**16), label="seed"))
    m = rng.normal(size=(*batch, n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def _unary(numpy_call, torch_call):
    def draw(side):
        return _matrices(side).map(lambda a: Drawn([a], numpy_call, torch_call))

    return draw


def _spd(x):
    """A symmetric positive-definite function of any square x, numpy-spelled: cholesky
    reads one triangle of its input, so its gradient is checked through this."""
    n = x.shape[-1]
    return np.matmul(x, np.swapaxes(x, -1, -2)) + n * np.eye(n)


def _cholesky(side):
    def torch_call(x):
        import torch

        n = x.shape[-1]
        return torch.linalg.cholesky(x @ x.mT + n * torch.eye(n, dtype=x.dtype))

    return _matrices(side).map(
        lambda a: Drawn([np.linalg.cholesky(a)], lambda x: np.linalg.cholesky(_spd(x)), torch_call)
    )


def _solve(side):
    @st.composite
    def drawn(draw):
        a = draw(_matrices(side))
        n = a.shape[-1]
        rng = np.random.default_rng(draw(st.integers(0, 2**16)))
        kind = draw(st.sampled_from(["vector", "columns", "broadcast"]), label="b")
        if kind == "vector":  # numpy 2: b of one axis is a vector, also for batched a
            b = rng.normal(size=n)
        elif kind == "columns":
            b = rng.normal(size=(*a.shape[:-1], draw(st.integers(1, 2))))
        else:  # b's batch axes broadcast against a's
            b = rng.normal(size=(2, *a.shape[:-2][-1:], n, 1))
        return Drawn([a, b], np.linalg.solve, _linalg("solve"))

    return drawn()


# (ord, axis, keepdims) of np.linalg.norm on a 3-d array, and the op the result is made by
NORMS = {
    "norm_default": (None, None, False, "norm"),
    "norm_2": (2, 0, True, "norm"),
    "norm_1": (1, 1, False, "norm"),
    "norm_3": (3, -1, False, "norm"),
    "norm_half": (0.5, 2, False, "norm"),
    "norm_negative": (-1.5, 0, False, "norm"),
    "norm_inf": (math.inf, 1, False, None),
    "norm_neg_inf": (-math.inf, 2, True, None),
    "norm_fro": ("fro", (0, 2), False, "norm"),
    "norm_matrix_1": (1, (0, 1), True, None),
    "norm_matrix_inf": (math.inf, (0, 2), False, None),
    "norm_matrix_neg": (-math.inf, (2, 1), False, None),
    "norm_matrix_neg_1": (-1, (1, 2), True, None),
}


def _norm(ord, axis, keepdims):
    def torch_call(x):
        import torch

        if axis is None:
            return torch.linalg.vector_norm(x, keepdim=keepdims)
        if isinstance(axis, tuple):
            return torch.linalg.matrix_norm(x, ord, dim=axis, keepdim=keepdims)
        return torch.linalg.vector_norm(x, ord, dim=axis, keepdim=keepdims)

    def draw(side):
        @st.composite
        def drawn(draw_):
            dims = tuple(draw_(st.integers(1, max(side, 1))) for _ in range(3))
            rng = np.random.default_rng(draw_(st.integers(0, 2**16), label="seed"))
            # |x| in [0.5, 2] and no two alike: away from abs's kink and from ties
            x = rng.uniform(0.5, 2.0, size=dims) * rng.choice([-1, 1], size=dims)
            x += np.arange(x.size).reshape(dims) * 1e-2 * np.sign(x)
            return Drawn([x], lambda t: np.linalg.norm(t, ord, axis, keepdims), torch_call)

        return drawn()

    return draw


CASES = [
    ArrayCase("inv", "inv", _unary(np.linalg.inv, _linalg("inv")), torch="linalg.inv"),
    ArrayCase("det", "det", _unary(np.linalg.det, _linalg("det")), torch="linalg.det"),
    ArrayCase(
        "slogdet",
        "logabsdet",
        _unary(lambda a: np.linalg.slogdet(a)[1], lambda a: _linalg("slogdet")(a)[1]),
        torch="linalg.slogdet",
    ),
    ArrayCase("solve", "solve", _solve, torch="linalg.solve"),
    ArrayCase("cholesky", "cholesky", _cholesky, torch="linalg.cholesky"),
]
CASES += [
    ArrayCase(name, op, _norm(ord, axis, keepdims), torch="linalg.norm")
    for name, (ord, axis, keepdims, op) in NORMS.items()
]
