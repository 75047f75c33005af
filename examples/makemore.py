"""makemore: character-level models that make more names, from a bigram table to a Transformer.

    python examples/makemore.py [--type transformer] [--max-steps N] [--seed S] [--out DIR]

The model zoo of Karpathy's makemore (MIT, github.com/karpathy/makemore), rebuilt on
this package: ``bigram`` (a table of next-character logits), ``mlp`` (Bengio et al.
2003: the embeddings of the previous ``block_size`` characters, concatenated, through
one tanh layer), ``rnn`` and ``gru`` (a recurrent cell run along the name from a
learned start state), ``bow`` (a causal bag of words: the average of the past, then an
MLP) and ``transformer`` (GPT: 4 pre-norm blocks of causal 4-head self-attention and a
GELU MLP). Each model reads a name one character at a time and predicts the next; 0 is
both the start and the end token.

makemore's defaults: ``names.txt`` (32,033 names, ``examples/data/``), block size
from the longest name (15 + 1), 4 layers, 4 heads, 64 embedding channels (64 hidden
for the MLP and the RNNs), batch 32, AdamW (lr 5e-4, weight decay 0.01, betas 0.9 and
0.99), a test split of min(1000, 10%) names, seed 3407. The loss line every 10 steps
and the evaluation every 500 steps (mean loss over 10 batches of 100, train and test)
are printed in makemore's format, then samples: new names, and which already were in
the training or test set. makemore trains until stopped; here ``--max-steps`` defaults
to 500 (the tour's short run): ``--max-steps -1`` trains until Ctrl-C.

A full run of the transformer (``--max-steps 200000``) reaches test loss 1.9992 at step
7,500 after 2.1 minutes on one core (README); makemore reports about 1.92 after a much
longer run.

Writes ``makemore_TYPE_samples.txt``, ``makemore_TYPE_loss.png`` (train and test loss
at each evaluation) and ``makemore_TYPE.npz`` (the weights, ``Module.load`` reads
them back).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import _common
import numpy as np

import nn
from autodiff import Tensor, no_grad, softmax_cross_entropy
from nn.module import Module, Parameter

NAMES = Path(__file__).resolve().parent / "data" / "names.txt"
TYPES = ("bigram", "mlp", "rnn", "gru", "bow", "transformer")
DTYPE = np.float32


# --- data -------------------------------------------------------------------------------


class Names:
    """The names as padded index arrays, as makemore's ``CharDataset``.

    Row i of ``x`` is ``[0, c1, ..., cn, 0, ...]`` and of ``y`` ``[c1, ..., cn, 0, -1, ...]``:
    at each position the model sees the name so far and must say the next character
    (0 ends the name); -1 marks positions past the end, which the loss ignores.
    """

    def __init__(self, words: Sequence[str], chars: str, max_length: int) -> None:
        self.words = list(words)
        self.chars = chars
        self.stoi = {c: i + 1 for i, c in enumerate(chars)}
        self.max_length = max_length
        n, t = len(self.words), max_length + 1
        self.x = np.zeros((n, t), dtype=np.int64)
        self.y = np.zeros((n, t), dtype=np.int64)
        for i, word in enumerate(self.words):
            ix = [self.stoi[c] for c in word]
            self.x[i, 1 : 1 + len(ix)] = ix
            self.y[i, : len(ix)] = ix
            self.y[i, len(ix) + 1 :] = -1

    @property
    def vocab_size(self) -> int:
        return len(self.chars) + 1

    def decode(self, ix: Sequence[int]) -> str:
        return "".join(self.chars[i - 1] for i in ix)


def load_names(seed: int, path: Path = NAMES) -> tuple[Names, Names]:
    """(train, test): a random min(1000, 10%) of the names held out for testing."""
    words = [w.strip() for w in path.read_text().splitlines()]
    words = [w for w in words if w]
    chars = "".join(sorted(set("".join(words))))
    longest = max(len(w) for w in words)
    order = np.random.default_rng(seed).permutation(len(words))
    n_test = min(1000, int(len(words) * 0.1))
    train = [words[i] for i in order[:-n_test]]
    test = [words[i] for i in order[-n_test:]]
    return Names(train, chars, longest), Names(test, chars, longest)


# --- models -------------------------------------------------------------------------------


def torch_uniform(shape: tuple[int, ...], rng: Any = None, dtype: Any = None) -> np.ndarray:
    """torch.nn.Linear's default weights (uniform in ±1/√fan_in), which makemore keeps."""
    bound = 1.0 / math.sqrt(shape[0])
    return np.asarray(rng.uniform(-bound, bound, size=shape), dtype=dtype)


