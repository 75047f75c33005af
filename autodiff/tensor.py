"""Tensor: one numpy array node of a computation graph.

Like Value, Tensor is thin: it holds an ndarray and the slots the core walks, looks
each forward up in the op table (:mod:`autodiff.ops`) and leaves derivatives to the
one backward loop (:mod:`autodiff.engine`). An operand that does not require grad is
kept as a plain array constant, so the core never visits nor differentiates it.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .engine import MODE, Node, backpropagate, recording
from .ops import Op, core
from .ops.nn import loss_and_labels

_new = object.__new__
_ndarray = np.ndarray


def _as_array(data: Any, dtype: Any, what: str) -> np.ndarray:
    """A fresh array for a Tensor, float64 unless ``dtype`` says otherwise."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (str, bytes)) or data is None or isinstance(data, (dict, set)):
        raise TypeError(f"{what} takes numbers or arrays of numbers, got {type(data).__name__}")
    if dtype is None:  # a floating array keeps its precision (as torch.from_numpy)
        floating = isinstance(data, (np.ndarray, np.floating)) and data.dtype.kind == "f"
        dtype = data.dtype if floating else np.float64
    try:
        kind = np.dtype(dtype).kind
    except TypeError as err:
        raise TypeError(f"{what}: {dtype!r} is not a dtype") from err
    if kind not in "fiub":
        raise TypeError(f"{what}: dtype {np.dtype(dtype)} is not a real number type")
    try:
        probe = np.asarray(data) if not isinstance(data, np.ndarray) else data
    except ValueError as err:  # numpy's own words for rows of different lengths
        raise ValueError(
            f"{what} got a ragged nested sequence (rows of different lengths): {err}"
        ) from None
    if probe.dtype.kind not in "fiub":
        raise TypeError(
            f"{what} takes real numbers, got an array of {probe.dtype} ({type(data).__name__})"
        )
    return np.array(probe, dtype=dtype, copy=True)


def _operand(x: Any, like: np.ndarray) -> tuple[Any, bool] | None:
    """(constant, False) for a non-Tensor binary operand, or None when it is not one."""
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        # A Python number stays weakly typed: float32 stays float32 (np.float64 is a float
        # subclass that numpy would treat as strong: made plain).
        return (float(x) if isinstance(x, float) else int(x)), False
    if isinstance(x, np.generic):  # a numpy number counts as a Python number (weak type)
        return (x.item(), False) if x.dtype.kind in "fiub" else None
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "fiub":
            return None
        if x.dtype.kind != "f" and like.dtype.kind == "f":
            return x.astype(like.dtype), False  # integers have no precision to keep
        return x, False
    if isinstance(x, (list, tuple, bool)):
        return np.asarray(x, dtype=like.dtype if like.dtype.kind == "f" else None), False
    return None


def _shapes(*xs: Any) -> str:
    return " and ".join(str(np.shape(x.data if isinstance(x, Tensor) else x)) for x in xs)


def _node(op: Op | None, data: Any, a: Any, b: Any) -> Tensor:
    """The Tensor ``op`` computed, ``data``, with operands ``a`` and ``b`` in its slots as
    the op's layout says (the caller checked that one of them requires grad): the one
    place a Tensor is made by an op. A leaf when ``op`` is None or the calling thread
    records nothing (``no_grad``)."""
    if data.__class__ is not _ndarray:
        data = np.asarray(data)
    if op is not None and not MODE.plain and not recording(op, data, a, b):
        op = a = b = None
    t = _new(Tensor)
    t.data = data
    t.grad = None
    t.requires_grad = op is not None
    t.label = ""
    t._op = op
    t._a = a
    t._b = b
    t._g = None
    return t


def _leaf(data: Any) -> Tensor:
    """A Tensor that records nothing (no input required grad, or recording is off)."""
    return _node(None, data, None, None)


