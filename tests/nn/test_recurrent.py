"""RNNCell, GRUCell, RNN and GRU against torch.nn 2.13: outputs and every gradient."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autodiff import Tensor

torch = pytest.importorskip("torch")


def _load_into(theirs: Any, ours: nn.Module) -> None:
    """Our weights into the torch layer: the names and layouts are torch's."""
    state = {k: torch.from_numpy(v) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)


def _grads(ours: nn.Module, theirs: Any) -> list[tuple[str, np.ndarray, np.ndarray]]:
    mine = dict(ours.named_parameters())
    return [(n, mine[n].grad, p.grad.numpy()) for n, p in theirs.named_parameters()]


cells = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["rnn_tanh", "rnn_relu", "gru"]),
        "input_size": st.integers(1, 4),
        "hidden_size": st.integers(1, 5),
        "batch": st.one_of(st.none(), st.integers(1, 3)),
        "bias": st.booleans(),
        "with_state": st.booleans(),
        "seed": st.integers(0, 2**16),
    }
)


def _cell_pair(c: dict[str, Any], dtype: Any) -> tuple[nn.Module, Any]:
    rng = np.random.default_rng(c["seed"])
    args = (c["input_size"], c["hidden_size"])
    tdtype = getattr(torch, np.dtype(dtype).name)
    if c["kind"] == "gru":
        ours: nn.Module = nn.GRUCell(*args, bias=c["bias"], dtype=dtype, rng=rng)
        theirs = torch.nn.GRUCell(*args, bias=c["bias"], dtype=tdtype)
    else:
        act = c["kind"].removeprefix("rnn_")
        ours = nn.RNNCell(*args, bias=c["bias"], nonlinearity=act, dtype=dtype, rng=rng)
        theirs = torch.nn.RNNCell(*args, bias=c["bias"], nonlinearity=act, dtype=tdtype)
    _load_into(theirs, ours)
    return ours, theirs


@settings(max_examples=15)
@given(cells)
def test_cells_match_torch_in_float64(c: dict[str, Any]) -> None:
    ours, theirs = _cell_pair(c, np.float64)
    rng = np.random.default_rng(c["seed"] + 1)
    lead = () if c["batch"] is None else (c["batch"],)
    x = rng.normal(size=(*lead, c["input_size"]))
    h = rng.normal(size=(*lead, c["hidden_size"])) if c["with_state"] else None
    seed_grad = rng.normal(size=(*lead, c["hidden_size"]))

    xt, ht = Tensor(x, requires_grad=True), None if h is None else Tensor(h, requires_grad=True)
    out = ours(xt, ht)
    (out * seed_grad).sum().backward()

    xr = torch.tensor(x, requires_grad=True)
    hr = None if h is None else torch.tensor(h, requires_grad=True)
    ref = theirs(xr, hr)
    (ref * torch.from_numpy(seed_grad)).sum().backward()

    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-10, atol=1e-12)
    if h is not None:
        np.testing.assert_allclose(ht.grad, hr.grad.numpy(), rtol=1e-10, atol=1e-12)
    for name, g, g_ref in _grads(ours, theirs):
        np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-12, err_msg=name)


sequences = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["rnn_tanh", "rnn_relu", "gru"]),
        "input_size": st.integers(1, 4),
        "hidden_size": st.integers(1, 4),
        "num_layers": st.integers(1, 3),
        "length": st.integers(1, 5),
        "batch": st.one_of(st.none(), st.integers(1, 3)),
        "bias": st.booleans(),
        "batch_first": st.booleans(),
        "with_state": st.booleans(),
        "seed": st.integers(0, 2**16),
    }
)


def _sequence_pair(c: dict[str, Any], dtype: Any) -> tuple[nn.Module, Any]:
    rng = np.random.default_rng(c["seed"])
    args = (c["input_size"], c["hidden_size"], c["num_layers"])
    kw = {"bias": c["bias"], "batch_first": c["batch_first"]}
    tdtype = getattr(torch, np.dtype(dtype).name)
    if c["kind"] == "gru":
        ours: nn.Module = nn.GRU(*args, **kw, dtype=dtype, rng=rng)
        theirs = torch.nn.GRU(*args, **kw, dtype=tdtype)
    else:
        act = c["kind"].removeprefix("rnn_")
        ours = nn.RNN(*args, nonlinearity=act, **kw, dtype=dtype, rng=rng)
        theirs = torch.nn.RNN(*args, nonlinearity=act, **kw, dtype=tdtype)
    _load_into(theirs, ours)
    return ours, theirs