def linear(n_in: int, n_out: int, bias: bool = True) -> nn.Linear:
    return nn.Linear(n_in, n_out, bias=bias, init=torch_uniform, dtype=DTYPE)


class Bigram(Module):
    """A table of logits for the next character given the current one."""

    def __init__(self, vocab_size: int, block_size: int) -> None:
        super().__init__()
        self.block_size = block_size
        self.logits = Parameter(np.zeros((vocab_size, vocab_size), dtype=DTYPE))

    def forward(self, idx: np.ndarray) -> Tensor:
        return self.logits[idx]


class MLP(Module):
    """Bengio et al. 2003: the previous ``block_size`` characters' embeddings side by side
    (a blank token, ``vocab_size``, before the start), one tanh layer, the logits."""

    def __init__(self, vocab_size: int, block_size: int, n_embd: int, n_embd2: int) -> None:
        super().__init__()
        self.block_size, self.vocab_size = block_size, vocab_size
        self.wte = nn.Embedding(vocab_size + 1, n_embd, dtype=DTYPE)
        self.mlp = nn.Sequential(
            linear(block_size * n_embd, n_embd2), nn.Tanh(), linear(n_embd2, vocab_size)
        )

    def forward(self, idx: np.ndarray) -> Tensor:
        b, t = idx.shape
        # context[:, :, k] is the character k steps back (the blank token before the start)
        padded = np.concatenate([np.full((b, self.block_size), self.vocab_size), idx], axis=1)
        steps = np.arange(t)[:, None] + self.block_size - np.arange(self.block_size)
        emb = self.wte(padded[:, steps])  # (b, t, block_size, n_embd)
        return self.mlp(emb.reshape(b, t, -1))


class Recurrent(Module):
    """An RNN or GRU (``nn.RNN``/``nn.GRU``, one layer) run along the name from a learned
    start state (makemore steps a cell in a Python loop: the same recurrence)."""

    def __init__(
        self, vocab_size: int, block_size: int, n_embd: int, n_embd2: int, cell: str
    ) -> None:
        super().__init__()
        self.block_size = block_size
        self.start = Parameter(np.zeros((1, 1, n_embd2), dtype=DTYPE))
        self.wte = nn.Embedding(vocab_size, n_embd, dtype=DTYPE)
        make = nn.GRU if cell == "gru" else nn.RNN
        self.rnn = make(n_embd, n_embd2, batch_first=True, dtype=DTYPE)
        self.lm_head = linear(n_embd2, vocab_size)

    def forward(self, idx: np.ndarray) -> Tensor:
        b = idx.shape[0]
        h0 = self.start.broadcast_to((1, b, self.start.shape[2]))
        hidden, _ = self.rnn(self.wte(idx), h0)
        return self.lm_head(hidden)


class BoW(Module):
    """A causal bag of words: each position averages the embeddings up to it, then a
    residual tanh MLP, then the logits."""

    def __init__(self, vocab_size: int, block_size: int, n_embd: int, n_embd2: int) -> None:
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(vocab_size, n_embd, dtype=DTYPE)
        self.wpe = nn.Embedding(block_size, n_embd, dtype=DTYPE)
        self.c_fc = linear(n_embd, n_embd2)
        self.c_proj = linear(n_embd2, n_embd)
        self.lm_head = linear(n_embd, vocab_size)

    def forward(self, idx: np.ndarray) -> Tensor:
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(np.arange(t))
        average = np.tril(np.ones((t, t), dtype=DTYPE))
        average /= average.sum(axis=1, keepdims=True)
        x = x + Tensor(average, dtype=DTYPE) @ x
        x = x + self.c_proj(self.c_fc(x).tanh())
        return self.lm_head(x)


