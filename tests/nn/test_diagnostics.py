"""nn.diagnostics: gradient flow per layer, the deep-sigmoid lesson, dead ReLUs, the picture."""

import math
import warnings

import numpy as np
import pytest

import nn
from nn.diagnostics import GradientFlow, dead_relu_fraction, layer_groups, plot_gradient_flow
from nn.training import Callback, fit


def data(n=128, d=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def deep(activation, depth=10, width=32, d=8, seed=0):
    """An MLP of ``depth`` Linear layers with ``activation`` between them."""
    nn.manual_seed(seed)
    return nn.MLP([d] + [width] * (depth - 1) + [2], activation=activation)


def train_with(flow, model, X, y, epochs=1, batch_size=32, lr=0.1, callbacks=()):
    opt = nn.optim.SGD(model.parameters(), lr=lr)
    fit(
        model,
        nn.losses.cross_entropy,
        opt,
        (X, y),
        epochs,
        batch_size,
        callbacks=[flow, *callbacks],
        progress=False,
        seed=0,
    )


class WeightNorms(Callback):
    """Per step, each layer's weight norm before the update and gradient norm (by hand)."""

    def __init__(self):
        self.weights, self.grads = [], []

    def on_after_backward(self, state):
        groups = layer_groups(state.model)
        self.weights.append(
            [math.sqrt(sum(float((p.data**2).sum()) for p in g)) for g in groups.values()]
        )
        self.grads.append(
            [math.sqrt(sum(float((p.grad**2).sum()) for p in g)) for g in groups.values()]
        )


def test_gradient_flow_records_norms_and_update_ratios_every_step():
    X, y = data(96)  # 3 batches of 32 per epoch
    model = deep("relu", depth=3)
    flow, by_hand = GradientFlow(every=1), WeightNorms()
    train_with(flow, model, X, y, epochs=2, lr=0.05, callbacks=[by_hand])
    assert flow.layers == ["layers.0", "layers.2", "layers.4"]  # Linear layers, input first
    assert flow.steps == [0, 1, 2, 3, 4, 5]
    for i, name in enumerate(flow.layers):
        grads = np.array(flow.grad_norms[name])
        ratios = np.array(flow.update_ratios[name])
        assert grads.shape == ratios.shape == (6,)
        hand_g = np.array([g[i] for g in by_hand.grads])
        hand_w = np.array([w[i] for w in by_hand.weights])
        np.testing.assert_allclose(grads, hand_g, rtol=1e-12)
        # plain SGD moves each layer by lr·grad: the update ratio is lr·‖g‖ / ‖w‖
        np.testing.assert_allclose(ratios, 0.05 * hand_g / hand_w, rtol=1e-9)
    assert "layers.0" in flow.summary() and "update/weight" in flow.summary()


def test_gradient_flow_every_n_steps():
    X, y = data(96)
    flow = GradientFlow(every=2)
    train_with(flow, deep("relu", depth=2), X, y, epochs=2)
    assert flow.steps == [0, 2, 4]
    assert all(len(v) == 3 for v in flow.grad_norms.values())
    assert all(len(v) == 3 for v in flow.update_ratios.values())
    with pytest.raises(ValueError, match="every"):
        GradientFlow(every=0)


def first_to_last(activation):
    """Median gradient norm of the first layer over that of the last, over a short training."""
    X, y = data()
    flow = GradientFlow(warn=False)
    train_with(flow, deep(activation), X, y, epochs=2)
    medians = [np.median(flow.grad_norms[name]) for name in flow.layers]
    assert len(medians) == 10
    return medians[0] / medians[-1]


def test_deep_sigmoid_stack_starves_its_first_layer_and_relu_does_not():
    """The course's lesson: σ' ≤ 1/4 at every layer, so ten sigmoid layers shrink the
    gradient by orders of magnitude on its way to the first layer; ReLU passes it on."""
    sigmoid, relu = first_to_last("sigmoid"), first_to_last("relu")
    assert sigmoid < 1e-3  # measured ~1e-5
    assert relu > 0.1  # measured ~1
    assert sigmoid < 1e-2 * relu


def test_vanishing_warning_fires_for_the_sigmoid_stack_only():
    X, y = data()
    with pytest.warns(RuntimeWarning) as record:
        train_with(GradientFlow(), deep("sigmoid"), X, y)
    messages = [str(w.message) for w in record]
    assert any(
        m.startswith("gradient of layer 'layers.0' is vanishing")
        and m.endswith("of output layer 'layers.18''s norm")
        for m in messages
    )
    assert not any("'layers.16'" in m for m in messages)  # the last layers are fine
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        train_with(GradientFlow(), deep("relu"), X, y)
        train_with(GradientFlow(), deep("tanh"), X, y)


def test_gradient_cut_at_one_layer_warns_relative_to_the_layer_above():
    X, y = data()
    model = deep("relu", depth=3)
    model.layers[2].bias.data[:] = -1e3  # every second-layer ReLU dead: the flow stops there
    with pytest.warns(RuntimeWarning) as record:
        train_with(GradientFlow(), model, X, y)
    messages = [str(w.message) for w in record]
    assert (
        "gradient of layer 'layers.2' is vanishing: norm 0, 0.0e+00 of layer 'layers.4' above it"
        in messages
    )


def test_exploding_warning():
    X, y = data()
    model = deep("relu", depth=3)
    for p in model.parameters():
        p.data *= 30.0
    with pytest.warns(RuntimeWarning, match="exploding"):
        train_with(GradientFlow(explode=1e3), model, X * 100, y, lr=1e-12)


def test_dead_relu_fraction_finds_a_layer_killed_on_purpose():
    X, _ = data()
    nn.manual_seed(0)
    model = nn.MLP([8, 16, 16, 2])
    alive = dead_relu_fraction(model, X)
    assert list(alive) == ["relu 1", "relu 2"]
    assert all(v < 0.25 for v in alive.values())
    model.layers[2].bias.data[:] = -1e3  # the second hidden layer can never fire
    assert dead_relu_fraction(model, X)["relu 2"] == 1.0
    model.layers[2].bias.data[:8] = 1e3  # half of it brought back to life
    assert dead_relu_fraction(model, X)["relu 2"] == 0.5
    assert dead_relu_fraction(model, X)["relu 1"] == alive["relu 1"]


def test_dead_relu_fraction_runs_the_model_in_eval_mode():
    X, _ = data()
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.Dropout(0.9), nn.ReLU(), nn.Linear(16, 2))
    model.train()
    # in training mode 90% dropout would zero most units for whole columns; eval keeps them
    assert dead_relu_fraction(model, X)["relu 1"] < 0.25
    assert model.training  # and the mode is put back


