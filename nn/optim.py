"""Optimizers and learning-rate schedulers with PyTorch's update rules and defaults.

An optimizer takes an iterable of parameters — Tensors that require grad, or Values —
or of parameter groups (dicts with ``"params"`` and hyperparameters overriding the
defaults), as PyTorch. ``step()`` updates every parameter from its ``.grad``:

- a Tensor's ``.data`` is updated in place (references held elsewhere stay valid,
  float32 stays float32); a Tensor whose grad is None is skipped, as PyTorch;
- the Values of a group are gathered into one array, updated by the same rule, and
  their floats written back, so Values and Tensors follow the same trajectory.

Before anything changes, every gradient is checked: a nan or inf raises
``FloatingPointError`` naming the parameter (``nonfinite="raise"``) or skips the
step with a warning (``nonfinite="skip"``); either way no parameter and no optimizer
state moves. ``state_dict()`` holds numpy arrays and numbers only, under flat string
keys, so ``np.savez(path, **opt.state_dict())`` saves it and ``load_state_dict``
takes back what ``np.load`` returns.

>>> from autodiff import Tensor
>>> w = Tensor([1.0, -2.0], requires_grad=True)
>>> opt = SGD([w], lr=0.1, momentum=0.9)
>>> for _ in range(2):
...     opt.zero_grad()
...     (w * w).sum().backward()
...     opt.step()
>>> w.data.round(4)
array([ 0.46, -0.92])
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from autodiff import Tensor, Value

from .utils import total_norm

# --- checking hyperparameters -------------------------------------------------------------


def _real(name: str, x: Any, owner: str, low: float = 0.0, high: float | None = None) -> float:
    """``x`` as a float in [low, high] (high excluded), or a clear error naming it."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {x!r}")
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"{owner}: invalid {name} {x!r} (must be finite)")
    if not x >= low or (high is not None and not x < high):
        where = f"in [{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{owner}: invalid {name} {x!r} (must be {where})")
    return x


def _flag(name: str, x: Any, owner: str) -> bool:
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {x!r}")
    return bool(x)


def _count(name: str, x: Any, owner: str, low: int) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < low:
        raise ValueError(f"{owner}: {name} must be an integer >= {low}, got {x!r}")
    return int(x)


def _number(x: Any) -> Any:
    """A number read back from a state dict (``np.load`` gives 0-d arrays)."""
    return x.item() if isinstance(x, (np.ndarray, np.generic)) else x


# --- parameters ---------------------------------------------------------------------------


class _Slot:
    """What one update acts on: one Tensor, or all the Values of a group as one array."""

    __slots__ = ("key", "group", "tensor", "values", "indices", "state")

    def __init__(
        self,
        key: str,
        group: dict[str, Any],
        tensor: Tensor | None,
        values: list[Value] | None,
        indices: list[int],
    ) -> None:
        self.key = key  # "3": the parameter at index 3; "group0": the Values of group 0
        self.group = group
        self.tensor = tensor
        self.values = values
        self.indices = indices  # the parameters' indices among all of the optimizer's
        self.state: dict[str, Any] = {}

    @property
    def shape(self) -> tuple[int, ...]:
        if self.tensor is not None:
            return self.tensor.shape
        return (len(self.values or ()),)

    @property
    def dtype(self) -> np.dtype:
        return self.tensor.dtype if self.tensor is not None else np.dtype(np.float64)

    def describe(self, position: int) -> str:
        """The parameter at ``position`` within this slot, by index and label."""
        p: Any = self.tensor if self.tensor is not None else (self.values or [])[position]
        label = f" ({p.label!r})" if p.label else ""
        return f"parameter {self.indices[position]}{label}"


