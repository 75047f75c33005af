"""nn.metrics against scikit-learn's, computed over whole sets; clear refusals."""

import numpy as np
import pytest

import nn
from nn import metrics

skm = pytest.importorskip("sklearn.metrics")

rng = np.random.default_rng(0)
Y2 = rng.integers(0, 2, size=200)
P2 = np.clip(Y2 * 0.3 + rng.random(200) * 0.7, 0, 1)  # probabilities of class 1
L2 = np.c_[rng.normal(size=200), rng.normal(size=200) + Y2]  # two logit columns
Y3 = rng.integers(0, 3, size=150)
S3 = rng.normal(size=(150, 3)) + np.eye(3)[Y3]


def test_binary_metrics_equal_scikit_learns():
    hard = (P2 > 0.5).astype(int)
    assert metrics.accuracy(P2, Y2) == skm.accuracy_score(Y2, hard)
    assert metrics.binary_accuracy(P2, Y2) == skm.accuracy_score(Y2, hard)
    assert metrics.precision(P2, Y2) == pytest.approx(skm.precision_score(Y2, hard), abs=1e-15)
    assert metrics.recall(P2, Y2) == pytest.approx(skm.recall_score(Y2, hard), abs=1e-15)
    assert metrics.f1(P2, Y2) == pytest.approx(skm.f1_score(Y2, hard), abs=1e-15)
    assert metrics.auc(P2, Y2) == pytest.approx(skm.roc_auc_score(Y2, P2), abs=1e-15)
    # two logit columns: the class is the argmax, the AUC score the logit difference
    assert metrics.accuracy(L2, Y2) == skm.accuracy_score(Y2, L2.argmax(1))
    assert metrics.auc(L2, Y2) == pytest.approx(skm.roc_auc_score(Y2, L2[:, 1] - L2[:, 0]))
    ties = np.round(P2, 1)  # many tied scores: ties count half, as scikit-learn
    assert metrics.auc(ties, Y2) == pytest.approx(skm.roc_auc_score(Y2, ties), abs=1e-15)


def test_macro_metrics_equal_scikit_learns():
    hard = S3.argmax(1)
    for ours, theirs in [
        (metrics.precision_macro, skm.precision_score),
        (metrics.recall_macro, skm.recall_score),
        (metrics.f1_macro, skm.f1_score),
    ]:
        expected = theirs(Y3, hard, average="macro", zero_division=0)
        assert ours(S3, Y3) == pytest.approx(expected, abs=1e-15)
        assert ours(S3, np.eye(3)[Y3]) == pytest.approx(expected, abs=1e-15)  # one-hot y


def test_regression_metrics_equal_scikit_learns():
    y = rng.normal(size=(50, 1))
    pred = y + rng.normal(size=(50, 1)) * 0.3
    assert metrics.mae(pred, y) == pytest.approx(skm.mean_absolute_error(y, pred), rel=1e-14)
    assert metrics.mse(pred, y) == pytest.approx(skm.mean_squared_error(y, pred), rel=1e-14)
    assert metrics.rmse(pred, y) == pytest.approx(skm.root_mean_squared_error(y, pred))


def test_refusals_name_what_is_wrong():
    with pytest.raises(ValueError, match="unknown metric 'f2'; known: accuracy, auc"):
        metrics.get("f2")
    with pytest.raises(ValueError, match="classification metric but y holds non-integer"):
        metrics.accuracy(np.array([0.2, 0.9]), np.array([0.37, 1.0]))
    with pytest.raises(ValueError, match="use 'precision_macro' for several classes"):
        metrics.precision(S3, Y3)
    with pytest.raises(ValueError, match="auc needs both classes"):
        metrics.auc(np.array([0.1, 0.2]), np.array([1, 1]))


def test_fit_computes_metrics_over_the_whole_epoch_not_per_batch():
    X = rng.normal(size=(70, 3))
    y = (X[:, 0] > 0).astype(int)
    nn.manual_seed(0)
    model = nn.MLP([3, 4, 2])
    opt = nn.optim.SGD(model.parameters(), lr=0.0)  # lr 0: every batch sees the same model
    h = nn.fit(model, nn.losses.cross_entropy, opt, (X, y), 1, batch_size=16,
               val=(X, y), metrics=["f1", "auc"], progress=False, seed=0)  # fmt: skip
    out = nn.predict(model, X)
    assert h.history["f1"][0] == pytest.approx(skm.f1_score(y, out.argmax(1)), abs=1e-15)
    assert h.history["val_auc"][0] == pytest.approx(
        skm.roc_auc_score(y, out[:, 1] - out[:, 0]), abs=1e-15
    )
    assert h.history["auc"][0] == pytest.approx(h.history["val_auc"][0], abs=1e-15)
