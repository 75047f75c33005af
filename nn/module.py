"""Module and Parameter: the base of every layer and model.

A ``Module`` finds its parameters by looking at its attributes, in the order they were
set: a ``Parameter`` (a Tensor that trains), a leaf ``Value`` (the weights of the
scalar networks in :mod:`nn.scalar`), another Module, or lists, tuples and dicts of
these, to any depth. Each parameter is reported once, under the first dotted name
that reaches it (``layers.0.weight``), even when modules share it. A plain Tensor
attribute is a constant: it is neither trained nor saved.

``state_dict()`` maps those names to numpy copies; ``load_state_dict``, ``save`` and
``load`` check everything before changing anything, so a failed load leaves the
model as it was. ``save`` writes an ``.npz`` atomically (a temporary file in the same
directory, then a rename) and ``load`` reads it with ``allow_pickle=False``.

>>> import numpy as np
>>> from autodiff import Tensor
>>> class Affine(Module):
...     def __init__(self):
...         super().__init__()
...         self.scale = Parameter(np.ones(2))
...         self.shift = Parameter(np.zeros(2))
...     def forward(self, x):
...         return x * self.scale + self.shift
>>> m = Affine()
>>> [name for name, _ in m.named_parameters()]
['scale', 'shift']
>>> m(Tensor([1.0, 2.0])).data
array([1., 2.])
"""

from __future__ import annotations

import os
import secrets
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from autodiff import Tensor, Value
from autodiff.viz import modules as module_trace


class Parameter(Tensor):
    """A Tensor that a Module trains and saves: a floating-point leaf requiring grad.

    Float data keeps its dtype (float32 stays float32); anything else becomes
    float64 unless ``dtype`` says otherwise. The data is copied.

    >>> import numpy as np
    >>> w = Parameter(np.zeros((2, 3), dtype=np.float32))
    >>> w.shape, w.dtype, w.requires_grad
    ((2, 3), dtype('float32'), True)
    """

    __slots__ = ()

    def __init__(
        self, data: Any, requires_grad: bool = True, dtype: Any = None, label: str = ""
    ) -> None:
        if dtype is None:
            source = data.data if isinstance(data, Tensor) else data
            if isinstance(source, (np.ndarray, np.generic)) and source.dtype.kind == "f":
                dtype = source.dtype
        super().__init__(data, requires_grad=True, dtype=dtype, label=label)
        if self.dtype.kind != "f":
            raise TypeError(f"Parameter: dtype must be floating-point, got {self.dtype}")
        self.requires_grad = bool(requires_grad)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor") :]


def is_parameter(x: Any) -> bool:
    """Whether a Module reports ``x`` as a parameter: a ``Parameter``, or a ``Value``
    that is a leaf (not the result of an op).

    >>> is_parameter(Value(1.0)), is_parameter(Value(1.0) * 2), is_parameter(Tensor([1.0]))
    (True, False, False)
    """
    return isinstance(x, Parameter) or (isinstance(x, Value) and not x.op)


def _children(obj: Any, prefix: str) -> list[tuple[str, Any]]:
    """The (dotted name, item) pairs directly inside ``obj`` worth walking into."""
    if isinstance(obj, Module):
        items: Any = vars(obj).items()
    elif isinstance(obj, dict):
        items = obj.items()
    else:
        items = enumerate(obj)
    out = []
    for key, item in items:
        if is_parameter(item) or isinstance(item, (Module, list, tuple, dict)):
            out.append((f"{prefix}.{key}" if prefix else str(key), item))
    return out


def _walk(root: Module) -> Iterator[tuple[str, Any]]:
    """Every Module and parameter under ``root`` with its dotted name, depth first in
    attribute order, each object once (iterative: no depth limit, cycles are fine)."""
    yield "", root
    seen = {id(root)}
    stack = _children(root, "")[::-1]
    while stack:
        name, obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if is_parameter(obj):
            yield name, obj
            continue
        if isinstance(obj, Module):
            yield name, obj
        stack.extend(_children(obj, name)[::-1])


def _count(p: Any) -> int:
    return int(p.data.size) if isinstance(p, Tensor) else 1


def _trainable(p: Any) -> bool:
    return not isinstance(p, Tensor) or p.requires_grad


