"""scikit-learn estimators around nn models: ``NetClassifier`` and ``NetRegressor``.

They follow scikit-learn's contract (``get_params``/``set_params``, ``fit``,
``predict``, ``predict_proba``, ``score``, ``classes_``, ``n_features_in_``), so
``GridSearchCV``, ``cross_val_score`` and ``Pipeline`` (with ``StandardScaler``) work,
and their folds run on whatever joblib backend is active — a Dask cluster included.
Needs the ``sklearn`` extra (``pip install 'autodiff[sklearn]'``).

The model comes from ``build(n_features, n_outputs)`` (a Module), by default an MLP
with ``hidden`` widths; it is trained by ``nn.fit`` with Adam (or ``optimizer="sgd"``).
``random_state`` (an int, or None for nn's default generator) fixes the initial
weights and the shuffling, so a fit with the same data and parameters is repeatable.

>>> import numpy as np
>>> X = np.random.default_rng(0).normal(size=(80, 2)); y = (X[:, 0] > 0).astype(int)
>>> clf = NetClassifier(hidden=(8,), epochs=20, lr=0.05, random_state=0).fit(X, y)
>>> clf.score(X, y) > 0.9
True
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as err:  # pragma: no cover - depends on the extra
    raise ImportError("nn.sklearn needs scikit-learn: pip install 'autodiff[sklearn]'") from err

from . import losses, optim
from .mlp import MLP
from .random import get_rng
from .training import fit, predict


class _NetEstimator(BaseEstimator):  # type: ignore[misc]
    """What both estimators share: the parameters, the model builder and training."""

    def __init__(
        self,
        hidden: tuple[int, ...] = (32,),
        activation: str = "relu",
        epochs: int = 50,
        batch_size: int = 32,
        lr: float = 0.01,
        optimizer: str = "adam",
        weight_decay: float = 0.0,
        build: Any = None,
        random_state: Any = None,
    ) -> None:
        self.hidden = hidden
        self.activation = activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.build = build
        self.random_state = random_state

    def _model(self, n_features: int, n_outputs: int) -> Any:
        if self.random_state is not None and not isinstance(
            self.random_state, (numbers.Integral, np.random.Generator)
        ):
            raise TypeError(
                f"{type(self).__name__}: random_state must be an int, a numpy Generator or "
                f"None, got {self.random_state!r}"
            )
        rng = get_rng(self.random_state, type(self).__name__)
        if self.build is not None:
            model = self.build(n_features, n_outputs)
        else:
            model = MLP([n_features, *self.hidden, n_outputs], self.activation, rng=rng)
        if self.optimizer == "adam":
            opt: Any = optim.Adam(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        elif self.optimizer == "sgd":
            opt = optim.SGD(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        else:
            raise ValueError(
                f"{type(self).__name__}: optimizer must be 'adam' or 'sgd', got {self.optimizer!r}"
            )
        return model, opt, rng

    def _train(self, X: np.ndarray, y: np.ndarray, n_outputs: int, loss_fn: Any) -> None:
        model, opt, rng = self._model(X.shape[1], n_outputs)
        self.history_ = fit(
            model,
            loss_fn,
            opt,
            (X, y),
            epochs=self.epochs,
            batch_size=self.batch_size,
            progress=False,
            seed=rng,
        )
        self.model_ = model

    def _outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return predict(self.model_, X)


class NetClassifier(ClassifierMixin, _NetEstimator):  # type: ignore[misc]
    """A classifier: an MLP (or ``build``'s model) with cross-entropy on its logits.

    ``classes_`` holds the labels seen in ``fit`` (any sortable labels, strings too);
    ``predict_proba`` gives the softmax of the logits, one column per class.
    """

    def fit(self, X: Any, y: Any) -> NetClassifier:
        """Train a fresh model on (X, y); returns self."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self._train(X, codes, len(self.classes_), losses.cross_entropy)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, rows summing to 1, columns in the order of ``classes_``."""
        logits = self._outputs(X)
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]

    def predict(self, X: Any) -> np.ndarray:
        """The most likely class of each row."""
        check_is_fitted(self, "model_")
        return self.classes_[self._outputs(X).argmax(axis=1)]  # type: ignore[no-any-return]


class NetRegressor(RegressorMixin, _NetEstimator):  # type: ignore[misc]
    """A regressor: an MLP (or ``build``'s model) trained on the mean squared error.

    ``y`` may be a vector or a matrix (several targets); ``predict`` returns the same.
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X: Any, y: Any) -> NetRegressor:
        """Train a fresh model on (X, y); returns self."""
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True, multi_output=True)
        self._vector = y.ndim == 1
        targets = y.reshape(len(y), -1)
        self._train(X, targets, targets.shape[1], losses.mse_loss)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The predicted targets, a vector if ``fit`` got a vector."""
        out = self._outputs(X)
        return out.ravel() if self._vector else out


__all__ = ["NetClassifier", "NetRegressor"]
