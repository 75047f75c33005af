"""np.linalg on Tensors (inv, det, slogdet, solve, cholesky, norm): forward equal to
numpy, gradients of order 1 and 2 against central differences on generated batch
shapes, forward and gradients equal to PyTorch's in float64, float32 kept."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Tensor, gradcheck
from autodiff.numpy import linalg

BATCHES = st.sampled_from([(), (2,), (1, 2)])


@st.composite
def well_conditioned(draw, max_n=3):
    """A batch of n×n matrices M Mᵀ + n I: symmetric, positive definite, condition
    number small enough that central differences resolve every derivative."""
    n = draw(st.integers(1, max_n), label="n")
    batch = draw(BATCHES, label="batch")
    rng = np.random.default_rng(draw(st.integers(0, 2**16), label="seed"))
    m = rng.normal(size=(*batch, n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def weighted(out, seed=1):
    w = np.random.default_rng(seed).normal(size=np.shape(out.data))
    return (out * w).sum()


def spd_of(x):
    """A symmetric positive-definite function of any square x (for cholesky's
    gradient check: numpy reads only its input's lower triangle)."""
    n = x.shape[-1]
    return x @ x.mT + n * np.eye(n)


UNARY = {  # name: (ours, numpy's, torch's name)
    "inv": (linalg.inv, np.linalg.inv, "inv"),
    "det": (linalg.det, np.linalg.det, "det"),
    "slogdet": (lambda a: linalg.slogdet(a).logabsdet, lambda a: np.linalg.slogdet(a)[1], None),
    "cholesky": (linalg.cholesky, np.linalg.cholesky, "cholesky"),
    "cholesky_upper": (
        lambda a: linalg.cholesky(a, upper=True),
        lambda a: np.linalg.cholesky(a, upper=True),
        None,
    ),
}


@pytest.mark.parametrize("name", list(UNARY))
@settings(max_examples=15)
@given(a=well_conditioned())
def test_matrix_op_forward_and_gradients(name, a):
    ours, theirs, _ = UNARY[name]
    x = Tensor(a, requires_grad=True)
    np.testing.assert_allclose(ours(x).data, theirs(a), rtol=1e-10, atol=1e-12)
    if name.startswith("cholesky"):
        # differentiated through a symmetric parametrization, as numpy reads one triangle
        x = Tensor(np.linalg.cholesky(a), requires_grad=True)
        assert gradcheck(lambda t: weighted(ours(spd_of(t))), [x])
        if a.size <= 9:
            assert gradcheck(lambda t: weighted(ours(spd_of(t))), [x], order=2)
        return
    assert gradcheck(lambda t: weighted(ours(t)), [x])
    if a.size <= 9:
        assert gradcheck(lambda t: weighted(ours(t)), [x], order=2)


@st.composite
def solve_case(draw):
    a = draw(well_conditioned())
    n = a.shape[-1]
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    kind = draw(st.sampled_from(["vector", "matrix", "broadcast"]))
    if kind == "vector":
        b = rng.normal(size=n)
    elif kind == "matrix":
        b = rng.normal(size=(*a.shape[:-1], draw(st.integers(1, 2))))
    else:  # b has batch axes a lacks, or a has ones where b has more
        b = rng.normal(size=(2, *a.shape[:-2][-1:], n, 1))
    return a, b


@settings(max_examples=20)
@given(case=solve_case())
def test_solve_forward_and_gradients(case):
    a, b = case
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    np.testing.assert_allclose(linalg.solve(ta, tb).data, np.linalg.solve(a, b), rtol=1e-10)
    assert gradcheck(lambda x, y: weighted(linalg.solve(x, y)), [ta, tb])
    if a.size <= 4:
        assert gradcheck(lambda x, y: weighted(linalg.solve(x, y)), [ta, tb], order=2)


def test_solve_with_a_constant_side():
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = Tensor([1.0, 2.0], requires_grad=True)
    linalg.solve(a, b).sum().backward()
    np.testing.assert_allclose(b.grad, np.linalg.solve(a.T, np.ones(2)))
    ta = Tensor(a, requires_grad=True)
    x = linalg.solve(ta, [1.0, 2.0])
    x.sum().backward()
    gb = np.linalg.solve(a.T, np.ones(2))
    np.testing.assert_allclose(ta.grad, -np.outer(gb, x.data))


def test_slogdet_sign_is_a_constant_and_negative_determinants_work():
    a = np.array([[0.0, 2.0], [1.0, 0.5]])  # det -2
    x = Tensor(a, requires_grad=True)
    sign, logdet = linalg.slogdet(x)
    assert float(sign.data) == -1.0 and not sign.requires_grad
    assert math.isclose(float(logdet.data), math.log(2.0))
    assert gradcheck(lambda t: linalg.slogdet(t).logabsdet, [x])
    assert gradcheck(lambda t: linalg.det(t), [x], order=2)
    assert isinstance(linalg.slogdet(a), linalg.SlogdetResult)


# --- norm ----------------------------------------------------------------------------------

NORMS = [  # (ord, axis, keepdims) on a 3-d array
    (None, None, False),
    (None, None, True),
    (2, 0, False),
    (1, 1, True),
    (3, -1, False),
    (0.5, 2, False),
    (-1.5, 0, False),
    (math.inf, 1, False),
    (-math.inf, 2, True),
    ("fro", (0, 2), False),
    (None, (2, 1), True),
    (1, (0, 1), False),
    (-1, (1, 2), True),
    (math.inf, (2, 0), False),
    (-math.inf, (0, 1), False),
]


@pytest.mark.parametrize(("ord", "axis", "keepdims"), NORMS)
@settings(max_examples=8)
@given(seed=st.integers(0, 2**16), dims=st.tuples(*[st.integers(1, 3)] * 3))
def test_norm_forward_and_gradients(ord, axis, keepdims, seed, dims):
    rng = np.random.default_rng(seed)
    # away from 0 and from ties, where |x|'s kink or the max would straddle eps
    a = rng.uniform(0.5, 2.0, size=dims) * rng.choice([-1, 1], size=dims)
    a += np.arange(a.size).reshape(dims) * 1e-2
    x = Tensor(a, requires_grad=True)
    out = linalg.norm(x, ord, axis, keepdims)
    np.testing.assert_allclose(out.data, np.linalg.norm(a, ord, axis, keepdims), rtol=1e-12)
    assert gradcheck(lambda t: weighted(linalg.norm(t, ord, axis, keepdims)), [x])
    if ord not in (math.inf, -math.inf, 1, -1) and a.size <= 8:
        assert gradcheck(lambda t: weighted(linalg.norm(t, ord, axis, keepdims)), [x], order=2)


def test_norm_of_zero_has_gradient_zero_as_torch():
    x = Tensor(np.zeros(3), requires_grad=True)
    linalg.norm(x).backward()
    assert np.array_equal(x.grad, np.zeros(3))
    y = Tensor(np.array([[0.0, 0.0], [3.0, 4.0]]), requires_grad=True)
    linalg.norm(y, axis=1).sum().backward()
    np.testing.assert_allclose(y.grad, [[0.0, 0.0], [0.6, 0.8]])
    zero_count = linalg.norm(Tensor([0.0, 2.0], requires_grad=True), 0)
    assert float(zero_count.data) == 1.0 and not zero_count.requires_grad


def test_norm_errors_name_the_problem():
    x = Tensor(np.ones((2, 2, 2)), requires_grad=True)
    with pytest.raises(NotImplementedError, match="singular values"):
        linalg.norm(x, "nuc", axis=(0, 1))
    with pytest.raises(ValueError, match="needs axis"):
        linalg.norm(x, 1)
    with pytest.raises(ValueError, match="not a vector norm"):
        linalg.norm(x, "fro", axis=0)
    with pytest.raises(ValueError, match="give one"):
        linalg.norm(x, axis=(0, 1, 2))
    with pytest.raises(ValueError, match="out of range"):
        linalg.norm(x, axis=3)


def test_matrix_ops_reject_what_numpy_rejects():
    with pytest.raises(np.linalg.LinAlgError, match=r"square.*\(2, 3\)"):
        linalg.inv(Tensor(np.ones((2, 3)), requires_grad=True))
    with pytest.raises(np.linalg.LinAlgError):
        linalg.inv(Tensor(np.ones((2, 2)), requires_grad=True))  # singular
    with pytest.raises(np.linalg.LinAlgError):
        linalg.cholesky(Tensor(-np.eye(2), requires_grad=True))  # not positive definite
    with pytest.raises(ValueError, match="solve: a of shape"):
        linalg.solve(Tensor(np.eye(2), requires_grad=True), np.ones(3))


# --- float32 --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "solve", "norm"])
def test_float32_in_float32_out_close_to_float64(name):
    rng = np.random.default_rng(0)
    m = rng.normal(size=(2, 3, 3))
    a = m @ np.swapaxes(m, -1, -2) + 3 * np.eye(3)
    b = rng.normal(size=(2, 3, 2))
    fns = {
        "inv": lambda t: linalg.inv(t),
        "det": lambda t: linalg.det(t),
        "slogdet": lambda t: linalg.slogdet(t).logabsdet,
        "cholesky": lambda t: linalg.cholesky(t),
        "solve": lambda t: linalg.solve(t, b.astype(t.dtype)),
        "norm": lambda t: linalg.norm(t, axis=(1, 2)),
    }
    results = {}
    for dtype in (np.float32, np.float64):
        x = Tensor(a, requires_grad=True, dtype=dtype)
        out = fns[name](x)
        weighted(out).backward()
        assert out.dtype == dtype and x.grad.dtype == dtype
        results[dtype] = out.data, x.grad
    for single, double in zip(results[np.float32], results[np.float64], strict=True):
        np.testing.assert_allclose(single, double, rtol=2e-4, atol=1e-5)


# --- against PyTorch ------------------------------------------------------------------------


def _compare_with_torch(torch, ours, theirs, xs):
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    out = ours(*leaves)
    w = np.random.default_rng(3).normal(size=out.shape)
    (out * w).sum().backward()
    tx = [torch.tensor(x, requires_grad=True) for x in xs]
    tout = theirs(*tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-9, atol=1e-12)
    (tout * torch.tensor(w)).sum().backward()
    for leaf, t in zip(leaves, tx, strict=True):
        np.testing.assert_allclose(leaf.grad, t.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky"])
@settings(max_examples=10)
@given(a=well_conditioned(max_n=4))
def test_matrix_ops_match_torch(name, a):
    torch = pytest.importorskip("torch")
    ours = UNARY[name][0]
    theirs = {
        "inv": torch.linalg.inv,
        "det": torch.linalg.det,
        "slogdet": lambda t: torch.linalg.slogdet(t).logabsdet,
        "cholesky": torch.linalg.cholesky,
    }[name]
    if name == "cholesky":  # both symmetrize: compare through X Xᵀ + nI
        _compare_with_torch(
            torch,
            lambda t: ours(spd_of(t)),
            lambda t: theirs(t @ t.mT + a.shape[-1] * torch.eye(a.shape[-1], dtype=t.dtype)),
            [np.linalg.cholesky(a)],
        )
        return
    _compare_with_torch(torch, ours, theirs, [a])


@settings(max_examples=10)
@given(case=solve_case())
def test_solve_matches_torch(case):
    torch = pytest.importorskip("torch")
    a, b = case
    if b.ndim == 1:  # torch.linalg.solve takes a batched vector b as a vector: unbatch
        a = a.reshape(-1, *a.shape[-2:])[0]
    _compare_with_torch(torch, linalg.solve, torch.linalg.solve, [a, b])


@pytest.mark.parametrize(("ord", "axis", "keepdims"), NORMS)
def test_norm_matches_torch(ord, axis, keepdims):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a = rng.uniform(0.5, 2.0, size=(2, 3, 4)) * rng.choice([-1, 1], size=(2, 3, 4))
    a += np.arange(24).reshape(2, 3, 4) * 1e-2

    def theirs(t):
        if axis is None:
            return torch.linalg.vector_norm(t, 2, keepdim=keepdims)
        if isinstance(axis, tuple):
            return torch.linalg.matrix_norm(t, ord or "fro", dim=axis, keepdim=keepdims)
        return torch.linalg.vector_norm(t, ord, dim=axis, keepdim=keepdims)

    _compare_with_torch(torch, lambda t: linalg.norm(t, ord, axis, keepdims), theirs, [a])
