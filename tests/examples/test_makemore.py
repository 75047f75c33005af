"""examples/makemore.py: makemore's data handling, causal models, log format and files."""

from __future__ import annotations

import functools
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@functools.cache
def makemore() -> ModuleType:
    sys.path.insert(0, str(EXAMPLES))  # the examples import _common by name
    spec = importlib.util.spec_from_file_location("makemore_example", EXAMPLES / "makemore.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_names_and_their_attribution_are_shipped() -> None:
    words = (EXAMPLES / "data" / "names.txt").read_text().split()
    assert len(words) == 32033 and words[:3] == ["emma", "olivia", "ava"]
    assert "Andrej Karpathy" in (EXAMPLES / "data" / "names.LICENSE").read_text()
    readme = (EXAMPLES / "data" / "README.md").read_text()
    assert "names.txt" in readme and "MIT" in readme and "karpathy/makemore" in readme


def test_split_and_encoding_follow_makemore() -> None:
    mm = makemore()
    train, test = mm.load_names(3407)
    words = (EXAMPLES / "data" / "names.txt").read_text().split()
    assert len(test.words) == 1000 and len(train.words) == 31033
    assert sorted(train.words + test.words) == sorted(words)  # a split, nothing lost
    assert train.vocab_size == 27 and train.max_length == 15
    assert (train.x[:, 0] == 0).all() and train.x.shape == (31033, 16)
    names = mm.Names(["emma", "bo"], "abemo", 4)
    assert names.x.tolist() == [[0, 3, 4, 4, 1], [0, 2, 5, 0, 0]]
    assert names.y.tolist() == [[3, 4, 4, 1, 0], [2, 5, 0, -1, -1]]
    assert names.decode([3, 4, 4, 1]) == "emma"


@pytest.mark.parametrize("kind", ["bigram", "mlp", "rnn", "gru", "bow", "transformer"])
def test_models_are_causal(kind: str) -> None:
    """Each position's logits depend only on the characters up to it."""
    mm = makemore()
    sizes = type("Sizes", (), {"n_layer": 2, "n_head": 2, "n_embd": 8, "n_embd2": 8})
    model = mm.build(kind, 27, 16, sizes)
    rng = np.random.default_rng(0)
    for p in model.parameters():  # (the bigram table and the start state begin at 0)
        p.data[...] = rng.normal(size=p.shape)
    idx = rng.integers(0, 27, size=(3, 10))
    changed = idx.copy()
    changed[:, 6:] = rng.integers(0, 27, size=(3, 4))
    a, b = model(idx).data, model(changed).data
    assert a.shape == (3, 10, 27)
    np.testing.assert_allclose(a[:, :6], b[:, :6], rtol=1e-5, atol=1e-6)
    assert not np.allclose(a[:, 6:], b[:, 6:])


def test_loss_ignores_positions_past_the_end() -> None:
    mm = makemore()
    from autodiff import Tensor

    logits = Tensor(np.random.default_rng(0).normal(size=(2, 3, 5)))
    targets = np.array([[1, 0, -1], [2, -1, -1]])
    kept = logits.data.reshape(-1, 5)[[0, 1, 3]]
    expected = np.mean(
        [np.log(np.exp(r).sum()) - r[t] for r, t in zip(kept, [1, 0, 2], strict=True)]
    )
    assert mm.loss_of(logits, targets).item() == pytest.approx(expected, rel=1e-12)


def test_a_short_run_prints_makemores_format_and_writes_its_files(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    done = subprocess.run(
        [
            *(sys.executable, str(EXAMPLES / "makemore.py"), "--type", "transformer"),
            *("--max-steps", "20", "--eval-every", "10", "--out", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "31033 training and 1000 test names, vocabulary 27, block size 16" in out
    assert "model transformer: 204544 parameters" in out
    steps = re.findall(r"^step (\d+) \| loss (\d+\.\d{4}) \| step time \d+\.\d{2}ms$", out, re.M)
    assert [int(s) for s, _ in steps] == [0, 10]
    assert 3.0 < float(steps[0][1]) < 3.7  # log(27) = 3.30 from a fresh start
    evals = re.findall(r"^step (\d+) train loss: (\S+) test loss: (\S+)", out, re.M)
    assert [int(s) for s, _, _ in evals] == [10, 20]
    assert float(evals[-1][2]) < float(steps[0][1]) - 0.3  # it learned
    assert re.search(r"^\d+ samples that are new:$", out, re.M)
    for name in ("makemore_transformer_samples.txt", "makemore_transformer_loss.png"):
        assert (tmp_path / name).stat().st_size > 0
    samples = (tmp_path / "makemore_transformer_samples.txt").read_text()
    assert "samples that are in train:" in samples
    # the saved weights load back into a fresh model
    mm = makemore()
    sizes = type("Sizes", (), {"n_layer": 4, "n_head": 4, "n_embd": 64, "n_embd2": 64})
    model = mm.build("transformer", 27, 16, sizes).load(tmp_path / "makemore_transformer.npz")
    assert model.num_parameters() == 204544
