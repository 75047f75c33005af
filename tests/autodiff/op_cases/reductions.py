"""Array cases of the reductions family: numpy's reductions and scans, on Tensors."""

import math

import numpy as np
from hypothesis import strategies as st

from autodiff.testing import ArrayCase, Drawn, arrays, axes, shapes


def _torch():
    import torch

    return torch


def _torch_axis(axis, ndim):
    """torch's ``dim``: every axis for None (torch's own None means something else)."""
    return tuple(range(ndim)) if axis is None else axis


def _reduction(name, low=-2.0, high=2.0, ddof=False, torch_fn=None, min_side=0, spread=False):
    def draw(side):
        @st.composite
        def drawn(draw_):
            shape = draw_(shapes(max_side=side, min_side=min_side, min_dims=int(spread)))
            x = draw_(arrays(shape, low, high))
            if spread:  # distinct elements: a spread of 0 is std's kink
                x = x + np.arange(x.size).reshape(shape) * 0.37
            axis = draw_(axes(len(shape)))
            keepdims = draw_(st.booleans())
            kw = {"axis": axis, "keepdims": keepdims}
            if ddof:
                count = x.size // max(np.sum(x, axis=axis, keepdims=True).size, 1)
                kw["ddof"] = draw_(st.integers(0, 1 if count > 1 else 0))
            fn = getattr(np, name)
            torch_call = torch_fn and (
                lambda t: torch_fn(t, _torch_axis(axis, len(shape)), keepdims, kw.get("ddof", 0))
            )
            return Drawn(
                [x], lambda a: fn(a, **kw), torch_call, (lambda t: getattr(t, name)(**kw),)
            )

        return drawn()

    return draw


def _logsumexp(side):
    @st.composite
    def drawn(draw_):
        shape = draw_(shapes(max_side=side))
        x = draw_(arrays(shape, -5, 5))
        axis = draw_(axes(len(shape)))
        keepdims = draw_(st.booleans())

        def reference(a):
            from autodiff import numpy as anp

            if not isinstance(a, np.ndarray):
                return anp.logsumexp(a, axis=axis, keepdims=keepdims)
            top = np.max(a, axis=axis, keepdims=True)
            out = np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True)) + top
            return out if keepdims else np.squeeze(out, axis)

        torch_call = lambda t: _torch().logsumexp(t, _torch_axis(axis, len(shape)), keepdims)
        return Drawn([x], reference, torch_call if shape else None)

    return drawn()


def _scan(name, torch_name, low=-2.0, high=2.0):
    def draw(side):
        @st.composite
        def drawn(draw_):
            shape = draw_(shapes(max_side=side, min_side=0))
            x = draw_(arrays(shape, low, high))
            axis = draw_(st.none() | st.integers(-len(shape), len(shape) - 1)) if shape else None
            fn = getattr(np, name)

            def torch_call(t):
                flat = t.reshape(-1) if axis is None else t
                return getattr(_torch(), torch_name)(flat, 0 if axis is None else axis)

            return Drawn(
                [x], lambda a: fn(a, axis=axis), torch_call, (lambda t: getattr(t, name)(axis),)
            )

        return drawn()

    return draw


def _prod_with_zeros(side):
    # zeros (one or several in a slice) among elements of magnitude 0.5-2
    elements = st.one_of(st.just(0.0), st.floats(0.5, 2.0), st.floats(-2.0, -0.5))

    @st.composite
    def drawn(draw_):
        shape = draw_(shapes(max_side=side, min_dims=1))
        x = draw_(arrays(shape, elements=elements))
        axis = draw_(axes(len(shape)))
        return Drawn(
            [x],
            lambda a: np.prod(a, axis=axis),
            lambda t: _torch().prod(t.reshape(-1)) if axis is None else _prod_axes(t, axis),
        )

    return drawn()


def _prod_axes(t, axis):
    for ax in sorted((axis if isinstance(axis, tuple) else (axis,)), key=lambda a: -(a % t.ndim)):
        t = _torch().prod(t, ax % t.ndim)
    return t


def _diffs(side):
    @st.composite
    def drawn(draw_):
        shape = draw_(shapes(min_dims=1, max_side=side + 1))
        x = draw_(arrays(shape, -2, 2))
        axis = draw_(st.integers(-len(shape), len(shape) - 1))
        n = draw_(st.integers(0, 2))
        return Drawn(
            [x],
            lambda a: np.diff(a, n=n, axis=axis),
            lambda t: _torch().diff(t, n=n, dim=axis) if n else t * 1,
        )

    return drawn()


def _traces(side):
    @st.composite
    def drawn(draw_):
        shape = draw_(shapes(min_dims=2, max_side=side))
        x = draw_(arrays(shape, -2, 2))
        offset = draw_(st.integers(-side, side))
        a1, a2 = draw_(st.permutations(range(len(shape))))[:2]
        return Drawn(
            [x],
            lambda a: np.trace(a, offset, a1, a2),
            lambda t: _torch().diagonal(t, offset, a1, a2).sum(-1),
            (lambda t: t.trace(offset, a1, a2),),
        )

    return drawn()


