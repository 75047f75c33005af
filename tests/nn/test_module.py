"""Module: parameter discovery (order, names, nesting, sharing), zero_grad, train/eval,
state_dict round trips, loads that fail without touching the model, atomic saves."""

import io
import os
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autodiff import Tensor, Value
from nn import Linear, Module, Parameter


class Block(Module):
    def __init__(self, n):
        super().__init__()
        self.w = Parameter(np.full((n, n), 1.0))
        self.b = Parameter(np.zeros(n))

    def forward(self, x):
        return x @ self.w + self.b


class Nested(Module):
    def __init__(self):
        super().__init__()
        self.first = Block(2)
        self.blocks = [Block(2), (Block(2), Parameter(np.ones(3)))]
        self.heads = {"a": Block(2), "b": {"inner": Parameter(np.ones(1))}}
        self.constant = Tensor(np.ones(2))  # a plain Tensor: not a parameter
        self.scale = 2.0
        self.last = Parameter(np.ones(4))


NESTED_NAMES = [
    "first.w",
    "first.b",
    "blocks.0.w",
    "blocks.0.b",
    "blocks.1.0.w",
    "blocks.1.0.b",
    "blocks.1.1",
    "heads.a.w",
    "heads.a.b",
    "heads.b.inner",
    "last",
]


