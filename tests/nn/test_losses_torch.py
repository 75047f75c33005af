"""Every loss against PyTorch 2.13: value and input gradient, for each reduction."""

import numpy as np
import pytest

from autodiff import Tensor
from nn import losses

torch = pytest.importorskip("torch")
F = torch.nn.functional

REDUCTIONS = ["mean", "sum", "none"]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _check(ours, theirs, x, target, reduction, *, torch_target=None, rtol=1e-10, atol=1e-12):
    """Compare value and d(loss·seed)/d(input) of ``ours`` and ``theirs`` on ``x``."""
    xt = Tensor(x, requires_grad=True)
    out = ours(xt, target, reduction)
    xtorch = torch.tensor(x, requires_grad=True)
    tt = torch.tensor(np.asarray(target)) if torch_target is None else torch_target
    ref = theirs(xtorch, tt, reduction)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    seed = _rng(1).normal(size=out.shape)
    out.backward(seed)
    ref.backward(torch.tensor(seed))
    np.testing.assert_allclose(xt.grad, xtorch.grad.numpy(), rtol=rtol, atol=atol)


# --- regression -----------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(reduction):
    x, t = _rng().normal(size=(4, 3)), _rng(2).normal(size=(4, 3))
    _check(
        lambda a, b, r: losses.mse_loss(a, b, reduction=r),
        lambda a, b, r: F.mse_loss(a, b, reduction=r),
        x,
        t,
        reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_loss_including_ties(reduction):
    x, t = _rng().normal(size=(5, 2)), _rng(2).normal(size=(5, 2))
    t[0, 0] = x[0, 0]  # |0|: both take the gradient 0 there
    _check(
        lambda a, b, r: losses.l1_loss(a, b, reduction=r),
        lambda a, b, r: F.l1_loss(a, b, reduction=r),
        x,
        t,
        reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber_loss(reduction, delta):
    x, t = 2 * _rng().normal(size=(6, 3)), _rng(2).normal(size=(6, 3))
    _check(
        lambda a, b, r: losses.huber_loss(a, b, delta=delta, reduction=r),
        lambda a, b, r: F.huber_loss(a, b, reduction=r, delta=delta),
        x,
        t,
        reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_log_cosh_loss_against_torch_log_cosh(reduction):
    x, t = 3 * _rng().normal(size=(4, 3)), _rng(2).normal(size=(4, 3))

    def theirs(a, b, r):
        loss = torch.log(torch.cosh(a - b))
        return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[r]

    _check(lambda a, b, r: losses.log_cosh_loss(a, b, reduction=r), theirs, x, t, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_msle_loss_against_torch_log1p(reduction):
    x = np.abs(_rng().normal(size=(4, 3)))
    x[0, 0] = -0.5  # clamped to 0, no gradient
    t = np.abs(_rng(2).normal(size=(4, 3)))

    def theirs(a, b, r):
        loss = (torch.log1p(a.clamp(min=0)) - torch.log1p(b)) ** 2
        return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[r]

    _check(lambda a, b, r: losses.msle_loss(a, b, reduction=r), theirs, x, t, reduction)


# --- binary ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted):
    p = _rng().uniform(0.01, 0.99, size=(5, 2))
    t = _rng(2).uniform(size=(5, 2))
    w = _rng(3).uniform(size=(2,)) if weighted else None
    _check(
        lambda a, b, r: losses.binary_cross_entropy(a, b, weight=w, reduction=r),
        lambda a, b, r: F.binary_cross_entropy(
            a, b, weight=None if w is None else torch.tensor(w), reduction=r
        ),
        p,
        t,
        reduction,
    )


def test_binary_cross_entropy_clamps_the_log_at_minus_100_as_torch():
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-50])
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    ours = losses.binary_cross_entropy(Tensor(p), t, reduction="none")
    ref = F.binary_cross_entropy(torch.tensor(p), torch.tensor(t), reduction="none")
    np.testing.assert_allclose(ours.data, ref.numpy())
    assert ours.data.tolist() == [100.0, 100.0, 0.0, 0.0, 100.0]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_binary_cross_entropy_with_logits(reduction, weighted, pos_weighted):
    z = 5 * _rng().normal(size=(6, 3))
    z[0, 0] = 0.0  # the kink of the pieces: the gradient must still be σ(0) − t
    z[1, 1], z[2, 2] = 60.0, -60.0
    t = _rng(2).uniform(size=(6, 3))
    w = _rng(3).uniform(size=(6, 1)) if weighted else None
    pw = _rng(4).uniform(0.5, 3, size=(3,)) if pos_weighted else None
    _check(
        lambda a, b, r: losses.binary_cross_entropy_with_logits(
            a, b, weight=w, pos_weight=pw, reduction=r
        ),
        lambda a, b, r: F.binary_cross_entropy_with_logits(
            a,
            b,
            weight=None if w is None else torch.tensor(w),
            pos_weight=None if pw is None else torch.tensor(pw),
            reduction=r,
        ),
        z,
        t,
        reduction,
    )


# --- multi-class ----------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_with_labels(reduction, weighted, smoothing):
    z = 3 * _rng().normal(size=(7, 4))
    y = np.array([0, 3, 1, 1, 2, 0, 3])
    w = _rng(3).uniform(0.2, 2, size=4) if weighted else None
    _check(
        lambda a, b, r: losses.cross_entropy(
            a, b, weight=w, reduction=r, label_smoothing=smoothing
        ),
        lambda a, b, r: F.cross_entropy(
            a,
            b,
            weight=None if w is None else torch.tensor(w),
            reduction=r,
            label_smoothing=smoothing,
        ),
        z,
        y,
        reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_with_probability_rows(reduction, weighted, smoothing):
    z = 3 * _rng().normal(size=(5, 3))
    t = _rng(2).dirichlet(np.ones(3), size=5)
    w = _rng(3).uniform(0.2, 2, size=3) if weighted else None
    _check(
        lambda a, b, r: losses.cross_entropy(
            a, b, weight=w, reduction=r, label_smoothing=smoothing
        ),
        lambda a, b, r: F.cross_entropy(
            a,
            b,
            weight=None if w is None else torch.tensor(w),
            reduction=r,
            label_smoothing=smoothing,
        ),
        z,
        t,
        reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_on_one_row_of_logits(reduction):
    z = _rng().normal(size=4)
    _check(
        lambda a, b, r: losses.cross_entropy(a, b, reduction=r),
        lambda a, b, r: F.cross_entropy(a, b, reduction=r),
        z,
        2,
        reduction,
        torch_target=torch.tensor(2),
    )


def test_cross_entropy_at_logits_of_1e4_matches_torch():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]])
    _check(
        lambda a, b, r: losses.cross_entropy(a, b, reduction=r),
        lambda a, b, r: F.cross_entropy(a, b, reduction=r),
        z,
        np.array([1, 2, 0]),
        "mean",
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(reduction, weighted):
    logp = np.log(_rng().dirichlet(np.ones(4), size=6))
    y = np.array([3, 0, 1, 2, 2, 0])
    w = _rng(3).uniform(0.2, 2, size=4) if weighted else None
    _check(
        lambda a, b, r: losses.nll_loss(a, b, weight=w, reduction=r),
        lambda a, b, r: F.nll_loss(
            a, b, weight=None if w is None else torch.tensor(w), reduction=r
        ),
        logp,
        y,
        reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("p", "margin"), [(1, 1.0), (2, 1.0), (1, 0.5), (2, 2.0)])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss(reduction, p, margin, weighted):
    x = _rng().normal(size=(6, 4))
    y = np.array([0, 1, 2, 3, 3, 1])
    w = _rng(3).uniform(0.2, 2, size=4) if weighted else None
    _check(
        lambda a, b, r: losses.multi_margin_loss(a, b, p=p, margin=margin, weight=w, reduction=r),
        lambda a, b, r: F.multi_margin_loss(
            a, b, p=p, margin=margin, weight=None if w is None else torch.tensor(w), reduction=r
        ),
        x,
        y,
        reduction,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_loss_is_torch_multi_margin_times_the_class_count(reduction, margin):
    x = _rng().normal(size=(6, 4))
    y = np.array([0, 1, 2, 3, 3, 1])

    def theirs(a, b, r):
        per_sample = 4 * F.multi_margin_loss(a, b, margin=margin, reduction="none")
        return {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[r]

    _check(
        lambda a, b, r: losses.hinge_loss(a, b, margin=margin, reduction=r),
        theirs,
        x,
        y,
        reduction,
    )


# --- distributions and directions ----------------------------------------------------------


@pytest.mark.filterwarnings("ignore:reduction. .mean. divides:UserWarning")
@pytest.mark.parametrize("reduction", [*REDUCTIONS, "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    logq = np.log(_rng().dirichlet(np.ones(4), size=5))
    p = _rng(2).dirichlet(np.ones(4), size=5)
    p[0, 1] = 0.0  # 0·log 0 = 0
    t = np.log(p + 1e-3) if log_target else p
    _check(
        lambda a, b, r: losses.kl_div(a, b, reduction=r, log_target=log_target),
        lambda a, b, r: F.kl_div(a, b, reduction=r, log_target=log_target),
        logq,
        t,
        reduction,
    )


def test_kl_div_differentiates_a_target_that_requires_grad_as_torch():
    logq = np.log(_rng().dirichlet(np.ones(3), size=2))
    p = _rng(2).dirichlet(np.ones(3), size=2)
    ours_t = Tensor(p, requires_grad=True)
    losses.kl_div(Tensor(logq), ours_t, reduction="batchmean").backward()
    their_t = torch.tensor(p, requires_grad=True)
    F.kl_div(torch.tensor(logq), their_t, reduction="batchmean").backward()
    np.testing.assert_allclose(ours_t.grad, their_t.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_similarity_loss(reduction):
    x, t = _rng().normal(size=(5, 3)), _rng(2).normal(size=(5, 3))

    def theirs(a, b, r):
        loss = 1 - F.cosine_similarity(a, b, dim=-1, eps=1e-8)
        return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[r]

    _check(
        lambda a, b, r: losses.cosine_similarity_loss(a, b, reduction=r), theirs, x, t, reduction
    )


def test_cosine_similarity_loss_clamps_each_norm_as_torch():
    x = np.array([[1e-9, 0.0], [0.0, 0.0], [3.0, 4.0]])
    t = np.array([[1.0, 1.0], [1.0, 2.0], [0.0, 0.0]])
    ours = losses.cosine_similarity_loss(Tensor(x), t, reduction="none").data
    ref = 1 - F.cosine_similarity(torch.tensor(x), torch.tensor(t), dim=-1)
    np.testing.assert_allclose(ours, ref.numpy(), rtol=1e-12)


def test_mse_loss_differentiates_a_target_that_requires_grad_as_torch():
    x, t = _rng().normal(size=4), _rng(2).normal(size=4)
    ours_t = Tensor(t, requires_grad=True)
    losses.mse_loss(Tensor(x), ours_t).backward()
    their_t = torch.tensor(t, requires_grad=True)
    F.mse_loss(torch.tensor(x), their_t).backward()
    np.testing.assert_allclose(ours_t.grad, their_t.grad.numpy(), rtol=1e-12)
