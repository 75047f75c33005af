"""nn.scalar: the course's 2-2-2 network (docs/course-numbers.md §2) reproduces the notes' forward
numbers, gradients and first update; training by hand drives the error down."""

import itertools

import numpy as np
import pytest

import nn
from autodiff import Tensor, Value
from nn import scalar

INPUTS = [0.05, 0.10]
TARGETS = [0.01, 0.99]
LR = 0.5
COURSE_WEIGHTS = {
    "layers.0.b": 0.35,
    "layers.0.neurons.0.w.0": 0.15,  # w1: i1 → h1
    "layers.0.neurons.0.w.1": 0.20,  # w2: i2 → h1
    "layers.0.neurons.1.w.0": 0.25,  # w3: i1 → h2
    "layers.0.neurons.1.w.1": 0.30,  # w4: i2 → h2
    "layers.1.b": 0.60,
    "layers.1.neurons.0.w.0": 0.40,  # w5: h1 → o1
    "layers.1.neurons.0.w.1": 0.45,  # w6: h2 → o1
    "layers.1.neurons.1.w.0": 0.50,  # w7: h1 → o2
    "layers.1.neurons.1.w.1": 0.55,  # w8: h2 → o2
}
W = {f"w{i + 1}": name for i, name in enumerate(k for k in COURSE_WEIGHTS if ".w." in k)}


def course_net():
    net = scalar.MLP([2, 2, 2], activation="sigmoid", out_activation="sigmoid", shared_bias=True)
    net.load_state_dict(COURSE_WEIGHTS)
    return net


def error(outputs):
    terms = [0.5 * (t - o) ** 2 for t, o in zip(TARGETS, outputs, strict=True)]
    return terms[0] + terms[1], terms


def step(net):
    """One step of gradient descent on the eight weights (the biases stay fixed)."""
    params = dict(net.named_parameters())
    net.zero_grad()
    total, _ = error(net(INPUTS))
    total.backward()
    for name in W.values():
        params[name].data -= LR * params[name].grad
    return total.data


def test_the_course_network_is_built_with_one_bias_per_layer():
    net = course_net()
    assert [n for n, _ in net.named_parameters()] == list(COURSE_WEIGHTS)
    hidden, out = net.layers
    assert hidden.neurons[0].b is hidden.neurons[1].b is hidden.b
    assert out.neurons[0].b is out.neurons[1].b is out.b
    assert hidden.b.data == 0.35 and out.b.data == 0.60
    assert [p.label for p in net.parameters()] == list(COURSE_WEIGHTS)


def test_forward_pass_matches_the_notes():
    net = course_net()
    hidden, out = net.layers
    h1, h2 = hidden(INPUTS)
    assert h1.data == pytest.approx(0.593269992, abs=1e-9)
    assert h2.data == pytest.approx(0.596884378, abs=1e-9)
    z_h1 = h1.parents[0]  # the sigmoid's input
    assert z_h1.data == pytest.approx(0.3775, abs=1e-12)
    o1, o2 = out([h1, h2])
    assert o1.parents[0].data == pytest.approx(1.105905967, abs=1e-9)
    assert o1.data == pytest.approx(0.751365069, abs=1e-9)
    assert o2.data == pytest.approx(0.772928465, abs=1e-9)
    total, (e1, e2) = error([o1, o2])
    assert e1.data == pytest.approx(0.274811083, abs=1e-9)
    assert e2.data == pytest.approx(0.023560026, abs=1e-9)
    assert total.data == pytest.approx(0.298371109, abs=1e-9)
    assert [o.data for o in net(INPUTS)] == [o1.data, o2.data]


def test_gradients_and_first_update_match_the_notes():
    net = course_net()
    params = dict(net.named_parameters())
    total, _ = error(net(INPUTS))
    total.backward()
    grad = {w: params[name].grad for w, name in W.items()}
    assert grad["w5"] == pytest.approx(0.741365069 * 0.186815602 * 0.593269992, abs=1e-9)
    assert grad["w5"] == pytest.approx(0.082167041, abs=1e-9)
    assert grad["w1"] == pytest.approx(0.000438568, abs=1e-9)
    updated = {w: params[name].data - LR * grad[w] for w, name in W.items()}
    expected = {
        "w5": 0.35891648,
        "w6": 0.408666186,
        "w7": 0.511301270,
        "w8": 0.561370121,
        "w1": 0.149780716,
        "w2": 0.19956143,
        "w3": 0.24975114,
        "w4": 0.29950229,
    }
    for w, value in expected.items():
        assert updated[w] == pytest.approx(value, abs=1e-8), w


def test_true_gradient_descent_gives_the_error_after_one_step():
    net = course_net()
    assert step(net) == pytest.approx(0.298371109, abs=1e-9)
    total, _ = error(net(INPUTS))
    # every gradient taken before any weight moved (the notes print 0.291027924, having
    # used the updated w5..w8 for the hidden deltas; see docs/course-numbers.md §2)
    assert total.data == pytest.approx(0.291027774, abs=1e-9)
    assert net.layers[0].b.data == 0.35 and net.layers[1].b.data == 0.60


