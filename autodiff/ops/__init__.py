"""The op table: every primitive's forward and derivative, side by side, in one registry.

The table is split by family: :mod:`.core` (the ``Op`` record, the registry and the
differentiable helpers vjps use), :mod:`.elementwise`, :mod:`.reductions`,
:mod:`.shape`, :mod:`.products`, :mod:`.linalg` and :mod:`.nn`. Importing this package registers
every op in ``OPS``.

Each :class:`Op` holds
- ``scalar``: the forward on Python floats (what Value computes), with IEEE results
  (``log(0) = -inf``, ``1/0 = inf``, ``(-1)**0.5 = nan``) instead of Python's exceptions;
- ``array``: the forward on numpy arrays (what Tensor computes);
- ``vjp(g, out, *operands)``: the vector-Jacobian product, the gradient of each
  operand given ``g``, the gradient of the output.

The vjps use only arithmetic, comparisons and the helpers below, so the same
function runs on floats, on numpy arrays and on graph nodes. Run on nodes (which is
what ``backward(create_graph=True)`` does) it records the backward pass as a graph,
and gradients become differentiable again.

Operand layouts (``kind``) are those of :mod:`autodiff.engine`: ``UNARY``, ``PARAM``
(one operand plus a fixed parameter such as an exponent or a slope), ``BINARY`` (two
operands, either of which may be a constant) and ``NARY``.
"""

from .core import (
    OPS,
    Op,
    broadcast_to,
    div,
    exp,
    log,
    power,
    register,
    sum_to,
)
from .elementwise import (
    ABS,
    ADD,
    CLIP,
    DIV,
    EXP,
    LEAKY_RELU,
    LOG,
    MUL,
    NEG,
    POW,
    RELU,
    SIGMOID,
    SQRT,
    SUB,
    TANH,
    WHERE,
)
from .linalg import CHOLESKY, DET, INV, LOGABSDET, PNORM, SOLVE
from .nn import LOG_SOFTMAX, SOFTMAX, SOFTMAX_CROSS_ENTROPY, Labels
from .products import EINSUM, MATMUL
from .reductions import MAX, MEAN, MIN, SUM
from .shape import (
    BROADCAST_TO,
    CONCATENATE,
    GETITEM,
    RESHAPE,
    SCATTER,
    STACK,
    TRANSPOSE,
    scatter,
)

__all__ = [
    "ABS",
    "ADD",
    "BROADCAST_TO",
    "CHOLESKY",
    "CLIP",
    "CONCATENATE",
    "DET",
    "DIV",
    "EINSUM",
    "EXP",
    "GETITEM",
    "INV",
    "LEAKY_RELU",
    "LOG",
    "LOGABSDET",
    "LOG_SOFTMAX",
    "MATMUL",
    "MAX",
    "MEAN",
    "MIN",
    "MUL",
    "NEG",
    "OPS",
    "PNORM",
    "POW",
    "RELU",
    "RESHAPE",
    "SCATTER",
    "SIGMOID",
    "SOFTMAX",
    "SOFTMAX_CROSS_ENTROPY",
    "SOLVE",
    "SQRT",
    "STACK",
    "SUB",
    "SUM",
    "TANH",
    "TRANSPOSE",
    "WHERE",
    "Labels",
    "Op",
    "broadcast_to",
    "div",
    "exp",
    "log",
    "power",
    "register",
    "scatter",
    "sum_to",
]