def _sequence_inputs(c: dict[str, Any], dtype: Any) -> tuple[np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(c["seed"] + 1)
    n, length = c["batch"], c["length"]
    if n is None:
        shape: tuple[int, ...] = (length, c["input_size"])
        state: tuple[int, ...] = (c["num_layers"], c["hidden_size"])
    else:
        shape = (n, length, c["input_size"]) if c["batch_first"] else (length, n, c["input_size"])
        state = (c["num_layers"], n, c["hidden_size"])
    x = rng.normal(size=shape).astype(dtype)
    return x, rng.normal(size=state).astype(dtype) if c["with_state"] else None


@settings(max_examples=15)
@given(sequences)
def test_sequences_match_torch_in_float64(c: dict[str, Any]) -> None:
    ours, theirs = _sequence_pair(c, np.float64)
    x, h = _sequence_inputs(c, np.float64)
    xt, ht = Tensor(x, requires_grad=True), None if h is None else Tensor(h, requires_grad=True)
    out, h_n = ours(xt, ht)
    rng = np.random.default_rng(c["seed"] + 2)
    g_out, g_h = rng.normal(size=out.shape), rng.normal(size=h_n.shape)
    ((out * g_out).sum() + (h_n * g_h).sum()).backward()

    xr = torch.tensor(x, requires_grad=True)
    hr = None if h is None else torch.tensor(h, requires_grad=True)
    ref, ref_h = theirs(xr, hr)
    ((ref * torch.from_numpy(g_out)).sum() + (ref_h * torch.from_numpy(g_h)).sum()).backward()

    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n.data, ref_h.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-10, atol=1e-12)
    if h is not None:
        np.testing.assert_allclose(ht.grad, hr.grad.numpy(), rtol=1e-10, atol=1e-12)
    for name, g, g_ref in _grads(ours, theirs):
        np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("kind", ["rnn_tanh", "gru"])