def _binop(op: Op, a: Tensor, other: Any, reflected: bool = False) -> Any:
    """``a op other`` (or ``other op a`` when ``reflected``) with numpy broadcasting."""
    if other.__class__ is Tensor or isinstance(other, Tensor):  # subclasses: nn.Parameter
        b_node = other.requires_grad
        xb = other.data
    else:
        got = _operand(other, a.data)
        if got is None:
            return NotImplemented
        xb, b_node = got
    xa = a.data
    try:
        data = op.array(xb, xa) if reflected else op.array(xa, xb)  # type: ignore[misc]
    except ValueError as err:
        left, right = (other, a) if reflected else (a, other)
        if op is not ops.MATMUL and _broadcast(xa, xb):  # numpy's complaint is elsewhere
            raise ValueError(f"{_op_name(op)} on {_dtypes(left, right)}: {err}") from err
        verb = "do not broadcast"
        if op is ops.MATMUL:
            verb = "do not align" if np.ndim(xa) and np.ndim(xb) else "do not align (0-d operand)"
        raise ValueError(f"{_op_name(op)}: shapes {_shapes(left, right)} {verb}") from err
    a_node = a.requires_grad
    if not (a_node or b_node):
        return _leaf(data)
    # Operands in call order; those that need no grad are kept as plain constants.
    mine = a if a_node else xa
    theirs = other if b_node else xb
    if reflected:
        left, right, left_node, right_node = theirs, mine, b_node, a_node
    else:
        left, right, left_node, right_node = mine, theirs, a_node, b_node
    if left_node and right_node:
        return _node(op, data, left, right)
    if left_node:
        return _node(op.const_b, data, left, right)  # type: ignore[arg-type]
    return _node(op.const_a, data, left, right)  # type: ignore[arg-type]


def _broadcast(xa: Any, xb: Any) -> bool:
    try:
        np.broadcast_shapes(np.shape(xa), np.shape(xb))
    except ValueError:
        return False
    return True


def _dtypes(*xs: Any) -> str:
    return " and ".join(
        f"{np.result_type(x.data if isinstance(x, Tensor) else x)} {np.shape(_data(x))}" for x in xs
    )


def _op_name(op: Op) -> str:
    return "matmul" if op is ops.MATMUL else op.name


def _param_op(op: Op, x: Tensor, param: Any, data: Any) -> Tensor:
    """The node of a PARAM op: ``x`` and a constant parameter (an axis, a shape, ...)."""
    if x.requires_grad:
        return _node(op, data, x, param)
    return _leaf(data)


_ALL = (None, False)  # the parameter of a reduction over every axis, without keepdims


