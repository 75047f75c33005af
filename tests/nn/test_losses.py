"""Losses without PyTorch: gradients against central differences, stability, the course's
numbers, Value lists against Tensors, and the errors bad input gets."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autodiff import Tensor, Value
from nn import losses


def _rng(seed=0):
    return np.random.default_rng(seed)


def _central_difference_check(loss_of, x, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Every partial derivative of the scalar ``loss_of(Tensor)`` at ``x`` against
    (f(x + eps) − f(x − eps)) / 2eps."""
    xt = Tensor(x, requires_grad=True)
    loss_of(xt).backward()
    numeric = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (loss_of(Tensor(up)).item() - loss_of(Tensor(down)).item()) / (2 * eps)
    np.testing.assert_allclose(xt.grad, numeric, rtol=rtol, atol=atol)


# (name, loss on (x, target), input, target) for small well-conditioned cases:
# each input keeps away from the kinks so that central differences are exact enough.
_X = np.array([[0.3, -1.2, 2.1], [1.7, 0.4, -0.6]])
_T = np.array([[0.1, -0.8, 0.9], [2.5, 0.45, -0.1]])
_LABELS = np.array([2, 0])
_PROBS = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
CASES = [
    ("mse", lambda x: losses.mse_loss(x, _T)),
    ("l1", lambda x: losses.l1_loss(x, _T, reduction="sum")),
    ("huber", lambda x: losses.huber_loss(x, _T, delta=0.5)),
    ("log_cosh", lambda x: losses.log_cosh_loss(x, _T)),
    ("msle", lambda x: losses.msle_loss(x.abs(), np.abs(_T))),
    ("bce", lambda x: losses.binary_cross_entropy(x.sigmoid(), _PROBS)),
    ("bce_logits", lambda x: losses.binary_cross_entropy_with_logits(x, _PROBS, pos_weight=2.0)),
    ("ce_labels", lambda x: losses.cross_entropy(x, _LABELS, label_smoothing=0.1)),
    ("ce_probs", lambda x: losses.cross_entropy(x, _PROBS, weight=[1.0, 2.0, 0.5])),
    ("nll", lambda x: losses.nll_loss(x.log_softmax(), _LABELS, weight=[1.0, 2.0, 0.5])),
    ("multi_margin", lambda x: losses.multi_margin_loss(x, _LABELS, p=2)),
    ("hinge", lambda x: losses.hinge_loss(x, _LABELS)),
    ("kl_div", lambda x: losses.kl_div(x.log_softmax(), _PROBS, reduction="batchmean")),
    ("cosine", lambda x: losses.cosine_similarity_loss(x, _T)),
]


@pytest.mark.parametrize(("name", "loss_of"), CASES, ids=[c[0] for c in CASES])
def test_gradient_matches_central_differences(name, loss_of):
    _central_difference_check(loss_of, _X.copy())


def test_reduction_none_gives_one_loss_per_element_or_sample():
    assert losses.mse_loss(Tensor(_X), _T, reduction="none").shape == (2, 3)
    assert losses.cross_entropy(Tensor(_X), _LABELS, reduction="none").shape == (2,)
    assert losses.hinge_loss(Tensor(_X), _LABELS, reduction="none").shape == (2,)
    assert losses.cosine_similarity_loss(Tensor(_X), _T, reduction="none").shape == (2,)
    per = losses.huber_loss(Tensor(_X), _T, reduction="none").data
    assert losses.huber_loss(Tensor(_X), _T, reduction="sum").item() == pytest.approx(per.sum())
    assert losses.huber_loss(Tensor(_X), _T).item() == pytest.approx(per.mean())


