"""Optimizers and schedulers without PyTorch: Values and Tensors alike, dtype and in-place
updates, all-or-nothing steps on nan gradients, resuming from a state dict, bad input."""

import warnings

import numpy as np
import pytest

from autodiff import Tensor, Value
from nn import losses, optim

CONFIGS = [
    (optim.SGD, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.2}),
    (optim.Adam, {"lr": 0.01}),
    (optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    (optim.AdamW, {"lr": 0.01, "amsgrad": True}),
    (optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    (optim.RMSprop, {}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
]
IDS = [f"{cls.__name__}-{kw}" for cls, kw in CONFIGS]


def _grads(steps=30, n=5, seed=0):
    return np.random.default_rng(seed).normal(size=(steps, n))


def _start(n=5):
    return np.random.default_rng(1).normal(size=n)


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
def test_values_and_tensors_follow_the_same_trajectory(cls, kwargs):
    start = _start()
    values = [Value(x, label=f"v{i}") for i, x in enumerate(start)]
    tensor = Tensor(start, requires_grad=True)
    on_values, on_tensor = cls(values, **kwargs), cls([tensor], **kwargs)
    for g in _grads():
        for v, gi in zip(values, g, strict=True):
            v.grad = float(gi)
        tensor.grad = g.copy()
        on_values.step()
        on_tensor.step()
        np.testing.assert_array_equal([v.data for v in values], tensor.data)
    assert all(isinstance(v.data, float) for v in values)


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
def test_tensor_updates_are_in_place_and_keep_float32(cls, kwargs):
    w = Tensor(_start(), requires_grad=True, dtype=np.float32)
    data = w.data
    opt = cls([w], **kwargs)
    for g in _grads(steps=5):
        w.grad = g.astype(np.float32)
        opt.step()
    assert w.data is data and w.data.dtype == np.float32
    arrays = [v for v in opt.state_dict().values() if isinstance(v, np.ndarray) and v.ndim]
    assert all(a.dtype == np.float32 for a in arrays if a.dtype.kind == "f" and a.shape == (5,))


def test_a_real_training_loop_on_values_and_on_tensors():
    # fit y = 2x − 1 by gradient descent: the classic line fit
    xs, ys = np.linspace(0, 1, 8), 2 * np.linspace(0, 1, 8) - 1
    m, c = Value(0.0, label="m"), Value(0.0, label="c")
    opt = optim.SGD([m, c], lr=0.5, momentum=0.5)
    for _ in range(200):
        opt.zero_grad()
        losses.mse_loss([m * x + c for x in xs], ys.tolist()).backward()
        opt.step()
    assert (m.data, c.data) == pytest.approx((2.0, -1.0), abs=1e-6)
    w = Tensor([0.0, 0.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.05)
    X = np.stack([xs, np.ones(8)], axis=1)
    for _ in range(1000):
        opt.zero_grad()
        losses.mse_loss(Tensor(X) @ w, ys).backward()
        opt.step()
    np.testing.assert_allclose(w.data, [2.0, -1.0], atol=1e-3)


def test_weight_decay_equals_the_l2_penalty():
    a, b = Tensor(_start(), requires_grad=True), Tensor(_start(), requires_grad=True)
    decayed = optim.SGD([a], lr=0.1, weight_decay=0.3)
    penalised = optim.SGD([b], lr=0.1)
    target = np.arange(5.0)
    for _ in range(10):
        decayed.zero_grad()
        penalised.zero_grad()
        losses.mse_loss(a, target).backward()
        (losses.mse_loss(b, target) + losses.l2_penalty([b], 0.3)).backward()
        decayed.step()
        penalised.step()
    np.testing.assert_allclose(a.data, b.data, rtol=1e-12)


def test_parameters_without_a_gradient_are_skipped():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = np.array([1.0])
    opt.step()
    assert b.data.tolist() == [2.0] and "state.1.step" not in opt.state_dict()
    assert opt.state_dict()["state.0.step"] == 1


def test_zero_grad_clears_tensors_and_values():
    t, v = Tensor([1.0], requires_grad=True), Value(1.0)
    opt = optim.SGD([t, v], lr=0.1)
    (t.sum() * 2).backward()
    (v * 3).backward()
    opt.zero_grad(set_to_none=False)
    assert t.grad.tolist() == [0.0] and v.grad == 0.0
    opt.zero_grad()
    assert t.grad is None


# --- nan and inf gradients --------------------------------------------------------------------


def _trained(cls, kwargs):
    w = Tensor(_start(), requires_grad=True, label="w")
    vs = [Value(1.0, label="a"), Value(2.0, label="b")]
    opt = cls([w, *vs], **kwargs)
    for g in _grads(steps=3):
        w.grad = g.copy()
        vs[0].grad, vs[1].grad = g[0], g[1]
        opt.step()
    return w, vs, opt


def _snapshot(w, vs, opt):
    return w.data.copy(), [v.data for v in vs], {k: np.copy(x) for k, x in opt.state_dict().items()}


def _assert_same(before, after):
    np.testing.assert_array_equal(before[0], after[0])
    assert before[1] == after[1]
    assert before[2].keys() == after[2].keys()
    for k in before[2]:
        np.testing.assert_array_equal(before[2][k], after[2][k])


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
def test_a_nan_gradient_raises_and_changes_nothing(cls, kwargs):
    w, vs, opt = _trained(cls, kwargs)
    before = _snapshot(w, vs, opt)
    w.grad = np.ones(5)
    vs[0].grad = 1.0
    vs[1].grad = float("nan")  # the last parameter: every other one was fine
    with pytest.raises(
        FloatingPointError, match=r"parameter 2 \('b'\) has a non-finite gradient \(nan\)"
    ):
        opt.step()
    _assert_same(before, _snapshot(w, vs, opt))
    w.grad = np.array([1.0, 1.0, np.inf, 1.0, 1.0])
    vs[1].grad = 0.0
    with pytest.raises(
        FloatingPointError, match=r"parameter 0 \('w'\) has a non-finite gradient \(inf at \(2,\)\)"
    ):
        opt.step()
    _assert_same(before, _snapshot(w, vs, opt))


def test_skip_mode_warns_skips_the_step_and_goes_on():
    w, vs, opt = _trained(optim.Adam, {"lr": 0.1, "nonfinite": "skip"})
    before = _snapshot(w, vs, opt)
    w.grad = np.full(5, np.nan)
    with pytest.warns(RuntimeWarning, match="parameter 0 .* the step was skipped"):
        opt.step()
    _assert_same(before, _snapshot(w, vs, opt))
    w.grad = np.ones(5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
    assert opt.state_dict()["state.0.step"] == 4


# --- resuming -------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
def test_state_dict_round_trip_through_npz_resumes_identically(cls, kwargs, tmp_path):
    grads = _grads(steps=20)
    w = Tensor(_start(), requires_grad=True)
    vs = [Value(x) for x in _start(3)]
    opt = cls([{"params": [w]}, {"params": vs, "lr": 0.02}], **kwargs)

    def run(opt, w, vs, gs):
        for g in gs:
            w.grad = g.copy()
            for v, gi in zip(vs, g[:3], strict=True):
                v.grad = float(gi)
            opt.step()

    run(opt, w, vs, grads[:10])
    path = tmp_path / "opt.npz"
    np.savez(path, **opt.state_dict())
    w2, vs2 = Tensor(w.data, requires_grad=True), [Value(v.data) for v in vs]
    resumed = cls([{"params": [w2]}, {"params": vs2}], **{**kwargs, "lr": 0.5})
    with np.load(path, allow_pickle=False) as saved:
        resumed.load_state_dict(dict(saved))
    assert resumed.param_groups[1]["lr"] == 0.02
    run(opt, w, vs, grads[10:])
    run(resumed, w2, vs2, grads[10:])
    np.testing.assert_array_equal(w.data, w2.data)
    assert [v.data for v in vs] == [v.data for v in vs2]


def test_state_dict_holds_only_numbers_and_arrays():
    _, _, opt = _trained(optim.Adam, {"amsgrad": True})
    for key, value in opt.state_dict().items():
        assert isinstance(key, str)
        assert isinstance(value, (int, float, bool, np.ndarray)), key


def test_a_bad_state_dict_is_rejected_and_changes_nothing():
    w, vs, opt = _trained(optim.Adam, {"lr": 0.1})
    good = opt.state_dict()
    before = _snapshot(w, vs, opt)
    bad_shape = {**good, "state.0.exp_avg": np.zeros(4)}
    with pytest.raises(ValueError, match=r"state.0.exp_avg has shape \(4,\), expected \(5,\)"):
        opt.load_state_dict(bad_shape)
    missing = {k: v for k, v in good.items() if k != "param_groups.0.betas"}
    with pytest.raises(KeyError, match=r"param_groups\.0\.betas"):
        opt.load_state_dict(missing)
    with pytest.raises(KeyError, match=r"unexpected key 'state\.7\.exp_avg'"):
        opt.load_state_dict({**good, "state.7.exp_avg": np.zeros(5), "param_groups.0.lr": 9.0})
    with pytest.raises(ValueError, match="invalid lr"):
        opt.load_state_dict({**good, "param_groups.0.lr": -1.0})
    with pytest.raises(ValueError, match="group 0 holds 3 parameters but the saved group held 2"):
        opt.load_state_dict({**good, "param_groups.0.params": np.arange(2)})
    _assert_same(before, _snapshot(w, vs, opt))
    assert opt.param_groups[0]["lr"] == 0.1


# --- bad arguments ------------------------------------------------------------------------------


def test_bad_hyperparameters_are_named():
    w = [Tensor([1.0], requires_grad=True)]
    with pytest.raises(ValueError, match=r"SGD: invalid lr -0\.1"):
        optim.SGD(w, lr=-0.1)
    with pytest.raises(ValueError, match="nesterov momentum needs momentum > 0 and dampening = 0"):
        optim.SGD(w, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"Adam: invalid betas\[1\] 1.0"):
        optim.Adam(w, betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="betas must be a pair"):
        optim.Adam(w, betas=0.9)
    with pytest.raises(ValueError, match="invalid eps nan"):
        optim.RMSprop(w, eps=float("nan"))
    with pytest.raises(ValueError, match="invalid initial_accumulator_value"):
        optim.Adagrad(w, initial_accumulator_value=-1)
    with pytest.raises(TypeError, match="lr must be a real number"):
        optim.AdamW(w, lr="0.1")
    with pytest.raises(TypeError, match="amsgrad must be True or False"):
        optim.Adam(w, amsgrad=1)
    with pytest.raises(ValueError, match="nonfinite must be 'raise' or 'skip'"):
        optim.Adam(w, nonfinite="ignore")
    with pytest.raises(ValueError, match=r"unknown hyperparameter\(s\) \['learning_rate'\]"):
        optim.SGD([{"params": w, "learning_rate": 0.1}], lr=0.1)


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors, Values or dicts, got Tensor"):
        optim.SGD(Tensor([1.0], requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 must be a Tensor or a Value, got ndarray"):
        optim.SGD([Value(1.0), np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="parameter 0 is a Tensor that does not require grad"):
        optim.Adam([Tensor([1.0])])
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"parameter 0 is not a leaf \(made by op '\*'\)"):
        optim.Adam([x * 2])
    with pytest.raises(ValueError, match="parameter 1 appears more than once"):
        optim.Adam([x, x])
    x.grad = np.zeros(3)
    with pytest.raises(
        ValueError, match=r"parameter 0 has shape \(1,\) but its grad has shape \(3,\)"
    ):
        optim.Adam([x]).step()


# --- schedulers -------------------------------------------------------------------------------


def _opt(lr=1.0):
    return optim.SGD([Value(0.0)], lr=lr)


def test_schedulers_follow_their_closed_forms():
    step = optim.StepLR(_opt(), step_size=3, gamma=0.5)
    expo = optim.ExponentialLR(_opt(), gamma=0.9)
    cos = optim.CosineAnnealingLR(_opt(), T_max=4, eta_min=0.1)
    seen = []
    for _ in range(8):
        for s in (step, expo, cos):
            s.step()
        seen.append((step.get_last_lr()[0], expo.get_last_lr()[0], cos.get_last_lr()[0]))
    assert [s[0] for s in seen] == [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    assert [s[1] for s in seen] == pytest.approx([0.9**k for k in range(1, 9)])
    # down to eta_min at T_max, then back up: the cosine goes on, as PyTorch's
    assert [s[2] for s in seen] == pytest.approx(
        [0.8681981, 0.55, 0.2318019, 0.1, 0.2318019, 0.55, 0.8681981, 1.0]
    )
    assert expo.optimizer.param_groups[0]["lr"] == expo.get_last_lr()[0]


def test_scheduler_state_dict_resumes():
    a = optim.CosineAnnealingLR(_opt(), T_max=10)
    for _ in range(4):
        a.step()
    b = optim.CosineAnnealingLR(_opt(), T_max=10)
    b.load_state_dict(a.state_dict())
    assert b.get_last_lr() == a.get_last_lr() == [b.optimizer.param_groups[0]["lr"]]
    a.step()
    b.step()
    assert b.get_last_lr() == a.get_last_lr()
    p = optim.ReduceLROnPlateau(_opt(), patience=1)
    for m in (1.0, 2.0):
        p.step(m)
    q = optim.ReduceLROnPlateau(p.optimizer, patience=1)
    q.load_state_dict(p.state_dict())
    q.step(Tensor([3.0]))
    assert q.get_last_lr() == pytest.approx([0.1])


def test_reduce_lr_on_plateau_counts_cooldown_and_floors_at_min_lr():
    opt = _opt()
    sched = optim.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.3)
    lrs = []
    for m in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
        sched.step(Value(m))
        lrs.append(sched.get_last_lr()[0])
    # two bad epochs cut the lr; one cooldown epoch does not count; floor 0.3
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3]


def test_bad_scheduler_arguments_are_named():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        optim.StepLR([], step_size=2)
    with pytest.raises(ValueError, match="step_size must be an integer >= 1"):
        optim.StepLR(_opt(), step_size=0)
    with pytest.raises(ValueError, match="T_max must be an integer >= 1"):
        optim.CosineAnnealingLR(_opt(), T_max=2.5)
    with pytest.raises(ValueError, match=r"invalid factor 1.0 \(must be in \[0.0, 1.0\)\)"):
        optim.ReduceLROnPlateau(_opt(), factor=1.0)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        optim.ReduceLROnPlateau(_opt(), mode="up")
    with pytest.raises(ValueError, match="expected 1 min_lr values"):
        optim.ReduceLROnPlateau(_opt(), min_lr=[0.1, 0.2])
    with pytest.raises(TypeError, match="metric must be a number"):
        optim.ReduceLROnPlateau(_opt()).step("0.5")


def _tensors(dtypes):
    rng = np.random.default_rng(5)
    shapes = [(3, 4), (), (7,), (2, 1, 3)]
    return [
        Tensor(rng.normal(size=s).astype(dt), requires_grad=True)
        for s, dt in zip(shapes, dtypes, strict=True)
    ]


@pytest.mark.parametrize(("cls", "kwargs"), CONFIGS, ids=IDS)
def test_one_flat_update_per_group_equals_one_update_per_parameter(cls, kwargs):
    # a group's parameters of one dtype are updated as one array (nn/optim.py's _Unit);
    # each parameter in a group of its own takes the per-parameter path
    dtypes = [np.float32, np.float64, np.float32, np.float32]
    together, apart = _tensors(dtypes), _tensors(dtypes)
    opt_together = cls(together, **{k: v for k, v in kwargs.items()})
    opt_apart = cls([{"params": [p]} for p in apart], **kwargs)
    rng = np.random.default_rng(6)
    for step in range(4):
        grads = [rng.normal(size=p.shape).astype(p.dtype) for p in together]
        for params in (together, apart):
            for p, g in zip(params, grads, strict=True):
                p.grad = None if step == 1 and p is params[2] else g.copy()
        opt_together.step()
        opt_apart.step()
        for a, b in zip(together, apart, strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a.data, b.data)
    state_together, state_apart = opt_together.state_dict(), opt_apart.state_dict()
    for key, value in state_together.items():
        if key.startswith("state."):
            np.testing.assert_array_equal(value, state_apart[key])


def test_a_nonfinite_gradient_in_a_flat_group_names_its_parameter_and_position():
    params = _tensors([np.float64] * 4)
    opt = optim.Adam(params, lr=0.1)
    for p in params:
        p.grad = np.ones(p.shape)
    opt.step()
    before = [p.data.copy() for p in params]
    state = {k: np.copy(v) for k, v in opt.state_dict().items()}
    params[3].grad = np.ones((2, 1, 3))
    params[3].grad[1, 0, 2] = -np.inf
    with pytest.raises(
        FloatingPointError, match=r"parameter 3 has a non-finite gradient \(-inf at \(1, 0, 2\)\)"
    ):
        opt.step()
    for p, b in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.data, b)
    for key, value in opt.state_dict().items():
        np.testing.assert_array_equal(value, state[key])