def _snapshot(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def _same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


# --- discovery ----------------------------------------------------------------------------


def test_named_parameters_follow_definition_order_through_lists_tuples_and_dicts():
    model = Nested()
    names = [n for n, _ in model.named_parameters()]
    assert names == NESTED_NAMES
    assert [id(p) for p in model.parameters()] == [id(p) for _, p in model.named_parameters()]
    assert model.named_parameters()[0][1] is model.first.w
    assert dict(model.named_parameters())["heads.b.inner"] is model.heads["b"]["inner"]


def test_plain_tensors_numbers_and_computed_values_are_not_parameters():
    m = Module()
    m.t = Tensor([1.0], requires_grad=True)
    m.x = 3.0
    m.leaf = Value(1.0)
    m.result = m.leaf * 2
    m.p = Parameter([1.0])
    assert [n for n, _ in m.named_parameters()] == ["leaf", "p"]


def test_shared_parameters_and_modules_are_reported_once_under_their_first_name():
    shared = Block(2)
    m = Module()
    m.a = shared
    m.b = [shared, Block(2)]
    m.tied = shared.w
    names = [n for n, _ in m.named_parameters()]
    assert names == ["a.w", "a.b", "b.1.w", "b.1.b"]
    assert [n for n, _ in m.named_modules()] == ["", "a", "b.1"]


def test_cycles_do_not_hang_the_walk():
    m = Module()
    m.child = Module()
    m.child.parent = m
    m.child.w = Parameter([1.0])
    loop = []
    loop.append(loop)
    m.loop = loop
    assert [n for n, _ in m.named_parameters()] == ["child.w"]
    assert [n for n, _ in m.children()] == ["child"]


def test_a_deeply_nested_module_is_walked_without_recursion():
    root = node = Module()
    for _ in range(5000):
        node.next = Module()
        node = node.next
    node.w = Parameter([1.0])
    assert len(root.parameters()) == 1


def test_value_parameters_are_found_and_zeroed_to_float():
    net = nn.scalar.MLP([2, 3, 1], activation="tanh", rng=0)
    out = net([0.5, -1.0])
    out.backward()
    assert len(net.parameters()) == 2 * 3 + 3 + 3 + 1
    assert any(p.grad != 0.0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad == 0.0 and isinstance(p.grad, float) for p in net.parameters())


def test_zero_grad_sets_tensor_grads_to_none():
    model = nn.MLP([3, 4, 2], rng=0)
    model(np.ones((2, 3))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_reach_every_submodule():
    model = Nested()
    model.eval()
    assert not any(m.training for _, m in model.named_modules())
    model.train()
    assert all(m.training for _, m in model.named_modules())
    with pytest.raises(TypeError, match="True or False"):
        model.train("no")


def test_a_module_that_skips_init_still_works():
    class Bare(Module):
        def forward(self, x):
            return x

    bare = Bare()
    assert bare.training and bare.parameters() == []
    assert bare(3) == 3
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        Module()(1)


def test_parameter_is_a_float_leaf_requiring_grad():
    p = Parameter([1, 2, 3])
    assert p.dtype == np.float64 and p.requires_grad and p.op == ""
    assert Parameter(np.zeros(2, np.float32)).dtype == np.float32
    assert Parameter(np.zeros(2), dtype=np.float32).dtype == np.float32
    assert not Parameter([1.0], requires_grad=False).requires_grad
    with pytest.raises(TypeError, match="floating-point"):
        Parameter([1, 2], dtype=np.int64)
    source = np.ones(2)
    p = Parameter(source)
    source[0] = 5.0
    assert p.data[0] == 1.0  # copied
    out = p * 2 + Tensor([1.0, 1.0])
    assert type(out) is Tensor
    out.sum().backward()
    assert np.array_equal(p.grad, [2.0, 2.0])
    assert repr(p).startswith("Parameter(")


# --- state dicts --------------------------------------------------------------------------


def test_state_dict_round_trip_copies_arrays():
    model = nn.MLP([3, 5, 2], rng=0)
    state = model.state_dict()
    assert list(state) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    state["layers.0.weight"][:] = 7.0
    assert not np.any(model.layers[0].weight.data == 7.0)  # the dict holds copies
    other = nn.MLP([3, 5, 2], rng=1)
    other.load_state_dict(model.state_dict())
    assert _same(other.state_dict(), model.state_dict())
    x = np.random.default_rng(2).normal(size=(4, 3))
    assert np.array_equal(other(x).data, model(x).data)


def test_load_state_dict_keeps_references_and_casts_to_the_parameter_dtype():
    model = nn.MLP([2, 2], dtype=np.float32, rng=0)
    weight = model.layers[0].weight
    before = weight.data
    model.load_state_dict({"layers.0.weight": np.ones((2, 2)), "layers.0.bias": [1, 2]})
    assert model.layers[0].weight is weight and weight.data is before
    assert weight.dtype == np.float32 and np.array_equal(weight.data, np.ones((2, 2)))
    assert np.array_equal(model.layers[0].bias.data, [1.0, 2.0])


def test_scalar_state_dict_holds_zero_d_arrays():
    net = nn.scalar.Neuron(2, rng=0)
    state = net.state_dict()
    assert list(state) == ["w.0", "w.1", "b"]
    assert all(v.shape == () and v.dtype == np.float64 for v in state.values())
    net.load_state_dict({"w.0": 1.5, "w.1": np.array(2.5), "b": -1})
    assert [p.data for p in net.parameters()] == [1.5, 2.5, -1.0]
    assert isinstance(net.b.data, float)


@pytest.mark.parametrize(
    ("change", "error", "names"),
    [
        (lambda s: s.pop("layers.0.bias"), KeyError, ["missing", "layers.0.bias"]),
        (lambda s: s.update(extra=np.ones(1)), KeyError, ["unexpected", "extra"]),
        (
            lambda s: s.update({"layers.0.kernel": s.pop("layers.0.weight")}),
            KeyError,
            ["missing", "layers.0.weight", "unexpected", "layers.0.kernel"],
        ),
        (
            lambda s: s.update({"layers.2.weight": np.ones((2, 5))}),
            ValueError,
            ["layers.2.weight", "(5, 2)", "(2, 5)"],
        ),
        (
            lambda s: s.update({"layers.2.bias": np.array(["a", "b"])}),
            TypeError,
            ["layers.2.bias", "real numbers"],
        ),
    ],
    ids=["missing", "extra", "renamed", "shape", "strings"],
)
def test_bad_state_dicts_name_the_problem_and_change_nothing(change, error, names):
    model = nn.MLP([3, 5, 2], rng=0)
    before = _snapshot(model)
    state = nn.MLP([3, 5, 2], rng=1).state_dict()
    change(state)
    with pytest.raises(error) as info:
        model.load_state_dict(state)
    for name in names:
        assert name in str(info.value)
    assert _same(model.state_dict(), before)


def test_a_wrong_shape_late_in_the_dict_changes_no_earlier_parameter():
    model = nn.MLP([3, 5, 2], rng=0)
    before = _snapshot(model)
    state = {k: v + 1.0 for k, v in before.items()}
    state["layers.2.bias"] = np.ones(3)
    with pytest.raises(ValueError, match=r"layers\.2\.bias"):
        model.load_state_dict(state)
    assert _same(model.state_dict(), before)


def test_load_state_dict_wants_a_mapping():
    with pytest.raises(TypeError, match="mapping"):
        nn.MLP([2, 1], rng=0).load_state_dict([("layers.0.weight", np.ones((2, 1)))])


# --- files --------------------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path):
    model = nn.MLP([4, 6, 3], rng=0)
    path = tmp_path / "model.npz"
    model.save(path)
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # no temporary file left
    with np.load(path, allow_pickle=False) as archive:  # plain numpy reads it too
        assert archive.files == list(model.state_dict())
    other = nn.MLP([4, 6, 3], rng=1)
    assert other.load(str(path)) is other
    assert _same(other.state_dict(), model.state_dict())


def test_any_parameter_name_can_be_saved(tmp_path):
    m = Module()
    m.file = Parameter([1.0, 2.0])  # np.savez(path, file=...) would clash with its argument
    m.allow_pickle = Parameter([3.0])
    m.save(tmp_path / "m.npz")
    m.file.data[:] = 0
    m.load(tmp_path / "m.npz")
    assert np.array_equal(m.file.data, [1.0, 2.0])


@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_saved_models_give_the_same_outputs_after_loading(tmp_path_factory, sizes, seed, dtype):
    model = nn.MLP(sizes, activation="tanh", dtype=dtype, rng=seed)
    path = tmp_path_factory.mktemp("save") / "model.npz"
    model.save(path)
    other = nn.MLP(sizes, activation="tanh", dtype=dtype, rng=seed + 1).load(path)
    x = np.random.default_rng(seed).normal(size=(3, sizes[0]))
    np.testing.assert_array_equal(other(x).data, model(x).data)
    assert all(p.dtype == dtype for p in other.parameters())


def test_scalar_network_save_and_load(tmp_path):
    net = nn.scalar.MLP([2, 2, 1], activation="sigmoid", shared_bias=True, rng=0)
    net.save(tmp_path / "net.npz")
    other = nn.scalar.MLP([2, 2, 1], activation="sigmoid", shared_bias=True, rng=1)
    other.load(tmp_path / "net.npz")
    assert [p.data for p in other.parameters()] == [p.data for p in net.parameters()]


def _saved(tmp_path, seed=0):
    model = nn.MLP([3, 4, 2], rng=seed)
    path = tmp_path / "model.npz"
    model.save(path)
    return model, path


def _assert_load_fails(path, error, *words):
    model = nn.MLP([3, 4, 2], rng=9)
    before = _snapshot(model)
    with pytest.raises(error) as info:
        model.load(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message
    assert _same(model.state_dict(), before)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_a_truncated_file_is_a_clear_error_and_the_model_is_unchanged(tmp_path, keep):
    _, path = _saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    _assert_load_fails(path, ValueError, "truncated")


def test_a_corrupted_array_is_caught_by_the_checksum(tmp_path):
    _, path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0xFF  # inside the first arrays' data
    path.write_bytes(bytes(data))
    _assert_load_fails(path, (ValueError, KeyError))


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"not a zip file at all")
    _assert_load_fails(path, ValueError, "not an .npz archive")
    np.save(tmp_path / "array.npy", np.ones(3))
    _assert_load_fails(tmp_path / "array.npy", ValueError, "not an .npz archive")


def test_object_arrays_are_refused_not_unpickled(tmp_path):
    model, path = _saved(tmp_path)
    state = model.state_dict()
    state["layers.0.bias"] = np.array([object()] * 4, dtype=object)
    np.savez(path, **state)  # numpy pickles the object array into the archive
    _assert_load_fails(path, ValueError, "Python objects", "layers.0.bias", "unpickle")


def test_a_file_with_wrong_keys_or_shapes_names_the_file(tmp_path):
    model, path = _saved(tmp_path)
    state = model.state_dict()
    state.pop("layers.2.bias")
    np.savez(path, **state)
    _assert_load_fails(path, KeyError, "layers.2.bias")
    state = model.state_dict()
    state["layers.2.bias"] = np.ones(7)
    np.savez(path, **state)
    _assert_load_fails(path, ValueError, "layers.2.bias", "(7,)")


def test_a_member_that_is_not_an_array_is_refused(tmp_path):
    model, _ = _saved(tmp_path)
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as zf:  # every name right, one member not an array
        for name, arr in model.state_dict().items():
            member = io.BytesIO()
            np.lib.format.write_array(member, arr)
            data = b"just bytes" if name == "layers.0.weight" else member.getvalue()
            zf.writestr(f"{name}.npy", data)
    _assert_load_fails(path, ValueError, "layers.0.weight")


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.npz"):
        nn.MLP([2, 1], rng=0).load(tmp_path / "nope.npz")


def test_a_crash_mid_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    old, path = _saved(tmp_path, seed=0)
    good = path.read_bytes()
    new = nn.MLP([3, 4, 2], rng=1)
    real_write = np.lib.format.write_array
    calls = []

    def crash_on_second_array(fp, array, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            fp.write(b"\x00" * 10)  # half an array on disk, then the process "dies"
            raise OSError("simulated crash: disk full")
        return real_write(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", crash_on_second_array)
    with pytest.raises(OSError, match="simulated crash"):
        new.save(path)
    monkeypatch.undo()
    assert len(calls) == 2
    assert path.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # the temporary file is gone
    loaded = nn.MLP([3, 4, 2], rng=5).load(path)
    assert _same(loaded.state_dict(), old.state_dict())


def test_a_crash_before_the_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    _, path = _saved(tmp_path, seed=0)
    good = path.read_bytes()

    def no_rename(src, dst):
        raise KeyboardInterrupt  # interrupted between writing and renaming

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(KeyboardInterrupt):
        nn.MLP([3, 4, 2], rng=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


# --- printing -----------------------------------------------------------------------------


def test_repr_is_a_summary_table_with_sizes_and_counts():
    text = repr(nn.MLP([784, 30, 10], rng=0))
    lines = text.splitlines()
    assert lines[0] == "MLP(sizes=[784, 30, 10], activation='relu', out_activation='linear')"
    assert lines[1].split() == ["layer", "type", "output", "params"]
    assert lines[3].split() == ["layers.0", "Linear(784,", "30)", "30", "23,550"]
    assert lines[4].split() == ["layers.1", "ReLU()", "30", "0"]
    assert lines[5].split() == ["layers.2", "Linear(30,", "10)", "10", "310"]
    assert lines[-1] == "Total params: 23,860"


def test_summary_counts_shared_parameters_once_and_reports_frozen_ones():
    layer = nn.scalar.Layer(2, 2, activation="sigmoid", shared_bias=True, rng=0)
    rows = [line.split() for line in layer.summary().splitlines()[3:6]]
    assert [(r[0], r[-1]) for r in rows] == [("b", "1"), ("neurons.0", "2"), ("neurons.1", "2")]
    model = nn.Sequential(Linear(2, 3, rng=0), Linear(3, 1, rng=0))
    model.layers[0].weight.requires_grad = False
    assert model.summary().splitlines()[-1] == ("Total params: 13 (trainable: 7, non-trainable: 6)")


def test_leaf_layers_print_one_line():
    assert repr(Linear(3, 2, bias=False, dtype=np.float32)) == (
        "Linear(3, 2, bias=False, dtype=float32)"
    )
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"
    assert repr(nn.scalar.Neuron(3, activation="tanh", rng=0)) == "Neuron(3, tanh)"


# --- hostile files and killed saves (issue 13) ------------------------------------------


def _bomb(path, name, shape, correct):
    """An .npz whose member ``name`` claims ``shape`` (float64 zeros, deflated: tiny on
    disk, huge in memory); the other members are ``correct``'s arrays."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, arr in correct.items():
            if key != name:
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, arr)
                zf.writestr(f"{key}.npy", buffer.getvalue())
        with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
            header = {"descr": "<f8", "fortran_order": False, "shape": shape}
            np.lib.format.write_array_header_1_0(member, header)
            zeros = bytes(1 << 20)
            for _ in range(int(np.prod(shape)) * 8 >> 20):
                member.write(zeros)


def test_a_deflated_bomb_is_refused_from_its_header_without_reading_it(tmp_path):
    import tracemalloc

    model, _ = _saved(tmp_path)
    path = tmp_path / "bomb.npz"
    _bomb(path, "layers.0.weight", (16 << 20,), model.state_dict())  # 128 MiB of zeros
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        _assert_load_fails(path, ValueError, "layers.0.weight", "(16777216,)")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak / 2**20:.0f} MiB"


def test_a_member_longer_than_its_header_says_is_refused(tmp_path):
    model, _ = _saved(tmp_path)
    path = tmp_path / "long.npz"
    state = model.state_dict()
    with zipfile.ZipFile(path, "w") as zf:
        for name, arr in state.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, arr)
            extra = b"\0" * 4096 if name == "layers.2.bias" else b""
            zf.writestr(f"{name}.npy", member.getvalue() + extra)
    _assert_load_fails(path, ValueError, "layers.2.bias", "header says")


def test_float64_weights_too_large_for_float32_are_refused(tmp_path):
    model = nn.MLP([3, 4, 2], rng=0, dtype=np.float32)
    before = _snapshot(model)
    state = {k: v.astype(np.float64) for k, v in model.state_dict().items()}
    state["layers.2.weight"][1, 0] = 1e300
    with pytest.raises(ValueError, match=r"'layers.2.weight' holds values up to 1e\+300"):
        model.load_state_dict(state)
    assert _same(model.state_dict(), before)
    np.savez(tmp_path / "big.npz", **state)
    with pytest.raises(ValueError, match=r"big\.npz.*too large for its dtype float32"):
        model.load(tmp_path / "big.npz")
    assert _same(model.state_dict(), before)
    state["layers.2.weight"][1, 0] = np.inf  # an inf saved as such loads as inf
    model.load_state_dict(state)
    assert np.isinf(model.state_dict()["layers.2.weight"][1, 0])


KILLED_SAVE = """
import os, signal, sys
import numpy as np
import nn
real = np.lib.format.write_array
def die(fp, array, *args, **kwargs):
    real(fp, array, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)  # killed midway through the archive
np.lib.format.write_array = die
nn.MLP([3, 4, 2], rng=0).save(sys.argv[1])
"""


def test_the_next_save_cleans_up_after_killed_saves(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "model.npz"
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)], check=False)
        assert done.returncode == -9
    left = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(left) == 1 and not path.exists()  # each save removed the one before
    (tmp_path / ".other.npz.1.0badc0de.tmp").write_bytes(b"")  # not ours to clean
    nn.MLP([3, 4, 2], rng=0).save(path)
    assert sorted(os.listdir(tmp_path)) == [".other.npz.1.0badc0de.tmp", "model.npz"]


def test_a_dtype_that_is_not_real_numbers_is_refused_from_the_header(tmp_path):
    model, _ = _saved(tmp_path)
    path = tmp_path / "text.npz"
    state = model.state_dict()
    state["layers.0.bias"] = np.array(["x" * 1000] * 4)  # 16 kB of text where 4 floats go
    np.savez(path, **state)
    _assert_load_fails(path, TypeError, "layers.0.bias", "real numbers", "<U1000")
