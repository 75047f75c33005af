"""The course's worked examples (docs/course-numbers.md §1, §2, §4), on Values to its digits."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff import Value, gradcheck
from autodiff.testing import finite_floats


def assert_printed(x: float, printed: str) -> None:
    """``x`` agrees with a number printed in the notes, to the digits printed.

    The notes mostly round but sometimes truncate (a_o1 = 0.751365069 for
    0.75136506955...), so agreement is within one unit of the last printed digit.
    """
    decimals = len(printed.split(".")[1])
    assert abs(x - float(printed)) < 10.0**-decimals, (x, printed)


# --- §1 the sigmoid neuron -----------------------------------------------------------------


def _neuron_inputs():
    return [
        Value(v, label=n)
        for n, v in [("w0", 2.0), ("x0", -1.0), ("w1", -3.0), ("x1", -2.0), ("w2", -3.0)]
    ]


def test_sigmoid_neuron_op_by_op_every_forward_number_and_gradient():
    w0, x0, w1, x1, w2 = _neuron_inputs()
    # the notes' chain of small ops: *, *, +, +, *(-1), exp, +1, 1/x
    p0 = w0 * x0
    p1 = w1 * x1
    s = p0 + p1
    z = s + w2
    neg = z * -1
    e = neg.exp()
    d = e + 1
    f = 1 / d
    chain = [p0, p1, s, z, neg, e, d, f]
    assert [n.op for n in chain] == ["*", "*", "+", "+", "*", "exp", "+", "/"]
    assert [round(n.data, 2) for n in chain] == [-2.0, 6.0, 4.0, 1.0, -1.0, 0.37, 1.37, 0.73]

    f.backward()
    assert f.grad == 1.0
    assert round(d.grad, 2) == -0.53  # after 1/x
    assert round(e.grad, 2) == -0.53  # through +1
    assert round(neg.grad, 2) == -0.20  # through exp
    assert round(z.grad, 2) == 0.20  # through the negation
    assert [round(n.grad, 2) for n in (s, p0, p1)] == [0.20, 0.20, 0.20]  # + passes it on
    grads = [round(v.grad, 2) for v in (w2, w0, x0, w1, x1)]
    assert grads == [0.20, -0.20, 0.39, -0.39, -0.59]
    # and exactly: every gradient is σ(1)(1 − σ(1)) times the other factor
    local = f.data * (1 - f.data)
    assert [w0.grad, x0.grad, w1.grad, x1.grad, w2.grad] == pytest.approx(
        [-1 * local, 2 * local, -2 * local, -3 * local, local], rel=1e-12
    )


def test_sigmoid_neuron_with_one_sigmoid_op():
    w0, x0, w1, x1, w2 = _neuron_inputs()
    z = w0 * x0 + w1 * x1 + w2
    f = z.sigmoid()
    f.backward()
    assert (round(z.data, 2), round(f.data, 2)) == (1.0, 0.73)
    # the one op's local derivative is σ(1 − σ)
    assert z.grad == pytest.approx(f.data * (1 - f.data), rel=1e-15)
    assert round(z.grad, 2) == 0.20
    grads = [round(v.grad, 2) for v in (w0, x0, w1, x1, w2)]
    assert grads == [-0.20, 0.39, -0.39, -0.59, 0.20]
    assert gradcheck(
        lambda w0, x0, w1, x1, w2: (w0 * x0 + w1 * x1 + w2).sigmoid(), _neuron_inputs()
    )


# --- §2 the 2-2-2 network trained by hand -----------------------------------------------------

WEIGHTS = {
    "w1": 0.15,
    "w2": 0.20,
    "w3": 0.25,
    "w4": 0.30,
    "w5": 0.40,
    "w6": 0.45,
    "w7": 0.50,
    "w8": 0.55,
}
I1, I2, B1, B2, T1, T2, LR = 0.05, 0.10, 0.35, 0.60, 0.01, 0.99, 0.5


def network(w1, w2, w3, w4, w5, w6, w7, w8):
    """Forward pass of the notes' network; every intermediate node by its notes' name."""
    n = {}
    n["z_h1"] = w1 * I1 + w2 * I2 + B1
    n["a_h1"] = n["z_h1"].sigmoid()
    n["z_h2"] = w3 * I1 + w4 * I2 + B1
    n["a_h2"] = n["z_h2"].sigmoid()
    n["z_o1"] = w5 * n["a_h1"] + w6 * n["a_h2"] + B2
    n["a_o1"] = n["z_o1"].sigmoid()
    n["z_o2"] = w7 * n["a_h1"] + w8 * n["a_h2"] + B2
    n["a_o2"] = n["z_o2"].sigmoid()
    n["E_o1"] = 0.5 * (T1 - n["a_o1"]) ** 2
    n["E_o2"] = 0.5 * (T2 - n["a_o2"]) ** 2
    n["E_total"] = n["E_o1"] + n["E_o2"]
    return n


def _weights():
    return {name: Value(v, label=name) for name, v in WEIGHTS.items()}


def test_network_forward_pass_and_error():
    n = network(**_weights())
    assert_printed(n["z_h1"].data, "0.3775")
    assert_printed(n["a_h1"].data, "0.593269992")
    assert_printed(n["a_h2"].data, "0.596884378")
    assert_printed(n["z_o1"].data, "1.105905967")
    assert_printed(n["a_o1"].data, "0.751365069")
    assert_printed(n["a_o2"].data, "0.772928465")
    assert_printed(n["E_o1"].data, "0.274811083")
    assert_printed(n["E_o2"].data, "0.023560026")
    assert_printed(n["E_total"].data, "0.298371109")


def test_network_first_step_gradients_and_updated_weights():
    w = _weights()
    n = network(**w)
    n["E_total"].backward()
    # ∂E/∂w5 = ∂E/∂a_o1 · ∂a_o1/∂z_o1 · ∂z_o1/∂w5, each factor a gradient on the graph
    assert_printed(n["a_o1"].grad, "0.741365069")
    assert_printed(n["z_o1"].grad / n["a_o1"].grad, "0.186815602")
    assert w["w5"].grad == pytest.approx(n["z_o1"].grad * n["a_h1"].data, rel=1e-15)
    assert_printed(w["w5"].grad, "0.082167041")
    assert_printed(w["w1"].grad, "0.000438568")

    updated = {name: v.data - LR * v.grad for name, v in w.items()}
    printed = {
        "w1": "0.149780716",
        "w2": "0.19956143",
        "w3": "0.24975114",
        "w4": "0.29950229",
        "w5": "0.35891648",
        "w6": "0.408666186",
        "w7": "0.511301270",
        "w8": "0.561370121",
    }
    for name, digits in printed.items():
        assert_printed(updated[name], digits)

    # True gradient descent: every gradient taken before any weight moved. (The notes'
    # 0.291027924 used the updated w5..w8 for the hidden-layer deltas.)
    after = network(**{name: Value(v) for name, v in updated.items()})["E_total"].data
    assert_printed(after, "0.291027774")
    assert after < n["E_total"].data


def test_network_gradients_pass_gradcheck():
    assert gradcheck(lambda *ws: network(*ws)["E_total"], list(_weights().values()))


# --- §4 cross-entropy ---------------------------------------------------------------------------


def binary_cross_entropy(a: Value, y: float) -> Value:
    return -(y * a.log() + (1 - y) * (1 - a).log())


@given(finite_floats(-8, 8), st.floats(0, 1))
def test_binary_cross_entropy_on_a_sigmoid_has_gradient_a_minus_y(z, y):
    z = Value(z, label="z")
    a = z.sigmoid()
    binary_cross_entropy(a, y).backward()
    assert z.grad == pytest.approx(a.data - y, abs=1e-9)  # no σ' factor


def test_cross_entropy_learns_fast_where_the_quadratic_cost_is_slow():
    # A badly wrong sigmoid neuron: target 1, output ≈ 0.0067.
    z_ce, z_sq = Value(-5.0), Value(-5.0)
    a_ce, a_sq = z_ce.sigmoid(), z_sq.sigmoid()
    binary_cross_entropy(a_ce, 1.0).backward()
    (0.5 * (a_sq - 1.0) ** 2).backward()
    a = a_ce.data
    assert z_ce.grad == pytest.approx(a - 1, rel=1e-12)
    assert z_sq.grad == pytest.approx((a - 1) * a * (1 - a), rel=1e-12)  # σ' slows it
    assert abs(z_ce.grad) > 100 * abs(z_sq.grad)


def softmax(logits: list[Value]) -> list[Value]:
    # Shifting by the largest logit (a constant) changes nothing but keeps exp finite.
    shift = max(z.data for z in logits)
    exps = [(z - shift).exp() for z in logits]
    total = sum(exps)
    return [e / total for e in exps]


def cross_entropy(logits: list[Value], label: int) -> Value:
    return -softmax(logits)[label].log()


def test_softmax_cross_entropy_gradient_is_y_minus_t():
    logits = [Value(math.log(p), label=f"z{i}") for i, p in enumerate((0.34, 0.46, 0.20))]
    probs = softmax(logits)
    assert [p.data for p in probs] == pytest.approx([0.34, 0.46, 0.20], rel=1e-12)
    cross_entropy(logits, 0).backward()
    assert [z.grad for z in logits] == pytest.approx([-0.66, 0.46, 0.20], rel=1e-12)


@given(st.lists(finite_floats(-10, 10), min_size=2, max_size=5), st.data())
def test_softmax_cross_entropy_gradient_on_random_logits(raw, data):
    label = data.draw(st.integers(0, len(raw) - 1))
    logits = [Value(x, label=f"z{i}") for i, x in enumerate(raw)]
    loss = cross_entropy(logits, label)
    loss.backward()
    probs = [math.exp(x - max(raw)) for x in raw]
    probs = [p / sum(probs) for p in probs]
    expected = [p - (i == label) for i, p in enumerate(probs)]
    assert [z.grad for z in logits] == pytest.approx(expected, abs=1e-12)
    fresh = [Value(x, label=f"z{i}") for i, x in enumerate(raw)]
    assert gradcheck(lambda *zs: cross_entropy(list(zs), label), fresh)