# --- stability -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_is_finite_for_logits_of_1e4(dtype):
    z = Tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], requires_grad=True, dtype=dtype)
    loss = losses.cross_entropy(z, [1, 0], reduction="sum")
    loss.backward()
    assert np.isfinite(loss.data) and np.isfinite(z.grad).all()
    assert loss.item() == pytest.approx(2e4 + 2e4 + math.log(2), rel=1e-6)
    np.testing.assert_allclose(z.grad, [[1, -1, 0], [-1, 0.5, 0.5]], atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_binary_cross_entropy_with_logits_is_finite_for_logits_of_1e4(dtype):
    z = Tensor([1e4, -1e4, 1e4, -1e4], requires_grad=True, dtype=dtype)
    loss = losses.binary_cross_entropy_with_logits(z, [1.0, 0.0, 0.0, 1.0], reduction="none")
    loss.backward(np.ones(4))
    np.testing.assert_allclose(loss.data, [0, 0, 1e4, 1e4])
    np.testing.assert_allclose(z.grad, [0, 0, 1, -1])  # σ(z) − t


def test_binary_cross_entropy_of_saturated_probabilities_is_finite():
    p = Tensor([0.0, 1.0, 0.5], requires_grad=True)
    loss = losses.binary_cross_entropy(p, [1.0, 0.0, 1.0], reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(200 + math.log(2))
    assert np.isfinite(p.grad).all()
    assert p.grad[2] == pytest.approx(-2.0)


def test_log_cosh_and_cosine_are_finite_at_extremes():
    x = Tensor([[1e4, -1e4], [0.0, 0.0]], requires_grad=True)
    loss = losses.log_cosh_loss(x, np.zeros((2, 2)), reduction="sum")
    loss.backward()
    assert loss.item() == pytest.approx(2e4 - 2 * math.log(2))
    np.testing.assert_allclose(x.grad, [[1, -1], [0, 0]])  # tanh(d)
    x.grad = None
    cos = losses.cosine_similarity_loss(x, [[1.0, 1.0], [1.0, 0.0]], reduction="none")
    cos.backward(np.ones(2))
    np.testing.assert_allclose(cos.data, [1.0, 1.0])  # orthogonal, and a zero row
    assert np.isfinite(x.grad).all()


def test_losses_are_twice_differentiable():
    # composed from Tensor ops, so backward(create_graph=True) records their gradients:
    # d²/dz² of binary cross-entropy on logits is σ(z)(1 − σ(z))
    z = Tensor([0.3, -2.0, 5.0, 0.0], requires_grad=True)
    loss = losses.binary_cross_entropy_with_logits(z, [1.0, 0.0, 1.0, 1.0], reduction="sum")
    loss.backward(create_graph=True)
    first = z.grad
    z.grad = None
    first.sum().backward()
    s = 1 / (1 + np.exp(-z.data))
    np.testing.assert_allclose(z.grad, s * (1 - s), rtol=1e-12)


def test_float32_inputs_give_float32_losses_and_gradients():
    x = Tensor(_X, requires_grad=True, dtype=np.float32)
    for loss in (
        losses.mse_loss(x, _T),
        losses.cross_entropy(x, _LABELS, weight=[1.0, 2.0, 3.0]),
        losses.binary_cross_entropy_with_logits(x, _PROBS),
        losses.kl_div(x.log_softmax(), _PROBS),
    ):
        assert loss.dtype == np.float32
        x.grad = None
        loss.backward()
        assert x.grad.dtype == np.float32


# --- the course's numbers --------------------------------------------------------------------


def test_softmax_cross_entropy_gradient_is_y_minus_t_course_section_4():
    z = Tensor(np.log([0.34, 0.46, 0.20]), requires_grad=True)
    loss = losses.cross_entropy(z, 0)
    loss.backward()
    np.testing.assert_allclose(z.softmax().data, [0.34, 0.46, 0.20])
    np.testing.assert_allclose(z.grad, [-0.66, 0.46, 0.20], atol=1e-12)
    assert loss.item() == pytest.approx(-math.log(0.34))


def test_binary_cross_entropy_on_a_sigmoid_has_no_sigma_prime_factor():
    # ∂C/∂z = a − y, however wrong the neuron is (course §4)
    z = Tensor([-6.0, 0.5, 6.0], requires_grad=True)
    a = z.sigmoid()
    losses.binary_cross_entropy(a, [1.0, 0.0, 0.0], reduction="sum").backward()
    np.testing.assert_allclose(z.grad, a.data - [1.0, 0.0, 0.0], rtol=1e-9)


def test_hinge_loss_on_the_three_images_example():
    # Scores of cat, car and frog images for the classes (cat, car, frog).
    scores = Tensor([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]], requires_grad=True)
    per_image = losses.hinge_loss(scores, [0, 1, 2], reduction="none")
    np.testing.assert_allclose(per_image.data, [2.9, 0.0, 12.9])
    loss = losses.hinge_loss(scores, [0, 1, 2])
    assert loss.item() == pytest.approx(15.8 / 3)
    loss.backward()
    # each violated margin pushes s_j up by 1 and s_y down by 1 (then / 3 images)
    np.testing.assert_allclose(scores.grad * 3, [[-1, 1, 0], [0, 0, 0], [1, 1, -2]])


def test_multi_margin_loss_is_hinge_over_the_class_count():
    x = Tensor(_X)
    hinge = losses.hinge_loss(x, _LABELS, reduction="none").data
    margin = losses.multi_margin_loss(x, _LABELS, reduction="none").data
    np.testing.assert_allclose(margin * 3, hinge)


def test_l2_penalty_is_half_lambda_sum_of_squares_with_gradient_lambda_w():
    w = Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    b = Tensor([4.0], requires_grad=True)
    penalty = losses.l2_penalty([w, b], 0.1)
    assert penalty.item() == pytest.approx(0.05 * (1 + 4 + 0.25 + 9 + 16))
    penalty.backward()
    np.testing.assert_allclose(w.grad, 0.1 * w.data)
    np.testing.assert_allclose(b.grad, 0.1 * b.data)
    vs = [Value(1.0), Value(-2.0)]
    pv = losses.l2_penalty(vs, 0.5)
    pv.backward()
    assert pv.data == pytest.approx(1.25)
    assert [v.grad for v in vs] == [0.5, -1.0]


# --- Value lists equal Tensors ---------------------------------------------------------------


def _values(rows):
    return [[Value(x) for x in row] for row in rows]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse_loss_on_values_equals_the_tensor_version(reduction):
    vs = _values(_X)
    loss = losses.mse_loss(vs, _T, reduction=reduction)
    assert isinstance(loss, Value)
    loss.backward()
    xt = Tensor(_X, requires_grad=True)
    ref = losses.mse_loss(xt, _T, reduction=reduction)
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose([[v.grad for v in row] for row in vs], xt.grad, rtol=1e-12)


def test_mse_loss_on_one_list_of_values_and_reduction_none():
    out = [Value(0.75), Value(0.77)]
    loss = losses.mse_loss(out, [0.01, 0.99], reduction="none")
    assert [round(v.data, 6) for v in loss] == [0.5476, 0.0484]
    assert losses.mse_loss(Value(2.0), 1.0).data == 1.0


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("target", ["labels", "probs"])
def test_cross_entropy_on_values_equals_the_tensor_version(reduction, smoothing, target):
    t = _LABELS if target == "labels" else _PROBS
    vs = _values(_X)
    loss = losses.cross_entropy(vs, t.tolist(), reduction=reduction, label_smoothing=smoothing)
    assert isinstance(loss, Value)
    loss.backward()
    xt = Tensor(_X, requires_grad=True)
    ref = losses.cross_entropy(xt, t, reduction=reduction, label_smoothing=smoothing)
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose([[v.grad for v in row] for row in vs], xt.grad, atol=1e-12)


def test_cross_entropy_on_one_row_of_values_is_stable_and_per_sample_with_none():
    row = [Value(1e4), Value(-1e4), Value(0.0)]
    loss = losses.cross_entropy(row, 1)
    loss.backward()
    assert loss.data == 2e4
    assert [v.grad for v in row] == [1.0, -1.0, 0.0]
    per = losses.cross_entropy(_values(_X), _LABELS, reduction="none")
    ref = losses.cross_entropy(Tensor(_X), _LABELS, reduction="none").data
    np.testing.assert_allclose([v.data for v in per], ref, rtol=1e-12)


@given(
    hnp.arrays(np.float64, (3, 4), elements=st.floats(-30, 30)),
    hnp.arrays(np.int64, 3, elements=st.integers(0, 3)),
)
def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n(z, y):
    zt = Tensor(z, requires_grad=True)
    losses.cross_entropy(zt, y).backward()
    onehot = np.eye(4)[y]
    np.testing.assert_allclose(zt.grad, (zt.softmax().data - onehot) / 3, atol=1e-12)


@given(
    hnp.arrays(np.float64, (2, 3), elements=st.floats(-10, 10)),
    hnp.arrays(np.float64, (2, 3), elements=st.floats(-10, 10)),
)
def test_mse_values_and_tensor_agree_on_generated_inputs(x, t):
    vs = _values(x)
    loss = losses.mse_loss(vs, t)
    loss.backward()
    xt = Tensor(x, requires_grad=True)
    ref = losses.mse_loss(xt, t)
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-12, abs=1e-12)
    np.testing.assert_allclose([[v.grad for v in r] for r in vs], xt.grad, atol=1e-12)