class _Unit:
    """Slots updated together as one flat array: every rule here is elementwise, so one
    numpy call per operation over all of a group's parameters of one dtype and step
    count gives the same numbers as one call per parameter, at a fraction of the calls
    (makemore's Transformer has 53 parameter Tensors). Works on copies until ``commit``.
    """

    __slots__ = ("slots", "arrays", "p", "g", "state", "ends")

    def __init__(self, work: list[tuple[_Slot, np.ndarray, np.ndarray]]) -> None:
        self.slots = [slot for slot, _, _ in work]
        self.arrays = [p for _, p, _ in work]
        self.g = work[0][2] if len(work) == 1 else np.concatenate([g for *_, g in work], axis=None)
        self.ends = np.cumsum([p.size for p in self.arrays])
        self.p: np.ndarray = self.g  # set by copy()
        self.state: dict[str, Any] = {}

    def copy(self) -> None:
        """Copy the parameters and state for the update to work on."""
        slots, arrays = self.slots, self.arrays
        if len(slots) == 1:
            self.p = np.array(arrays[0], copy=True)
            self.state = {
                k: v.copy() if isinstance(v, np.ndarray) else v for k, v in slots[0].state.items()
            }
            return
        self.p = np.concatenate(arrays, axis=None)
        self.state = {
            k: np.concatenate([s.state[k] for s in slots], axis=None)
            if isinstance(v, np.ndarray)
            else v
            for k, v in slots[0].state.items()
        }

    def first_nonfinite(self, flat: np.ndarray) -> tuple[str, Any] | None:
        """(who, value) of the first nan or inf in ``flat`` (this unit's layout), or None."""
        finite = np.isfinite(flat)
        if finite.all():
            return None
        at = int(np.argmin(finite.reshape(-1)))
        bad = flat.reshape(-1)[at]
        i = int(np.searchsorted(self.ends, at, side="right"))
        slot, start = self.slots[i], int(self.ends[i] - self.arrays[i].size)
        if slot.values is not None:
            return slot.describe(at - start), bad
        where = tuple(int(j) for j in np.unravel_index(at - start, self.arrays[i].shape))
        return slot.describe(0), f"{bad} at {where}"

    def commit(self) -> None:
        """Write the new parameters (in place) and state back to the slots."""
        if len(self.slots) == 1:
            slot, p = self.slots[0], self.arrays[0]
            slot.state = self.state
            if slot.values is not None:
                for v, x in zip(slot.values, self.p.tolist(), strict=True):
                    v.data = x
            else:
                np.copyto(p, self.p)  # in place: references to the parameter stay valid
            return
        start = 0
        for slot, p, end in zip(self.slots, self.arrays, self.ends.tolist(), strict=True):
            np.copyto(p, self.p[start:end].reshape(p.shape))
            slot.state = {
                k: v[start:end].reshape(p.shape) if isinstance(v, np.ndarray) else v
                for k, v in self.state.items()
            }
            start = end


def _units(work: list[tuple[_Slot, np.ndarray, np.ndarray]]) -> list[_Unit]:
    """The work in units: Tensor slots of one group, dtype and state (names and step)
    together; the Values of a group (already one array) on their own."""
    together: dict[Any, list[tuple[_Slot, np.ndarray, np.ndarray]]] = {}
    for item in work:
        slot, p, g = item
        if slot.values is not None:
            key: Any = id(slot)
        else:
            state = slot.state
            key = (id(slot.group), p.dtype, g.dtype, tuple(state), state.get("step"))
        together.setdefault(key, []).append(item)
    return [_Unit(items) for items in together.values()]


