"""MultiheadAttention against torch.nn.MultiheadAttention 2.13: outputs, weights, gradients."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
import nn.functional as F
from autodiff import Tensor
from nn.layers.attention import causal_mask

torch = pytest.importorskip("torch")


def _pair(e: int, heads: int, bias: bool, batch_first: bool, dtype: Any, seed: int) -> Any:
    ours = nn.MultiheadAttention(
        e, heads, bias=bias, batch_first=batch_first, dtype=dtype, rng=np.random.default_rng(seed)
    )
    theirs = torch.nn.MultiheadAttention(
        e, heads, bias=bias, batch_first=batch_first, dtype=getattr(torch, np.dtype(dtype).name)
    )
    state = {
        "in_proj_weight": ours.in_proj_weight.data,
        "out_proj.weight": ours.out_proj.weight.data.T,  # our Linear is (in, out)
    }
    if bias:
        state |= {"in_proj_bias": ours.in_proj_bias.data, "out_proj.bias": ours.out_proj.bias.data}
    theirs.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()})
    return ours, theirs


def _their_grads(theirs: Any) -> dict[str, np.ndarray]:
    grads = {k: p.grad.numpy() for k, p in theirs.named_parameters()}
    grads["out_proj.weight"] = grads["out_proj.weight"].T
    return grads


configs = st.fixed_dictionaries(
    {
        "heads": st.integers(1, 3),
        "head_dim": st.integers(1, 3),
        "length": st.integers(1, 5),
        "source": st.integers(1, 5),
        "batch": st.one_of(st.none(), st.integers(1, 3)),
        "self_attention": st.booleans(),
        "bias": st.booleans(),
        "batch_first": st.booleans(),
        "mask": st.sampled_from(["none", "causal", "bool", "float", "per_head", "padding"]),
        "need_weights": st.booleans(),
        "average": st.booleans(),
        "seed": st.integers(0, 2**16),
    }
)


def _masks(c: dict[str, Any], length: int, source: int, rng: np.random.Generator) -> Any:
    """(attn_mask, key_padding_mask, is_causal) with at least one key visible per query."""
    n = c["batch"] or 1
    kind = c["mask"]
    if kind == "causal":
        return causal_mask(length, source), None, True
    if kind == "bool":
        m = rng.random((length, source)) < 0.4
        m[:, 0] = False
        return m, None, False
    if kind == "float":
        return rng.normal(size=(length, source)), None, False
    if kind == "per_head":
        return rng.normal(size=(n * c["heads"], length, source)), None, False
    if kind == "padding":
        m = rng.random((n, source)) < 0.4
        m[:, 0] = False
        return None, (m[0] if c["batch"] is None else m), False
    return None, None, False


@settings(max_examples=15)
@given(configs)
def test_matches_torch_in_float64(c: dict[str, Any]) -> None:
    e = c["heads"] * c["head_dim"]
    ours, theirs = _pair(e, c["heads"], c["bias"], c["batch_first"], np.float64, c["seed"])
    rng = np.random.default_rng(c["seed"] + 1)
    length = c["length"]
    source = length if c["self_attention"] else c["source"]
    if c["self_attention"] and c["mask"] == "causal":
        source = length

    def shape(steps: int) -> tuple[int, ...]:
        n = c["batch"]
        if n is None:
            return (steps, e)
        return (n, steps, e) if c["batch_first"] else (steps, n, e)

    q = rng.normal(size=shape(length))
    kv = [q, q] if c["self_attention"] else [rng.normal(size=shape(source)) for _ in range(2)]
    attn_mask, padding, causal = _masks(c, length, source, rng)

    inputs = [Tensor(a, requires_grad=True) for a in (q, *kv)]
    if c["self_attention"]:
        inputs = [inputs[0]] * 3
    out, w = ours(
        *inputs,
        key_padding_mask=padding,
        need_weights=c["need_weights"],
        attn_mask=attn_mask,
        average_attn_weights=c["average"],
        is_causal=causal,
    )
    refs = [torch.tensor(a, requires_grad=True) for a in (q, *kv)]
    if c["self_attention"]:
        refs = [refs[0]] * 3

    def t(m: Any) -> Any:
        return None if m is None else torch.from_numpy(np.asarray(m))

    ref, ref_w = theirs(
        *refs,
        key_padding_mask=t(padding),
        need_weights=c["need_weights"],
        attn_mask=t(attn_mask),
        average_attn_weights=c["average"],
        is_causal=causal,
    )
    g = rng.normal(size=out.shape)
    loss = (out * g).sum()
    ref_loss = (ref * torch.from_numpy(g)).sum()
    if c["need_weights"]:
        assert w is not None
        np.testing.assert_allclose(w.data, ref_w.detach().numpy(), rtol=1e-12, atol=1e-12)
        gw = rng.normal(size=w.shape)
        loss = loss + (w * gw).sum()
        ref_loss = ref_loss + (ref_w * torch.from_numpy(gw)).sum()
    else:
        assert w is None and ref_w is None
    loss.backward()
    ref_loss.backward()

    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    for mine, theirs_in in zip(inputs, refs, strict=True):
        np.testing.assert_allclose(mine.grad, theirs_in.grad.numpy(), rtol=1e-10, atol=1e-12)
    mine_grads = {n: p.grad for n, p in ours.named_parameters()}
    for name, g_ref in _their_grads(theirs).items():
        np.testing.assert_allclose(mine_grads[name], g_ref, rtol=1e-10, atol=1e-12, err_msg=name)


def test_matches_torch_in_float32() -> None:
    ours, theirs = _pair(16, 4, True, True, np.float32, 0)
    x = np.random.default_rng(1).normal(size=(3, 7, 16)).astype(np.float32)
    xt = Tensor(x, requires_grad=True, dtype=np.float32)
    out, w = ours(xt, xt, xt, is_causal=True)
    assert out.dtype == np.float32 and w is not None and w.dtype == np.float32
    out.sum().backward()
    xr = torch.tensor(x, requires_grad=True)
    ref, ref_w = theirs(xr, xr, xr, attn_mask=torch.from_numpy(causal_mask(7)), is_causal=True)
    ref.sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(w.data, ref_w.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-4, atol=1e-5)
    mine = {n: p.grad for n, p in ours.named_parameters()}
    for name, g in _their_grads(theirs).items():
        assert mine[name].dtype == np.float32
        np.testing.assert_allclose(mine[name], g, rtol=1e-4, atol=1e-5, err_msg=name)


def test_causal_option_hides_the_future() -> None:
    mha = nn.MultiheadAttention(4, 2, batch_first=True, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(1, 5, 4))
    out, _ = mha(x, x, x, is_causal=True)
    y = x.copy()
    y[0, 3:] += 10.0  # a different future
    out2, _ = mha(y, y, y, is_causal=True)
    np.testing.assert_allclose(out.data[0, :3], out2.data[0, :3], rtol=1e-12)
    assert not np.allclose(out.data[0, 3:], out2.data[0, 3:])


def test_dropout_only_in_training() -> None:
    mha = nn.MultiheadAttention(4, 1, dropout=0.5, rng=np.random.default_rng(0))
    x = np.ones((3, 2, 4))
    _, w = mha(x, x, x)
    assert w is not None
    mha.eval()
    _, w_eval = mha(x, x, x)
    assert w_eval is not None
    np.testing.assert_allclose(w_eval.data.sum(axis=-1), 1.0)


def test_parameter_names_and_shapes_are_torchs() -> None:
    ours = nn.MultiheadAttention(8, 2)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        ("in_proj_weight", (24, 8)),
        ("in_proj_bias", (24,)),
        ("out_proj.weight", (8, 8)),
        ("out_proj.bias", (8,)),
    ]


def test_bad_input_names_layer_and_shapes() -> None:
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(8, 3)
    with pytest.raises(
        ValueError,
        match=r"MultiheadAttention\(8, num_heads=2, batch_first=True\): "
        r"expected query \(N, L, 8\) or \(L, 8\), got \(2, 3, 7\)",
    ):
        mha(np.ones((2, 3, 7)), np.ones((2, 3, 8)), np.ones((2, 3, 8)))
    x = np.ones((2, 3, 8))
    with pytest.raises(
        ValueError, match=r"attn_mask must be \(3, 3\) or \(4, 3, 3\), got \(2, 2\)"
    ):
        mha(x, x, x, attn_mask=np.zeros((2, 2), bool))
    with pytest.raises(ValueError, match=r"key_padding_mask must be \(2, 3\)"):
        mha(x, x, x, key_padding_mask=np.zeros((3,), bool))
    with pytest.raises(ValueError, match="different batch sizes"):
        mha(x, np.ones((1, 3, 8)), np.ones((1, 3, 8)))


def _reference_attention(q, k, v, mask):
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1]) + mask
    with np.errstate(invalid="ignore"):
        e = np.exp(scores - scores.max(axis=-1, keepdims=True))
        return (e / e.sum(axis=-1, keepdims=True)) @ v


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rows_far_apart_keep_their_precision(dtype):
    # one shift for the whole array would underflow the second query's row to 0/0;
    # that row takes its own shift (autodiff/ops/nn.py, _exp_last)
    q = np.array([[[400.0, 0.0], [-400.0, 0.0]]], dtype=dtype)
    k = np.array([[[1.0, 0.5], [2.0, -0.5], [1.5, 0.0]]], dtype=dtype)
    v = np.arange(6, dtype=dtype).reshape(1, 3, 2)
    got = F.scaled_dot_product_attention(q, k, v).data
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, _reference_attention(q, k, v, 0.0), rtol=1e-5, atol=1e-30)


def test_a_query_that_may_attend_nowhere_gives_zeros_as_torch():
    rng = np.random.default_rng(0)
    q, k, v, w = (rng.normal(size=(1, 2, 2)) for _ in range(4))
    mask = np.array([[True, False], [False, False]])  # the second query sees no key
    ours = [Tensor(a, requires_grad=True) for a in (q, k, v)]
    got = F.scaled_dot_product_attention(*ours, attn_mask=mask)
    (got * w).sum().backward()
    theirs = [torch.from_numpy(a).requires_grad_() for a in (q, k, v)]
    ref = torch.nn.functional.scaled_dot_product_attention(
        *theirs, attn_mask=torch.from_numpy(mask)
    )
    (ref * torch.from_numpy(w)).sum().backward()
    assert (got.data[0, 1] == 0).all()
    np.testing.assert_allclose(got.data, ref.detach().numpy(), rtol=1e-12, atol=1e-15)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-12, atol=1e-15)