def test_sequences_match_torch_in_float32(kind: str) -> None:
    c = {
        "kind": kind,
        "input_size": 5,
        "hidden_size": 7,
        "num_layers": 2,
        "length": 9,
        "batch": 4,
        "bias": True,
        "batch_first": True,
        "with_state": True,
        "seed": 3,
    }
    ours, theirs = _sequence_pair(c, np.float32)
    x, h = _sequence_inputs(c, np.float32)
    xt = Tensor(x, requires_grad=True, dtype=np.float32)
    out, h_n = ours(xt, h)
    assert out.dtype == np.float32 and h_n.dtype == np.float32
    out.sum().backward()
    xr = torch.tensor(x, requires_grad=True)
    ref, ref_h = theirs(xr, torch.tensor(h))
    ref.sum().backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(h_n.data, ref_h.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name, g, g_ref in _grads(ours, theirs):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, g_ref, rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gru_saturated_gates_match_torch(dtype: Any) -> None:
    """Pre-activations of ±1000: e^−x overflows (float32 past 88, float64 past 709) and
    the gates must still be exactly 0 or 1, with no warning, as torch's sigmoid gives."""
    ours = nn.GRU(3, 4, dtype=dtype, rng=np.random.default_rng(0))
    theirs = torch.nn.GRU(3, 4, dtype=getattr(torch, np.dtype(dtype).name))
    _load_into(theirs, ours)
    x = np.random.default_rng(1).normal(size=(5, 2, 3)).astype(dtype) * 1000
    xt = Tensor(x, requires_grad=True, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, _ = ours(xt)
        out.sum().backward()
    xr = torch.tensor(x, requires_grad=True)
    ref, _ = theirs(xr)
    ref.sum().backward()
    assert np.isfinite(out.data).all() and np.isfinite(xt.grad).all()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name, g, g_ref in _grads(ours, theirs):
        np.testing.assert_allclose(g, g_ref, rtol=1e-4, atol=1e-4, err_msg=name)


@pytest.mark.parametrize("batch_first", [True, False])
def test_gru_on_an_embedding_matches_torch(batch_first: bool) -> None:
    """A GRU fed by an embedding (makemore's): its input projection is taken of the
    embedding's output as given (a lookup product), then put in time order."""
    rng = np.random.default_rng(2)
    emb = nn.Embedding(7, 3, rng=rng)
    gru = nn.GRU(3, 4, batch_first=batch_first, rng=rng)
    t_emb = torch.nn.Embedding(7, 3, dtype=torch.float64)
    t_emb.load_state_dict({k: torch.from_numpy(v) for k, v in emb.state_dict().items()})
    t_gru = torch.nn.GRU(3, 4, batch_first=batch_first, dtype=torch.float64)
    _load_into(t_gru, gru)
    idx = rng.integers(0, 7, size=(5, 6))  # 30 lookups of a 7-row table
    seed = rng.normal(size=(5, 6, 4))
    out, h_n = gru(emb(idx))
    ((out * seed).sum() + h_n.sum()).backward()
    ref, ref_h = t_gru(t_emb(torch.from_numpy(idx)))
    ((ref * torch.from_numpy(seed)).sum() + ref_h.sum()).backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h_n.data, ref_h.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(emb.weight.grad, t_emb.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    for name, g, g_ref in _grads(gru, t_gru):
        np.testing.assert_allclose(g, g_ref, rtol=1e-10, atol=1e-12, err_msg=name)


def test_parameter_names_and_shapes_are_torchs() -> None:
    ours = nn.GRU(3, 5, num_layers=2)
    theirs = torch.nn.GRU(3, 5, num_layers=2)
    assert {n: p.shape for n, p in ours.named_parameters()} == {
        n: tuple(p.shape) for n, p in theirs.named_parameters()
    }
    assert [n for n, _ in nn.RNNCell(2, 4, bias=False).named_parameters()] == [
        "weight_ih",
        "weight_hh",
    ]


def test_torch_initialisation_bounds() -> None:
    cell = nn.GRUCell(10, 16, rng=np.random.default_rng(0))
    for p in cell.parameters():
        assert np.abs(p.data).max() <= 0.25  # 1 / sqrt(16)
        assert np.abs(p.data).max() > 0.2


def test_bad_input_names_layer_and_shapes() -> None:
    with pytest.raises(
        ValueError, match=r"GRUCell\(3, 4\): expected input \(N, 3\) or \(3,\), got \(2, 5\)"
    ):
        nn.GRUCell(3, 4)(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"hidden state \(2, 4\).*got \(2, 3\)"):
        nn.RNNCell(3, 4)(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(
        ValueError, match=r"GRU\(3, 4, batch_first=True\): expected input \(N, L, 3\)"
    ):
        nn.GRU(3, 4, batch_first=True)(np.ones((2, 5, 2)))
    with pytest.raises(ValueError, match=r"initial state \(2, 5, 4\), got \(1, 5, 4\)"):
        nn.RNN(3, 4, num_layers=2)(np.ones((6, 5, 3)), np.ones((1, 5, 4)))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="num_layers"):
        nn.GRU(3, 4, num_layers=0)
    with pytest.raises(TypeError, match="batch_first"):
        nn.GRU(3, 4, batch_first=1)  # type: ignore[arg-type]


@settings(max_examples=15, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 4),
    st.booleans(),
    st.booleans(),
    st.integers(0, 2**16),
)
def test_fused_gru_vjps_on_arrays_equal_their_recorded_form(
    length: int, batch: int, hidden: int, bias: bool, sequence: bool, seed: int
) -> None:
    """The GRU ops' vjps run on arrays (buffers by gate, factors for all steps at once)
    and on graph nodes (the readable per-step formulas, as create_graph records them):
    the same gradients."""
    from autodiff import ops
    from autodiff.tensor import _nary

    rng = np.random.default_rng(seed)
    op = ops.GRU_SEQUENCE if sequence else ops.GRU_CELL
    lead = (length, batch) if sequence else (batch,)
    shapes = [(*lead, 3 * hidden), (batch, hidden), (3 * hidden, hidden)]
    shapes += [(3 * hidden,)] if bias else []
    weight = rng.normal(size=(*lead, hidden))
    grads = []
    values = [rng.normal(size=s) for s in shapes]
    for create_graph in (False, True):
        inputs = [Tensor(v, requires_grad=True) for v in values]
        operands = (ops.GRUSpec(), *inputs)
        out = _nary(op, operands, op.array(*(getattr(x, "data", x) for x in operands)))
        (out * weight).sum().backward(create_graph=create_graph)
        grads.append([x.grad.data if create_graph else x.grad for x in inputs])
    for fast, recorded in zip(*grads, strict=True):
        np.testing.assert_allclose(fast, recorded, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("order, bias", [(1, False), (2, True)])
def test_fused_gru_step_gradchecks(order: int, bias: bool) -> None:
    """The one-node GRU step (ops.GRU_CELL): first and second derivatives against
    central differences, for the input, the state and both weights."""
    from autodiff import gradcheck

    cell = nn.GRUCell(2, 2, bias=bias, rng=np.random.default_rng(4))
    rng = np.random.default_rng(5)
    x = Tensor(rng.normal(size=(2, 2)), requires_grad=True)
    h = Tensor(rng.normal(size=(2, 2)), requires_grad=True)
    weights = cell.parameters()
    seed = rng.normal(size=(2, 2))

    def f(x: Tensor, h: Tensor, *params: Tensor) -> Tensor:
        return (cell(x, h) * seed).sum()

    assert gradcheck(f, [x, h, *weights], order=order)


@pytest.mark.parametrize("order, bias", [(1, True), (2, False)])
def test_fused_gru_sequence_gradchecks(order: int, bias: bool) -> None:
    """The one-node GRU sequence (ops.GRU_SEQUENCE, backpropagation through time in its
    vjp): first and second derivatives for the input, the initial state and the weights."""
    from autodiff import gradcheck

    gru = nn.GRU(2, 2, bias=bias, rng=np.random.default_rng(6))
    rng = np.random.default_rng(7)
    x = Tensor(rng.normal(size=(3, 1, 2)), requires_grad=True)
    h = Tensor(rng.normal(size=(1, 1, 2)), requires_grad=True)
    seed = rng.normal(size=(3, 1, 2))

    def f(x: Tensor, h: Tensor, *params: Tensor) -> Tensor:
        out, h_n = gru(x, h)
        return (out * seed).sum() + h_n.sum()

    assert gradcheck(f, [x, h, *gru.parameters()], order=order)
