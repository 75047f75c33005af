"""Products (einsum, dot, inner, outer, tensordot, kron, matmul): forward equal to numpy,
gradients of order 1 and 2 against central differences on generated shapes, and
forward and gradients equal to PyTorch's in float64."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Tensor, gradcheck
from autodiff.numpy.products import dot, einsum, inner, kron, matmul, outer, tensordot
from autodiff.ops.products import parse_subscripts

# Subscripts covering what einsum can say: contractions, transposes, traces and
# diagonals (a letter repeated), sums over a letter, outer products, implicit outputs,
# broadcast axes ("..."), and three operands.
SPECS = [
    "ij,jk->ik",
    "ij,jk",
    "ij->ji",
    "ji",
    "ii->",
    "ii",
    "ii->i",
    "ij->",
    "ij->j",
    "i,j->ij",
    "i,i->",
    "bij,bjk->bik",
    "ijk->kji",
    "iij->j",
    "...j,...j->...",
    "...ij,...jk->...ik",
    "i...->...",
    "ij,jk,kl->il",
    "i,ij,j",
    "ab,bc,ca->",
]


@st.composite
def einsum_case(draw, specs=SPECS):
    """Subscripts and operands of generated sizes (1 to 3 per letter, 0 to 2 broadcast
    axes, some of them size 1 in one operand), drawn from ``specs``."""
    spec = draw(st.sampled_from(specs), label="subscripts")
    terms = spec.split("->")[0].split(",")
    size = {c: draw(st.integers(1, 3), label=c) for c in sorted(set(spec) - set(".,->"))}
    n_broadcast = draw(st.integers(0, 2), label="broadcast axes")
    broadcast = [draw(st.integers(1, 3)) for _ in range(n_broadcast)]
    rng = np.random.default_rng(draw(st.integers(0, 2**16), label="seed"))
    operands = []
    for term in terms:
        shape = []
        for part in term.split("..."):
            shape.append([size[c] for c in part])
        if "..." in term:
            k = draw(st.integers(0, n_broadcast))  # fewer axes broadcast too
            own = [n if draw(st.booleans()) else 1 for n in broadcast[n_broadcast - k :]]
            dims = shape[0] + own + shape[1]
        else:
            dims = shape[0]
        operands.append(rng.normal(size=tuple(dims)))
    return spec, operands


def weighted(out, seed=1):
    w = np.random.default_rng(seed).normal(size=out.shape)
    return (out * w).sum()


@given(einsum_case())
def test_einsum_forward_equals_numpy(case):
    spec, xs = case
    out = einsum(spec, *(Tensor(x, requires_grad=True) for x in xs))
    np.testing.assert_allclose(out.data, np.einsum(spec, *xs), rtol=1e-12, atol=1e-12)


@settings(max_examples=25)
@given(einsum_case())
def test_einsum_gradchecks(case):
    spec, xs = case
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    assert gradcheck(lambda *ts: weighted(einsum(spec, *ts)), leaves)


@settings(max_examples=10)
@given(einsum_case(["ij,jk->ik", "ii->i", "...j,...j->...", "i,ij,j", "ij->j"]))
def test_einsum_second_order_gradchecks(case):
    spec, xs = case
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    assert gradcheck(lambda *ts: weighted(einsum(spec, *ts) ** 2), leaves, order=2)


def test_einsum_with_constant_operands_and_sublists():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    t = Tensor(a, requires_grad=True)
    out = einsum(t, [0, 1], b, [1, 2], [2, 0])
    np.testing.assert_allclose(out.data, np.einsum(a, [0, 1], b, [1, 2], [2, 0]))
    out.sum().backward()
    np.testing.assert_allclose(t.grad, np.ones((2, 4)) @ b.T)
    assert isinstance(einsum("ij->j", a), np.ndarray)  # no Tensor in: numpy's result


def test_einsum_errors_name_the_problem():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="name 2 operand"):
        einsum("ij,jk", x)
    with pytest.raises(ValueError, match="does not match its subscripts"):
        einsum("ijk", x)
    with pytest.raises(ValueError, match="output subscripts"):
        einsum("ij->iz", x)
    with pytest.raises(ValueError, match="einsum 'ij,ij'"):
        einsum("ij,ij", x, np.ones((3, 2)))
    with pytest.raises(ValueError, match="invalid subscripts"):
        einsum("i1", x)


def test_parse_subscripts_makes_the_output_explicit():
    assert parse_subscripts("ba", [(2, 3)]).spec == "ba->ab"
    assert parse_subscripts("...i,i", [(2, 3, 4), (4,)]).spec == "abi,i->ab"
    assert parse_subscripts("ii", [(2, 2)]).spec == "ii->"


# --- dot, inner, outer, tensordot, kron, matmul ----------------------------------------------

PAIRS = {  # name: (function, torch's version or None, shape strategies)
    "dot": (dot, None),
    "inner": (inner, "inner"),
    "outer": (outer, "outer"),
    "tensordot": (lambda a, b: tensordot(a, b, axes=1), "tensordot1"),
    "tensordot_pairs": (lambda a, b: tensordot(a, b, axes=([0], [-1])), "tensordot_pairs"),
    "kron": (kron, "kron"),
    "matmul": (matmul, "matmul"),
}

NUMPY = {
    "dot": np.dot,
    "inner": np.inner,
    "outer": np.outer,
    "tensordot": lambda a, b: np.tensordot(a, b, axes=1),
    "tensordot_pairs": lambda a, b: np.tensordot(a, b, axes=([0], [-1])),
    "kron": np.kron,
    "matmul": np.matmul,
}


@st.composite
def pair(draw, name):
    """Two operands of compatible generated shapes for product ``name``."""
    side = st.integers(1, 3)
    na = draw(st.integers(0 if name in ("dot", "inner", "outer", "kron") else 1, 3))
    nb = draw(st.integers(0 if name in ("dot", "inner", "outer", "kron") else 1, 3))
    a = [draw(side) for _ in range(na)]
    b = [draw(side) for _ in range(nb)]
    if name in ("dot", "tensordot") and na and nb:
        b[-2 if (name == "dot" and nb >= 2) else 0] = a[-1]
    if name == "inner" and na and nb:
        b[-1] = a[-1]
    if name == "tensordot_pairs":
        b[-1] = a[0]
    if name == "matmul":
        b[-2 if nb >= 2 else 0] = a[-1]
        if na >= 3 and nb >= 3:
            b[0] = draw(st.sampled_from([1, a[0]]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return rng.normal(size=tuple(a)), rng.normal(size=tuple(b))


@pytest.mark.parametrize("name", list(PAIRS))
@settings(max_examples=20)
@given(data=st.data())
def test_product_forward_and_gradients(name, data):
    fn = PAIRS[name][0]
    a, b = data.draw(pair(name))
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    np.testing.assert_allclose(fn(ta, tb).data, NUMPY[name](a, b), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, y: weighted(fn(x, y)), [ta, tb])
    if a.size * b.size <= 36:
        assert gradcheck(lambda x, y: weighted(fn(x, y) ** 2), [ta, tb], order=2)


def test_products_take_arrays_on_either_side_and_keep_float32():
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    t = Tensor(a, requires_grad=True, dtype=np.float32)
    for fn, right, left in ((dot, a.T, a.T), (inner, a, a), (outer, a, a), (kron, a, a)):
        for out, expected in (
            (fn(t, right), NUMPY[fn.__name__](a, right)),
            (fn(left, t), NUMPY[fn.__name__](left, a)),
        ):
            assert out.dtype == np.float32
            np.testing.assert_allclose(out.data, expected, rtol=1e-6)
            out.sum().backward()
            assert t.grad.dtype == np.float32
            t.grad = None
    assert np.array_equal(matmul(a.T, t).data, a.T @ a)
    assert np.array_equal(dot(2.0, t).data, 2 * a)  # a 0-d operand scales


def test_product_shape_errors_name_the_shapes():
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"dot: shapes \(2, 3\) and \(2, 3\)"):
        dot(t, np.ones((2, 3)))
    with pytest.raises(ValueError, match="tensordot"):
        tensordot(t, np.ones((2, 3)), axes=1)
    with pytest.raises(TypeError, match="real numbers"):
        dot(t, "abc")


# --- against PyTorch ----------------------------------------------------------------------


def _torch_product(torch, name):
    return {
        "inner": torch.inner,
        "outer": lambda a, b: torch.outer(a.reshape(-1), b.reshape(-1)),
        "tensordot1": lambda a, b: torch.tensordot(a, b, dims=1),
        "tensordot_pairs": lambda a, b: torch.tensordot(a, b, dims=([0], [b.ndim - 1])),
        "kron": torch.kron,
        "matmul": torch.matmul,
    }[name]


def _compare_with_torch(torch, ours, theirs, xs):
    leaves = [Tensor(x, requires_grad=True) for x in xs]
    out = ours(*leaves)
    w = np.random.default_rng(3).normal(size=out.shape)
    (out * w).sum().backward()
    tx = [torch.tensor(x, requires_grad=True) for x in xs]
    tout = theirs(*tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    (tout * torch.tensor(w)).sum().backward()
    for leaf, t in zip(leaves, tx, strict=True):
        np.testing.assert_allclose(leaf.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@settings(max_examples=20)
@given(einsum_case())
def test_einsum_matches_torch(case):
    torch = pytest.importorskip("torch")
    spec, xs = case
    _compare_with_torch(
        torch,
        lambda *ts: einsum(spec, *ts),
        lambda *ts: torch.einsum(spec, *ts),
        xs,
    )


@pytest.mark.parametrize("name", [n for n, (_, t) in PAIRS.items() if t])
@settings(max_examples=10)
@given(data=st.data())
def test_products_match_torch(name, data):
    torch = pytest.importorskip("torch")
    fn, torch_name = PAIRS[name]
    a, b = data.draw(pair(name))
    if name == "inner" and (a.ndim == 0 or b.ndim == 0):
        a, b = np.atleast_1d(a), np.atleast_1d(b)
        if a.shape[-1] != b.shape[-1]:
            b = np.ones(b.shape[:-1] + a.shape[-1:])
    if name == "kron" and (a.ndim == 0 or b.ndim == 0):
        a, b = np.atleast_1d(a), np.atleast_1d(b)
    _compare_with_torch(torch, fn, _torch_product(torch, torch_name), [a, b])
