"""nn.functional against torch.nn.functional: outputs and every gradient, on
hypothesis-drawn shapes and hyperparameters, in float64 (to rounding) and float32 (to
float32 tolerance)."""

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn.functional as F
from autodiff import Tensor

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {np.float64: (1e-10, 1e-12), np.float32: (2e-4, 2e-5)}  # rtol, atol


def _compare(
    ours: Callable, theirs: Callable, arrays: list[np.ndarray], dtype=np.float64, seed: int = 0
) -> None:
    """Run both on the same float arrays (each a leaf requiring grad), backpropagate the
    same random output gradient, and compare outputs and gradients."""
    arrays = [a.astype(dtype) for a in arrays]
    mine = [Tensor(a, requires_grad=True, dtype=a.dtype) for a in arrays]
    torch_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = ours(*mine)
    ref = theirs(*torch_in)
    rtol, atol = TOL[dtype]
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(seed).standard_normal(out.shape).astype(dtype)
    out.backward(g)
    ref.backward(torch.tensor(g))
    for i, (m, t) in enumerate(zip(mine, torch_in, strict=True)):
        expected = np.zeros_like(m.data) if t.grad is None else t.grad.numpy()
        got = np.zeros_like(m.data) if m.grad is None else m.grad
        assert got.dtype == dtype, f"gradient {i} changed dtype"
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"input {i}")


def _normal(rng, *shape):
    return rng.standard_normal(shape)


dtypes = st.sampled_from([np.float64, np.float64, np.float32])


@st.composite
def conv_cases(draw, nd):
    groups = draw(st.integers(1, 3))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(nd))
    padding = draw(
        st.one_of(
            st.tuples(*[st.integers(0, 2)] * nd),
            st.sampled_from(["valid", "same"]) if all(s == 1 for s in stride) else st.just(0),
        )
    )
    size = tuple(
        draw(st.integers(d * (k - 1) + 1, d * (k - 1) + 5))
        for k, d in zip(kernel, dilation, strict=True)
    )
    n = draw(st.integers(1, 3))
    bias = draw(st.booleans())
    return n, cin, cout, size, kernel, stride, padding, dilation, groups, bias


@pytest.mark.parametrize("nd", [1, 2])
@settings(max_examples=25)
@given(case=st.data(), dtype=dtypes, seed=st.integers(0, 2**16))
def test_conv(nd, case, dtype, seed):
    n, cin, cout, size, kernel, stride, padding, dilation, groups, bias = case.draw(conv_cases(nd))
    rng = np.random.default_rng(seed)
    arrays = [_normal(rng, n, cin, *size), _normal(rng, cout, cin // groups, *kernel)]
    if bias:
        arrays.append(_normal(rng, cout))
    ours_f, theirs_f = (F.conv1d, TF.conv1d) if nd == 1 else (F.conv2d, TF.conv2d)
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    _compare(
        lambda x, w, *b: ours_f(x, w, *b, **kw),
        lambda x, w, *b: theirs_f(x, w, *b, **kw),
        arrays,
        dtype,
        seed,
    )


@pytest.mark.parametrize(
    "groups, kw",
    [
        (1, dict(padding=1)),
        (2, dict(padding=0)),
        (1, dict(stride=2, padding=(2, 1), dilation=(1, 2))),
    ],
)
def test_conv2d_with_many_channels_and_its_input_gradient_in_chunks(groups, kw, monkeypatch):
    # 8 channels a group: windows are copied in one go (the drawn cases have 1 or 2);
    # a small cache budget: dx is added up a few samples at a time, the last chunk short
    from autodiff.ops import conv

    monkeypatch.setattr(conv, "_CACHED_BYTES", 35000)
    rng = np.random.default_rng(0)
    x, w, b = _normal(rng, 7, 8 * groups, 6, 5), _normal(rng, 6, 8, 3, 3), _normal(rng, 6)

    def net(conv2d, relu):
        return lambda x, w, b: conv2d(
            relu(conv2d(x, w, b, groups=groups, **kw)), w[:, :6], padding=1
        )

    _compare(net(F.conv2d, F.relu), net(TF.conv2d, TF.relu), [x, w, b])


def test_conv_paddings_of_one_total_keep_their_own_zero_borders():
    # (0, 2) and (1, 1) pad to the same size: a work array shared between them would
    # keep the first's data where the second expects its zero border
    from autodiff import ops

    rng = np.random.default_rng(0)
    x, w = _normal(rng, 2, 4, 5, 5), _normal(rng, 3, 4, 3, 3)
    for lo, hi in [(0, 2), (1, 1), (2, 0), (1, 1)]:
        spec = ops.ConvSpec(x.shape, w.shape, (1, 1), ((lo, hi), (lo, hi)), (1, 1), 1)
        padded = TF.pad(torch.tensor(x), (lo, hi, lo, hi))
        expected = TF.conv2d(padded, torch.tensor(w)).numpy()
        np.testing.assert_allclose(ops.conv_forward(spec, x, w), expected, rtol=1e-12)


@st.composite
def pool_cases(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(draw(st.integers(k, k + 5)) for k in kernel)
    return draw(st.integers(1, 2)), draw(st.integers(1, 3)), size, kernel, stride, padding


@settings(max_examples=25)
@given(case=pool_cases(), dtype=dtypes, seed=st.integers(0, 2**16), dilation=st.integers(1, 2))
def test_max_pool2d(case, dtype, seed, dilation):
    n, c, size, kernel, stride, padding = case
    size = tuple(s + (dilation - 1) * (k - 1) for s, k in zip(size, kernel, strict=True))
    kw = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)
    # distinct values: a tie's gradient goes to the first maximum in both, but float32
    # rounding could make a near tie one in only one of them
    x = np.random.default_rng(seed).permutation(n * c * size[0] * size[1]).reshape(n, c, *size)
    _compare(lambda x: F.max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), [x], dtype, seed)


@settings(max_examples=25)
@given(case=pool_cases(), dtype=dtypes, seed=st.integers(0, 2**16), include=st.booleans())
def test_avg_pool2d(case, dtype, seed, include):
    n, c, size, kernel, stride, padding = case
    kw = dict(kernel_size=kernel, stride=stride, padding=padding, count_include_pad=include)
    x = _normal(np.random.default_rng(seed), n, c, *size)
    _compare(lambda x: F.avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw), [x], dtype, seed)


