"""draw_graph and render: the course graph, constants in ops, limits, real rendering."""

import os
import re
import shutil
import warnings
from pathlib import Path

import graphviz
import numpy as np
import pytest

from autodiff import Tensor, Value, draw_graph
from autodiff.viz import GraphvizNotFound, op_label, render


def course_neuron(spelled_out=True):
    w0, x0, w1, x1, w2 = (
        Value(v, label=n) for n, v in [("w0", 2), ("x0", -1), ("w1", -3), ("x1", -2), ("w2", -3)]
    )
    n = w0 * x0 + w1 * x1 + w2
    f = 1 / (1 + (-n).exp()) if spelled_out else n.sigmoid()
    f.label = "f"
    f.backward()
    return f


def records(source):
    return [line for line in source.splitlines() if "shape=record" in line]


def test_course_graph_shows_every_value_and_gradient():
    source = draw_graph(course_neuron(), precision=2).source
    for text in [
        "{ w0 | data 2.00 | grad -0.20 }",
        "{ x0 | data -1.00 | grad 0.39 }",
        "{ w1 | data -3.00 | grad -0.39 }",
        "{ x1 | data -2.00 | grad -0.59 }",
        "{ w2 | data -3.00 | grad 0.20 }",
        "{ f | data 0.73 | grad 1.00 }",
        "data 0.37 | grad -0.53",  # after exp
        "data 1.37 | grad -0.53",  # after +1
    ]:
        assert text in source, text
    ops = re.findall(r'_op \[label=("?)(.*?)\1 ', source)
    assert [label for _, label in ops] == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]


def test_one_sigmoid_op_graph():
    source = draw_graph(course_neuron(spelled_out=False), precision=2).source
    assert "label=sigmoid" in source and "{ f | data 0.73 | grad 1.00 }" in source
    assert len(records(source)) == 10  # five leaves, two products, two sums, f


def test_constants_are_written_into_their_op():
    x = Value(3.0)
    assert [op_label(e) for e in (x + 1, 1 + x, x * 2, 2 - x, 1 / x, x**2, -x)] == [
        "+1",
        "+1",
        "*2",
        "2-x",
        "1/x",
        "**2",
        "*-1",
    ]
    assert op_label(x.leaky_relu(0.1)) == "leaky_relu(0.1)"


def test_same_graph_same_source_and_no_object_ids():
    a, b = draw_graph(course_neuron()).source, draw_graph(course_neuron()).source
    assert a == b
    assert str(id(course_neuron())) not in a


def test_max_depth_and_max_nodes_cut_large_graphs():
    x = Value(1.0, label="x")
    y = x
    for _ in range(200):
        y = y * 1.01 + 0.0
    y.backward()
    small = draw_graph(y, max_depth=3).source
    assert len(records(small)) == 4
    assert "… 1 more" in small
    assert len(records(draw_graph(y, max_nodes=10).source)) == 10
    with pytest.raises(ValueError, match="max_depth"):
        draw_graph(y, max_depth=0)


def test_tensor_nodes_show_shape_dtype_and_gradient_norm():
    W = Tensor(np.ones((3, 2)), requires_grad=True, label="W")
    x = Tensor(np.ones((4, 3)), dtype=np.float32)
    loss = (x @ W).relu().sum()
    loss.label = "loss"
    loss.backward(retain_graph=True)
    source = draw_graph(loss).source
    assert "{ W | 3×2 float64 | ‖grad‖ 9.7980 }" in source
    assert "loss | scalar float64 | data 24.0000" in source
    assert "[4×3]@x" in source  # the constant batch is written into the matmul
    freed = (x @ W).sum()
    freed.backward()
    with pytest.raises(ValueError, match="retain_graph=True"):
        draw_graph(freed)


@pytest.mark.parametrize(
    ("ext", "magic"), [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")]
)
def test_render_runs_dot(dot, tmp_path, ext, magic):
    path = render(draw_graph(course_neuron()), tmp_path / f"g.{ext}")
    with open(path, "rb") as f:
        head = f.read(200)
    assert head.startswith(magic) or (ext == "svg" and b"<svg" in head)


def test_gv_needs_no_graphviz_and_missing_dot_says_how_to_install(tmp_path, monkeypatch):
    graph = draw_graph(course_neuron())
    monkeypatch.setenv("PATH", "")
    path = render(graph, tmp_path / "g.gv")
    assert Path(path).read_text() == graph.source
    with pytest.raises(GraphvizNotFound, match="apt-get install graphviz"):
        render(graph, tmp_path / "g.svg")
    assert not os.path.exists(tmp_path / "g.svg")
    assert isinstance(graph, graphviz.Digraph)


def test_bad_arguments():
    with pytest.raises(TypeError, match="Value or a Tensor"):
        draw_graph(3.0)
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(Value(1.0), rankdir="XY")
    with pytest.raises(ValueError, match="extension"):
        render(draw_graph(Value(1.0)), "graph")


def chain(n):
    y = Value(1.0, label="x")
    for _ in range(n - 1):
        y = y * 1.0
    return y


def test_default_node_budget_warns_and_says_how_to_raise_it():
    with pytest.warns(UserWarning, match=r"has 1,500 nodes; drew the 1,000 .*max_nodes=1500"):
        graph = draw_graph(chain(1500))
    assert len(records(graph.source)) == 1000 and "… 1 more" in graph.source
    assert len(records(draw_graph(chain(1500), max_nodes=1500).source)) == 1500
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draw_graph(chain(1000))  # within the budget: no warning


@pytest.mark.parametrize("name", ["g.gv", "g.svg"])
def test_drawings_get_the_users_umask_not_0600(dot, tmp_path, name):
    old = os.umask(0o022)
    try:
        path = render(draw_graph(course_neuron()), tmp_path / name)
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert sorted(os.listdir(tmp_path)) == [name]  # no temporary left behind


def test_render_time_limit_and_crash_are_one_line_errors(tmp_path, monkeypatch):
    from autodiff.viz import RenderError

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dot").write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 5\n")
    (fake / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    with pytest.raises(RenderError, match=r"did not finish within 0.3 s on a graph of 1 nodes"):
        render(draw_graph(Value(1.0)), tmp_path / "g.svg", timeout=0.3)
    (fake / "dot").write_text("#!/bin/sh\nkill -SEGV $$\n")
    with pytest.raises(RenderError, match=r"dot crashed \(signal 11\)") as err:
        render(draw_graph(Value(1.0)), tmp_path / "g.svg")
    assert "\n" not in str(err.value)
    assert sorted(os.listdir(tmp_path)) == ["bin"]
    with pytest.raises(ValueError, match="cannot write 'xyz'"):
        render(draw_graph(Value(1.0)), tmp_path / "g.xyz")


def test_docstring_names_render_where_it_lives():
    import autodiff.viz

    assert ":func:`autodiff.viz.render`" in draw_graph.__doc__
    assert autodiff.viz.render is render