def test_a_few_hundred_steps_drive_the_error_down():
    net = course_net()
    errors = [step(net) for _ in range(300)]
    assert all(b < a for a, b in itertools.pairwise(errors))
    assert errors[-1] < 0.05 < errors[0]


def test_the_scalar_net_trains_with_nn_optim_on_values():
    net = course_net()
    weights = [p for name, p in net.named_parameters() if ".w." in name]
    opt = nn.optim.SGD(weights, lr=LR)
    for _ in range(2):
        opt.zero_grad()
        total, _ = error(net(INPUTS))
        total.backward()
        opt.step()
    manual = course_net()
    step(manual)
    step(manual)
    assert [p.data for p in net.parameters()] == [p.data for p in manual.parameters()]


# --- the pieces ---------------------------------------------------------------------------


def test_neuron_computes_activation_of_weighted_sum():
    n = scalar.Neuron(3, activation="tanh", weights=[0.1, -0.2, 0.3])
    n.b.data = 0.5
    out = n([1.0, 2.0, Value(-1.0)])
    assert out.data == pytest.approx(np.tanh(0.1 - 0.4 - 0.3 + 0.5), abs=1e-15)
    assert out.op == "tanh"
    out.backward()
    assert n.w[0].grad == pytest.approx(1 - np.tanh(-0.1) ** 2)
    linear = scalar.Neuron(2, activation=None, weights=[1.0, 1.0], bias=False)
    assert linear.b is None and linear([2.0, 3.0]).data == 5.0
    assert len(linear.parameters()) == 2


def test_layer_softmax_spans_its_neurons():
    layer = scalar.Layer(2, 3, activation="softmax", rng=0)
    probs = layer([1.0, -1.0])
    assert len(probs) == 3 and sum(p.data for p in probs) == pytest.approx(1.0)
    zs = [n([1.0, -1.0]).data for n in layer.neurons]  # the neurons stay linear
    np.testing.assert_allclose([p.data for p in probs], np.exp(zs) / np.exp(zs).sum())


def test_mlp_returns_one_value_for_one_output_and_uses_the_default_inits():
    net = scalar.MLP([3, 4, 1], rng=0)  # relu hidden layer: he_uniform
    assert isinstance(net([1.0, 2.0, 3.0]), Value)
    hidden = [w.data for n in net.layers[0].neurons for w in n.w]
    assert max(abs(w) for w in hidden) <= np.sqrt(6 / 3)
    assert all(p.data == 0.0 for name, p in net.named_parameters() if name.endswith(".b"))
    assert isinstance(scalar.MLP([3, 2], rng=0)([1.0, 2.0, 3.0]), list)


def test_scalar_and_tensor_mlps_agree():
    tensor_net = nn.MLP([3, 4, 2], activation="tanh", rng=0)
    scalar_net = scalar.MLP([3, 4, 2], activation="tanh", rng=0)
    for i, layer in enumerate(tensor_net.layers[::2]):
        layer.bias.data[:] = np.arange(layer.out_features) * 0.1
        for j, neuron in enumerate(scalar_net.layers[i].neurons):
            for k, w in enumerate(neuron.w):
                w.data = float(layer.weight.data[k, j])
            neuron.b.data = float(layer.bias.data[j])
    x = [0.5, -1.0, 2.0]
    np.testing.assert_allclose(
        [v.data for v in scalar_net(x)], tensor_net(np.array(x)).data, rtol=1e-13
    )


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: scalar.Neuron(0), ValueError, "n_inputs must be a positive int"),
        (lambda: scalar.Neuron(2, activation="softmax"), ValueError, "softmax needs several"),
        (lambda: scalar.Neuron(2, weights=[1.0]), ValueError, "takes 2 inputs, got 1"),
        (lambda: scalar.Neuron(2, bias=0.5), TypeError, "bias must be True, False or a Value"),
        (lambda: scalar.Neuron(2, bias=Value(1.0) * 2), ValueError, "leaf Value"),
        (lambda: scalar.Neuron(2, rng=0)([1.0]), ValueError, "takes 2 inputs, got 1"),
        (lambda: scalar.Neuron(2, rng=0)(3.0), TypeError, "list of 2 numbers"),
        (lambda: scalar.Neuron(2, rng=0)(["a", 1.0]), TypeError, "input 0 must be a number"),
        (lambda: scalar.Layer(2, 2, bias=False, shared_bias=True), ValueError, "needs bias"),
        (lambda: scalar.MLP([2]), ValueError, "at least two widths"),
        (lambda: scalar.MLP([2, 3], activation="swish"), ValueError, "unknown activation"),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_tensors_are_pointed_to_nn_mlp():
    with pytest.raises(TypeError, match=r"use nn\.MLP for Tensors"):
        scalar.MLP([2, 1], rng=0)(Tensor([1.0, 2.0]))