@settings(max_examples=20)
@given(
    num=st.integers(1, 6),
    dim=st.integers(1, 4),
    shape=st.lists(st.integers(1, 4), max_size=2),
    seed=st.integers(0, 2**16),
    dtype=dtypes,
    pad=st.booleans(),
)
def test_embedding(num, dim, shape, seed, dtype, pad):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, num, shape)  # small tables: indices repeat
    padding_idx = int(rng.integers(0, num)) if pad else None
    _compare(
        lambda w: F.embedding(idx, w, padding_idx),
        lambda w: TF.embedding(torch.tensor(idx), w, padding_idx),
        [_normal(rng, num, dim)],
        dtype,
        seed,
    )


@settings(max_examples=25)
@given(
    lead=st.lists(st.integers(1, 3), max_size=2),
    norm=st.lists(st.integers(1, 4), min_size=1, max_size=2),
    affine=st.sampled_from(["both", "weight", "none"]),
    eps=st.sampled_from([1e-5, 1e-3]),
    seed=st.integers(0, 2**16),
    dtype=dtypes,
)
def test_layer_norm(lead, norm, affine, eps, seed, dtype):
    rng = np.random.default_rng(seed)
    shape = tuple(norm)
    arrays = [_normal(rng, *lead, *shape) * 3 + 1]
    if affine != "none":
        arrays.append(_normal(rng, *shape))
    if affine == "both":
        arrays.append(_normal(rng, *shape))
    _compare(
        lambda x, *wb: F.layer_norm(x, shape, *wb, eps=eps),
        lambda x, *wb: TF.layer_norm(x, shape, *wb, eps=eps),
        arrays,
        dtype,
        seed,
    )


@settings(max_examples=25)
@given(
    n=st.integers(2, 4),
    c=st.integers(1, 3),
    spatial=st.lists(st.integers(1, 3), max_size=2),
    training=st.booleans(),
    affine=st.booleans(),
    momentum=st.sampled_from([0.1, 0.5]),
    seed=st.integers(0, 2**16),
    dtype=dtypes,
)
def test_batch_norm(n, c, spatial, training, affine, momentum, seed, dtype):
    rng = np.random.default_rng(seed)
    arrays = [_normal(rng, n, c, *spatial) * 2 + 0.5]
    if affine:
        arrays += [_normal(rng, c), _normal(rng, c)]
    ours_stats = [rng.standard_normal(c).astype(dtype), rng.random(c).astype(dtype) + 0.5]
    torch_stats = [torch.tensor(s.copy()) for s in ours_stats]
    _compare(
        lambda x, *wb: F.batch_norm(x, *ours_stats, *wb, training=training, momentum=momentum),
        lambda x, *wb: TF.batch_norm(x, *torch_stats, *wb, training=training, momentum=momentum),
        arrays,
        dtype,
        seed,
    )
    rtol, atol = TOL[dtype]
    for mine, theirs in zip(ours_stats, torch_stats, strict=True):  # running estimates
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=rtol, atol=atol)


