"""Value properties: every registered op, and random expression graphs, gradchecked.

The op registry (``autodiff.testing.OP_CASES``) is the one that drives the Tensor
property tests as well; here each case runs on Value leaves.
"""

import math
from dataclasses import dataclass

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autodiff import Value, gradcheck
from autodiff.engine import BINARY, PARAM, RPARAM
from autodiff.ops import OPS
from autodiff.testing import OP_CASES, finite_floats, op_case_ids


def test_registry_covers_every_scalar_op_and_both_constant_sides():
    # The node kind of a case's output says where its constant sits: BINARY (none),
    # PARAM (a constant on the right) or RPARAM (a constant on the left).
    covered = set()
    for case in OP_CASES.values():
        out = case.fn(*(Value(d.low) for d in case.domains))
        covered.add((case.op, out._op.kind))
    for name, op in OPS.items():
        if op.builtin and op.scalar is not None:
            kinds = (BINARY, PARAM, RPARAM) if op.kind == BINARY else (op.kind,)
            for kind in kinds:
                assert (name, kind) in covered, (name, kind)
    assert len(set(op_case_ids())) == len(OP_CASES)


@pytest.mark.parametrize("name", op_case_ids())
@given(data=st.data())
def test_op_gradchecks_in_its_domain(name, data):
    case = OP_CASES[name]
    leaves = data.draw(case.values())
    out = case.fn(*leaves)
    assert out.op == case.op  # the case exercises the op it is registered for
    assert gradcheck(case.fn, leaves)


@pytest.mark.parametrize("name", op_case_ids())
@given(data=st.data())
def test_op_forward_matches_math(name, data):
    case = OP_CASES[name]
    xs = data.draw(case.floats())
    out = case.fn(*(Value(x) for x in xs))
    assert out.data == pytest.approx(case.reference(*xs), rel=1e-12)


# --- random expression graphs -----------------------------------------------------------
#
# A graph is a list of steps over a growing pool of nodes: each step applies one
# registered op to nodes already in the pool (any of them, so one node is often used
# several times) or, for binary ops, to a node and a constant on either side. The
# output sums the nodes nothing else used. Steps are only taken where every operand
# lies in the op's domain, and the finished graph is kept only if that still holds
# at the points a central difference visits, so gradcheck's verdict is about the
# derivatives, not about a kink or a pole.

_MAX_ABS = 1e3  # every intermediate value stays below this: roundoff stays << atol
_EPS = 1e-6  # gradcheck's default step


@dataclass
class Graph:
    leaves: list[float]
    # (case name, operands): an operand is ("node", index into the pool) or ("const", c)
    steps: list[tuple[str, tuple[tuple[str, float], ...]]]

    def evaluate(self, leaves, apply, checked=False):
        """Pool of every node's value; ``apply(case, args)`` computes one step.

        With ``checked``, returns None when an operand leaves its op's domain.
        """
        pool = list(leaves)
        for name, operands in self.steps:
            case = OP_CASES[name]
            args = [pool[int(ref)] if kind == "node" else ref for kind, ref in operands]
            if checked and not all(
                d.contains(_float(a)) for d, a in zip(case.domains, args, strict=True)
            ):
                return None
            pool.append(apply(case, args))
        return pool

    def output(self, pool):
        used = {int(ref) for _, operands in self.steps for kind, ref in operands if kind == "node"}
        sinks = [node for i, node in enumerate(pool) if i not in used]
        total = sinks[0]
        for node in sinks[1:]:
            total = total + node
        return total


def _float(x):
    return x.data if isinstance(x, Value) else x


def _reference(case, args):
    return case.reference(*args)


def _on_nodes(case, args):
    return case.fn(*args)


_CASE_NAMES = op_case_ids()
_BINARY_CASES = [n for n in _CASE_NAMES if OP_CASES[n].arity == 2]


@st.composite
def graphs(draw, max_leaves=4, max_steps=10):
    leaves = draw(st.lists(finite_floats(-3, 3), min_size=1, max_size=max_leaves))
    pool = list(leaves)
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        # Binary cases are drawn as often as all the others together, so that
        # constants on either side of a node appear in most graphs.
        names = _BINARY_CASES if draw(st.booleans()) else _CASE_NAMES
        case = OP_CASES[draw(st.sampled_from(names))]
        operands = []
        for domain in case.domains:
            fits = [i for i, v in enumerate(pool) if domain.contains(v)]
            as_const = case.arity == 2 and not any(k == "const" for k, _ in operands)
            if fits and not (as_const and draw(st.integers(0, 3)) == 0):
                operands.append(("node", draw(st.sampled_from(fits))))
            elif as_const:
                operands.append(("const", draw(domain.floats())))
            else:
                break
        if len(operands) != case.arity or all(k == "const" for k, _ in operands):
            continue  # no node in this op's domain: skip the step
        value = case.reference(*(pool[int(r)] if k == "node" else r for k, r in operands))
        if not abs(value) <= _MAX_ABS:
            continue
        pool.append(value)
        steps.append((case.name, tuple(operands)))
    graph = Graph(leaves, steps)
    assume(steps)
    # Every operand stays in its domain at the points the central difference visits.
    for i in range(len(leaves)):
        for delta in (-_EPS, _EPS):
            moved = list(leaves)
            moved[i] += delta
            assume(graph.evaluate(moved, _reference, checked=True) is not None)
    return graph


@given(graphs())
def test_random_graphs_gradcheck(graph):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(graph.leaves)]
    assert gradcheck(lambda *xs: graph.output(graph.evaluate(xs, _on_nodes)), leaves)


@given(graphs())
def test_random_graphs_forward_matches_math(graph):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(graph.leaves)]
    nodes = graph.evaluate(leaves, _on_nodes)
    plain = graph.evaluate(graph.leaves, _reference)
    for node, expected in zip(nodes, plain, strict=True):
        # The kernels and math may differ in the last bit (sigmoid's two branches),
        # and a few steps can amplify that a little; nothing more.
        assert node.data == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert graph.output(nodes).data == pytest.approx(graph.output(plain), rel=1e-9, abs=1e-9)


def test_graphs_share_nodes_and_put_constants_on_both_sides():
    """The generator really makes what the random-graph tests claim to cover."""
    seen = {"shared": False, "const_left": False, "const_right": False}

    @settings(max_examples=100, derandomize=True)
    @given(graphs())
    def collect(graph):
        refs = [r for _, ops in graph.steps for k, r in ops if k == "node"]
        seen["shared"] |= len(refs) != len(set(refs))
        for name, ops in graph.steps:
            if OP_CASES[name].arity == 2:
                seen["const_left"] |= ops[0][0] == "const"
                seen["const_right"] |= ops[1][0] == "const"

    collect()
    assert all(seen.values()), seen


def test_shared_node_gradient_is_the_sum_of_its_uses():
    x = Value(0.8, label="x")
    y = x * x + x.exp() * x  # x used four times
    y.backward()
    assert x.grad == pytest.approx(2 * 0.8 + math.exp(0.8) * (1 + 0.8), rel=1e-12)
    assert gradcheck(lambda x: x * x + x.exp() * x, [x])