class Module:
    """Base class of layers and models: subclass it, set parameters and submodules as
    attributes in ``__init__`` and compute the output in ``forward``.

    ``training`` is True after construction and ``train()``, False after ``eval()``
    (Dropout reads it). ``repr(model)`` prints a summary table: each layer, its
    output width, its parameter count, and the total.

    >>> import numpy as np
    >>> class TwoLayer(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.layers = [Parameter(np.ones((2, 3))), Parameter(np.ones((3, 1)))]
    ...     def forward(self, x):
    ...         return (x @ self.layers[0]).relu() @ self.layers[1]
    >>> [name for name, _ in TwoLayer().named_parameters()]
    ['layers.0', 'layers.1']
    """

    training: bool = True  # a class default, so subclasses that skip __init__ still work
    #: True for containers that apply their children one after another (Sequential):
    #: the summary then passes each child's output width on to the next.
    is_chain: ClassVar[bool] = False

    def __init__(self) -> None:
        self.training = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self.forward(*args, **kwargs)
        if (
            module_trace.ACTIVE
        ):  # a forward pass is being recorded by module (drawings, diagnostics)
            module_trace.note_call(self, args, out)
        return out

    # --- finding parameters and submodules ---------------------------------------------

    def named_parameters(self) -> list[tuple[str, Any]]:
        """``(dotted name, parameter)`` pairs in definition order, each parameter once.

        >>> import numpy as np
        >>> m = Module()
        >>> m.w = Parameter(np.zeros(2)); m.blocks = {"a": Module()}
        >>> m.blocks["a"].b = m.w  # shared: reported once, under its first name
        >>> [n for n, _ in m.named_parameters()]
        ['w']
        """
        return [(n, x) for n, x in _walk(self) if is_parameter(x)]

    def parameters(self) -> list[Any]:
        """The parameters (Parameters and leaf Values), in definition order, each once.

        >>> import numpy as np
        >>> m = Module(); m.w = Parameter(np.zeros((2, 2)))
        >>> [p.shape for p in m.parameters()]
        [(2, 2)]
        """
        return [x for _, x in _walk(self) if is_parameter(x)]

    def named_modules(self) -> list[tuple[str, Module]]:
        """``(dotted name, module)`` pairs, this module first (name ``""``), each once.

        >>> m = Module(); m.head = Module()
        >>> [n for n, _ in m.named_modules()]
        ['', 'head']
        """
        return [(n, x) for n, x in _walk(self) if isinstance(x, Module)]

    def children(self) -> list[tuple[str, Module]]:
        """The modules directly inside this one, with their names, in order (a module
        listed twice, as in ``Sequential(act, lin, act)``, appears twice).

        >>> m = Module(); m.blocks = [Module(), Module()]
        >>> [n for n, _ in m.children()]
        ['blocks.0', 'blocks.1']
        """
        return [(n, x) for n, x in self._direct() if isinstance(x, Module)]

    def _direct(self) -> list[tuple[str, Any]]:
        """Submodules and parameters reached without entering another module, in order."""
        out = []
        seen = set()  # containers only: a list that holds itself is walked once
        stack = _children(self, "")[::-1]
        while stack:
            name, obj = stack.pop()
            if isinstance(obj, Module) or is_parameter(obj):
                out.append((name, obj))
            elif id(obj) not in seen:
                seen.add(id(obj))
                stack.extend(_children(obj, name)[::-1])
        return out

    def num_parameters(self, trainable_only: bool = False) -> int:
        """How many numbers the parameters hold (a Value counts one).

        >>> import numpy as np
        >>> m = Module(); m.w = Parameter(np.zeros((3, 4)))
        >>> m.num_parameters()
        12
        """
        return sum(_count(p) for p in self.parameters() if _trainable(p) or not trainable_only)

    # --- training state -----------------------------------------------------------------

    def zero_grad(self) -> None:
        """Clear every parameter's gradient: None for Tensors, 0.0 for Values.

        >>> import numpy as np
        >>> m = Module(); m.w = Parameter(np.ones(2))
        >>> (m.w * m.w).sum().backward(); m.zero_grad()
        >>> m.w.grad is None
        True
        """
        for p in self.parameters():
            p.grad = None if isinstance(p, Tensor) else 0.0

    def train(self, mode: bool = True) -> Module:
        """Put this module and every submodule in training mode (``mode=False``: eval).

        >>> m = Module(); m.head = Module()
        >>> m.eval().head.training, m.train().head.training
        (False, True)
        """
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"train: mode must be True or False, got {mode!r}")
        for _, module in self.named_modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Put this module and every submodule in evaluation mode (Dropout passes through).

        >>> Module().eval().training
        False
        """
        return self.train(False)

    # --- saving and loading -------------------------------------------------------------

    def register_buffer(self, name: str, value: Any) -> None:
        """Keep ``value`` (an array, or None) as the attribute ``name``: state that is
        saved and loaded with the parameters but not trained, such as batch norm's
        running statistics (PyTorch's buffers). Updates must be in place.

        >>> import numpy as np
        >>> m = Module(); m.register_buffer("count", np.zeros((), dtype=np.int64))
        >>> m.count += 1; m.state_dict()
        {'count': array(1)}
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"register_buffer: name must be an identifier, got {name!r}")
        if value is not None and not isinstance(value, np.ndarray):
            raise TypeError(
                f"register_buffer: {name!r} must be a numpy array or None, "
                f"got {type(value).__name__}"
            )
        setattr(self, name, value)
        names = self.__dict__.get("_buffer_names", ())
        if name not in names:
            self._buffer_names = (*names, name)

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        """``(dotted name, array)`` of every buffer of this module and its submodules.

        >>> import numpy as np
        >>> m = Module(); m.head = Module(); m.head.register_buffer("mean", np.zeros(2))
        >>> [n for n, _ in m.named_buffers()]
        ['head.mean']
        """
        out = []
        for prefix, module in self.named_modules():
            for name in module.__dict__.get("_buffer_names", ()):
                value = getattr(module, name)
                if value is not None:
                    out.append((f"{prefix}.{name}" if prefix else name, value))
        return out

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameter and buffer names → copies of their data (a Value gives a 0-d
        float64 array).

        >>> import numpy as np
        >>> m = Module(); m.w = Parameter(np.ones(2))
        >>> m.state_dict()
        {'w': array([1., 1.])}
        """
        state = {
            name: np.array(p.data, dtype=None if isinstance(p, Tensor) else np.float64)
            for name, p in self.named_parameters()
        }
        state.update((name, np.array(b)) for name, b in self.named_buffers())
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Copy ``state_dict``'s arrays into the parameters (and buffers) of the same names.

        The keys must be exactly this module's parameter and buffer names and each array must
        have its parameter's shape (values are cast to its dtype). Everything is
        checked first: a ``KeyError`` names missing and unexpected keys, a
        ``ValueError`` each wrong shape, a ``TypeError`` non-numeric data, and on any
        error no parameter has changed.

        >>> import numpy as np
        >>> m = Module(); m.w = Parameter(np.zeros(2))
        >>> m.load_state_dict({"w": [1.0, 2.0]})
        >>> m.w.data
        array([1., 2.])
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict takes a mapping of names to arrays, got "
                f"{type(state_dict).__name__}"
            )
        params: dict[str, Any] = dict(self.named_parameters())
        params.update(self.named_buffers())
        missing = [k for k in params if k not in state_dict]
        unexpected = [k for k in state_dict if k not in params]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise KeyError(f"load_state_dict: {'; '.join(parts)}")
        arrays, wrong = {}, []
        for name, p in params.items():
            value = state_dict[name]
            try:
                arr = np.asarray(value.data if isinstance(value, Tensor) else value)
            except (TypeError, ValueError) as err:
                raise TypeError(f"load_state_dict: {name!r} is not an array ({err})") from err
            if arr.dtype.kind not in "fiu":
                raise TypeError(
                    f"load_state_dict: {name!r} must hold real numbers, got dtype {arr.dtype}"
                )
            expected = p.shape if isinstance(p, (Tensor, np.ndarray)) else ()
            if arr.shape != expected:
                wrong.append(f"{name!r}: expected shape {expected}, got {arr.shape}")
            arrays[name] = arr
        if wrong:
            raise ValueError(f"load_state_dict: wrong shapes: {'; '.join(wrong)}")
        for name, p in params.items():
            if isinstance(p, np.ndarray):  # a buffer
                p[...] = arrays[name]
            elif isinstance(p, Tensor):
                p.data[...] = arrays[name]  # in place: views and references stay valid
            else:
                p.data = float(arrays[name])

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``state_dict()`` to ``path`` as an ``.npz`` archive, atomically.

        The archive is written to a temporary file in the same directory, flushed to
        disk, then renamed over ``path``: a crash at any moment leaves either the old
        file or the new one, never half of one. The name is used as given (no suffix
        is added).

        >>> import numpy as np, os, tempfile
        >>> m = Module(); m.w = Parameter(np.arange(3.0))
        >>> path = os.path.join(tempfile.mkdtemp(), "m.npz")
        >>> m.save(path); m.w.data[:] = 0; m.load(path).w.data
        array([0., 1., 2.])
        """
        path = os.fspath(path)
        state = self.state_dict()
        directory, base = os.path.split(os.path.abspath(path))
        tmp = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            # "xb": a fresh file with the usual permissions, never someone else's
            with open(tmp, "xb") as f:
                _write_npz(f, state)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise

    def load(self, path: str | os.PathLike[str]) -> Module:
        """Load weights written by ``save`` (or ``np.savez(path, **state_dict)``); returns
        this module.

        Read with ``allow_pickle=False``: an archive holding object arrays is refused,
        never unpickled. A missing, corrupt or truncated file, or one whose names or
        shapes do not match, raises an error naming the file, and the model keeps
        its weights.
        """
        path = os.fspath(path)
        state = _read_npz(path)
        try:
            self.load_state_dict(state)
        except (KeyError, ValueError, TypeError) as err:
            raise type(err)(f"{path}: {err.args[0]}") from err
        return self

    # --- printing -------------------------------------------------------------------------

    def output_size(self, input_size: int | None) -> int | None:
        """The width of this module's output for an input of width ``input_size``, or
        None when unknown; layers that know it say so (the summary's output column).

        >>> Module().output_size(3) is None
        True
        """
        return None

    def extra_repr(self) -> str:
        """What goes between the parentheses of this module's one-line description."""
        return ""

    def describe(self) -> str:
        """One line: the class name and ``extra_repr()``, e.g. ``Linear(784, 30)``."""
        return f"{type(self).__name__}({self.extra_repr()})"

    def summary(self) -> str:
        """A table in the manner of Keras' ``model.summary()``: each direct sublayer
        (or own parameter), its output width, its parameter count, and the total.

        >>> import numpy as np
        >>> m = Module(); m.w = Parameter(np.zeros((3, 4)))
        >>> print(m.summary())
        Module()
        layer  type                  output    params
        ─────────────────────────────────────────────
        w      Parameter (3, 4)           -        12
        ─────────────────────────────────────────────
        Total params: 12
        """
        rows: list[tuple[str, str, str, str]] = []
        size: int | None = None
        counted: set[int] = set()  # a parameter shared by two rows is counted in the first
        for name, obj in self._direct():
            if is_parameter(obj):
                if id(obj) not in counted:
                    counted.add(id(obj))
                    kind = f"Parameter {obj.shape}" if isinstance(obj, Tensor) else "Value"
                    rows.append((name, kind, "-", f"{_count(obj):,}"))
                continue
            fresh = [p for p in obj.parameters() if id(p) not in counted]
            counted.update(id(p) for p in fresh)
            if self.is_chain:
                size = obj.output_size(size)
            elif not fresh:
                continue  # a parameter-free helper of a custom module tells nothing here
            else:
                size = obj.output_size(None)
            out = "?" if size is None else str(size)
            rows.append((name, obj.describe(), out, f"{sum(_count(p) for p in fresh):,}"))
        header = ("layer", "type", "output", "params")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        widths[1] = max(widths[1], 20)

        def line(r: tuple[str, str, str, str]) -> str:
            return (
                f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{max(widths[2], 6)}}"
                f"  {r[3]:>{max(widths[3], 8)}}"
            )

        rule = "─" * len(line(header))
        total, trainable = self.num_parameters(), self.num_parameters(trainable_only=True)
        footer = f"Total params: {total:,}"
        if trainable != total:
            footer += f" (trainable: {trainable:,}, non-trainable: {total - trainable:,})"
        return "\n".join([self.describe(), line(header), rule, *map(line, rows), rule, footer])

    def __repr__(self) -> str:
        # Containers print the summary table; a layer (no sublayers with parameters)
        # prints its one-line description.
        children = self.children()
        if any(c.num_parameters() for _, c in children) or (self.is_chain and children):
            return self.summary()
        return self.describe()