class Optimizer:
    """Base of the optimizers: parameter groups, the gradient check, state dicts.

    A subclass sets ``defaults`` (hyperparameter names and values), checks them in
    ``_check(hp)`` and writes its rule once, on numpy arrays, in ``_update``.

    >>> from autodiff import Value
    >>> x = Value(3.0)
    >>> opt = SGD([x], lr=0.25)
    >>> (x * x).backward()
    >>> opt.step()
    >>> x.data
    1.5
    """

    _state_names: tuple[str, ...] = ()
    _flags: tuple[str, ...] = ()  # hyperparameters that are True or False
    _lowest: ClassVar[dict[str, float]] = {}  # lower bounds other than 0

    def __init__(
        self,
        params: Any,
        defaults: dict[str, Any],
        nonfinite: str = "raise",
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        if nonfinite not in ("raise", "skip"):
            raise ValueError(
                f"{self._name}: nonfinite must be 'raise' or 'skip', got {nonfinite!r}"
            )
        self.nonfinite = nonfinite
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(f"{self._name}: give clipnorm or global_clipnorm, not both")
        self.clipnorm, self.clipvalue, self.global_clipnorm = (
            None if c is None else _real(name, c, self._name)
            for name, c in (
                ("clipnorm", clipnorm),
                ("clipvalue", clipvalue),
                ("global_clipnorm", global_clipnorm),
            )
        )
        self.defaults = self._check(dict(defaults))
        self.param_groups: list[dict[str, Any]] = []
        self._slots: list[_Slot] = []
        self._n_params = 0
        self._seen: set[int] = set()
        if isinstance(params, (Tensor, Value, dict)) or not isinstance(params, Iterable):
            raise TypeError(
                f"{self._name}: params must be an iterable of Tensors, Values or dicts, "
                f"got {type(params).__name__}"
            )
        items = list(params)
        if not items:
            raise ValueError(f"{self._name}: got an empty parameter list")
        groups = items if all(isinstance(g, dict) for g in items) else [{"params": items}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    def _check(self, hp: dict[str, Any]) -> dict[str, Any]:
        """Hyperparameters checked and normalised: flags to bools, the rest to floats
        of at least 0 (or the bound in ``_lowest``); subclasses add their own rules."""
        n = self._name
        return {
            k: _flag(k, v, n) if k in self._flags else _real(k, v, n, self._lowest.get(k, 0.0))
            for k, v in hp.items()
        }

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (the rest: defaults).

        >>> from autodiff import Tensor
        >>> a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
        >>> opt = SGD([a], lr=0.1)
        >>> opt.add_param_group({"params": [b], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{self._name}: a parameter group is a dict with a 'params' entry")
        unknown = sorted(set(group) - set(self.defaults) - {"params"})
        if unknown:
            raise ValueError(
                f"{self._name}: unknown hyperparameter(s) {unknown} in a parameter group "
                f"(known: {sorted(self.defaults)})"
            )
        params = group["params"]
        params = [params] if isinstance(params, (Tensor, Value)) else list(params)
        if not params:
            raise ValueError(f"{self._name}: a parameter group has no parameters")
        hp = self._check({**self.defaults, **{k: v for k, v in group.items() if k != "params"}})
        first = self._n_params
        seen = set(self._seen)
        for i, p in enumerate(params, start=first):
            self._check_param(p, i)
            if id(p) in seen:
                raise ValueError(f"{self._name}: parameter {i} appears more than once")
            seen.add(id(p))
        new = {"params": params, **hp}
        g = len(self.param_groups)
        slots = [
            _Slot(str(i), new, p, None, [i])
            for i, p in enumerate(params, start=first)
            if isinstance(p, Tensor)
        ]
        value_ids = [i for i, p in enumerate(params, start=first) if isinstance(p, Value)]
        if value_ids:
            values = [p for p in params if isinstance(p, Value)]
            slots.append(_Slot(f"group{g}", new, None, values, value_ids))
        self.param_groups.append(new)
        self._slots.extend(slots)
        self._seen = seen
        self._n_params += len(params)

    def _check_param(self, p: Any, i: int) -> None:
        if isinstance(p, Tensor):
            if not p.requires_grad:
                raise ValueError(
                    f"{self._name}: parameter {i} is a Tensor that does not require grad "
                    "(create it with requires_grad=True)"
                )
            if p.op:
                raise ValueError(
                    f"{self._name}: parameter {i} is not a leaf (made by op {p.op!r}); "
                    "optimize the tensors it was computed from"
                )
        elif isinstance(p, Value):
            if p.op:
                raise ValueError(f"{self._name}: parameter {i} is not a leaf (made by op {p.op!r})")
        else:
            raise TypeError(
                f"{self._name}: parameter {i} must be a Tensor or a Value, got {type(p).__name__}"
            )

    # --- the training-loop API ------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: Tensors' to None (zeros if not
        ``set_to_none``), Values' to 0.0.

        >>> from autodiff import Tensor
        >>> w = Tensor([1.0], requires_grad=True)
        >>> opt = Adam([w])
        >>> (w * 2).sum().backward()
        >>> opt.zero_grad()
        >>> w.grad is None
        True
        """
        for group in self.param_groups:
            for p in group["params"]:
                if isinstance(p, Value):
                    p.grad = 0.0
                elif set_to_none:
                    p.grad = None
                else:
                    p.grad = np.zeros_like(p.data)

    def step(self) -> None:
        """Update every parameter from its gradient (see the module's docstring)."""
        work = self._gradients()
        # Every gradient is checked before anything moves: a step is all or nothing.
        units = _units(work)
        for unit in units:
            bad = unit.first_nonfinite(unit.g)
            if bad is not None:
                message = f"{self._name}.step: {bad[0]} has a non-finite gradient ({bad[1]})"
                if self.nonfinite == "raise":
                    raise FloatingPointError(message + "; no parameter or state was changed")
                warnings.warn(message + "; the step was skipped", RuntimeWarning, stacklevel=2)
                return
        # The update runs on copies; only if every new parameter is finite is it written
        # back, so a step that would overflow changes no parameter and no state.
        clipped = self._clip(work)
        if clipped is not work:
            units = _units(clipped)
        for unit in units:
            unit.copy()
            self._update(unit.p, unit.g, unit.state, unit.slots[0].group)
            bad = unit.first_nonfinite(unit.p)
            if bad is not None:
                raise FloatingPointError(
                    f"{self._name}.step: the update would make {bad[0]} non-finite "
                    f"({bad[1]}); lower the learning rate or clip the gradients. "
                    "No parameter or state was changed"
                )
        for unit in units:
            unit.commit()

    def _gradients(self) -> list[tuple[_Slot, np.ndarray, np.ndarray]]:
        """(slot, parameter array, gradient array) for each slot that has a gradient."""
        work = []
        for slot in self._slots:
            if slot.tensor is not None:
                g = slot.tensor.grad
                if g is None:
                    continue  # as PyTorch: a parameter without a gradient is left alone
                g = g.data if isinstance(g, Tensor) else np.asarray(g)
                if g.shape != slot.tensor.shape:
                    raise ValueError(
                        f"{self._name}.step: {slot.describe(0)} has shape "
                        f"{slot.tensor.shape} but its grad has shape {g.shape}"
                    )
                work.append((slot, slot.tensor.data, g))
            else:
                values = slot.values or []
                grads = np.array([float(v.grad) for v in values])
                work.append((slot, np.array([v.data for v in values]), grads))
        return work

    def _clip(self, work: list[Any]) -> list[Any]:
        """Keras' clipvalue, clipnorm (per parameter) and global_clipnorm, on copies."""
        if self.clipvalue is None and self.clipnorm is None and self.global_clipnorm is None:
            return work
        out = []
        for slot, p, g in work:
            g = np.array(g, dtype=np.float64 if slot.values is not None else g.dtype)
            if self.clipvalue is not None:
                np.clip(g, -self.clipvalue, self.clipvalue, out=g)
            if self.clipnorm is not None:
                if slot.values is not None:  # each Value is a parameter of its own
                    g = g * (self.clipnorm / np.maximum(np.abs(g), self.clipnorm))
                else:
                    g = g * (self.clipnorm / max(total_norm([g]), self.clipnorm))
            out.append((slot, p, g))
        if self.global_clipnorm is not None:
            norm = total_norm([g for _, _, g in out])
            factor = self.global_clipnorm / max(norm, self.global_clipnorm)
            out = [(slot, p, g * factor) for slot, p, g in out]
        return out

    def _update(
        self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], hp: dict[str, Any]
    ) -> None:
        """Update ``p`` in place from gradient ``g`` (never modified) and ``state``."""
        raise NotImplementedError

    # --- resuming -----------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters and state as a flat dict of numbers and numpy arrays.

        Keys: ``param_groups.<g>.<name>`` for each group's hyperparameters (tuples as
        arrays) and ``param_groups.<g>.params`` (the parameters' indices);
        ``state.<i>.<name>`` for the Tensor parameter at index i;
        ``state.group<g>.<name>`` for the Values of group g (arrays over them, in order).

        >>> from autodiff import Tensor
        >>> w = Tensor([1.0], requires_grad=True)
        >>> opt = Adam([w], lr=0.01)
        >>> (w * 2).sum().backward()
        >>> opt.step()
        >>> sorted(opt.state_dict())[-3:]
        ['state.0.exp_avg', 'state.0.exp_avg_sq', 'state.0.step']
        """
        out: dict[str, Any] = {}
        first = 0
        for g, group in enumerate(self.param_groups):
            n = len(group["params"])
            out[f"param_groups.{g}.params"] = np.arange(first, first + n)
            first += n
            for name, value in group.items():
                if name != "params":
                    out[f"param_groups.{g}.{name}"] = (
                        np.array(value, dtype=float) if isinstance(value, tuple) else value
                    )
        for slot in self._slots:
            for name, value in slot.state.items():
                out[f"state.{slot.key}.{name}"] = (
                    value.copy() if isinstance(value, np.ndarray) else value
                )
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (or read by ``np.load``).

        The optimizer must hold parameters of the same shapes in the same groups.
        Everything is checked first: on an error nothing changes.

        >>> from autodiff import Tensor
        >>> w = Tensor([1.0], requires_grad=True)
        >>> saved = SGD([w], lr=0.5).state_dict()
        >>> opt = SGD([w], lr=0.1)
        >>> opt.load_state_dict(saved)
        >>> opt.param_groups[0]["lr"]
        0.5
        """
        d = dict(state_dict)
        groups = []
        for g, group in enumerate(self.param_groups):
            key = f"param_groups.{g}.params"
            if key not in d:
                raise KeyError(f"{self._name}.load_state_dict: missing key {key!r}")
            n = np.size(d.pop(key))
            if n != len(group["params"]):
                raise ValueError(
                    f"{self._name}.load_state_dict: group {g} holds {len(group['params'])} "
                    f"parameters but the saved group held {n}"
                )
            hp = {}
            for name, current in group.items():
                if name == "params":
                    continue
                key = f"param_groups.{g}.{name}"
                if key not in d:
                    raise KeyError(f"{self._name}.load_state_dict: missing key {key!r}")
                value = d.pop(key)
                if isinstance(current, tuple):
                    value = tuple(float(v) for v in np.asarray(value).reshape(-1))
                    if len(value) != len(current):
                        raise ValueError(
                            f"{self._name}.load_state_dict: {key} must hold {len(current)} numbers"
                        )
                else:
                    value = _number(value)
                hp[name] = value
            groups.append(self._check(hp))
        states: dict[str, dict[str, Any]] = {slot.key: {} for slot in self._slots}
        slots = {slot.key: slot for slot in self._slots}
        for key in sorted(d):
            parts = key.split(".")
            if len(parts) != 3 or parts[0] != "state" or parts[1] not in slots:
                raise KeyError(f"{self._name}.load_state_dict: unexpected key {key!r}")
            slot, name = slots[parts[1]], parts[2]
            value = d[key]
            if name == "step" and "step" in self._state_names:
                states[slot.key][name] = _count(key, _number(value), self._name, 0)
                continue
            if name not in self._state_names or name == "step":
                raise KeyError(f"{self._name}.load_state_dict: unexpected key {key!r}")
            arr = np.asarray(value)
            if arr.shape != slot.shape:
                raise ValueError(
                    f"{self._name}.load_state_dict: {key} has shape {arr.shape}, "
                    f"expected {slot.shape} ({slot.describe(0)})"
                )
            states[slot.key][name] = arr.astype(slot.dtype, copy=True)
        for group, hp in zip(self.param_groups, groups, strict=True):
            group.update(hp)
        for slot in self._slots:
            slot.state = states[slot.key]

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
        return f"{self._name}({self._n_params} parameters, {hp})"


def _state(state: dict[str, Any], name: str, p: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """The state array ``name``, created full of ``fill`` (in p's shape and dtype) if new."""
    arr = state.get(name)
    if arr is None:
        arr = state[name] = np.full_like(p, fill)
    return arr  # type: ignore[no-any-return]


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov and weight decay.

    PyTorch's rule: g ← g + wd·p; b ← g on the first step, else momentum·b +
    (1 − dampening)·g; g ← g + momentum·b (Nesterov) or b; p ← p − lr·g.

    >>> from autodiff import Tensor
    >>> w = Tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.data
    array([0.8])
    """

    _state_names = ("momentum_buffer",)

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        *,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        nonfinite: str = "raise",
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            nesterov=nesterov,
            weight_decay=weight_decay,
        )
        super().__init__(params, defaults, nonfinite, clipnorm, clipvalue, global_clipnorm)

    _flags = ("nesterov",)
    _lowest: ClassVar[dict[str, float]] = {"dampening": -math.inf}

    def _check(self, hp: dict[str, Any]) -> dict[str, Any]:
        out = super()._check(hp)
        if out["nesterov"] and (out["momentum"] <= 0 or out["dampening"] != 0):
            raise ValueError(
                f"{self._name}: nesterov momentum needs momentum > 0 and dampening = 0"
            )
        return out

    def _update(
        self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], hp: dict[str, Any]
    ) -> None:
        if hp["weight_decay"] != 0:
            g = g + hp["weight_decay"] * p
        momentum = hp["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                # a fresh array (arithmetic on 0-d arrays gives numpy scalars)
                buf = state["momentum_buffer"] = np.array(g, dtype=p.dtype)
            else:
                buf *= momentum
                buf += (1 - hp["dampening"]) * g
            g = g + momentum * buf if hp["nesterov"] else buf
        p -= hp["lr"] * g


class Adam(Optimizer):
    """Adam (with AMSGrad as an option), PyTorch's rule and defaults.

    m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², p ← p − lr/(1 − β1^t) ·
    m / (√v / √(1 − β2^t) + eps); ``weight_decay`` adds wd·p to g (L2, not AdamW's
    decoupled decay); ``amsgrad`` uses the running maximum of v.

    >>> from autodiff import Tensor
    >>> w = Tensor([1.0, -1.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.data.round(6)  # the first step moves each weight by lr
    array([ 0.9, -0.9])
    """

    _state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _decoupled = False

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        nonfinite: str = "raise",
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults, nonfinite, clipnorm, clipvalue, global_clipnorm)

    _flags = ("amsgrad",)

    def _check(self, hp: dict[str, Any]) -> dict[str, Any]:
        n = self._name
        rest = dict(hp)
        betas = rest.pop("betas")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{n}: betas must be a pair of numbers, got {betas!r}")
        return {
            **super()._check(rest),
            "betas": (
                _real("betas[0]", betas[0], n, 0.0, 1.0),
                _real("betas[1]", betas[1], n, 0.0, 1.0),
            ),
        }

    def _update(
        self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], hp: dict[str, Any]
    ) -> None:
        lr, (beta1, beta2), wd = hp["lr"], hp["betas"], hp["weight_decay"]
        step = state["step"] = state.get("step", 0) + 1
        if wd != 0:
            if self._decoupled:
                p *= 1 - lr * wd
            else:
                g = g + wd * p
        m = _state(state, "exp_avg", p)
        v = _state(state, "exp_avg_sq", p)
        t = np.empty_like(p)  # one scratch array for every step below
        np.subtract(g, m, out=t)
        t *= 1 - beta1
        m += t  # PyTorch's lerp, the same as β1·m + (1 − β1)·g
        v *= beta2
        np.multiply(g, 1 - beta2, out=t)
        t *= g
        v += t  # (1 − β2)·g²
        step_size = lr / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if hp["amsgrad"]:
            v = np.maximum(_state(state, "max_exp_avg_sq", p), v, out=state["max_exp_avg_sq"])
        np.sqrt(v, out=t)
        t /= bias_correction2_sqrt
        t += hp["eps"]  # the denominator
        np.divide(m, t, out=t)
        t *= step_size
        p -= t


class AdamW(Adam):
    """Adam with decoupled weight decay (p ← p·(1 − lr·wd) before the Adam step), as PyTorch.

    >>> from autodiff import Tensor
    >>> w = Tensor([1.0], requires_grad=True)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = np.zeros(1)
    >>> opt.step()  # a zero gradient: only the decay acts
    >>> w.data
    array([0.95])
    """

    _decoupled = True

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        nonfinite: str = "raise",
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            nonfinite=nonfinite,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
        )


class RMSprop(Optimizer):
    """RMSprop, PyTorch's rule: v ← α·v + (1 − α)·g², p ← p − lr·g / (√v + eps).

    ``centered`` subtracts the squared running mean of g from v; ``momentum`` keeps a
    buffer b ← momentum·b + g / (√v + eps) and steps by lr·b.

    >>> from autodiff import Tensor
    >>> w = Tensor([1.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.data.round(4)  # 1 − 0.01·2/√(0.01·4)
    array([0.9])
    """

    _state_names = ("step", "square_avg", "grad_avg", "momentum_buffer")

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        nonfinite: str = "raise",
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
        )
        super().__init__(params, defaults, nonfinite, clipnorm, clipvalue, global_clipnorm)

    _flags = ("centered",)

    def _update(
        self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], hp: dict[str, Any]
    ) -> None:
        alpha = hp["alpha"]
        state["step"] = state.get("step", 0) + 1
        if hp["weight_decay"] != 0:
            g = g + hp["weight_decay"] * p
        square_avg = _state(state, "square_avg", p)
        square_avg *= alpha
        square_avg += (1 - alpha) * g * g
        if hp["centered"]:
            grad_avg = _state(state, "grad_avg", p)
            grad_avg += (1 - alpha) * (g - grad_avg)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += hp["eps"]
        if hp["momentum"] > 0:
            buf = _state(state, "momentum_buffer", p)
            buf *= hp["momentum"]
            buf += g / avg
            p -= hp["lr"] * buf
        else:
            p -= hp["lr"] * (g / avg)


class Adagrad(Optimizer):
    """Adagrad, PyTorch's rule: s ← s + g², p ← p − lr/(1 + (t − 1)·lr_decay) · g / (√s + eps).

    >>> from autodiff import Tensor
    >>> w = Tensor([1.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.data.round(6)
    array([0.5])
    """

    _state_names = ("step", "sum")

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        nonfinite: str = "raise",
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        super().__init__(params, defaults, nonfinite, clipnorm, clipvalue, global_clipnorm)

    def _update(
        self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], hp: dict[str, Any]
    ) -> None:
        step = state["step"] = state.get("step", 0) + 1
        if hp["weight_decay"] != 0:
            g = g + hp["weight_decay"] * p
        clr = hp["lr"] / (1 + (step - 1) * hp["lr_decay"])
        total = _state(state, "sum", p, hp["initial_accumulator_value"])
        total += g * g
        p -= clr * (g / (np.sqrt(total) + hp["eps"]))


# --- learning-rate schedulers ---------------------------------------------------------------


class LRScheduler:
    """Base of the epoch-indexed schedulers: ``step()`` sets each group's lr from a
    closed form in the epoch count and the initial lrs.

    PyTorch writes these schedulers in a chainable form (each lr from the previous
    one); for StepLR, ExponentialLR and CosineAnnealingLR that form equals the closed
    form whenever nothing else changes the lr, so the closed form is used: it needs
    no history (resuming is ``last_epoch`` alone) and accumulates no rounding.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer"
            )
        self.optimizer = optimizer
        self.base_lrs = [float(g["lr"]) for g in optimizer.param_groups]
        self.last_epoch = 0
        self._last_lr = list(self.base_lrs)

    def _lr(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set every group's learning rate."""
        self.last_epoch += 1
        lrs = [self._lr(base, self.last_epoch) for base in self.base_lrs]
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = lrs

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group as last set by this scheduler."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """``last_epoch`` and ``base_lrs`` (numbers and an array)."""
        return {"last_epoch": self.last_epoch, "base_lrs": np.array(self.base_lrs)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from ``state_dict()``; the optimizer's lrs are set for that epoch."""
        base = [float(x) for x in np.asarray(state_dict["base_lrs"]).reshape(-1)]
        if len(base) != len(self.optimizer.param_groups):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: {len(base)} base lrs for "
                f"{len(self.optimizer.param_groups)} parameter groups"
            )
        self.base_lrs = base
        self.last_epoch = _count(
            "last_epoch", _number(state_dict["last_epoch"]), type(self).__name__, 0
        )
        self._last_lr = [self._lr(b, self.last_epoch) for b in base]
        for group, lr in zip(self.optimizer.param_groups, self._last_lr, strict=True):
            group["lr"] = lr


class StepLR(LRScheduler):
    """lr = base_lr · gamma^(epoch // step_size), as PyTorch.

    >>> from autodiff import Value
    >>> sched = StepLR(SGD([Value(0.0)], lr=1.0), step_size=2, gamma=0.5)
    >>> for _ in range(4):
    ...     sched.step()
    >>> sched.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _count("step_size", step_size, "StepLR", 1)
        self.gamma = _real("gamma", gamma, "StepLR")
        super().__init__(optimizer)

    def _lr(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """lr = base_lr · gamma^epoch, as PyTorch.

    >>> from autodiff import Value
    >>> sched = ExponentialLR(SGD([Value(0.0)], lr=1.0), gamma=0.5)
    >>> sched.step(); sched.step()
    >>> sched.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _real("gamma", gamma, "ExponentialLR")
        super().__init__(optimizer)

    def _lr(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr − eta_min)·(1 + cos(π·epoch / T_max)) / 2, as PyTorch.

    Past T_max the cosine goes on, so the lr climbs back (PyTorch's behaviour).

    >>> from autodiff import Value
    >>> sched = CosineAnnealingLR(SGD([Value(0.0)], lr=1.0), T_max=2)
    >>> sched.step()
    >>> [round(lr, 6) for lr in sched.get_last_lr()]
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = _count("T_max", T_max, "CosineAnnealingLR", 1)
        self.eta_min = _real("eta_min", eta_min, "CosineAnnealingLR")
        super().__init__(optimizer)

    def _lr(self, base_lr: float, epoch: int) -> float:
        return (
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(epoch * math.pi / self.T_max)) / 2
        )


class ReduceLROnPlateau:
    """Multiply the lr by ``factor`` once a metric has not improved for ``patience`` epochs.

    PyTorch's rule: a metric is better than the best so far when below
    best·(1 − threshold) (``mode="min"``, ``threshold_mode="rel"``; ``"abs"``:
    best − threshold; ``"max"`` mirrors both). After more than ``patience`` epochs
    without improvement each group's lr becomes max(lr·factor, min_lr) (unless that
    changes it by at most ``eps``), then ``cooldown`` epochs pass before counting again.

    >>> from autodiff import Value
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for loss in [1.0, 1.0, 1.0]:
    ...     sched.step(loss)
    >>> sched.get_last_lr()
    [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        n = "ReduceLROnPlateau"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{n}: {type(optimizer).__name__} is not an Optimizer")
        if mode not in ("min", "max"):
            raise ValueError(f"{n}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{n}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.optimizer = optimizer
        self.mode = mode
        self.threshold_mode = threshold_mode
        self.factor = _real("factor", factor, n, 0.0, 1.0)
        self.patience = _count("patience", patience, n, 0)
        self.threshold = _real("threshold", threshold, n)
        self.cooldown = _count("cooldown", cooldown, n, 0)
        self.eps = _real("eps", eps, n)
        groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != groups:
                raise ValueError(
                    f"{n}: expected {groups} min_lr values (one per group), got {len(min_lr)}"
                )
            self.min_lrs = [_real("min_lr", m, n) for m in min_lr]
        else:
            self.min_lrs = [_real("min_lr", min_lr, n)] * groups
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [float(g["lr"]) for g in optimizer.param_groups]

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return a < best * (1.0 - self.threshold)
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metric: Any) -> None:
        """Record one epoch's ``metric`` (a number, a Value or a one-element Tensor).

        A nan metric counts as no improvement, as in PyTorch.
        """
        current = _metric(metric)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                old = float(group["lr"])
                new = max(old * self.factor, min_lr)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [float(g["lr"]) for g in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group after the last ``step``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The counters and the best metric so far (numbers only)."""
        return {
            "best": self.best,
            "num_bad_epochs": self.num_bad_epochs,
            "cooldown_counter": self.cooldown_counter,
            "last_epoch": self.last_epoch,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from ``state_dict()``."""
        n = "ReduceLROnPlateau.load_state_dict"
        best = float(_number(state_dict["best"]))
        bad = _count("num_bad_epochs", _number(state_dict["num_bad_epochs"]), n, 0)
        cool = _count("cooldown_counter", _number(state_dict["cooldown_counter"]), n, 0)
        epoch = _count("last_epoch", _number(state_dict["last_epoch"]), n, 0)
        self.best, self.num_bad_epochs, self.cooldown_counter, self.last_epoch = (
            best,
            bad,
            cool,
            epoch,
        )


def _metric(x: Any) -> float:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, Tensor):
        return float(x.item())
    if isinstance(x, (np.ndarray, np.generic)) and np.size(x) == 1 and x.dtype.kind in "fiu":
        return float(x.item())
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"ReduceLROnPlateau.step: metric must be a number, got {x!r}")
    return float(x)


__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "Optimizer",
    "RMSprop",
    "ReduceLROnPlateau",
    "StepLR",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
