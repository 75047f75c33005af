"""Array cases of the products: einsum (by kind of subscripts), dot, inner, outer,
tensordot, kron and matmul on generated shapes (size-1 and empty axes included)."""

import numpy as np
from hypothesis import strategies as st

from autodiff.testing import ArrayCase, Drawn


def _torch(name, **kwargs):
    def call(*xs):
        import torch

        fn = torch
        for part in name.split("."):
            fn = getattr(fn, part)
        return fn(*xs, **kwargs)

    return call


# einsum subscripts by what they exercise; each group is a case
EINSUM = {
    "einsum_contract": ["ij,jk->ik", "ij,jk", "bij,bjk->bik", "i,i->", "i,j->ij"],
    "einsum_permute_and_sum": ["ij->ji", "ji", "ijk->kji", "ij->", "ij->j"],
    "einsum_diagonal": ["ii->", "ii", "ii->i", "iij->j", "iji->ij"],
    "einsum_ellipsis": ["...j,...j->...", "...ij,...jk->...ik", "i...->...", "...i,i"],
    "einsum_three_operands": ["ij,jk,kl->il", "i,ij,j", "ab,bc,ca->"],
}


def _einsum(specs):
    def draw(side):
        @st.composite
        def drawn(draw_):
            spec = draw_(st.sampled_from(specs), label="subscripts")
            terms = spec.split("->")[0].split(",")
            letters = sorted(set(spec) - set(".,->"))
            size = {c: draw_(st.integers(0 if side > 1 else 1, side), label=c) for c in letters}
            broadcast = [draw_(st.integers(1, side)) for _ in range(draw_(st.integers(0, 2)))]
            rng = np.random.default_rng(draw_(st.integers(0, 2**16), label="seed"))
            inputs = []
            for term in terms:
                head, _, tail = term.partition("...")
                dims = [size[c] for c in head]
                if "..." in term:  # fewer broadcast axes, or ones, in some operands
                    k = draw_(st.integers(0, len(broadcast)))
                    own = broadcast[len(broadcast) - k :]
                    dims += [n if draw_(st.booleans()) else 1 for n in own]
                dims += [size[c] for c in tail]
                inputs.append(rng.normal(size=tuple(dims)))
            return Drawn(
                inputs,
                lambda *xs: np.einsum(spec, *xs),
                lambda *xs: _torch("einsum")(spec, *xs),
            )

        return drawn()

    return draw


def _pair(name):
    """Two operands whose shapes ``name`` accepts, 0-d ones where numpy allows them."""

    def draw(side):
        @st.composite
        def drawn(draw_):
            any_rank = name in ("dot", "inner", "outer", "kron")
            na = draw_(st.integers(0 if any_rank else 1, 3), label="a dims")
            nb = draw_(st.integers(0 if any_rank else 1, 3), label="b dims")
            dim = st.integers(1, side)
            a = [draw_(dim) for _ in range(na)]
            b = [draw_(dim) for _ in range(nb)]
            if name in ("dot", "matmul") and na and nb:
                b[-2 if nb >= 2 else 0] = a[-1]
            if name == "tensordot" and na and nb:
                b[0] = a[-1]
            if name == "inner" and na and nb:
                b[-1] = a[-1]
            if name == "tensordot_pairs":
                b[-1] = a[0]
            if name == "matmul" and na >= 3 and nb >= 3:
                b[0] = draw_(st.sampled_from([1, a[0]]))  # a broadcast batch axis
            rng = np.random.default_rng(draw_(st.integers(0, 2**16), label="seed"))
            return Drawn(
                [rng.normal(size=tuple(a)), rng.normal(size=tuple(b))], *_CALLS[name](na, nb)
            )

        return drawn()

    return draw


def _torch_for(name, na, nb):
    if name in ("inner", "kron") and not (na and nb):
        return _torch("mul")  # with a 0-d operand both are the product, as in numpy
    return {
        "inner": _torch("inner"),
        "kron": _torch("kron"),
        "outer": lambda a, b: _torch("outer")(a.reshape(-1), b.reshape(-1)),
        "tensordot": _torch("tensordot", dims=1),
        "tensordot_pairs": lambda a, b: _torch("tensordot", dims=([0], [b.ndim - 1]))(a, b),
        "matmul": _torch("matmul"),
    }.get(name)


_NUMPY = {
    "dot": np.dot,
    "inner": np.inner,
    "outer": np.outer,
    "tensordot": lambda a, b: np.tensordot(a, b, axes=1),
    "tensordot_pairs": lambda a, b: np.tensordot(a, b, axes=([0], [-1])),
    "kron": np.kron,
    "matmul": np.matmul,
}
_CALLS = {
    name: (lambda n: lambda na, nb: (_NUMPY[n], _torch_for(n, na, nb)))(name) for name in _NUMPY
}


CASES = [
    ArrayCase(name, "einsum", _einsum(specs), torch="einsum") for name, specs in EINSUM.items()
]
CASES += [
    ArrayCase("dot", None, _pair("dot")),  # with a 0-d operand, a product (op "*")
    ArrayCase("inner", None, _pair("inner"), torch="inner"),
    ArrayCase("outer", "einsum", _pair("outer"), torch="outer"),
    ArrayCase("tensordot", "einsum", _pair("tensordot"), torch="tensordot"),
    ArrayCase("tensordot_pairs", "einsum", _pair("tensordot_pairs"), torch="tensordot"),
    ArrayCase("kron", None, _pair("kron"), torch="kron"),  # reshapes and a product
    ArrayCase("matmul", "@", _pair("matmul"), torch="matmul"),
]