# --- the .npz format ----------------------------------------------------------------------


def _write_npz(f: Any, state: Mapping[str, np.ndarray]) -> None:
    """The layout ``np.savez`` writes (one ``NAME.npy`` member per array, stored), with
    ``allow_pickle=False``; written directly so that any name, even ``file``, works."""
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in state.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(arr), allow_pickle=False)


def _read_npz(path: str) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path``, read whole with ``allow_pickle=False``;
    anything unreadable is a ValueError naming the file."""
    with open(path, "rb") as f:  # a missing file: FileNotFoundError names it already
        magic = f.read(4)
    if magic not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise ValueError(f"{path}: not an .npz archive (Module.save writes one)")
    state = {}
    # Whatever a damaged archive makes zipfile, zlib or numpy raise is reported as one
    # error naming the file; every array is read in full here, before the model changes.
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as err:
        raise ValueError(f"{path}: corrupt or truncated .npz file ({err})") from err
    with archive:
        for key in archive.files:
            try:
                arr = archive[key]
            except Exception as err:
                if isinstance(err, ValueError) and "allow_pickle" in str(err):
                    raise ValueError(
                        f"{path}: array {key!r} holds Python objects; refusing to unpickle "
                        "it (loading a pickle can run arbitrary code)"
                    ) from None
                raise ValueError(
                    f"{path}: corrupt or truncated .npz file (array {key!r}: {err})"
                ) from err
            if not isinstance(arr, np.ndarray):
                raise ValueError(f"{path}: member {key!r} of the archive is not a numpy array")
            state[key] = arr
    return state


__all__ = ["Module", "Parameter", "is_parameter"]