def _norm_axis(axis: Any, ndim: int, what: str) -> Any:
    """``axis`` (None, int or tuple of ints) checked against ``ndim`` and made non-negative."""
    if axis is None:
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or isinstance(ax, bool):
            raise TypeError(f"{what}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= ax < ndim:  # numpy's rule: a 0-d tensor has no axis 0
            raise np.exceptions.AxisError(
                f"{what}: axis {ax} is out of range for a tensor of {ndim} dims"
            )
        out.append(int(ax) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{what}: repeated axis in {axis!r}")
    return tuple(out) if isinstance(axis, tuple) else out[0]


def _shape_arg(shape: tuple[Any, ...], what: str) -> tuple[Any, ...]:
    """``reshape(2, 3)`` and ``reshape((2, 3))`` alike, as numpy."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{what}: dimensions must be ints, got {shape!r}")
    return tuple(int(n) for n in shape)


class Tensor(Node):
    """An n-dimensional array that records the operations it takes part in.

    >>> import numpy as np
    >>> w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, label="w")
    >>> x = Tensor([1.0, -1.0])
    >>> loss = ((w @ x) ** 2).sum()
    >>> loss.backward()
    >>> w.grad
    array([[-2.,  2.],
           [-2.,  2.]])
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "_op", "_a", "_b", "_g")
    __array_priority__ = 1000.0  # ndarray (op) Tensor defers to Tensor's reflected op

    data: np.ndarray
    grad: Any  # ndarray of data's shape, None before backward; a Tensor under create_graph
    requires_grad: bool
    label: str

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        label: str = "",
    ) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Tensor label must be a str, got {type(label).__name__}")
        array = _as_array(data, dtype, "Tensor()")
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require grad, got dtype {array.dtype}"
            )
        self.data = array
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.label = label
        self._op: Op | None = None
        self._a: Any = None
        self._b: Any = None
        self._g: Any = None  # the backward pass's running gradient (engine)

    # --- what the tensor is -----------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed)."""
        return self.transpose()

    @property
    def mT(self) -> Tensor:
        """The last two axes swapped (a batch of transposed matrices)."""
        return self.swapaxes(-1, -2)

    def __len__(self) -> int:
        return len(self.data)

    def __bool__(self) -> bool:
        """The truth of a one-element tensor, as numpy's (``__len__`` alone would make a
        0-d tensor's truth a TypeError); more elements are ambiguous: numpy's ValueError."""
        return bool(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        extra = ""
        if self.dtype != np.float64:
            extra += f", dtype={self.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}{extra})"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if dtype is None:
            return self.data
        return self.data.astype(dtype)

    # numpy's dispatch protocols: np.sin(x), np.sum(x), ndarray + x run our ops
    # (autodiff/numpy/dispatch.py); np.asarray(x) still gives the data, through __array__.
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return _dispatch.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(
        self, func: Any, types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        return _dispatch.array_function(func, args, kwargs)

    def item(self) -> float:
        """The single element as a Python number.  ``Tensor([2.5]).item() == 2.5``"""
        if self.data.size != 1:
            raise ValueError(f"item: the tensor has {self.data.size} elements, not 1")
        return self.data.item()  # type: ignore[no-any-return]

    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied)."""
        return self.data

    def detach(self) -> Tensor:
        """A new leaf sharing this data, cut from the graph, not requiring grad."""
        return _leaf(self.data)

    def _fit_grad(self, g: Any) -> Any:
        """Bring a gradient to this tensor's shape and dtype (broadcast axes summed)."""
        data = self.data
        if g.__class__ is _ndarray:
            if g.shape != data.shape:
                g = ops.sum_to(g, data.shape)
            if g.dtype is not data.dtype:
                g = g.astype(data.dtype, copy=False)
            return g
        if isinstance(g, Tensor):
            return ops.sum_to(g, data.shape)
        if not data.shape:  # a numpy scalar, e.g. from -g on a 0-d array
            return np.asarray(g, dtype=data.dtype)
        return np.full(data.shape, g, dtype=data.dtype)  # a scalar gradient, e.g. g * 0

    # --- arithmetic -------------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return _binop(ops.ADD, self, other)  # type: ignore[no-any-return]

    def __radd__(self, other: Any) -> Tensor:
        return _binop(ops.ADD, self, other, True)  # type: ignore[no-any-return]

    def __sub__(self, other: Any) -> Tensor:
        return _binop(ops.SUB, self, other)  # type: ignore[no-any-return]

    def __rsub__(self, other: Any) -> Tensor:
        return _binop(ops.SUB, self, other, True)  # type: ignore[no-any-return]

    def __mul__(self, other: Any) -> Tensor:
        return _binop(ops.MUL, self, other)  # type: ignore[no-any-return]

    def __rmul__(self, other: Any) -> Tensor:
        return _binop(ops.MUL, self, other, True)  # type: ignore[no-any-return]

    def __truediv__(self, other: Any) -> Tensor:
        return _binop(ops.DIV, self, other)  # type: ignore[no-any-return]

    def __rtruediv__(self, other: Any) -> Tensor:
        return _binop(ops.DIV, self, other, True)  # type: ignore[no-any-return]

    def __pow__(self, other: Any) -> Tensor:
        return _binop(ops.POW, self, other)  # type: ignore[no-any-return]

    def __rpow__(self, other: Any) -> Tensor:
        return _binop(ops.POW, self, other, True)  # type: ignore[no-any-return]

    def __mod__(self, other: Any) -> Tensor:
        return _binop(ops.REMAINDER, self, other)  # type: ignore[no-any-return]

    def __rmod__(self, other: Any) -> Tensor:
        return _binop(ops.REMAINDER, self, other, True)  # type: ignore[no-any-return]

    def __floordiv__(self, other: Any) -> Tensor:
        return _binop(ops.FLOOR_DIVIDE, self, other)  # type: ignore[no-any-return]

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _binop(ops.FLOOR_DIVIDE, self, other, True)  # type: ignore[no-any-return]

    def __matmul__(self, other: Any) -> Tensor:
        op = self._op
        if op is ops.RESHAPE or op is ops.EMBEDDING:  # embedding rows? see _lookup_product
            product = _lookup_product(self, other)
            if product is not None:
                return product
        return _binop(ops.MATMUL, self, other)  # type: ignore[no-any-return]

    def __rmatmul__(self, other: Any) -> Tensor:
        return _binop(ops.MATMUL, self, other, True)  # type: ignore[no-any-return]

    def __neg__(self) -> Tensor:
        return self._unary(ops.NEG)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self._unary(ops.ABS)

    # comparisons give plain boolean arrays and record nothing
    def __lt__(self, other: Any) -> np.ndarray:
        return self.data < _data(other)

    def __le__(self, other: Any) -> np.ndarray:
        return self.data <= _data(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return self.data > _data(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return self.data >= _data(other)

    def __eq__(self, other: object) -> np.ndarray:  # type: ignore[override]
        return self.data == _data(other)  # type: ignore[no-any-return]

    def __ne__(self, other: object) -> np.ndarray:  # type: ignore[override]
        return self.data != _data(other)  # type: ignore[no-any-return]

    __hash__ = Node.__hash__  # identity: tensors are keys of the backward pass

    # --- elementwise ------------------------------------------------------------------

    def _unary(self, op: Op) -> Tensor:
        data = op.array(self.data)  # type: ignore[misc]
        if self.requires_grad and MODE.grad_enabled:
            return _node(op, data, self, None)
        return _leaf(data)

    def _param_op(self, op: Op, param: Any) -> Tensor:
        return _param_op(op, self, param, op.array(self.data, param))  # type: ignore[misc]

    def exp(self) -> Tensor:
        """Elementwise e**x.  ``Tensor([0.0]).exp().data == [1.0]``"""
        return self._unary(ops.EXP)

    def log(self) -> Tensor:
        """Elementwise natural log (-inf at 0, nan below, no warning)."""
        return self._unary(ops.LOG)

    def sqrt(self) -> Tensor:
        """Elementwise square root (nan below 0, no warning)."""
        return self._unary(ops.SQRT)

    def abs(self) -> Tensor:
        """Elementwise |x| (derivative 0 at 0)."""
        return self._unary(ops.ABS)

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent."""
        return self._unary(ops.TANH)

    def sigmoid(self) -> Tensor:
        """Elementwise 1 / (1 + e**-x), without overflow for large |x|."""
        return self._unary(ops.SIGMOID)

    def relu(self) -> Tensor:
        """Elementwise max(x, 0) (derivative 0 at 0)."""
        return self._unary(ops.RELU)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        """Elementwise x for x ≥ 0, slope·x below."""
        if not isinstance(slope, numbers.Real):
            raise TypeError(f"leaky_relu: slope must be a real number, got {slope!r}")
        return self._param_op(ops.LEAKY_RELU, float(slope))

    def clip(self, min: Any = None, max: Any = None) -> Tensor:
        """Limit values to [min, max]; the gradient passes where min ≤ x ≤ max.

        >>> Tensor([-2.0, 0.5, 3.0]).clip(-1, 1).data
        array([-1. ,  0.5,  1. ])
        """
        if min is None and max is None:
            raise ValueError("clip: give min, max or both")
        return self._param_op(ops.CLIP, (min, max))

    def round(self, decimals: int = 0) -> Tensor:
        """Rounded to ``decimals`` places, ties to even, as numpy; zero gradient.

        >>> Tensor([0.5, 1.5, 2.25]).round(1).data
        array([0.5, 1.5, 2.2])
        """
        return anp.round(self, decimals)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / Σ exp(x) along ``axis``, computed stably (logits of 1e4 are fine)."""
        return self._param_op(ops.SOFTMAX, _norm_axis(axis, self.ndim, "softmax"))

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log(softmax(x)) along ``axis`` as one stable op (never log of 0)."""
        return self._param_op(ops.LOG_SOFTMAX, _norm_axis(axis, self.ndim, "log_softmax"))

    # --- reductions -------------------------------------------------------------------

    def _reduce(self, op: Op, axis: Any, keepdims: bool) -> Tensor:
        param = (_norm_axis(axis, self.ndim, op.name), bool(keepdims))
        if op in (ops.MAX, ops.MIN) and self.data.size == 0:
            raise ValueError(f"{op.name}: the tensor of shape {self.shape} is empty")
        return self._param_op(op, param)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (None: all; int or tuple), as numpy."""
        if axis is None and keepdims is False:  # the common loss.sum(): nothing to check
            return _param_op(ops.SUM, self, _ALL, ops.SUM.array(self.data, _ALL))  # type: ignore[misc]
        return self._reduce(ops.SUM, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (None: all; int or tuple), as numpy."""
        return self._reduce(ops.MEAN, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; ties share the gradient equally."""
        return self._reduce(ops.MAX, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Minimum over ``axis``; ties share the gradient equally."""
        return self._reduce(ops.MIN, axis, keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Variance over ``axis`` with numpy's ``ddof`` (0: divide by n), as numpy.

        >>> float(Tensor([1.0, 2.0, 3.0, 4.0]).var().data)
        1.25
        """
        axis = _norm_axis(axis, self.ndim, "var")
        centred = self - self.mean(axis=axis, keepdims=True)
        n = core._count(self.shape, axis)
        # As numpy: no data left after ddof divides by 0, giving inf (or nan for 0/0).
        scale = ops.div(1.0, float(max(n - ddof, 0)))
        return (centred * centred).sum(axis=axis, keepdims=keepdims) * scale

    def prod(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Product over ``axis``, as numpy; exact gradients where elements are 0.

        >>> Tensor([2.0, 3.0, 4.0]).prod().item()
        24.0
        """
        return self._reduce(ops.PROD, axis, keepdims)

    def std(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Standard deviation over ``axis`` with numpy's ``ddof``: √var.

        >>> Tensor([1.0, 3.0]).std().item()
        1.0
        """
        return self.var(axis=axis, keepdims=keepdims, ddof=ddof).sqrt()

    def cumsum(self, axis: int | None = None) -> Tensor:
        """Running sum along ``axis`` (None: of the flattened tensor), as numpy.

        >>> Tensor([1.0, 2.0, 3.0]).cumsum().data
        array([1., 3., 6.])
        """
        if axis is None:
            return self.reshape(-1).cumsum(0)
        return self._param_op(ops.CUMSUM, _norm_axis(axis, self.ndim, "cumsum"))

    def cumprod(self, axis: int | None = None) -> Tensor:
        """Running product along ``axis`` (None: of the flattened tensor), as numpy.

        >>> Tensor([1.0, 2.0, 3.0]).cumprod().data
        array([1., 2., 6.])
        """
        if axis is None:
            return self.reshape(-1).cumprod(0)
        return self._param_op(ops.CUMPROD, _norm_axis(axis, self.ndim, "cumprod"))

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        """Sum of the diagonal ``offset`` of the plane (axis1, axis2), as numpy.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).trace().item()
        5.0
        """
        return self.diagonal(offset, axis1, axis2).sum(-1)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        """The diagonal ``offset`` of the plane (axis1, axis2), as a last axis (numpy).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).diagonal().data
        array([1., 4.])
        """
        return anp.diagonal(self, offset, axis1, axis2)  # type: ignore[no-any-return]

    def ravel(self) -> Tensor:
        """All elements in one axis (numpy's ravel; a new node either way).

        >>> Tensor([[1.0], [2.0]]).ravel().shape
        (2,)
        """
        return self.reshape(-1)

    def repeat(self, repeats: Any, axis: int | None = None) -> Tensor:
        """Each element repeated ``repeats`` times along ``axis``, as numpy.

        >>> Tensor([1.0, 2.0]).repeat(2).data
        array([1., 1., 2., 2.])
        """
        return anp.repeat(self, repeats, axis)  # type: ignore[no-any-return]

    def take(self, indices: Any, axis: int | None = None) -> Tensor:
        """Elements at ``indices`` along ``axis`` (None: of the flattened tensor), as numpy.

        >>> Tensor([1.0, 2.0, 3.0]).take([2, 0]).data
        array([3., 1.])
        """
        return anp.take(self, indices, axis)  # type: ignore[no-any-return]

    def astype(self, dtype: Any) -> Tensor:
        """The data cast to ``dtype``; to a float type the gradient is cast back.

        >>> Tensor([1.5]).astype(np.float32).dtype
        dtype('float32')
        """
        return anp.astype(self, dtype)  # type: ignore[no-any-return]

    # no gradient: integer and boolean results are plain numpy results
    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Any:
        """Index of the maximum (numpy's; no gradient).  ``Tensor([1.0, 3.0]).argmax() == 1``"""
        return self.data.argmax(axis=axis, keepdims=keepdims)  # type: ignore[arg-type]

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Any:
        """Index of the minimum (numpy's; no gradient).  ``Tensor([1.0, 3.0]).argmin() == 0``"""
        return self.data.argmin(axis=axis, keepdims=keepdims)  # type: ignore[arg-type]

    def argsort(self, axis: int | None = -1) -> np.ndarray:
        """Indices that sort along ``axis`` (numpy's, stable; no gradient)."""
        return self.data.argsort(axis=axis, kind="stable")

    def all(self, axis: Any = None, keepdims: bool = False) -> Any:
        """Whether every element is nonzero (numpy's; no gradient)."""
        return self.data.all(axis=axis, keepdims=keepdims)

    def any(self, axis: Any = None, keepdims: bool = False) -> Any:
        """Whether some element is nonzero (numpy's; no gradient)."""
        return self.data.any(axis=axis, keepdims=keepdims)

    def nonzero(self) -> tuple[np.ndarray, ...]:
        """Indices of the nonzero elements (numpy's; no gradient)."""
        return self.data.nonzero()

    # --- shapes -----------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """Same data, new shape: ``reshape(2, 3)`` or ``reshape((2, 3))``, -1 allowed."""
        new = _shape_arg(shape, "reshape")
        try:
            data = self.data.reshape(new)
        except ValueError as err:
            raise ValueError(f"reshape: cannot reshape {self.shape} into {new}") from err
        return _param_op(ops.RESHAPE, self, data.shape, data)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute axes: ``transpose()`` reverses them; ``transpose(1, 0)`` or ``((1, 0))``."""
        if not axes or (len(axes) == 1 and axes[0] is None):
            perm = tuple(range(self.ndim))[::-1]
        else:
            perm = _shape_arg(axes, "transpose")
            if sorted(a % max(self.ndim, 1) for a in perm) != list(range(self.ndim)):
                raise ValueError(f"transpose: {perm} is not a permutation of {self.ndim} axes")
            perm = tuple(a % self.ndim for a in perm)
        return _param_op(ops.TRANSPOSE, self, perm, self.data.transpose(perm))

    def swapaxes(self, a: int, b: int) -> Tensor:
        """Exchange two axes."""
        perm = list(range(self.ndim))
        a, b = _norm_axis(a, self.ndim, "swapaxes"), _norm_axis(b, self.ndim, "swapaxes")
        perm[a], perm[b] = perm[b], perm[a]
        return self.transpose(tuple(perm))

    def flatten(self) -> Tensor:
        """All elements in one axis."""
        return self.reshape(-1)

    def squeeze(self, axis: Any = None) -> Tensor:
        """Drop size-1 axes (all of them, or those named by ``axis``)."""
        ax = _norm_axis(axis, self.ndim, "squeeze")
        try:
            data = np.squeeze(self.data, axis=ax)
        except ValueError as err:
            raise ValueError(f"squeeze: axis {axis} of shape {self.shape} is not 1") from err
        return _param_op(ops.RESHAPE, self, data.shape, data)

    def unsqueeze(self, axis: int) -> Tensor:
        """Insert a size-1 axis at ``axis``."""
        ax = _norm_axis(axis, self.ndim + 1, "unsqueeze")
        data = np.expand_dims(self.data, ax)
        return _param_op(ops.RESHAPE, self, data.shape, data)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """Repeat along size-1 (or new leading) axes to ``shape``; gradients sum back."""
        shape = tuple(shape)
        try:
            data = np.broadcast_to(self.data, shape)
        except ValueError as err:
            raise ValueError(f"broadcast_to: cannot broadcast {self.shape} to {shape}") from err
        return _param_op(ops.BROADCAST_TO, self, shape, data)

    def __getitem__(self, index: Any) -> Tensor:
        index = _index(index)
        try:
            data = self.data[index]
        except IndexError as err:
            raise IndexError(f"getitem: {err} (tensor of shape {self.shape})") from err
        return _param_op(ops.GETITEM, self, index, data)

    # --- backpropagation --------------------------------------------------------------

    def backward(
        self,
        grad: Any = None,
        create_graph: bool = False,
        retain_graph: bool | None = None,
    ) -> None:
        """Accumulate d(self)/d(t) into ``t.grad`` for every tensor this one depends on.

        ``grad`` (the gradient of some scalar with respect to this tensor) may be left
        out only for a one-element tensor. The graph is freed afterwards (its
        intermediate arrays can be reclaimed) unless ``retain_graph`` is true, which
        ``create_graph`` implies; keep it to call backward again or to draw the graph.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        array([2., 4.])
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (no input had requires_grad=True)"
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward: a gradient of shape {self.shape} is needed for a tensor "
                    f"of shape {self.shape} (only one-element tensors can omit it)"
                )
            seed: Any = np.array(1.0, dtype=self.data.dtype)
            if self.data.ndim:
                seed = seed.reshape(self.data.shape)
        else:
            seed = np.asarray(grad.data if isinstance(grad, Tensor) else grad, self.dtype)
            if seed.shape != self.shape:
                raise ValueError(f"backward: grad has shape {seed.shape}, expected {self.shape}")
        if create_graph:
            seed = _leaf(seed)
        self.grad = None
        retain = create_graph if retain_graph is None else retain_graph
        backpropagate(self, seed, create_graph, free_graph=not retain)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _index(index: Any) -> Any:
    """An index with Tensors replaced by their arrays and lists by integer arrays."""
    if isinstance(index, tuple):
        return tuple(_index_item(i) for i in index)
    return _index_item(index)


def _index_item(i: Any) -> Any:
    if isinstance(i, Tensor):
        i = i.data
    if isinstance(i, list):
        i = np.asarray(i)
    if isinstance(i, np.ndarray) and i.dtype.kind == "f":
        raise IndexError(f"getitem: float arrays cannot index, got dtype {i.dtype}")
    return i


def _lookup_product(x: Tensor, w: Any) -> Tensor | None:
    """``x @ w`` as one ``embedding_matmul`` node (autodiff/ops/nn.py) when ``x`` is an
    embedding's output, or that reshaped so that each row concatenates k whole table
    rows, ``w`` is a matrix, and the table has fewer than half as many rows as ``x``
    (then k products with the table cost less than one with ``x``); otherwise None."""
    rows = x if x._op is ops.EMBEDDING else x._a
    if rows._op is not ops.EMBEDDING or x.ndim < 1:
        return None
    table, lookup = rows._a, rows._b
    v, e = table.shape
    wd = w.data if isinstance(w, Tensor) else w
    if not isinstance(wd, np.ndarray) or wd.ndim != 2 or wd.dtype != x.dtype:
        return None
    width = x.shape[-1]
    if width % e or wd.shape[0] != width or not rows.data.flags.c_contiguous:
        return None
    n = x.size // width
    if 2 * v > n:
        return None
    spec = ops.Lookup(lookup.indices.reshape(n, width // e), x.shape[:-1], lookup.padding_idx)
    data = ops.EMBEDDING_MATMUL.array(spec, table.data, wd)  # type: ignore[misc]
    return _nary(ops.EMBEDDING_MATMUL, (spec, table, w), data)


def _nary(op: Op, operands: Sequence[Any], data: Any) -> Tensor:
    """A node over several operands; those that need no grad are kept as constants."""
    if not any(isinstance(x, Tensor) and x.requires_grad for x in operands):
        return _leaf(data)
    kept = tuple(x if not isinstance(x, Tensor) or x.requires_grad else x.data for x in operands)
    return _node(op, data, kept, None)


def _tensors(xs: Any, what: str) -> list[Tensor]:
    if isinstance(xs, (Tensor, np.ndarray)) or not isinstance(xs, Sequence) or not xs:
        raise TypeError(f"{what} takes a non-empty list of tensors")
    return [x if isinstance(x, Tensor) else Tensor(x) for x in xs]


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis.

    >>> concatenate([Tensor([1.0]), Tensor([2.0, 3.0])]).data
    array([1., 2., 3.])
    """
    ts = _tensors(tensors, "concatenate")
    try:
        data = np.concatenate([t.data for t in ts], axis=axis)
    except ValueError as err:
        raise ValueError(
            f"concatenate: shapes {[t.shape for t in ts]} along axis {axis}: {err}"
        ) from err
    return _nary(ops.CONCATENATE, (axis, *ts), data)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis.

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).shape
    (2, 2)
    """
    ts = _tensors(tensors, "stack")
    try:
        data = np.stack([t.data for t in ts], axis=axis)
    except ValueError as err:
        raise ValueError(f"stack: shapes {[t.shape for t in ts]} along axis {axis}: {err}") from err
    return _nary(ops.STACK, (axis, *ts), data)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """Elementwise ``x`` where ``condition`` holds, else ``y`` (broadcast together).

    >>> where(np.array([True, False]), Tensor([1.0, 2.0]), 0.0).data
    array([1., 0.])
    """
    cond = np.asarray(_data(condition), dtype=bool)
    xs = [_data(x), _data(y)]
    try:
        data = np.where(cond, *xs)
    except ValueError as err:
        raise ValueError(f"where: shapes {_shapes(cond, x, y)} do not broadcast") from err
    return _nary(ops.WHERE, (cond, x, y), data)


def softmax_cross_entropy(logits: Tensor, labels: Any, reduction: str = "none") -> Tensor:
    """Cross-entropy −log softmax(logits)[label] of each row, as one fused, stable op.

    ``logits`` (..., C), integer ``labels`` of shape (...); returns (...) with
    ``reduction="none"``, their mean or sum (a 0-d tensor) with ``"mean"`` or ``"sum"``.
    The same as ``-logits.log_softmax()[rows, labels]`` (then ``.mean()``), in one node
    instead of five, with gradient softmax(logits) − onehot(labels) from the softmax the
    forward computed.

    >>> z = Tensor([[2.0, 0.0], [0.0, 2.0]], requires_grad=True)
    >>> loss = softmax_cross_entropy(z, [0, 0], reduction="mean")
    >>> loss.backward()
    >>> round(loss.item(), 4), z.grad.round(4).tolist()
    (1.1269, [[-0.0596, 0.0596], [-0.4404, 0.4404]])
    """
    fn = "softmax_cross_entropy"
    if not isinstance(logits, Tensor):
        raise TypeError(f"{fn}: logits must be a Tensor, got {type(logits).__name__}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{fn}: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    y = labels if labels.__class__ is _ndarray else np.asarray(_data(labels))
    if logits.data.ndim == 0 or y.shape != logits.data.shape[:-1]:
        raise ValueError(
            f"{fn}: labels of shape {y.shape} do not match logits of shape {logits.shape} "
            "(labels need the logits' shape without the class axis)"
        )
    if y.dtype.kind not in "iu":
        raise TypeError(f"{fn}: labels must be integers, got dtype {y.dtype}")
    classes = logits.data.shape[-1]
    if y.size and (np.minimum.reduce(y, None) < 0 or np.maximum.reduce(y, None) >= classes):
        at = tuple(int(i) for i in np.argwhere((y < 0) | (y >= classes))[0])
        raise ValueError(
            f"{fn}: label {y[at]} at index {at} is out of range for {classes} classes "
            f"(labels are 0..{classes - 1})"
        )
    data, param = loss_and_labels(logits.data, y, reduction)
    return _param_op(ops.SOFTMAX_CROSS_ENTROPY, logits, param, data)


def _apply(op: Op, args: tuple[Any, ...]) -> Tensor:
    """Apply a user primitive (NARY op) to Tensors and arrays."""
    xs = [a.data if isinstance(a, Tensor) else np.asarray(a) for a in args]
    data = np.asarray(op.array(*xs))  # type: ignore[misc]
    return _nary(op, args, data)


__all__ = ["Tensor", "concatenate", "softmax_cross_entropy", "stack", "where"]

# Last: the dispatch module builds on Tensor (and autodiff.numpy on this whole module).
from . import numpy as anp  # noqa: E402
from .numpy import dispatch as _dispatch  # noqa: E402


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
