"""The fused DiffAugment kernel against the three kernels it fuses: same bits forward, the exact adjoint."""

from __future__ import annotations

import importlib
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


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("use", USES)
@pytest.mark.parametrize("size", [(10, 9), (40, 37)])  # the cutout as a mask pass / as slice fills (>= 4096)
def test_cpu_canvas_path_and_gather_path_agree(use, dtype, size, monkeypatch):
    """The CPU path (colour written into a zero-bordered canvas, moved by window copies, the cutout filled)
    against the accelerators' path (gather, select), forced on the CPU: same bits forward, the same gradient."""
    fused = importlib.import_module("kornia_diffaug.functional.diffaugment_fused")  # the name is also a function

    x = (torch.rand(4, 3, *size, dtype=torch.float64) * 2 - 1).to(dtype)
    x[:, :, 0] = -0.0  # signed zeros
    x[0, 1, 5, 4], x[1, 0, 2, 2], x[2, 2, 9, 8] = float("nan"), float("inf"), -float("inf")
    color, shifts, boxes = _draw(x, 3, use)
    if boxes is not None:  # two holes per sample, one of them empty or outside for some samples
        boxes = tuple(torch.stack((v, w), 1) for v, w in zip(boxes, (boxes[0] - 12, boxes[1] + 3,
                                                                      torch.tensor([0, 3, 5, 2]), boxes[3] // 2),
                                                               strict=True))
    g = torch.randn(x.shape, generator=torch.Generator().manual_seed(7)).to(dtype)

    def run():
        leaf = x.clone().requires_grad_(True)
        y = F.diffaugment_fused(leaf, color, shifts, boxes, fill=-0.0)
        (gx,) = torch.autograd.grad(y, leaf, g)
        return y.detach(), gx

    y_canvas, g_canvas = run()
    monkeypatch.setattr(fused, "host_reads_free", lambda *t: False)
    y_gather, g_gather = run()
    bits = {2: torch.int16, 4: torch.int32, 8: torch.int64}[dtype.itemsize]
    nan = y_canvas.isnan()
    assert torch.equal(nan, y_gather.isnan())  # the same NaNs (their payload bits may differ between kernels)
    assert torch.equal(y_canvas.view(bits)[~nan], y_gather.view(bits)[~nan])  # signed zeros included
    tol = {torch.float64: 1e-12, torch.float32: 1e-5, torch.bfloat16: 5e-2, torch.float16: 5e-3}[dtype]
    torch.testing.assert_close(g_canvas, g_gather, atol=tol, rtol=tol, equal_nan=True)  # rounding order differs


def test_negative_zero_fill_is_written_as_negative_zero():
    x = torch.ones(2, 1, 4, 4)
    boxes = (torch.zeros(2, dtype=torch.long),) * 2 + (torch.full((2,), 2),) * 2
    for shifts in (None, (torch.tensor([1, 0]), torch.tensor([0, -1]))):
        y = F.diffaugment_fused(x, None, shifts, boxes, fill=-0.0)
        assert torch.equal(torch.signbit(y[:, :, :2, :2]), torch.ones(2, 1, 2, 2, dtype=torch.bool))


@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**16))
def test_rectangle_slices_fill_exactly_the_mask(b, k, h, w, seed):
    from kornia_diffaug.functional.erase import fill_rectangles_, rectangle_mask, rectangle_slices

    g = torch.Generator().manual_seed(seed)
    top, left = torch.randint(-h, 2 * h, (b, k), generator=g), torch.randint(-w, 2 * w, (b, k), generator=g)
    height, width = torch.randint(-2, h + 3, (b, k), generator=g), torch.randint(-2, w + 3, (b, k), generator=g)
    for boxes in ((top, left, height, width), (top[:, 0], left[:, 0], height[:, 0], width[:, 0])):
        x = torch.rand(b, 2, h, w, generator=g)
        mask = rectangle_mask(*boxes, (h, w))
        fill = torch.tensor([0.25, -3.0])
        got = fill_rectangles_(x.clone(), rectangle_slices(*boxes, (h, w)), fill)
        assert torch.equal(got, torch.where(mask, fill.view(1, 2, 1, 1), x))


@pytest.mark.parametrize("size", [(8, 8), (40, 37)])  # the mask select / the slice fills (C H W >= 4096)
@pytest.mark.parametrize("fill", [0.5, torch.tensor([0.25, -1.0, 2.0])])
def test_cutout_paths_match_the_mask_definition(size, fill):
    from kornia_diffaug.functional.erase import rectangle_mask

    g = torch.Generator().manual_seed(2)
    x = torch.rand(3, 3, *size, generator=g, requires_grad=True)
    boxes = (torch.tensor([[-2, 3], [5, 0], [1, 1]]), torch.tensor([[4, -9], [0, 2], [30, 1]]),
             torch.tensor([[6, 2], [0, 40], [5, 3]]), torch.tensor([[7, 20], [3, 3], [9, 2]]))
    y = F.cutout(x, *boxes, fill=fill)
    mask = rectangle_mask(*boxes, size)
    want = torch.where(mask, torch.as_tensor(fill).view(1, -1, 1, 1) if isinstance(fill, torch.Tensor) else fill, x)
    assert torch.equal(y, want)
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(grad, (~mask).to(x.dtype).expand_as(x))