def test_plot_gradient_flow_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    X, y = data()
    flow = GradientFlow(warn=False)
    train_with(flow, deep("sigmoid", depth=4), X, y)
    path = tmp_path / "flow.png"
    fig = plot_gradient_flow(flow, path, title="four sigmoid layers")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    left, right = fig.axes[:2]
    assert left.get_yscale() == right.get_yscale() == "log"
    assert [line.get_label() for line in left.lines] == flow.layers
    with pytest.raises(ValueError, match="recorded nothing"):
        plot_gradient_flow(GradientFlow(), tmp_path / "empty.png")


# --- makemore's diagnostics: activations, histograms, update-to-data --------------------


class ByHand(Callback):
    """Weights before each update, to recompute the update-to-data ratio with numpy."""

    def __init__(self):
        self.before = []

    def on_after_backward(self, state):
        self.before.append({n: p.data.copy() for n, p in state.model.named_parameters()})


def test_activation_stats_histograms_and_update_ratios_equal_numpy_by_hand():
    X, y = data(64)
    nn.manual_seed(0)
    model = nn.MLP([8, 16, 16, 2], activation="tanh")
    flow, by_hand = GradientFlow(every=1, warn=False), ByHand()
    train_with(flow, model, X, y, epochs=1, lr=0.1, callbacks=[by_hand])
    assert list(flow.activations) == ["layers.1", "layers.3"]
    assert flow.activation_kinds == {"layers.1": "tanh", "layers.3": "tanh"}
    # the last step's batch, recomputed by hand from the weights before that update
    w = by_hand.before[-1]
    order = np.random.default_rng(0).permutation(64)  # fit's shuffling with seed=0
    xb = X[order[32:]]
    h1 = np.tanh(xb @ w["layers.0.weight"] + w["layers.0.bias"])
    h2 = np.tanh(h1 @ w["layers.2.weight"] + w["layers.2.bias"])
    for name, h in (("layers.1", h1), ("layers.3", h2)):
        stats = flow.activations[name]
        assert len(stats["mean"]) == 2
        assert stats["mean"][-1] == pytest.approx(h.mean(), abs=1e-14)
        assert stats["std"][-1] == pytest.approx(h.std(), abs=1e-14)
        assert stats["saturated"][-1] == np.mean(np.abs(h) > 0.97)
        counts, edges = flow.activation_histograms[name]
        want_counts, want_edges = np.histogram(h, bins=50, density=True)
        np.testing.assert_allclose(edges, want_edges, rtol=1e-12)
        np.testing.assert_allclose(counts, want_counts, rtol=1e-9)
        assert name in flow.gradient_histograms
    after = {n: p.data for n, p in model.named_parameters()}
    for name in ("layers.0.weight", "layers.2.weight", "layers.4.weight"):
        ratios = flow.update_to_data[name]
        assert len(ratios) == 2
        update = after[name] - w[name]
        assert ratios[-1] == pytest.approx(np.log10(update.std() / w[name].std()), abs=1e-12)
    assert "layers.0.bias" not in flow.update_to_data  # weights only, as makemore