ACTIVATIONS = {
    "gelu": (F.gelu, TF.gelu),
    "gelu_tanh": (lambda x: F.gelu(x, "tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    "silu": (F.silu, TF.silu),
    "softplus": (F.softplus, TF.softplus),
    "softplus_beta": (
        lambda x: F.softplus(x, beta=2.0, threshold=3.0),
        lambda x: TF.softplus(x, beta=2.0, threshold=3.0),
    ),
    "relu": (F.relu, TF.relu),
    "tanh": (F.tanh, torch.tanh),
    "sigmoid": (F.sigmoid, torch.sigmoid),
    "softmax": (lambda x: F.softmax(x, dim=0), lambda x: TF.softmax(x, dim=0)),
    "log_softmax": (lambda x: F.log_softmax(x, -1), lambda x: TF.log_softmax(x, -1)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@settings(max_examples=10)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), seed=st.integers(0, 2**16))
def test_activations(name, shape, seed):
    ours, theirs = ACTIVATIONS[name]
    x = _normal(np.random.default_rng(seed), *shape) * 4
    for dtype in (np.float64, np.float32):
        _compare(ours, theirs, [x], dtype, seed)


@settings(max_examples=30)
@given(
    batch=st.lists(st.integers(1, 3), max_size=2),
    lq=st.integers(1, 5),
    lk=st.integers(1, 5),
    e=st.integers(1, 4),
    ev=st.integers(1, 4),
    mask=st.sampled_from(["none", "causal", "bool", "float"]),
    scale=st.one_of(st.none(), st.floats(0.1, 2.0)),
    seed=st.integers(0, 2**16),
    dtype=dtypes,
)
def test_scaled_dot_product_attention(batch, lq, lk, e, ev, mask, scale, seed, dtype):
    rng = np.random.default_rng(seed)
    arrays = [
        _normal(rng, *batch, lq, e),
        _normal(rng, *batch, lk, e),
        _normal(rng, *batch, lk, ev),
    ]
    kw: dict = {"scale": scale}
    if mask == "causal":
        kw["is_causal"] = True
        lk = max(lk, lq)  # every query sees at least one key
        arrays = [arrays[0], _normal(rng, *batch, lk, e), _normal(rng, *batch, lk, ev)]
    elif mask == "bool":
        m = rng.random((lq, lk)) < 0.6
        m[:, 0] = True  # no row masked entirely
        kw["attn_mask"] = m
    elif mask == "float":
        kw["attn_mask"] = _normal(rng, lq, lk)
    their_kw = dict(kw)
    if "attn_mask" in kw:
        their_kw["attn_mask"] = torch.tensor(kw["attn_mask"])
        if kw["attn_mask"].dtype != bool:
            their_kw["attn_mask"] = their_kw["attn_mask"].to(
                torch.float64 if dtype == np.float64 else torch.float32
            )
    _compare(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw),
        lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, **their_kw),
        arrays,
        dtype,
        seed,
    )


@pytest.mark.parametrize(
    "kw",
    [
        dict(kernel_size=2),
        dict(kernel_size=(2, 3)),
        dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=2, stride=1, dilation=2),
    ],
)
def test_max_pool2d_ties_go_to_the_first_maximum(kw):
    # small integers: many windows hold their maximum twice (as after a ReLU)
    x = np.random.default_rng(0).integers(-1, 2, (2, 3, 7, 8)).astype(np.float64)
    _compare(lambda x: F.max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), [x])


def test_max_pool2d_over_a_big_batch_against_torch():
    # over 2**16 outputs: the window starts are built for the call, not kept
    x = np.random.default_rng(0).permutation(2 * 8 * 256 * 130).reshape(2, 8, 256, 130) / 7
    _compare(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), [x])
