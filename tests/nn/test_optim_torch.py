"""Each optimizer (every option) and each scheduler against PyTorch 2.13 over 35 steps."""

import numpy as np
import pytest

from autodiff import Tensor
from nn import optim

torch = pytest.importorskip("torch")

STEPS = 35
SHAPES = [(3, 2), (4,), ()]


def _gradients(seed=0):
    """A seeded sequence of gradients, one list per step (every third one missing for p2)."""
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=s) for s in SHAPES] for _ in range(STEPS)]


def _run_both(ours_cls, theirs_cls, kwargs, torch_kwargs=None, groups=None):
    rng = np.random.default_rng(42)
    start = [rng.normal(size=s) for s in SHAPES]
    ours_p = [Tensor(x, requires_grad=True) for x in start]
    theirs_p = [torch.tensor(x, requires_grad=True) for x in start]
    if groups is None:
        ours = ours_cls(ours_p, **kwargs)
        theirs = theirs_cls(theirs_p, **(torch_kwargs or kwargs), foreach=False)
    else:  # two groups: the first two parameters, then the last with its own options
        ours = ours_cls([{"params": ours_p[:2]}, {"params": ours_p[2:], **groups}], **kwargs)
        theirs = theirs_cls(
            [{"params": theirs_p[:2]}, {"params": theirs_p[2:], **groups}],
            **(torch_kwargs or kwargs),
            foreach=False,
        )
    for step, grads in enumerate(_gradients()):
        for i, (p, q, g) in enumerate(zip(ours_p, theirs_p, grads, strict=True)):
            missing = i == 1 and step % 3 == 2  # grad None: skipped by both
            p.grad = None if missing else g.copy()
            q.grad = None if missing else torch.tensor(g)
        ours.step()
        theirs.step()
        for p, q in zip(ours_p, theirs_p, strict=True):
            np.testing.assert_allclose(
                p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=f"step {step}"
            )


SGD_CASES = [
    {"lr": 0.1},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
    {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    {"lr": 0.1, "weight_decay": 0.1},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
]


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=str)
def test_sgd_matches_torch(kwargs):
    _run_both(optim.SGD, torch.optim.SGD, kwargs)


ADAM_CASES = [
    {},
    {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "amsgrad": True},
    {"lr": 0.02, "amsgrad": True, "weight_decay": 0.05, "betas": (0.3, 0.9)},
]


@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=str)
def test_adam_matches_torch(kwargs):
    _run_both(optim.Adam, torch.optim.Adam, kwargs)


@pytest.mark.parametrize("kwargs", ADAM_CASES, ids=str)
def test_adamw_matches_torch(kwargs):
    _run_both(optim.AdamW, torch.optim.AdamW, kwargs)


RMSPROP_CASES = [
    {},
    {"lr": 0.005, "alpha": 0.9, "eps": 1e-6},
    {"lr": 0.01, "centered": True},
    {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1},
]


@pytest.mark.parametrize("kwargs", RMSPROP_CASES, ids=str)
def test_rmsprop_matches_torch(kwargs):
    _run_both(optim.RMSprop, torch.optim.RMSprop, kwargs)


ADAGRAD_CASES = [
    {},
    {"lr": 0.1, "lr_decay": 0.05},
    {"lr": 0.1, "weight_decay": 0.1},
    {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6},
]


@pytest.mark.parametrize("kwargs", ADAGRAD_CASES, ids=str)
def test_adagrad_matches_torch(kwargs):
    _run_both(optim.Adagrad, torch.optim.Adagrad, kwargs)


@pytest.mark.parametrize(
    ("ours_cls", "theirs_cls", "kwargs", "group"),
    [
        (optim.SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}, {"lr": 0.01, "nesterov": True}),
        (optim.Adam, torch.optim.Adam, {"lr": 0.01}, {"lr": 0.1, "amsgrad": True}),
        (optim.RMSprop, torch.optim.RMSprop, {}, {"centered": True, "momentum": 0.3}),
        (optim.Adagrad, torch.optim.Adagrad, {"lr": 0.1}, {"lr_decay": 0.1}),
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_parameter_groups_match_torch(ours_cls, theirs_cls, kwargs, group):
    _run_both(ours_cls, theirs_cls, kwargs, groups=group)


# --- schedulers -------------------------------------------------------------------------------


def _two_group_optimizers():
    ours = optim.SGD(
        [
            {"params": [Tensor([1.0], requires_grad=True)]},
            {"params": [Tensor([2.0], requires_grad=True)], "lr": 0.5},
        ],
        lr=0.1,
    )
    theirs = torch.optim.SGD(
        [
            {"params": [torch.zeros(1, requires_grad=True)]},
            {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.5},
        ],
        lr=0.1,
    )
    return ours, theirs


@pytest.mark.parametrize(
    ("ours_cls", "theirs_cls", "kwargs"),
    [
        (optim.StepLR, torch.optim.lr_scheduler.StepLR, {"step_size": 4, "gamma": 0.5}),
        (optim.StepLR, torch.optim.lr_scheduler.StepLR, {"step_size": 1}),
        (optim.ExponentialLR, torch.optim.lr_scheduler.ExponentialLR, {"gamma": 0.9}),
        (optim.CosineAnnealingLR, torch.optim.lr_scheduler.CosineAnnealingLR, {"T_max": 10}),
        (
            optim.CosineAnnealingLR,
            torch.optim.lr_scheduler.CosineAnnealingLR,
            {"T_max": 7, "eta_min": 0.01},
        ),
    ],
    ids=str,
)
def test_epoch_schedulers_match_torch(ours_cls, theirs_cls, kwargs):
    ours_opt, theirs_opt = _two_group_optimizers()
    ours, theirs = ours_cls(ours_opt, **kwargs), theirs_cls(theirs_opt, **kwargs)
    assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr())
    for epoch in range(STEPS):
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()
        # closed form vs PyTorch's chainable recurrence: equal up to rounding
        np.testing.assert_allclose(
            ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-9, atol=1e-15, err_msg=f"{epoch}"
        )
        assert [g["lr"] for g in ours_opt.param_groups] == ours.get_last_lr()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"patience": 2},
        {"patience": 0, "factor": 0.5, "cooldown": 2},
        {"mode": "max", "patience": 1, "threshold": 0.05},
        {"mode": "max", "threshold_mode": "abs", "threshold": 0.1, "patience": 1},
        {"threshold_mode": "abs", "threshold": 0.1, "patience": 1, "min_lr": [0.02, 0.3]},
        {"patience": 1, "factor": 0.5, "min_lr": 0.05, "eps": 0.01},
    ],
    ids=str,
)
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    ours_opt, theirs_opt = _two_group_optimizers()
    ours = optim.ReduceLROnPlateau(ours_opt, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **kwargs)
    rng = np.random.default_rng(3)
    # a metric that improves, stalls, jumps about and improves again
    metrics = np.concatenate(
        [
            np.linspace(1, 0.5, 8),
            np.full(6, 0.5),
            0.5 + 0.1 * rng.normal(size=12),
            np.linspace(0.5, 0.1, 9),
        ]
    )
    for m in metrics:
        ours.step(m)
        theirs.step(float(m))
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert ours.num_bad_epochs == theirs.num_bad_epochs