# --- bad input ------------------------------------------------------------------------------


def test_bad_reduction_is_named():
    with pytest.raises(
        ValueError, match=r"mse_loss: reduction must be 'mean', 'sum' or 'none', got 'avg'"
    ):
        losses.mse_loss(Tensor([1.0]), [1.0], reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        losses.cross_entropy(Tensor(_X), _LABELS, reduction="batchmean")
    assert losses.kl_div(Tensor(_X), np.abs(_T), reduction="batchmean").shape == ()


def test_labels_out_of_range_are_named_with_their_index():
    with pytest.raises(ValueError, match=r"label 3 at index \(1,\) is out of range for 3 classes"):
        losses.cross_entropy(Tensor(_X), [0, 3])
    with pytest.raises(ValueError, match="label -1"):
        losses.nll_loss(Tensor(_X), [-1, 0])
    with pytest.raises(ValueError, match="out of range"):
        losses.hinge_loss(Tensor(_X), [0, 5])
    with pytest.raises(ValueError, match="out of range"):
        losses.cross_entropy(_values(_X), [0, 7])


def test_non_integer_labels_are_rejected():
    with pytest.raises(ValueError, match=r"integer class labels, got 1.5 at index \(0,\)"):
        losses.cross_entropy(Tensor(_X), [1.5, 0.0])
    with pytest.raises(TypeError, match="integer class labels, got dtype bool"):
        losses.multi_margin_loss(Tensor(_X), [True, False])
    # integral floats are labels (a y read from a CSV file)
    assert losses.cross_entropy(Tensor(_X), [2.0, 0.0]).item() == pytest.approx(
        losses.cross_entropy(Tensor(_X), _LABELS).item()
    )


def test_mismatched_batch_sizes_name_both_shapes():
    with pytest.raises(
        ValueError, match=r"input has shape \(2, 3\) so target must have shape \(2,\)"
    ):
        losses.cross_entropy(Tensor(_X), [0, 1, 2])
    with pytest.raises(ValueError, match=r"input has shape \(2, 3\) but target has shape \(3, 2\)"):
        losses.mse_loss(Tensor(_X), _T.T)
    with pytest.raises(ValueError, match=r"input has shape \(2, 3\) but target has shape \(2,\)"):
        losses.mse_loss(_values(_X), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(N, C\) or \(C,\)"):
        losses.cross_entropy(Tensor(np.zeros((2, 3, 4))), [[0] * 3] * 2)


def test_other_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"input must hold probabilities in \[0, 1\].*1.5"):
        losses.binary_cross_entropy(Tensor([0.5, 1.5]), [0.0, 1.0])
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        losses.cross_entropy(Tensor(_X), _LABELS, weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        losses.multi_margin_loss(Tensor(_X), _LABELS, p=3)
    with pytest.raises(ValueError, match="delta must be a positive number"):
        losses.huber_loss(Tensor(_X), _T, delta=0)
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        losses.cross_entropy(Tensor(_X), _LABELS, label_smoothing=1.5)
    with pytest.raises(ValueError, match="target must be non-negative"):
        losses.msle_loss(Tensor(_X), _T)
    with pytest.raises(ValueError, match="target must hold probabilities"):
        losses.kl_div(Tensor(_X), _T)
    with pytest.raises(ValueError, match="input is empty"):
        losses.mse_loss(Tensor(np.zeros((0, 3))), np.zeros((0, 3)))
    with pytest.raises(TypeError, match="lists of Values are taken by mse_loss and cross_entropy"):
        losses.l1_loss([Value(1.0)], [0.0])
    with pytest.raises(TypeError, match="input must hold real numbers"):
        losses.mse_loss(np.array(["a"]), [1.0])
    with pytest.raises(ValueError, match="ragged"):
        losses.mse_loss([[Value(1.0)], [Value(1.0), Value(2.0)]], [[1.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match="all Tensors or all Values"):
        losses.l2_penalty([Tensor([1.0]), Value(1.0)], 0.1)
    with pytest.raises(ValueError, match="lam must be a non-negative number"):
        losses.l2_penalty([Value(1.0)], -1)


@pytest.mark.parametrize(
    ("target", "shown"), [([0.0, 2.0], "2.0 at index (1,)"), ([-0.5, 1.0], "-0.5 at index (0,)")]
)
def test_binary_cross_entropy_refuses_targets_outside_0_1(target, shown):
    p = Tensor([0.5, 0.5], requires_grad=True)
    with pytest.raises(
        ValueError,
        match=r"target must hold probabilities in \[0, 1\], got "
        + shown.replace("(", r"\(").replace(")", r"\)"),
    ):
        losses.binary_cross_entropy(p, target)
    with pytest.raises(ValueError, match="got nan"):
        losses.binary_cross_entropy(p, [0.0, float("nan")])
    assert losses.binary_cross_entropy(p, [0.0, 1.0]).item() == pytest.approx(math.log(2))
