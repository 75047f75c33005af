"""nn.data: batches, splits, folds, scalers and input checks."""

import numpy as np
import pytest

from nn.data import DataLoader, KFold, MinMaxScaler, StandardScaler, train_val_test_split


def test_dataloader_batches_cover_every_sample_once_per_epoch():
    X, y = np.arange(500.0).reshape(500, 1), np.arange(500)
    loader = DataLoader(X, y, batch_size=10, seed=1)
    assert len(loader) == 50  # the course: 500 samples at batch size 10 = 50 iterations
    for _ in range(2):
        seen = np.concatenate([yb for _, yb in loader])
        assert sorted(seen.tolist()) == list(range(500))
        assert [len(xb) for xb, _ in loader] == [10] * 50


def test_dataloader_shuffles_reproducibly_and_keeps_rows_together():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    a = [yb.tolist() for _, yb in DataLoader(X, y, 3, seed=7)]
    b = [yb.tolist() for _, yb in DataLoader(X, y, 3, seed=7)]
    assert a == b and a != [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    for xb, yb in DataLoader(X, y, 3, seed=7):
        assert np.array_equal(xb[:, 0], yb * 2.0)


def test_dataloader_last_partial_batch_kept_or_dropped():
    X, y = np.zeros((10, 1)), np.zeros(10)
    assert [len(b) for b, _ in DataLoader(X, y, 4, shuffle=False)] == [4, 4, 2]
    dropped = DataLoader(X, y, 4, shuffle=False, drop_last=True)
    assert len(dropped) == 2 and [len(b) for b, _ in dropped] == [4, 4]


def test_bad_inputs_are_refused_naming_array_and_row():
    with pytest.raises(ValueError, match="X has 3 rows but y has 2"):
        DataLoader(np.zeros((3, 1)), np.zeros(2), 1)
    X = np.zeros((5, 2))
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="X has nan or inf in row 3"):
        DataLoader(X, np.zeros(5), 2)
    with pytest.raises(ValueError, match=r"y has nan or inf in row 0"):
        train_val_test_split(np.zeros((4, 1)), np.array([np.inf, 1, 2, 3]))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(np.zeros((3, 1)), np.zeros(3), 0)


def test_split_sizes_disjointness_and_stratification():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.repeat([0, 1, 2, 3], [20, 40, 60, 80])
    Xtr, Xva, Xte, ytr, yva, yte = train_val_test_split(
        X, y, val=0.15, test=0.15, seed=3, stratify=True
    )
    assert len(Xtr) + len(Xva) + len(Xte) == 200
    rows = {tuple(r) for r in np.concatenate([Xtr, Xva, Xte])}
    assert len(rows) == 200
    for part in (ytr, yva, yte):
        shares = np.bincount(part, minlength=4) / len(part)
        assert np.allclose(shares, [0.1, 0.2, 0.3, 0.4], atol=0.02)
    again = train_val_test_split(X, y, seed=3, stratify=True)
    assert np.array_equal(again[0], Xtr)


def test_split_rejects_bad_fractions():
    with pytest.raises(ValueError, match="val"):
        train_val_test_split(np.zeros((10, 1)), np.zeros(10), val=1.5)
    with pytest.raises(ValueError, match="val \\+ test"):
        train_val_test_split(np.zeros((10, 1)), np.zeros(10), val=0.5, test=0.5)


def test_kfold_validates_each_sample_exactly_once():
    folds = list(KFold(4, seed=0).split(np.zeros((10, 1))))
    assert len(folds) == 4
    val = np.concatenate([v for _, v in folds])
    assert sorted(val.tolist()) == list(range(10))
    for train, v in folds:
        assert set(train).isdisjoint(v) and len(train) + len(v) == 10
    with pytest.raises(ValueError, match="folds"):
        list(KFold(5).split(np.zeros((3, 1))))


def test_minmax_and_standard_scalers_fit_on_training_data_only():
    train = np.array([[0.0, 5.0, 1.0], [10.0, 5.0, 3.0]])
    mm = MinMaxScaler().fit(train)
    assert np.allclose(mm.transform(train), [[0, 0, 0], [1, 0, 1]])  # constant column: no 0/0
    assert np.allclose(mm.transform([[20.0, 5.0, 2.0]]), [[2.0, 0.0, 0.5]])
    assert np.allclose(mm.inverse_transform(mm.transform(train)), train)
    st = StandardScaler()
    z = st.fit_transform(train)
    assert np.allclose(z.mean(axis=0), 0) and np.allclose(z[:, [0, 2]].std(axis=0), 1)
    assert np.all(np.isfinite(z))
    with pytest.raises(RuntimeError, match="fit"):
        StandardScaler().transform(train)
    with pytest.raises(ValueError, match="feature shape"):
        st.transform(np.zeros((2, 4)))