def test_dead_share_of_a_relu_layer_and_the_hand_written_loop():
    nn.manual_seed(0)
    model = nn.MLP([8, 6, 2])
    model.layers[0].bias.data[:3] = -100.0  # three units that never fire
    flow = GradientFlow(warn=False)
    X, y = data(32)
    opt = nn.optim.SGD(model.parameters(), lr=0.01)
    for step in range(2):
        flow.begin_step(model)
        loss = nn.losses.cross_entropy(model(X), y)
        opt.zero_grad()
        loss.backward()
        flow.after_backward(model, step)
        opt.step()
        flow.after_update()
    assert flow.steps == [0, 1]
    assert flow.activations["layers.1"]["dead"] == [0.5, 0.5]


def test_plots_of_activations_update_ratios_and_a_linear_gradient_axis(tmp_path):
    pytest.importorskip("matplotlib")
    from nn.plotting import plot_activations, plot_gradient_flow, plot_update_ratios

    X, y = data(64)
    flow = GradientFlow(warn=False)
    train_with(flow, deep("tanh", depth=3), X, y, epochs=1)
    for draw, name in [
        (plot_activations, "act.png"),
        (plot_update_ratios, "ud.png"),
        (lambda f, p: plot_gradient_flow(f, p, log=False), "lin.png"),
    ]:
        fig = draw(flow, tmp_path / name)
        assert (tmp_path / name).stat().st_size > 5000
        assert fig.axes
    fig = plot_gradient_flow(flow)
    right = fig.axes[1]
    assert right.get_yscale() == "log" and not right.patches  # points, never bars


def test_draw_graph_by_module_groups_nodes_and_labels_the_gradient_between_modules():
    from autodiff import Tensor, draw_graph
    from nn.diagnostics import record_modules

    nn.manual_seed(0)
    model = nn.MLP([3, 4, 4, 2], activation="tanh")
    with record_modules():
        hidden = model(Tensor(np.ones((5, 3))))
        loss = nn.losses.cross_entropy(hidden, np.array([0, 1, 0, 1, 1]))
    loss.backward(retain_graph=True)
    clusters = draw_graph(loss, by_module=True, model=model).source
    for name in ["layers.0 (Linear)", "layers.1 (Tanh)", "layers.4 (Linear)"]:
        assert f'label="{name}"' in clusters
    assert clusters.count("subgraph cluster_m") == 5
    norm = float(np.sqrt((hidden.grad**2).sum()))
    assert f"‖grad‖ {norm:.4g}" in clusters  # the edge from the last Linear to the loss
    collapsed = draw_graph(loss, by_module="collapse", model=model).source
    assert collapsed.count("shape=record") == 5  # one node per module
    tanh_out = 'm3 -> m4 [label="‖grad‖'
    assert tanh_out in collapsed
    with pytest.raises(ValueError, match="no node of this graph was made inside"):
        draw_graph(Tensor([1.0], requires_grad=True) * 2, by_module=True)
