"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
# Tolerances for comparing two evaluations of the same maths in a given dtype.
ATOL = {torch.float64: 1e-10, torch.float32: 1e-5, torch.float16: 2e-2, torch.bfloat16: 1e-1}


@st.composite
def images(draw, max_b: int = 8, max_c: int = 4, max_side: int = 64, min_b: int = 0, dtypes=None):
    """A random ``(B, C, H, W)`` tensor (non-square allowed), with its dtype drawn from ``dtypes``."""
    b = draw(st.integers(min_b, max_b))
    c = draw(st.integers(1, max_c))
    h = draw(st.integers(1, max_side))
    w = draw(st.integers(1, max_side))
    dtype = draw(st.sampled_from(dtypes or DTYPES))
    seed = draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(b, c, h, w, generator=g, dtype=torch.float64) * 2 - 1).to(dtype)


def devices() -> list[str]:
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
