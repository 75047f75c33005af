"""The op table: every primitive's forward and derivative, side by side, in one registry.

The table is split by family: :mod:`.core` (the ``Op`` record, the registry and the
differentiable helpers vjps use), :mod:`.elementwise`, :mod:`.reductions`,
:mod:`.shape`, :mod:`.products`, :mod:`.nn` and :mod:`.conv`
(convolution and pooling). Importing this package registers
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

from .conv import (
    AVG_POOL,
    AVG_UNPOOL,
    CONV,
    CONV_DW,
    CONV_DX,
    MAX_POOL,
    MAX_UNPOOL,
    ConvSpec,
    PoolSpec,
    conv_forward,
)
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
from .nn import (
    ATTENTION,
    BATCH_NORM,
    EMBEDDING,
    GELU,
    GELU_GRAD,
    GRU_CELL,
    GRU_SEQUENCE,
    LAYER_NORM,
    LOG_SOFTMAX,
    SILU,
    SOFTMAX,
    SOFTMAX_CROSS_ENTROPY,
    SOFTPLUS,
    AttentionSpec,
    GeluSpec,
    GRUSpec,
    Labels,
    NormSpec,
    Rows,
)
from .products import MATMUL
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
    "ATTENTION",
    "AVG_POOL",
    "AVG_UNPOOL",
    "BATCH_NORM",
    "BROADCAST_TO",
    "CLIP",
    "CONCATENATE",
    "CONV",
    "CONV_DW",
    "CONV_DX",
    "DIV",
    "EMBEDDING",
    "EXP",
    "GELU",
    "GELU_GRAD",
    "GETITEM",
    "GRU_CELL",
    "GRU_SEQUENCE",
    "LAYER_NORM",
    "LEAKY_RELU",
    "LOG",
    "LOG_SOFTMAX",
    "MATMUL",
    "MAX",
    "MAX_POOL",
    "MAX_UNPOOL",
    "MEAN",
    "MIN",
    "MUL",
    "NEG",
    "OPS",
    "POW",
    "RELU",
    "RESHAPE",
    "SCATTER",
    "SIGMOID",
    "SILU",
    "SOFTMAX",
    "SOFTMAX_CROSS_ENTROPY",
    "SOFTPLUS",
    "SQRT",
    "STACK",
    "SUB",
    "SUM",
    "TANH",
    "TRANSPOSE",
    "WHERE",
    "AttentionSpec",
    "ConvSpec",
    "GRUSpec",
    "GeluSpec",
    "Labels",
    "NormSpec",
    "Op",
    "PoolSpec",
    "Rows",
    "broadcast_to",
    "conv_forward",
    "div",
    "exp",
    "log",
    "power",
    "register",
    "scatter",
    "sum_to",
]