class Block(Module):
    """A pre-norm Transformer block: x + attention(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, dtype=DTYPE)
        self.attn = nn.MultiheadAttention(n_embd, n_head, batch_first=True, dtype=DTYPE)
        self.ln_2 = nn.LayerNorm(n_embd, dtype=DTYPE)
        self.c_fc = linear(n_embd, 4 * n_embd)
        self.act = nn.GELU(approximate="tanh")
        self.c_proj = linear(4 * n_embd, n_embd)

    def forward(self, x: Tensor) -> Tensor:
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, is_causal=True)[0]
        return x + self.c_proj(self.act(self.c_fc(self.ln_2(x))))


class Transformer(Module):
    """GPT: token and position embeddings, ``n_layer`` blocks, a final LayerNorm, the logits."""

    def __init__(
        self, vocab_size: int, block_size: int, n_embd: int, n_head: int, n_layer: int
    ) -> None:
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(vocab_size, n_embd, dtype=DTYPE)
        self.wpe = nn.Embedding(block_size, n_embd, dtype=DTYPE)
        self.h = nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd, dtype=DTYPE)
        self.lm_head = linear(n_embd, vocab_size, bias=False)

    def forward(self, idx: np.ndarray) -> Tensor:
        t = idx.shape[1]
        if t > self.block_size:
            raise ValueError(f"Transformer: sequence of {t} exceeds block size {self.block_size}")
        x = self.wte(idx) + self.wpe(np.arange(t))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def build(kind: str, vocab_size: int, block_size: int, config: Any) -> Module:
    """The model ``kind`` with makemore's sizes (``config``: n_layer, n_head, n_embd, n_embd2)."""
    if kind == "bigram":
        return Bigram(vocab_size, block_size)
    if kind == "mlp":
        return MLP(vocab_size, block_size, config.n_embd, config.n_embd2)
    if kind in ("rnn", "gru"):
        return Recurrent(vocab_size, block_size, config.n_embd, config.n_embd2, kind)
    if kind == "bow":
        return BoW(vocab_size, block_size, config.n_embd, config.n_embd2)
    if kind == "transformer":
        return Transformer(vocab_size, block_size, config.n_embd, config.n_head, config.n_layer)
    raise ValueError(f"unknown model type {kind!r}; choose from {', '.join(TYPES)}")


# --- training -----------------------------------------------------------------------------


def loss_of(logits: Tensor, targets: np.ndarray) -> Tensor:
    """Mean cross-entropy over the positions whose target is not -1 (torch's ignore_index)."""
    flat = targets.reshape(-1)
    keep = flat >= 0
    # every position's loss (an ignored one against class 0), then the kept ones' mean:
    # cheaper to differentiate than picking the kept rows out of the logits first
    losses = softmax_cross_entropy(
        logits.reshape(-1, logits.shape[-1]), np.where(keep, flat, 0), reduction="none"
    )
    return (losses * (keep / max(int(keep.sum()), 1)).astype(logits.dtype)).sum()


def evaluate(
    model: Module,
    data: Names,
    rng: np.random.Generator,
    batch_size: int = 100,
    max_batches: int = 10,
) -> float:
    """Mean loss over up to ``max_batches`` shuffled batches, in eval mode, as makemore."""
    model.eval()
    order = rng.permutation(len(data.x))
    losses = []
    with no_grad():
        for start in range(0, min(len(order), batch_size * max_batches), batch_size):
            rows = order[start : start + batch_size]
            losses.append(loss_of(model(data.x[rows]), data.y[rows]).item())
    model.train()
    return float(np.mean(losses))


