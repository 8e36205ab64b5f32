"""The fused DiffAugment kernel against the three kernels it fuses: same bits forward, the exact adjoint."""

from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from kornia_diffaug import functional as F
from tests._strategies import images


def _draw(x: torch.Tensor, seed: int, use: tuple[bool, bool, bool]):
    g = torch.Generator().manual_seed(seed)
    b, _, h, w = x.shape
    color = (torch.rand(b, generator=g) - 0.5, torch.rand(b, generator=g) * 2, torch.rand(b, generator=g) + 0.5)
    shifts = tuple(torch.randint(-max(1, s // 3), max(1, s // 3) + 1, (b,), generator=g) for s in (w, h))
    top, left = torch.randint(-h // 2, h, (b,), generator=g), torch.randint(-w // 2, w, (b,), generator=g)
    boxes = (top, left, torch.full((b,), (h + 1) // 2), torch.full((b,), (w + 1) // 2))
    return tuple(v if on else None for v, on in zip((color, shifts, boxes), use, strict=True))


def _composed(x, color, shifts, boxes, fill):
    if color is not None:
        x = F.diffaugment_color(x, *color)
    if shifts is not None:
        x = F.integer_translate(x, *shifts)
    if boxes is not None:
        x = F.cutout(x, *boxes, fill=fill)
    return x


USES = list(itertools.product((False, True), repeat=3))


@given(images(dtypes=[torch.float32, torch.float64, torch.bfloat16]), st.integers(0, 2**16), st.sampled_from(USES))
def test_forward_is_bitwise_the_composed_kernels_and_backward_their_gradient(x, seed, use):
    color, shifts, boxes = _draw(x, seed, use)
    leaf = x.clone().requires_grad_(True)
    y = F.diffaugment_fused(leaf, color, shifts, boxes, fill=0.25)
    ref_leaf = x.clone().requires_grad_(True)
    ref = _composed(ref_leaf, color, shifts, boxes, 0.25)
    assert torch.equal(y, ref) and y.dtype == x.dtype
    assert torch.equal(x, leaf.detach())  # input untouched
    if x.numel() == 0:
        return
    g = torch.randn(y.shape, generator=torch.Generator().manual_seed(seed)).to(x.dtype)
    (got,) = torch.autograd.grad(y, leaf, g)
    (want,) = torch.autograd.grad(ref, ref_leaf, g)
    tol = {torch.float64: 1e-12, torch.float32: 1e-5, torch.bfloat16: 1e-1}[x.dtype]
    torch.testing.assert_close(got, want, atol=tol, rtol=tol)


@pytest.mark.parametrize("use", USES)
def test_gradcheck_and_double_backward(use):
    x = torch.rand(2, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    color, shifts, boxes = _draw(x, 5, use)
    f = lambda t: F.diffaugment_fused(t, color, shifts, boxes, fill=0.5)  # noqa: E731
    assert torch.autograd.gradcheck(f, (x,), fast_mode=True)
    assert torch.autograd.gradgradcheck(f, (x,), fast_mode=True)


def test_learnable_magnitudes_get_gradients_and_the_same_values():
    x = torch.rand(4, 3, 8, 8)
    color, shifts, boxes = _draw(x, 1, (True, True, True))
    shift = color[0].clone().requires_grad_(True)
    y = F.diffaugment_fused(x, (shift, *color[1:]), shifts, boxes)
    assert torch.equal(y, F.diffaugment_fused(x, color, shifts, boxes))
    y.sum().backward()
    assert shift.grad is not None and shift.grad.abs().sum() > 0


def test_nan_moved_out_of_view_does_not_leak_into_the_zero_fill():
    x = torch.zeros(1, 1, 4, 4)
    x[0, 0, :, 3] = float("nan")  # the right column leaves the image under a shift of +1
    y = F.diffaugment_fused(x, None, (torch.tensor([1]), torch.tensor([0])), None)
    assert torch.equal(y, torch.zeros_like(y))


@pytest.mark.parametrize("use", USES)
def test_cpu_folded_select_and_torch_where_agree_bit_for_bit(use):
    from kornia_diffaug.functional.diffaugment_fused import _compose, _plan

    x = torch.rand(4, 3, 10, 9) * 2 - 1
    x[:, :, 0] = -0.0  # signed zeros survive the fold
    color, shifts, boxes = _draw(x, 3, use)
    plan = _plan(x, color, shifts, boxes, torch.tensor(0.0))
    with torch.no_grad():
        folded = _compose(x, plan[0], plan[1], *plan[3:])  # CPU, finite input: the folded multiply-add
    with torch.enable_grad():
        selected = _compose(x, plan[0], plan[1], *plan[3:])  # grad mode: torch.where
    assert torch.equal(folded.view(torch.int32), selected.view(torch.int32))
