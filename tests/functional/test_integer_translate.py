"""``integer_translate`` on both of its paths (the CPU's flat canvas, the gather elsewhere) against slicing."""

from __future__ import annotations

import importlib

import pytest
import torch

from kornia_diffaug import functional as F


def _by_slicing(x: torch.Tensor, tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    y = torch.zeros_like(x)
    h, w = x.shape[-2:]
    for i, (u, v) in enumerate(zip(tx.tolist(), ty.tolist(), strict=True)):
        if abs(u) < w and abs(v) < h:
            y[i, :, max(v, 0):h + min(v, 0), max(u, 0):w + min(u, 0)] = \
                x[i, :, max(-v, 0):h - max(v, 0), max(-u, 0):w - max(u, 0)]
    return y


@pytest.mark.parametrize("cpu_path", [True, False])
@pytest.mark.parametrize("size", [(5, 7), (40, 37)])  # entering columns by one select / by slice fills
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16])
def test_integer_translate_is_slicing_and_its_gradient_the_opposite_shift(cpu_path, size, dtype, monkeypatch):
    if not cpu_path:
        geometry = importlib.import_module("kornia_diffaug.functional.geometry")
        monkeypatch.setattr(geometry, "host_reads_free", lambda *t: False)
    h, w = size
    x = torch.randn(6, 3, h, w, generator=torch.Generator().manual_seed(1)).to(dtype)
    x[0, 0, 0, 0], x[1, 2, h - 1, w - 1] = float("nan"), float("inf")  # leaves the image for some shifts
    tx = torch.tensor([0, 1, -2, w, -w - 3, 3])  # beyond the side: zeros
    ty = torch.tensor([0, -1, 2, 0, 1, h + 5])
    leaf = x.clone().requires_grad_(True)
    y = F.integer_translate(leaf, tx, ty)
    want = _by_slicing(x, tx, ty)
    nan = want.isnan()
    assert torch.equal(y.isnan(), nan) and torch.equal(y[~nan], want[~nan])
    g = torch.randn(y.shape, generator=torch.Generator().manual_seed(2)).to(dtype)
    (grad,) = torch.autograd.grad(y, leaf, g)
    assert torch.equal(grad, _by_slicing(g, -tx, -ty))
