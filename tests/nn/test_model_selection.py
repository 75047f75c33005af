"""nn.model_selection and nn.sklearn: the same scores on every joblib backend (serial,
loky, threading, Dask), scikit-learn's own estimator checks, grid search in a pipeline."""

import sys
import warnings

import joblib
import numpy as np
import pytest

import nn
from nn.data import fold_seed
from nn.model_selection import cross_validate

sklearn = pytest.importorskip("sklearn")
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

from nn.sklearn import NetClassifier, NetRegressor  # noqa: E402


def blobs(n=90, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)


def build():
    """Module level, so process workers can unpickle it; Dropout draws from the default
    generator, so a fold that shared another's generator would score differently."""
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 2))
    return model, nn.losses.cross_entropy, nn.optim.Adam(model.parameters(), lr=0.05)


def run(**kwargs):
    X, y = blobs()
    return cross_validate(build, X, y, k=4, epochs=3, batch_size=16, seed=3, **kwargs)


@pytest.fixture(scope="module")
def dask_client():
    """One small cluster of two worker processes for the module (starting one is slow)."""
    distributed = pytest.importorskip("distributed")
    import cloudpickle

    # The workers cannot import this test module by name: send its functions by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
        )
        client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close(timeout=30)
        cluster.close(timeout=30)
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def test_cross_validate_scores_equal_on_serial_loky_threading_and_dask(dask_client):
    serial = run()
    assert set(serial) == {"val_loss", "val_accuracy"} and serial["val_loss"].shape == (4,)
    assert serial["val_accuracy"].mean() > 0.8
    results = {}
    with joblib.parallel_config(backend="loky", n_jobs=2):
        results["loky"] = run()  # n_jobs=None: the backend's two workers
    with joblib.parallel_config(backend="dask"):
        results["dask"] = run()
    for backend, scores in results.items():
        for key in serial:
            np.testing.assert_array_equal(scores[key], serial[key], err_msg=backend)


def test_cross_validate_on_the_threading_backend_equals_serial():
    serial = run()
    with joblib.parallel_config(backend="threading", n_jobs=2):
        threaded = run()
    for key in serial:
        np.testing.assert_array_equal(threaded[key], serial[key])


def test_threading_backend_runs_the_folds_in_two_threads():
    import threading

    X, y = blobs()
    seen = set()

    def build_and_note():
        seen.add(threading.get_ident())
        return build()

    with joblib.parallel_config(backend="threading", n_jobs=2):
        cross_validate(build_and_note, X, y, k=4, epochs=1, batch_size=16)
    assert len(seen) == 2


def test_each_fold_builds_from_its_own_generator_and_leaves_the_global_one_alone():
    X, y = blobs(60)
    draws = []

    def build_and_record():
        draws.append(nn.random.default_rng().random())
        return build()

    before = nn.manual_seed(7)
    state = before.bit_generator.state
    cross_validate(build_and_record, X, y, k=3, epochs=1, batch_size=16, seed=11)
    assert draws == [np.random.default_rng(fold_seed(11, i)).random() for i in range(3)]
    assert nn.random.default_rng() is before and before.bit_generator.state == state


def test_cross_validate_refuses_a_bad_seed():
    X, y = blobs(20)
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        cross_validate(build, X, y, k=2, epochs=1, seed="abc")


# --- scikit-learn -------------------------------------------------------------------------

# Checks scikit-learn skips by itself here, not exempted by us: check_array_api_input
# (needs SCIPY_ARRAY_API and an array-API library) and the *_data_not_an_array checks
# (need pandas); neither concerns numpy input. No check is exempted.


@pytest.mark.parametrize(
    "estimator",
    [NetClassifier(epochs=30, lr=0.02), NetRegressor(epochs=30, lr=0.02)],
    ids=["NetClassifier", "NetRegressor"],
)
def test_scikit_learn_estimator_checks(estimator):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None)
    failed = [
        (r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"
    ]
    assert failed == []
    assert sum(r["status"] == "passed" for r in results) > 40


def test_grid_search_over_a_scaled_pipeline_on_dask_equals_serial(dask_client):
    X, y = blobs(120, seed=1)
    X = X * [100.0, 0.01] + [5.0, -3.0]  # scales only a StandardScaler makes harmless
    pipe = make_pipeline(StandardScaler(), NetClassifier(epochs=10, random_state=0))
    grid = {"netclassifier__lr": [0.01, 0.05], "netclassifier__hidden": [(4,), (16,)]}
    serial = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        on_dask = GridSearchCV(pipe, grid, cv=3, n_jobs=-1).fit(X, y)
    np.testing.assert_array_equal(
        on_dask.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    assert serial.best_score_ > 0.85
    assert set(serial.best_estimator_.classes_) == {0, 1}
    proba = serial.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_estimators_take_string_labels_and_matrix_targets():
    X, y = blobs(80)
    labels = np.array(["no", "yes"])[y]
    clf = NetClassifier(epochs=20, lr=0.05, random_state=0).fit(X, labels)
    assert list(clf.classes_) == ["no", "yes"] and clf.score(X, labels) > 0.9
    assert cross_val_score(clf, X, labels, cv=2).mean() > 0.8
    targets = np.c_[X.sum(axis=1), X[:, 0] - X[:, 1]]
    reg = NetRegressor(hidden=(), epochs=60, lr=0.05, random_state=0).fit(X, targets)
    assert reg.predict(X).shape == (80, 2) and reg.score(X, targets) > 0.95