def generate(model: Module, n: int, max_new: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` sequences sampled from the start token, each character drawn from the
    model's softmax given everything before it (cropped to the block size)."""
    idx = np.zeros((n, 1), dtype=np.int64)
    model.eval()
    with no_grad():
        for _ in range(max_new):
            logits = model(idx[:, -model.block_size :]).data[:, -1, :].astype(np.float64)
            probs = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            nxt = (probs.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
            idx = np.concatenate([idx, nxt[:, None]], axis=1)
    model.train()
    return idx[:, 1:]


def samples(model: Module, train: Names, test: Names, rng: np.random.Generator, n: int = 10) -> str:
    """Sampled names grouped as makemore prints them: in train, in test, new."""
    names = []
    for row in generate(model, n, train.max_length + 1, rng):
        ends = np.flatnonzero(row == 0)
        names.append(train.decode(row[: ends[0]] if len(ends) else row))
    seen_train, seen_test = set(train.words), set(test.words)
    groups = [
        ("in train", [w for w in names if w in seen_train]),
        ("in test", [w for w in names if w in seen_test and w not in seen_train]),
        ("new", [w for w in names if w not in seen_train and w not in seen_test]),
    ]
    lines = []
    for what, words in groups:
        lines.append(f"{len(words)} samples that are {what}:")
        lines.extend(words)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Load the names, build the model, train with makemore's logging, sample, save."""
    p = _common.parser(__doc__)
    p.add_argument("--type", default="transformer", choices=TYPES, help="model (transformer)")
    p.add_argument("--max-steps", type=int, default=500, help="steps; -1: until Ctrl-C (500)")
    p.add_argument("--seed", type=int, default=3407, help="seed (3407)")
    p.add_argument("--n-layer", type=int, default=4, help="transformer blocks (4)")
    p.add_argument("--n-head", type=int, default=4, help="attention heads (4)")
    p.add_argument("--n-embd", type=int, default=64, help="embedding channels (64)")
    p.add_argument("--n-embd2", type=int, default=64, help="hidden channels (64)")
    p.add_argument("--batch-size", type=int, default=32, help="batch (32)")
    p.add_argument("--learning-rate", type=float, default=5e-4, help="AdamW lr (5e-4)")
    p.add_argument("--weight-decay", type=float, default=0.01, help="AdamW decay (0.01)")
    p.add_argument("--eval-every", type=int, default=500, help="steps between evaluations")
    args = p.parse_args(argv)
    out = _common.out_dir(args.out)

    nn.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    train, test = load_names(args.seed)
    block_size = train.max_length + 1
    print(
        f"{len(train.words)} training and {len(test.words)} test names, "
        f"vocabulary {train.vocab_size}, block size {block_size}"
    )
    model = build(args.type, train.vocab_size, block_size, args)
    print(f"model {args.type}: {model.num_parameters()} parameters")
    optimizer = nn.optim.AdamW(
        model.parameters(),
        lr=args.learning_rate,
        weight_decay=args.weight_decay,
        betas=(0.9, 0.99),
        eps=1e-8,
    )

    history: list[tuple[int, float, float]] = []
    step = 0
    began = time.perf_counter()
    try:
        while args.max_steps < 0 or step < args.max_steps:
            t0 = time.perf_counter()
            rows = rng.integers(0, len(train.x), size=args.batch_size)
            loss = loss_of(model(train.x[rows]), train.y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            t1 = time.perf_counter()
            if step % 10 == 0:
                print(f"step {step} | loss {loss.item():.4f} | step time {(t1 - t0) * 1000:.2f}ms")
            step += 1
            if step % args.eval_every == 0 or step == args.max_steps:
                train_loss = evaluate(model, train, rng)
                test_loss = evaluate(model, test, rng)
                history.append((step, train_loss, test_loss))
                minutes = (time.perf_counter() - began) / 60
                print(
                    f"step {step} train loss: {train_loss:.4f} test loss: {test_loss:.4f} "
                    f"({minutes:.1f} min)"
                )
                model.save(out / f"makemore_{args.type}.npz")
                sys.stdout.flush()
    except KeyboardInterrupt:
        print(f"stopped at step {step}")

    text = samples(model, train, test, rng)
    print("-" * 80)
    print(text)
    print("-" * 80)
    wrote = [out / f"makemore_{args.type}_samples.txt"]
    wrote[0].write_text(text + "\n")
    model.save(out / f"makemore_{args.type}.npz")
    wrote.append(out / f"makemore_{args.type}.npz")
    plt = _common.pyplot()
    if plt is not None and history:
        fig, ax = plt.subplots(figsize=(6, 4))
        steps_, train_l, test_l = zip(*history, strict=True)
        ax.plot(steps_, train_l, "o-", label="train")
        ax.plot(steps_, test_l, "s-", label="test")
        ax.set_xlabel("step")
        ax.set_ylabel("loss (mean over 10 batches of 100)")
        ax.set_title(f"makemore {args.type}")
        ax.legend()
        fig.tight_layout()
        wrote.append(_common.save(plt, fig, out / f"makemore_{args.type}_loss.png"))
    _common.report(wrote)
    return 0


if __name__ == "__main__":
    sys.exit(main())