def _extreme_ties(name):
    # ties are drawn on purpose: the gradient is shared equally, as in torch's amax
    def draw(side):
        @st.composite
        def drawn(draw_):
            shape = draw_(shapes(max_side=side))
            x = draw_(arrays(shape, elements=st.sampled_from([-1.0, 0.5, 2.0])))
            axis = draw_(axes(len(shape)))
            torch_fn = getattr(_torch_module_lazy(), "a" + name)
            return Drawn(
                [x],
                lambda a: getattr(np, name)(a, axis=axis),
                lambda t: torch_fn(t, _torch_axis(axis, len(shape))),
            )

        return drawn()

    return draw


class _torch_module_lazy:
    def __getattr__(self, name):
        return lambda *a, **k: getattr(_torch(), name)(*a, **k)


def _var(t, dims, keepdims, ddof):
    return _torch().var(t, dims, correction=ddof, keepdim=keepdims)


def _std(t, dims, keepdims, ddof):
    return _torch().std(t, dims, correction=ddof, keepdim=keepdims)


def _sum(t, dims, keepdims, ddof):
    return _torch().sum(t, dims, keepdim=keepdims) if dims != () else t * 1


def _distinct(side, min_dims=0):
    """Arrays of distinct elements a step apart (no ties: sorts and extremes are smooth)."""

    @st.composite
    def drawn(draw_):
        shape = draw_(shapes(min_dims=min_dims, max_side=side))
        order = draw_(st.permutations(range(math.prod(shape))))
        return np.asarray((np.array(order, dtype=float).reshape(shape) - len(order) / 2) * 0.25)

    return drawn()


def _medians(side):
    @st.composite
    def drawn(draw_):
        x = draw_(_distinct(side))
        axis = draw_(st.none() | st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None
        keepdims = draw_(st.booleans())

        def torch_call(t):  # torch's median takes the lower middle: a quantile instead
            q = _torch().quantile(t.reshape(-1) if axis is None else t, 0.5, dim=axis or 0)
            return (
                q.reshape((1,) * x.ndim)
                if keepdims and axis is None
                else (q.unsqueeze(axis) if keepdims else q)
            )

        return Drawn([x], lambda a: np.median(a, axis=axis, keepdims=keepdims), torch_call)

    return drawn()


def _ptps(side):
    @st.composite
    def drawn(draw_):
        x = draw_(_distinct(side))
        axis = draw_(axes(x.ndim))
        return Drawn([x], lambda a: np.ptp(a, axis=axis))

    return drawn()


def _averages(side):
    @st.composite
    def drawn(draw_):
        shape = draw_(shapes(max_side=side, min_side=1))
        x = draw_(arrays(shape, -2, 2))
        w = draw_(arrays(shape, 0.5, 2))
        axis = draw_(axes(len(shape)))
        return Drawn([x, w], lambda a, b: np.average(a, axis=axis, weights=b))

    return drawn()


def _nans(name):
    def draw(side):
        @st.composite
        def drawn(draw_):
            shape = draw_(shapes(max_side=side, min_side=1))
            x = draw_(arrays(shape, -2, 2))
            holes = draw_(arrays(shape, 0, 1)) < 0.3  # some elements become nan
            axis = draw_(axes(len(shape)))
            fn = getattr(np, name)
            if name == "nanmean":
                count = (~holes).sum(axis=axis, keepdims=True)
                holes &= np.broadcast_to(count > 1, shape)  # keep each slice's mean defined
            return Drawn([x], lambda a: fn(np.where(holes, np.nan, a), axis=axis))

        return drawn()

    return draw


_ = math
CASES = [
    ArrayCase("np.median", None, _medians, torch="quantile"),
    ArrayCase("np.ptp", "-", _ptps),
    ArrayCase("np.average", "/", _averages),
    ArrayCase("np.nansum", "sum", _nans("nansum")),
    ArrayCase("np.nanmean", "/", _nans("nanmean")),
    ArrayCase("np.sum", "sum", _reduction("sum", torch_fn=_sum), torch="sum"),
    ArrayCase("np.mean", "mean", _reduction("mean", min_side=1)),
    ArrayCase("np.prod", "prod", _reduction("prod", 0.5, 1.5, min_side=0)),
    ArrayCase("np.prod_zeros", "prod", _prod_with_zeros, torch="prod", order=1),
    ArrayCase("np.var", None, _reduction("var", ddof=True, torch_fn=_var, min_side=1), torch="var"),
    ArrayCase(
        "np.std",
        "sqrt",
        _reduction("std", 1, 3, ddof=True, torch_fn=_std, min_side=2, spread=True),
        torch="std",
    ),
    ArrayCase("logsumexp", "logsumexp", _logsumexp, torch="logsumexp"),
    ArrayCase("np.cumsum", "cumsum", _scan("cumsum", "cumsum"), torch="cumsum"),
    ArrayCase("np.cumprod", "cumprod", _scan("cumprod", "cumprod", 0.5, 1.5), torch="cumprod"),
    ArrayCase("np.diff", None, _diffs, torch="diff"),
    ArrayCase("np.trace", "sum", _traces, torch="trace"),
    ArrayCase("np.max_ties", "max", _extreme_ties("max"), torch="amax", order=0),
    ArrayCase("np.min_ties", "min", _extreme_ties("min"), torch="amin", order=0),
]
