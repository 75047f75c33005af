"""nn.utils clipping against torch's, Keras' clipping in the optimizers, and the
optimizers' numbers rule: finite hyperparameters, all-or-nothing steps."""

import numpy as np
import pytest

from autodiff import Tensor, Value
from nn import optim
from nn.utils import clip_grad_norm_, clip_grad_value_


def params_with_grads(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    ps = [Tensor(rng.normal(size=s), requires_grad=True) for s in [(3, 4), (4,), (2, 2, 2)]]
    for p in ps:
        p.grad = rng.normal(size=p.shape) * scale
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize(("max_norm", "scale"), [(1.0, 5.0), (100.0, 1.0), (0.5, 1e-3)])
def test_clip_grad_norm_equals_torchs(norm_type, max_norm, scale):
    torch = pytest.importorskip("torch")
    ours = params_with_grads(scale=scale)
    theirs = [torch.tensor(p.data, requires_grad=True) for p in ours]
    for t, p in zip(theirs, ours, strict=True):
        t.grad = torch.tensor(p.grad.copy())
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert abs(total - expected.item()) <= 1e-12 * max(1.0, expected.item())
    for t, p in zip(theirs, ours, strict=True):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clip_grad_value_equals_torchs_and_works_on_values():
    torch = pytest.importorskip("torch")
    ours = params_with_grads(scale=3.0)
    theirs = [torch.tensor(p.data) for p in ours]
    for t, p in zip(theirs, ours, strict=True):
        t.grad = torch.tensor(p.grad.copy())
    clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for t, p in zip(theirs, ours, strict=True):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())
    a, b = Value(1.0), Value(2.0)
    a.grad, b.grad = 3.0, -4.0
    assert clip_grad_norm_([a, b], 1.0) == 5.0
    assert a.grad == pytest.approx(0.6, abs=1e-6) and b.grad == pytest.approx(-0.8, abs=1e-6)
    clip_grad_value_([a, b], 0.7)
    assert (a.grad, b.grad) == (0.6 * (1 / (5 + 1e-6)) * 5, -0.7)


def test_keras_clipping_in_the_optimizer_clips_the_update_not_grad():
    w = Tensor([0.0, 0.0], requires_grad=True)
    v = Tensor([0.0], requires_grad=True)
    w.grad, v.grad = np.array([3.0, 4.0]), np.array([12.0])
    optim.SGD([w, v], lr=1.0, clipnorm=1.0).step()
    np.testing.assert_allclose(w.data, [-0.6, -0.8])  # each clipped to norm 1 on its own
    np.testing.assert_allclose(v.data, [-1.0])
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])  # .grad itself untouched
    w.data[:], v.data[:] = 0, 0
    optim.SGD([w, v], lr=1.0, global_clipnorm=1.0).step()  # global norm 13
    np.testing.assert_allclose(np.r_[w.data, v.data], -np.array([3.0, 4.0, 12.0]) / 13)
    w.data[:] = 0
    optim.SGD([w], lr=1.0, clipvalue=3.5).step()
    np.testing.assert_allclose(w.data, [-3.0, -3.5])
    with pytest.raises(ValueError, match="clipnorm or global_clipnorm, not both"):
        optim.SGD([w], clipnorm=1.0, global_clipnorm=1.0)


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_hyperparameters_must_be_finite(bad):
    w = [Tensor([1.0], requires_grad=True)]
    with pytest.raises(ValueError, match=r"SGD: invalid lr .* \(must be finite\)"):
        optim.SGD(w, lr=bad)
    with pytest.raises(ValueError, match="Adam: invalid eps"):
        optim.Adam(w, eps=bad)
    with pytest.raises(ValueError, match="clipnorm"):
        optim.SGD(w, clipnorm=bad)


@pytest.mark.parametrize("make", [
    lambda ps: optim.SGD(ps, lr=1e308, momentum=0.9),
    lambda ps: optim.Adam(ps, lr=1e308),
])  # fmt: skip
def test_a_step_that_would_overflow_raises_and_changes_nothing(make):
    w = Tensor([1.0, -1e300], requires_grad=True)
    x = Value(2.0)
    opt = make([w, x])
    w.grad, x.grad = np.array([0.5, 1e10]), 0.25
    before_state = {k: np.copy(v) for k, v in opt.state_dict().items()}
    before = w.data.copy()
    with pytest.raises(FloatingPointError, match="would make parameter 0 non-finite"):
        opt.step()
    np.testing.assert_array_equal(w.data, before)
    assert x.data == 2.0
    after_state = opt.state_dict()
    assert before_state.keys() == after_state.keys()
    for k in before_state:
        np.testing.assert_array_equal(after_state[k], before_state[k])
